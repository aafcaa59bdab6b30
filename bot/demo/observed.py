"""What the demo saw, and what it expected to see.

An `Event` is one thing a person saw or did during the simulated week: a command they typed, a button they
clicked, the bot's answer to a command, a DM or a channel post, a message replaced after a click, their App Home.
Events are made from the stand-in's record of the real Web API calls and from the app's real HTTP answers.

An `Expect` names a message that must have arrived; `check` compares a recording with the expectations and with
the rules every recording must keep (no DM outside the rep's working hours, no Slack call refused, no apology for
an internal error) and returns what failed, one line each.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.demo.workspace import CHANNELS, USERS
from bot.slack.standin import texts

TEAM_TZ = "Europe/Amsterdam"  # where #sales lives: the zone of the manager who subscribed it


class Kind(StrEnum):
    """A kind of event: what a person did (the first three), and what the bot showed them."""

    COMMAND = "command"
    CLICK = "click"
    OPEN_HOME = "open_home"
    EPHEMERAL = "ephemeral"
    DM = "dm"
    POST = "post"
    UPDATE = "update"
    HOME = "home"
    MODAL = "modal"
    FILE = "file"


BOT_KINDS = frozenset({Kind.EPHEMERAL, Kind.DM, Kind.POST, Kind.UPDATE, Kind.HOME, Kind.MODAL, Kind.FILE})
MESSAGE_KINDS = frozenset(
    {Kind.EPHEMERAL, Kind.DM, Kind.POST, Kind.UPDATE, Kind.FILE}
)  # what counts as a message (not views)

# The keys whose strings a message itself shows (not the dialog behind a button's confirm): what `Event.text` reads.
SHOWN = ("text", "blocks", "elements", "fields", "title", "view", "label", "alt_text", "placeholder")

# What the bot says when a listener failed (coaching/catalog/*/core.toml, error.internal): never expected.
APOLOGIES = ("something went wrong on my side", "er ging aan mijn kant iets mis")


def name_of(who: str) -> str:
    """A person's real name, or #channel."""
    if who in USERS:
        return str(USERS[who]["real_name"])
    if who in CHANNELS:
        return "#" + CHANNELS[who]
    return who


def first_name(who: str) -> str:
    """A person's first name, or #channel."""
    return name_of(who).split()[0]


def zone_of(who: str) -> ZoneInfo:
    """The zone a person (or a channel's team) reads times in."""
    return ZoneInfo(str(USERS[who]["tz"]) if who in USERS else TEAM_TZ)


@dataclass
class Event:
    """One thing a person saw or did, at a simulated instant (UTC)."""

    seq: int
    at: dt.datetime
    kind: str
    viewer: str  # the user who saw or did it; for a channel post, the channel
    channel: str  # the conversation it belongs to: a DM (D...), a channel (C...), or "home"
    payload: dict[str, Any] = field(default_factory=dict)  # text/blocks of a message; the view of a home/modal
    actor: str | None = None  # who acted (commands, clicks); None when the bot spoke
    ts: str | None = None  # the message's ts (DMs and posts), or the ts a click or update refers to
    label: str = ""  # the command typed, or the button clicked

    @property
    def local(self) -> dt.datetime:
        """The instant in the viewer's own zone."""
        return self.at.astimezone(zone_of(self.viewer))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The message's (or view's) blocks."""
        source = self.payload.get("view") if self.kind in (Kind.HOME, Kind.MODAL) else self.payload
        blocks = (source or {}).get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        return list(blocks)

    @property
    def text(self) -> str:
        """What it shows in words, Slack's escapes undone (for matching, not for display)."""
        return texts(
            self.payload if self.kind not in (Kind.COMMAND, Kind.CLICK) else {"text": self.label}, SHOWN, nested=False
        )


def messages(events: Iterable[Event]) -> int:
    """How many messages the bot showed (replies, DMs, posts, updates, files; App Home views aside)."""
    return sum(1 for e in events if e.kind in MESSAGE_KINDS)


@dataclass(frozen=True)
class Expect:
    """A message that must have arrived: of `kind`, seen by `viewer`, holding every string of `contains`.

    `day` (and `after`/`before`, local times of that day) narrow it down in the viewer's own zone; `count` is
    the least number of such messages, or the exact number when `exactly` is set.
    """

    what: str
    kind: str
    viewer: str
    contains: tuple[str, ...] = ()
    day: dt.date | None = None
    after: dt.time | None = None
    before: dt.time | None = None
    count: int = 1
    exactly: bool = False

    def matches(self, event: Event) -> bool:
        """Whether `event` is one of the messages this expects."""
        if event.kind != self.kind or event.viewer != self.viewer:
            return False
        local = event.local
        if self.day is not None and local.date() != self.day:
            return False
        if self.after is not None and local.time() < self.after:
            return False
        if self.before is not None and local.time() >= self.before:
            return False
        text = event.text.casefold()
        return all(part.casefold() in text for part in self.contains)

    def describe(self) -> str:
        """What it looks for, in words."""
        kind = {
            Kind.DM: "a DM to",
            Kind.POST: "a post in",
            Kind.EPHEMERAL: "a reply only visible to",
            Kind.UPDATE: "a message updated for",
            Kind.HOME: "the App Home of",
        }.get(self.kind, self.kind + " for")
        where = f"{'no ' + kind.removeprefix('a ').removeprefix('the ') if self.exactly and not self.count else kind}"
        where += f" {name_of(self.viewer)}"
        if self.contains:
            where += " containing " + ", ".join(repr(c) for c in self.contains)
        if self.day is not None:
            where += f" on {self.day:%a %d %b}"
        if self.after is not None:
            where += f" from {self.after:%H:%M}"
        if self.before is not None:
            where += f" before {self.before:%H:%M}"
        return where

    def failure(self, events: Sequence[Event]) -> str | None:
        """None when met, else one line saying what didn't arrive."""
        found = sum(1 for e in events if self.matches(e))
        if found >= self.count and (not self.exactly or found == self.count):
            return None
        wanted = f"{'exactly' if self.exactly else 'at least'} {self.count}" if self.count != 1 or self.exactly else ""
        got = "none arrived" if found == 0 else f"{found} arrived"
        return f"{self.what}: expected {wanted + ' of ' if wanted else ''}{self.describe()}; {got}"


def quiet_hours_failures(events: Iterable[Event]) -> list[str]:
    """A DM outside the rep's working hours (Monday to Friday, 09:00 to 17:00 in their own zone) is a failure."""
    failures = []
    for event in events:
        if event.kind != Kind.DM:
            continue
        local = event.local
        if local.weekday() >= 5 or not dt.time(9) <= local.time() < dt.time(17):
            headline = event.text.splitlines()[0] if event.text else ""
            failures.append(
                f"a DM reached {name_of(event.viewer)} outside working hours, at {local:%a %d %b %H:%M %Z}: "
                f"{headline[:80]!r}"
            )
    return failures


def apology_failures(events: Iterable[Event]) -> list[str]:
    """The bot apologising for an internal error is a failure."""
    return [
        f"the bot reported an internal error to {name_of(e.viewer)} at {e.local:%a %d %b %H:%M}"
        for e in events
        if e.kind in BOT_KINDS and any(a in e.text.casefold() for a in APOLOGIES)
    ]


def check(events: Sequence[Event], expectations: Iterable[Expect]) -> list[str]:
    """Every failure: expected messages that did not arrive, DMs at the wrong time, internal errors."""
    failures = [f for f in (x.failure(events) for x in expectations) if f]
    return failures + quiet_hours_failures(events) + apology_failures(events)

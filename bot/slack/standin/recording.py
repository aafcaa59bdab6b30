"""What a stand-in recorded, and reading it back: the calls, the response_urls it handed out, payload text."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from bot.slack.standin.rules import Answer, Params
from bot.slack.standin.workspace import dm_channel


def wall_clock() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Call:
    """One request the bot made to the stand-in, and what it was answered."""

    seq: int
    method: str
    params: Params
    token: str
    at: dt.datetime  # the stand-in's clock (simulated in the demo)
    wall: float = field(default_factory=time.time)
    ok: bool = True
    answer: Answer = field(default_factory=dict)


@dataclass(frozen=True)
class ResponseUrl:
    """A `response_url` handed out with a slash command or a click: where its answer goes."""

    user: str
    channel: str
    message_ts: str | None  # the message a click was on; None for a slash command


class StandInTimeout(AssertionError):
    """The calls `wait_for` waited for did not arrive in time (an AssertionError, so a test reads as failed)."""


class Recorder:
    """The record of a `SlackStandIn` (its `calls`, `counts`, `lock`), and the response_urls it hands out."""

    def response_url(self, user: str | None = None, channel: str | None = None, message_ts: str | None = None) -> str:
        """A fresh response_url for a command or a click by `user` in `channel` (default: their DM), on `message_ts`.

        Without `user` it is just somewhere to post; with one, `response_target` tells what it was handed out for.
        """
        key = f"R{next(self._ids):05d}"
        if user is not None:
            with self.lock:
                self._response_urls[key] = ResponseUrl(user, channel or dm_channel(user), message_ts)
        return f"{self.base_url}/response/{key}"

    def response_target(self, url: str) -> ResponseUrl | None:
        """What a response_url was handed out for (None: not one handed out to a user)."""
        with self.lock:
            return self._response_urls.get(url.rsplit("/", 1)[-1])

    @property
    def counts(self) -> Counter[str]:
        """How many requests each method (or URL kind) received, failed ones included."""
        with self.lock:
            return Counter(self._counts)

    def mark(self) -> int:
        """A position in the record, for `since` and `wait_for`."""
        with self.lock:
            return len(self._recorded())

    def since(self, mark: int, method: str | None = None) -> list[Call]:
        """The calls (of `method`, or all) recorded after `mark`, in the order they were answered."""
        with self.lock:
            return [c for c in self._recorded()[mark:] if method is None or c.method == method]

    def of(self, method: str) -> list[Call]:
        """Every recorded call of `method`."""
        return self.since(0, method)

    def wait_for(
        self,
        method: str,
        count: int = 1,
        since: int = 0,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until `count` calls of `method` (matching `where`) arrived after `since`: work done after an ack."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [c for c in self._recorded()[since:] if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StandInTimeout(f"expected {count} {method} call(s), got {len(found)}")
                self.changed.wait(left)

    def _recorded(self) -> list[Call]:
        if not self.recording:
            raise RuntimeError("this stand-in counts calls only (record=False): read `counts`")
        return self.calls


# The keys of a message, block or view whose strings a person reads, in it or in a dialog it opens.
READABLE = frozenset(
    {
        "text",
        "blocks",
        "elements",
        "fields",
        "title",
        "view",
        "label",
        "options",
        "hint",
        "submit",
        "close",
        "confirm",
        "deny",
        "placeholder",
    }
)


def texts(payload: Any, keys: Collection[str] = READABLE, *, nested: bool = True) -> str:
    """The human-readable strings of a message payload (or view, or blocks), flattened, with Slack's escapes undone.

    The strings under `keys` count, and with `nested` those under `keys` in any block, element or dialog deeper
    down, whatever key holds it (a button's confirm, a section's accessory); without, only what hangs from `keys`
    all the way down.
    """
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped[:1] in "[{":
                # Blocks and views travel as JSON strings in form-encoded calls.
                try:
                    walk(json.loads(stripped))
                    return
                except ValueError:
                    pass
            out.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in keys or (nested and isinstance(item, list | dict)):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload)
    return "\n".join(out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

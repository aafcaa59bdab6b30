"""The tip after an entry: the most relevant new finding, with its buttons (mute the rule; put leads back).

The rules themselves are `coaching`'s, pure; this module reads the rep's day for them and remembers which tips
were shown and what about, so each rule speaks at most once a day, a tip about the same leads waits 5 business
days (`coaching.engine.SUBJECT_QUIET_DAYS`), and a rule a rep muted stays quiet for a week.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, bindparam, func, literal, select, union_all
from sqlalchemy.orm import Session

from bot.slack import blockkit
from bot.storage.database import Database, insert_ignore
from bot.storage.models import RuleMute, TipShown
from bot.storage.records import Stamp, Written, lead_summaries, rep_day
from bot.usecases.replies import Reply
from bot.usecases.reps import RepProfile
from coaching.domain import Activity
from coaching.engine import SUBJECT_QUIET_DAYS, evaluate, pick_tip, subject_of
from coaching.hours import local_day_bounds, working_days_before
from coaching.i18n import t
from coaching.render import render_finding
from coaching.rules import RULES, by_code

if TYPE_CHECKING:
    from bot.runtime import Runtime

MUTE_FOR = dt.timedelta(days=7)
#: The rule whose tip offers to put its leads back into the cadence.
RESUMABLE = "M201"


@dataclass(frozen=True)
class Tip:
    """A tip as shown: its text in the rep's language and its rule's code."""

    text: str
    code: str

    def blocks(self, language: str) -> list[dict[str, Any]]:
        """The tip and its buttons."""
        return blockkit.tip_blocks(language, self.text, self.code, resume=self.code == RESUMABLE)


BREAK_NUDGE_CODE = "M501"


def _remembered(
    session: Session, rep: RepProfile, today: dt.date, now: dt.datetime
) -> tuple[set[str], list[frozenset[str]], set[str]]:
    """What the rep was told: codes shown today, leads of recent tips, rules muted now.

    Recent: within the last `SUBJECT_QUIET_DAYS` business days. One query, built once: it runs after every entry.
    """
    since = working_days_before(today, SUBJECT_QUIET_DAYS, rep.hours)
    params = {"team": rep.team_id, "user": rep.user_id, "today": today, "since": since, "now": now}
    shown: set[str] = set()
    subjects: list[frozenset[str]] = []
    muted: set[str] = set()
    for what, value in session.execute(_MEMORY, params):
        if what == "shown":
            shown.add(value)
        elif what == "subject":
            subjects.append(frozenset(value.split("\n")))
        else:
            muted.add(value)
    return shown, subjects, muted


def _told(what: str, column: Any) -> Any:
    return select(literal(what, String()).label("what"), column.label("value"))


_MEMORY = union_all(
    _told("shown", TipShown.code).where(
        TipShown.team_id == bindparam("team"), TipShown.user_id == bindparam("user"), TipShown.day == bindparam("today")
    ),
    _told("subject", TipShown.subject).where(
        TipShown.team_id == bindparam("team"),
        TipShown.user_id == bindparam("user"),
        TipShown.day > bindparam("since"),
        TipShown.subject != "",
    ),
    _told("muted", RuleMute.code).where(
        RuleMute.team_id == bindparam("team"), RuleMute.user_id == bindparam("user"), RuleMute.until > bindparam("now")
    ),
)


def muted(session: Session, team_id: str, user_id: str, code: str, now: dt.datetime) -> bool:
    """Whether the rep muted rule `code` and the week isn't over."""
    found = select(RuleMute.id).where(
        RuleMute.team_id == team_id, RuleMute.user_id == user_id, RuleMute.code == code, RuleMute.until > now
    )
    return session.scalar(found.limit(1)) is not None


class RepDays:
    """The reps' days this process read last, so the tip after an entry needn't read the whole day again.

    Every entry read for a tip is read again by the next tip, and a busy rep's day holds a hundred entries or more:
    re-reading it made the read grow with the day. Each remembered day carries the rep's stamp
    (`records.Stamp`), which every change to the rep's entries raises under the rep's row lock. An entry that
    committed stamp n, finding the day remembered at n - 1, is the only change since: it joins the day without a
    read. Any other stamp (another process wrote, a call was corrected or removed in HubSpot, the rep was forgotten
    and seen again, a new day) reads the day again, with its stamp, in one statement.
    """

    def __init__(self, entries: int = 50_000) -> None:
        # Bounded by the entries held (about 320 bytes each: 50,000 are about 16 MB a process), the days of the
        # reps seen least recently going first.
        self.entries = entries
        self._held = 0
        self._days: OrderedDict[tuple[str, str], tuple[dt.datetime, dt.datetime, Stamp, list[Activity]]] = OrderedDict()
        self._lock = threading.Lock()

    def activities(
        self, session: Session, rep: RepProfile, start: dt.datetime, end: dt.datetime, written: Written | None
    ) -> list[Activity]:
        """The rep's activities overlapping [start, end), oldest first (`records.rep_activities`)."""
        key = (rep.team_id, rep.user_id)
        with self._lock:
            known = self._days.get(key)
        if known is not None and written is not None and known[:2] == (start, end):
            stamp, day = known[2], known[3]
            if stamp.since == written.stamp.since and stamp.version >= written.stamp.version:
                return list(day)  # read after this entry committed: it is in there (a copy: the caller's own)
            if stamp.since == written.stamp.since and stamp.version == written.stamp.version - 1:
                joined = sorted([*day, written.entry], key=lambda entry: (entry.started_at, entry.id))
                self._remember(key, (start, end, written.stamp, joined))
                return list(joined)
        stamp_read, day = rep_day(session, rep.team_id, rep.user_id, start, end)
        if stamp_read is not None:
            self._remember(key, (start, end, stamp_read, list(day)))
        return day

    def forget(self, team_id: str, user_id: str) -> None:
        """Drop the rep's day."""
        with self._lock:
            known = self._days.pop((team_id, user_id), None)
            self._held -= len(known[3]) if known is not None else 0

    def _remember(self, key: tuple[str, str], value: tuple[dt.datetime, dt.datetime, Stamp, list[Activity]]) -> None:
        with self._lock:
            known = self._days.get(key)
            # Of two requests of one rep finishing out of order, the day of the higher stamp stays.
            if known is not None and (known[2].since, known[2].version) > (value[2].since, value[2].version):
                return
            self._held += len(value[3]) - (len(known[3]) if known is not None else 0)
            self._days[key] = value
            self._days.move_to_end(key)
            while self._held > self.entries and len(self._days) > 1:
                self._held -= len(self._days.popitem(last=False)[1][3])


# One per database: a process may serve several (tests do), and a day belongs to one.
_REP_DAYS: weakref.WeakKeyDictionary[Database, RepDays] = weakref.WeakKeyDictionary()
_REP_DAYS_LOCK = threading.Lock()


def _days_of(db: Database) -> RepDays:
    with _REP_DAYS_LOCK:
        days = _REP_DAYS.get(db)
        if days is None:
            days = _REP_DAYS[db] = RepDays()
        return days


def forget_day(db: Database, team_id: str, user_id: str) -> None:
    """Drop what this process remembers of a rep's day (the rep was forgotten)."""
    _days_of(db).forget(team_id, user_id)


def tip(db: Database, rep: RepProfile, now: dt.datetime, written: Written | None = None) -> Tip | None:
    """The most relevant new finding about the rep's day worth a message (`coaching.engine.pick_tip`); recorded.

    Runs after the entry is committed: the rules read in a read transaction, and only a tip actually shown takes
    the write lock, briefly.
    """
    day_start, day_end = local_day_bounds(now, rep.tz)
    settings = rep.coach_settings
    today = now.astimezone(rep.tz).date()
    since = now - dt.timedelta(days=settings.lead_lookback_days)
    # Each read stands on its own (the day and its stamp are one statement): no common snapshot needed.
    with db.read(snapshot=False) as session:
        activities = _days_of(db).activities(session, rep, day_start, day_end, written)
        leads = lead_summaries(session, rep.team_id, rep.user_id, since)
        findings = evaluate(activities, leads, settings, now, day_start=day_start, day_end=day_end)
        if not findings:
            return None
        shown, subjects, muted_rules = _remembered(session, rep, today, now)
        # A long stretch without a break (M501) is the break nudge's to say, by DM, once per streak.
        finding = pick_tip(findings, shown | {BREAK_NUDGE_CODE}, subjects, muted_rules)
    if finding is None:
        return None
    subject = "\n".join(sorted(subject_of(finding)))
    # Not durable: a record lost in a database crash shows a tip once more, no harm (Database.transaction).
    with db.transaction(durable=False) as session:
        # Two entries at the same moment may pick the same tip: only the one that records it shows it.
        shown = insert_ignore(
            session,
            TipShown,
            team_id=rep.team_id,
            user_id=rep.user_id,
            day=today,
            code=finding.code,
            shown_at=now,
            subject=subject,
        )
    return Tip(render_finding(finding, rep.language), finding.code) if shown else None


def tips_after_entry(db: Database, rep: RepProfile, now: dt.datetime, written: Written | None = None) -> list[Tip]:
    """What to add after any entry's confirmation: at most one coaching tip, the most relevant new finding.

    `written`, the entry just committed and the rep's stamp after it, spares re-reading the rep's day (`RepDays`).
    """
    found = tip(db, rep, now, written)
    return [found] if found else []


def with_tips(rep: RepProfile, text: str, tips: list[Tip]) -> Reply:
    """A confirmation and its tips, with their buttons; `text` stays the notification's fallback."""
    if not tips:
        return Reply(text)
    blocks = [blockkit.section(text)] + [block for found in tips for block in found.blocks(rep.language)]
    return Reply(text, blocks=blocks)


def mute(rt: Runtime, team_id: str, user_id: str, code: str) -> str:
    """The "mute this tip for a week" button: the rule stays quiet for this rep until a week from now."""
    rep, now = rt.reps.profile(team_id, user_id), rt.clock()
    if code not in {rule.code for rule in RULES}:
        return t(rep.language, "nudge.gone", lead="?")
    until = now + MUTE_FOR
    with rt.db.transaction() as session:
        session.add(RuleMute(team_id=team_id, user_id=user_id, code=code, muted_at=now, until=until))
    return t(
        rep.language,
        "tip.muted",
        rule=t(rep.language, by_code(code).name),
        date=blockkit.local_date(rep.language, until.astimezone(rep.tz).date()),
    )


def tip_counts(
    session: Session, team_id: str, start: dt.datetime, end: dt.datetime
) -> tuple[Counter[str], Counter[str]]:
    """Per rule, how often its tip was shown to the team's reps in [start, end), and how often they muted it."""
    shown = session.execute(
        select(TipShown.code, func.count())
        .where(TipShown.team_id == team_id, TipShown.shown_at >= start, TipShown.shown_at < end)
        .group_by(TipShown.code)
    )
    muted = session.execute(
        select(RuleMute.code, func.count())
        .where(RuleMute.team_id == team_id, RuleMute.muted_at >= start, RuleMute.muted_at < end)
        .group_by(RuleMute.code)
    )
    return Counter({code: n for code, n in shown}), Counter({code: n for code, n in muted})

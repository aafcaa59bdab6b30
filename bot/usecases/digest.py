"""The manager's weekly digest: Monday 09:00 in the manager's own zone, the team against the five misconceptions.

Planned as an outbox row per manager and week (like the channel posts), composed when due from the last two weeks'
activities, and sent only while its reader is still a manager who wants it (`/coach digest off` stops it). It says
which reps would gain from a conversation, and why: the rules flagged for them on more than one day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.outbox import rows as outbox
from bot.outbox.sweep import Decision
from bot.slack import blockkit
from bot.storage import digest_parts
from bot.storage.database import Database
from bot.storage.models import Activity, DigestWeek, Manager, Nudge, Rep, Team
from bot.storage.records import ACTIVITY_COLUMNS, to_domain
from bot.usecases.managers import is_manager
from bot.usecases.posts import STALE_AFTER
from bot.usecases.reps import profile_of, reps_by_id
from bot.usecases.tips import tip_counts
from coaching import domain
from coaching.engine import evaluate
from coaching.findings import Count
from coaching.hours import local_datetime, zone
from coaching.i18n import t
from coaching.metrics import LeadAttempts, connect_rate, research_share
from coaching.numbers import fmt_num, fmt_pct
from coaching.render import count
from coaching.rules import by_code
from coaching.scorecard import Period, period
from coaching.settings import CoachSettings
from coaching.streaks import in_order

#: While Slack can't say whether the reader is still a manager, the digest waits this long before asking again.
RECHECK_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Vetted:
    """A digest composed for a reader whose rights Slack was just asked about (`manager` None: Slack didn't answer)."""

    manager: bool | None
    message: dict[str, Any] | None


def vetted_digest(
    authority: Callable[[str, str], bool | None], session: Session, nudge: Nudge, now: dt.datetime
) -> Vetted:
    """Ask Slack whether the reader is still a manager, and compose the digest only if so (before it is sent)."""
    manager = authority(nudge.team_id, nudge.user_id or "")
    return Vetted(manager, digest(session, nudge, now) if manager else None)


def decide_digest(session: Session, nudge: Nudge, rep: Rep, now: dt.datetime, prepared: Any) -> Decision:
    """Send the digest composed for this nudge, unless its reader no longer manages the team or wants it.

    The reader's rights are asked of Slack before each digest (`vetted_digest`); when Slack can't be asked, the
    digest waits (fails closed), and is dropped once it would come too late to be worth reading.
    """
    if not rep.digest:
        return Decision(cancel_reason="digests turned off")
    if not isinstance(prepared, Vetted) or prepared.manager is None:
        if now - nudge.created_at > STALE_AFTER:
            return Decision(cancel_reason="manager rights could not be checked with Slack")
        return Decision(defer_until=now + RECHECK_AFTER)
    if not prepared.manager or not is_manager(session, rep.team_id, rep.user_id):
        return Decision(cancel_reason="no longer a manager")
    message = prepared.message
    return Decision(message=message, user_id=rep.user_id) if message else Decision(cancel_reason="gone")


#: What the digest reads of each activity: the rep's id and what `to_domain` needs.
_READ = (Activity.user_id, *ACTIVITY_COLUMNS)

DIGEST_WEEKDAY, DIGEST_TIME = 0, dt.time(9, 0)  # Monday morning, in the manager's own zone


def plan_digests(session: Session, now: dt.datetime) -> int:
    """Write the outbox row of every manager's digest whose moment has come; returns how many are new."""
    written = 0
    candidates = session.execute(_candidates(select(Rep))).scalars()
    for rep in candidates:
        tz = zone(rep.tz)
        day = now.astimezone(tz).date()
        monday = day - dt.timedelta(days=(day.weekday() - DIGEST_WEEKDAY) % 7)
        at = local_datetime(monday, DIGEST_TIME, tz)
        if at > now:
            monday -= dt.timedelta(days=7)
            at = local_datetime(monday, DIGEST_TIME, tz)
        if now - at > STALE_AFTER or at <= rep.created_at:
            continue
        key = f"digest:{rep.team_id}:{rep.user_id}:{monday.isoformat()}"
        week = {
            "week_start": local_datetime(monday - dt.timedelta(days=7), dt.time(0), tz).isoformat(),
            "week_end": local_datetime(monday, dt.time(0), tz).isoformat(),
        }
        written += outbox.schedule_dm(session, rep, "digest", at, key, now, payload=week)
    return written


def digest(session: Session, nudge: Nudge, now: dt.datetime) -> dict[str, Any] | None:
    """The manager's weekly digest: the team against the five misconceptions, and who would gain from a talk."""
    manager = session.get(Rep, (nudge.team_id, nudge.user_id))
    team = session.get(Team, nudge.team_id)
    if manager is None or team is None:
        return None
    profile = profile_of(manager, team)
    lang, tz = profile.language, profile.tz
    start = dt.datetime.fromisoformat((nudge.payload or {})["week_start"])
    end = dt.datetime.fromisoformat((nudge.payload or {})["week_end"])
    reps = reps_by_id(session, team.id)
    weeks = rep_weeks(session, team.id, start, end, start.astimezone(tz).date(), profile.coach_settings, reps, tz)
    if not any(week.this_week.logged for week in weeks.values()):
        return blockkit.plain(t(lang, "digest.quiet"))
    this_week, last_week = [], []
    talks: dict[str, Counter[str]] = {}
    examples: dict[tuple[str, str], str] = {}
    for user_id, week in sorted(weeks.items()):
        this_week.append(week.this_week)
        last_week.append(week.last_week)
        talks[user_id] = week.talks
        for code, date in week.examples.items():
            examples[(user_id, code)] = blockkit.local_date(lang, date)
    lines = _digest_lines(lang, tz, start, end, this_week, last_week, talks, examples, reps)
    return blockkit.plain("\n".join(lines + _tip_lines(lang, *tip_counts(session, team.id, start, end))))


# -- each rep's part of the week, prepared ahead by the clock (bot.storage.digest_parts) ---------------------------

#: Raised when what a part holds changes: stored parts of another format are counted again.
PART_FORMAT = 1
#: A week gets every rep's row on a pass at least this long after the week's own row: a transaction that wrote an
#: entry behind before the week's row existed (and so touched nothing) has long committed by then.
COMPLETE_AFTER = dt.timedelta(minutes=1)
#: Reps counted per read and per write (the write holds their row locks for a moment, never across the counting).
PREPARE_BATCH = 25
#: How long one pass of the clock may spend counting parts; the rest is counted on the next passes.
PREPARE_SECONDS = 0.5
#: Weeks that ended longer ago than this are dropped: their digests are sent or stale.
KEEP_WEEKS = dt.timedelta(days=9)


@dataclass(frozen=True)
class RepWeek:
    """One rep's part of a digest: their week and the week before, and per rule the days it flagged them."""

    this_week: Period
    last_week: Period
    talks: Counter[str]
    examples: dict[str, dt.date]  # per rule, the first day it flagged

    def to_payload(self) -> dict[str, Any]:
        """As stored (JSON)."""
        return {
            "this_week": asdict(self.this_week),
            "last_week": asdict(self.last_week),
            "talks": dict(self.talks),
            "examples": {code: date.isoformat() for code, date in self.examples.items()},
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> RepWeek:
        """As read back."""

        def figures(stored: dict[str, Any]) -> Period:
            return Period(**{**stored, "lead_attempts": LeadAttempts(**stored["lead_attempts"])})

        return cls(
            figures(payload["this_week"]),
            figures(payload["last_week"]),
            Counter(payload["talks"]),
            {code: dt.date.fromisoformat(date) for code, date in payload["examples"].items()},
        )


def rep_week(
    ordered: list[domain.Activity],
    settings: CoachSettings,
    start: dt.datetime,
    end: dt.datetime,
    first_day: dt.date,
    rep_tz: ZoneInfo,
) -> RepWeek:
    """A rep's part of the digest of [start, end) from their activities of [start - 7 days, end), in order.

    The week's days are the manager's (from `first_day`), each cut in the rep's own zone.
    """
    counted: Counter[str] = Counter()
    examples: dict[str, dt.date] = {}
    for offset in range(7):
        date = first_day + dt.timedelta(days=offset)
        day = local_datetime(date, dt.time(0), rep_tz)
        day_end = local_datetime(date + dt.timedelta(days=1), dt.time(0), rep_tz)
        day_acts = [a for a in ordered if day <= a.started_at < day_end]
        if not day_acts:
            continue
        # Lead rules read each lead's state today, not on that day: they are left out of the daily count.
        for finding in evaluate(day_acts, (), settings, day_end, day_start=day, day_end=day_end):
            counted[finding.code] += 1
            examples.setdefault(finding.code, date)
    before = start - dt.timedelta(days=7)
    return RepWeek(period(ordered, settings, start, end), period(ordered, settings, before, start), counted, examples)


def settings_key(settings: CoachSettings) -> str:
    """What a stored part was judged by: the thresholds, and the parts' format."""
    return hashlib.sha256(f"{PART_FORMAT}:{settings!r}".encode()).hexdigest()


def rep_weeks(
    session: Session,
    team_id: str,
    start: dt.datetime,
    end: dt.datetime,
    first_day: dt.date,
    settings: CoachSettings,
    reps: dict[str, Rep],
    tz: ZoneInfo,
) -> dict[str, RepWeek]:
    """Each rep's part of the week, for the reps with activities in it or the week before.

    Read from the parts the clock prepared where they hold (same thresholds, same rep zone, nothing changed since),
    the others counted from the activities; the whole team counted when the clock has not prepared the week.
    """
    found = digest_parts.week(session, team_id, start, end, first_day)
    weeks: dict[str, RepWeek] = {}
    to_count: list[str] | None = None  # None: everyone
    if found is not None and found.complete_at is not None and found.settings_key == settings_key(settings):
        to_count = []
        for part in digest_parts.parts(session, found.id):
            rep = reps.get(part.user_id)
            if rep is None:
                continue
            if part.payload is None or part.rep_tz != rep.tz:
                to_count.append(part.user_id)
            elif part.payload:  # {}: nothing logged in the two weeks
                weeks[part.user_id] = RepWeek.from_payload(part.payload)
    for user_id, acts in _activities(session, team_id, start - dt.timedelta(days=7), end, to_count).items():
        rep_tz = zone(reps[user_id].tz) if user_id in reps else tz
        weeks[user_id] = rep_week(in_order(acts), settings, start, end, first_day, rep_tz)
    return weeks


#: Reps per IN list when only some are counted.
_CHUNK = 500


def _activities(
    session: Session, team_id: str, start: dt.datetime, end: dt.datetime, user_ids: list[str] | None
) -> dict[str, list[domain.Activity]]:
    """The activities of [start, end) per rep: the whole team's (`user_ids` None) or these reps'."""
    by_rep: dict[str, list[domain.Activity]] = defaultdict(list)
    window = (Activity.team_id == team_id, Activity.started_at >= start, Activity.started_at < end)
    # Plain columns, not ORM entities: two weeks of a large team are hundreds of thousands of rows, and building
    # entities for them took most of the digest's time (bench/bench_leaderboard.py).
    if user_ids is None:
        statements = [select(*_READ).where(*window)]
    else:
        chunks = [user_ids[i : i + _CHUNK] for i in range(0, len(user_ids), _CHUNK)]
        statements = [select(*_READ).where(*window, Activity.user_id.in_(chunk)) for chunk in chunks]
    for statement in statements:
        for row in session.execute(statement):
            by_rep[row.user_id].append(to_domain(row))
    return by_rep


def prepare_digests(db: Database, now: dt.datetime, *, seconds: float = PREPARE_SECONDS) -> int:
    """The clock's share: count each rep's part of every digest week that has closed; returns how many were stored.

    A week is opened once it has ended (its managers' Monday 00:00), gets every rep's row a pass later, and is
    counted `PREPARE_BATCH` reps at a time for up to `seconds` a pass, hours before its digest is due at 09:00.
    """
    deadline = time.monotonic() + seconds
    with db.read() as session:
        wanted = _closed_weeks(session, now)
        known = {(w.team_id, w.start, w.end, w.first_day): w for w in session.scalars(select(DigestWeek))}
        stale = [w for w in known.values() if w.end < now - KEEP_WEEKS]
        ready = [
            (w.id, w.team_id, w.start, w.end, w.first_day, wanted[key])
            for key, w in known.items()
            if key in wanted and w.complete_at is not None and w.settings_key == settings_key(wanted[key])
        ]
        behind = len(ready) < len(wanted)
    if stale or behind:
        ready = []
        with db.transaction(durable=False) as session:
            digest_parts.prune(session, now - KEEP_WEEKS)
            for (team_id, start, end, first_day), settings in wanted.items():
                week = digest_parts.open_week(session, team_id, start, end, first_day, settings_key(settings), now)
                if week.complete_at is None and now - week.created_at >= COMPLETE_AFTER:
                    digest_parts.complete(session, week, now)
                if week.complete_at is not None:
                    ready.append((week.id, team_id, start, end, first_day, settings))
    stored = 0
    for week_id, team_id, start, end, first_day, settings in ready:
        while time.monotonic() < deadline:
            with db.read() as session:
                # The versions before the activities: a change that lands in between fails the check on store.
                user_ids = digest_parts.to_count(session, week_id, PREPARE_BATCH)
                read = digest_parts.stamps(session, team_id, user_ids)
                zones = digest_parts.zones(session, team_id, user_ids)
                by_rep = _activities(session, team_id, start - dt.timedelta(days=7), end, user_ids)
            if not user_ids:
                break
            counted = []
            for user_id in user_ids:
                if user_id not in read:
                    continue  # forgotten meanwhile
                acts = by_rep.get(user_id)
                part = rep_week(in_order(acts), settings, start, end, first_day, zone(zones[user_id])) if acts else None
                counted.append((user_id, zones[user_id], part.to_payload() if part else {}, read[user_id]))
            with db.transaction(durable=False) as session:
                done = digest_parts.store(session, week_id, team_id, counted)
            stored += done
            if not done:
                break  # every rep of the batch changed while being counted: the next pass
    return stored


def _closed_weeks(session: Session, now: dt.datetime) -> dict[tuple[str, dt.datetime, dt.datetime, dt.date], Any]:
    """The last closed week of every manager who gets a digest, per team and week: the thresholds to judge it by."""
    weeks: dict[tuple[str, dt.datetime, dt.datetime, dt.date], Any] = {}
    for rep, team in session.execute(_candidates(select(Rep, Team))):
        tz = zone(rep.tz)
        day = now.astimezone(tz).date()
        monday = day - dt.timedelta(days=(day.weekday() - DIGEST_WEEKDAY) % 7)
        if local_datetime(monday, DIGEST_TIME, tz) <= rep.created_at:
            continue  # no digest is planned for a week before the manager came
        first_day = monday - dt.timedelta(days=7)
        key = (team.id, local_datetime(first_day, dt.time(0), tz), local_datetime(monday, dt.time(0), tz), first_day)
        if key not in weeks:  # a team's managers share its thresholds: read once
            weeks[key] = profile_of(rep, team).coach_settings
    return weeks


def _candidates(statement: Any) -> Any:
    """Readers of a digest: admins and managers who want it, in workspaces that still have the bot."""
    return (
        statement.join(Team, Team.id == Rep.team_id)
        .outerjoin(Manager, (Manager.team_id == Rep.team_id) & (Manager.user_id == Rep.user_id))
        .where(
            Rep.digest.is_(True),
            or_(Rep.is_admin.is_(True), Manager.user_id.is_not(None)),
            Team.uninstalled_at.is_(None),  # nothing is planned for a workspace that removed the bot
        )
    )


def _tip_lines(lang: str, shown: Counter[str], muted: Counter[str]) -> list[str]:
    """Per rule, how often its tip reached a rep this week and how often reps muted it: the noisy rules to revisit."""
    codes = sorted(shown.keys() | muted.keys())
    if not codes:
        return [t(lang, "digest.tips_title"), t(lang, "digest.tips_none")]
    lines = [t(lang, "digest.tips_title")]
    for code in codes:
        rule = f"{code} {t(lang, by_code(code).name)}"
        lines.append(t(lang, "digest.tips_line", rule=rule, shown=shown[code], muted=muted[code]))
    return lines


def _sum(periods: list[Any], field: str) -> float:
    return sum(getattr(p, field) or 0 for p in periods)


def _digest_lines(
    lang: str,
    tz: ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    now: list[Any],
    before: list[Any],
    talks: dict[str, Counter[str]],
    examples: dict[tuple[str, str], str],
    reps: dict[str, Rep],
) -> list[str]:
    # The team's figures: each rep's parts added up, then divided once by the one definition (coaching.metrics).
    def rate(periods: list[Period]) -> float | None:
        return connect_rate(_sum(periods, "conversations"), _sum(periods, "dials"))

    def attempts(periods: list[Period]) -> float | None:
        return sum((p.lead_attempts for p in periods), LeadAttempts()).per_lead

    def research(periods: list[Period]) -> float | None:
        return research_share(_sum(periods, "researched_first_calls"), _sum(periods, "first_calls"))

    now_rate, before_rate = rate(now), rate(before)
    trend_key = "digest.trend_same"
    if now_rate is not None and before_rate is not None and now_rate != before_rate:
        trend_key = "digest.trend_up" if now_rate > before_rate else "digest.trend_down"
    lines = [
        t(
            lang,
            "digest.title",
            start=blockkit.local_date(lang, start.astimezone(tz).date()),
            end=blockkit.local_date(lang, (end - dt.timedelta(seconds=1)).astimezone(tz).date()),
        ),
        t(
            lang,
            "digest.m1",
            rate=fmt_pct(now_rate, lang),
            trend=t(lang, trend_key, before=fmt_pct(before_rate, lang)),
            research=fmt_pct(research(now), lang),
        ),
    ]
    now_att, before_att = attempts(now), attempts(before)
    m2 = "digest.m2_same"
    if now_att is not None and before_att is not None and now_att != before_att:
        m2 = "digest.m2" if now_att > before_att else "digest.m2_down"
    lines.append(t(lang, m2, attempts=fmt_num(now_att, lang), before=fmt_num(before_att, lang)))
    admin = _sum(now, "admin_minutes")
    working = sum(p.admin_minutes / p.admin_share for p in now if p.admin_share)
    lines.append(
        t(lang, "digest.m3", share=fmt_pct(admin / working if working else None, lang), minutes=fmt_num(admin, lang))
    )
    automatic = int(_sum(now, "calls_automatic"))
    if automatic:
        # The admin the HubSpot sync removed: calls the team logged there and nobody typed here.
        hand = int(_sum(now, "dials")) - automatic
        lines[-1] += " " + t(lang, "digest.m3_automatic", automatic=automatic, hand=hand)
    active = [p for p in now if p.dials or p.admin_minutes]
    switches = sum(p.max_switches for p in active) / len(active) if active else 0
    lines.append(t(lang, "digest.m4", switches=fmt_num(switches, lang)))
    streak = max((p.longest_streak_minutes for p in now), default=0)
    breaks = count(Count(int(_sum(now, "breaks")), "break"), lang)
    lines.append(t(lang, "digest.m5", breaks=breaks, streak=fmt_num(round(streak), lang)))
    lines.append(t(lang, "digest.talk_title"))
    ranked = sorted(
        ((user, code, days) for user, counted in talks.items() for code, days in counted.items() if days > 1),
        key=lambda item: (-item[2], item[1], item[0]),
    )
    seen: set[str] = set()
    for user, code, days in ranked:
        if user in seen or len(seen) >= 3:
            continue
        seen.add(user)
        rep = reps.get(user)
        lines.append(
            t(
                lang,
                "digest.talk_line",
                name=blockkit.escape(rep.name if rep and rep.name else user),
                rule=f"{code} {t(lang, by_code(code).name)}",
                days=count(Count(days, "day"), lang),
                example=examples[(user, code)],
            )
        )
    if not seen:
        lines.append(t(lang, "digest.talk_none"))
    return lines

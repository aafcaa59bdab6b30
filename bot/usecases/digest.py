"""The manager's weekly digest: Monday 09:00 in the manager's own zone, the team against the five misconceptions.

Planned as an outbox row per manager and week (like the channel posts), composed when due from the last two weeks'
activities, and sent only while its reader is still a manager who wants it (`/coach digest off` stops it). It says
which reps would gain from a conversation, and why: the rules flagged for them on more than one day.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.outbox import rows as outbox
from bot.outbox.sweep import Decision
from bot.slack import blockkit
from bot.storage.models import Activity, Manager, Nudge, Rep, Team
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
    candidates = session.execute(
        select(Rep)
        .join(Team, Team.id == Rep.team_id)
        .outerjoin(Manager, (Manager.team_id == Rep.team_id) & (Manager.user_id == Rep.user_id))
        .where(
            Rep.digest.is_(True),
            or_(Rep.is_admin.is_(True), Manager.user_id.is_not(None)),
            Team.uninstalled_at.is_(None),  # nothing is planned for a workspace that removed the bot
        )
    ).scalars()
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
    before = start - dt.timedelta(days=7)
    # Plain columns, not ORM entities: two weeks of a large team are hundreds of thousands of rows, and building
    # entities for them took most of the digest's time (bench/bench_leaderboard.py).
    rows = session.execute(
        select(*_READ).where(Activity.team_id == team.id, Activity.started_at >= before, Activity.started_at < end)
    )
    by_rep: dict[str, list[domain.Activity]] = defaultdict(list)
    for row in rows:
        by_rep[row.user_id].append(to_domain(row))
    if not any(a.started_at >= start for acts in by_rep.values() for a in acts):
        return blockkit.plain(t(lang, "digest.quiet"))
    settings = profile.coach_settings
    reps = reps_by_id(session, team.id)
    this_week, last_week = [], []
    talks: dict[str, Counter[str]] = {}
    examples: dict[tuple[str, str], str] = {}
    for user_id, acts in sorted(by_rep.items()):
        ordered = in_order(acts)
        this_week.append(period(ordered, settings, start, end))
        last_week.append(period(ordered, settings, before, start))
        rep_tz = zone(reps[user_id].tz) if user_id in reps else tz
        counted: Counter[str] = Counter()
        first_day = start.astimezone(tz).date()
        for offset in range(7):
            # The manager's week, each day in the rep's own zone.
            date = first_day + dt.timedelta(days=offset)
            day, day_end = (
                local_datetime(date, dt.time(0), rep_tz),
                local_datetime(date + dt.timedelta(days=1), dt.time(0), rep_tz),
            )
            day_acts = [a for a in ordered if day <= a.started_at < day_end]
            if not day_acts:
                continue
            # Lead rules read each lead's state today, not on that day: they are left out of the daily count.
            for finding in evaluate(day_acts, (), settings, day_end, day_start=day, day_end=day_end):
                counted[finding.code] += 1
                examples.setdefault((user_id, finding.code), blockkit.local_date(lang, date))
        talks[user_id] = counted
    lines = _digest_lines(lang, tz, start, end, this_week, last_week, talks, examples, reps)
    return blockkit.plain("\n".join(lines + _tip_lines(lang, *tip_counts(session, team.id, start, end))))


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

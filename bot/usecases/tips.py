"""The tip after an entry: the coaching rules on the rep's day, the most relevant new finding, once a day per rule.

The rules themselves are `coaching`'s, pure; this module reads the rep's day for them and remembers which tips
were shown, so each rule speaks at most once a day.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.database import Database, insert_ignore
from bot.storage.models import TipShown
from bot.storage.records import lead_summaries, rep_activities
from bot.usecases.reps import RepProfile
from coaching.engine import evaluate, pick_tip
from coaching.hours import local_day_bounds
from coaching.render import render_finding

BREAK_NUDGE_CODE = "M501"


def _codes_shown_today(session: Session, rep: RepProfile, day: dt.date) -> set[str]:
    return set(
        session.scalars(
            select(TipShown.code).where(
                TipShown.team_id == rep.team_id, TipShown.user_id == rep.user_id, TipShown.day == day
            )
        )
    )


def tip(db: Database, rep: RepProfile, now: dt.datetime) -> str | None:
    """The most relevant new finding about the rep's day, at most once a day per code; recorded as shown.

    Runs after the entry is committed: the rules read in a read transaction, and only a tip actually shown takes
    the write lock, briefly.
    """
    day_start, day_end = local_day_bounds(now, rep.tz)
    settings = rep.coach_settings
    today = now.astimezone(rep.tz).date()
    since = now - dt.timedelta(days=settings.lead_lookback_days)
    with db.read() as session:
        activities = rep_activities(session, rep.team_id, rep.user_id, day_start, day_end)
        leads = lead_summaries(session, rep.team_id, rep.user_id, since)
        findings = evaluate(activities, leads, settings, now, day_start=day_start, day_end=day_end)
        # A long stretch without a break (M501) is the break nudge's to say, by DM, once per streak.
        already = _codes_shown_today(session, rep, today) | {BREAK_NUDGE_CODE}
        finding = pick_tip(findings, already) if findings else None
    if finding is None:
        return None
    with db.transaction() as session:
        # Two entries at the same moment may pick the same tip: only the one that records it shows it.
        shown = insert_ignore(
            session, TipShown, team_id=rep.team_id, user_id=rep.user_id, day=today, code=finding.code, shown_at=now
        )
    return render_finding(finding, rep.language) if shown else None


def tips_after_entry(db: Database, rep: RepProfile, now: dt.datetime) -> list[str]:
    """Lines to add after any entry's confirmation: at most one coaching tip, the most relevant new finding."""
    found = tip(db, rep, now)
    return [found] if found else []

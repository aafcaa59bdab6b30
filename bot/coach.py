"""The coaching engine applied to a rep's stored record: tips after entries, and the /coach scorecard."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import TipShown
from bot.reps import RepProfile, insert_ignore
from bot.store import activities_between, lead_summaries, to_domain
from coaching.engine import evaluate, pick_tip
from coaching.hours import local_day_bounds, local_week_start
from coaching.render import render_finding
from coaching.scorecard import render_scorecard, scorecard


def _codes_shown_today(session: Session, rep: RepProfile, day: dt.date) -> set[str]:
    return set(
        session.scalars(
            select(TipShown.code).where(
                TipShown.team_id == rep.team_id, TipShown.user_id == rep.user_id, TipShown.day == day
            )
        )
    )


def tip(session: Session, rep: RepProfile, now: dt.datetime) -> str | None:
    """The most relevant new finding about the rep's day, at most once a day per code; recorded as shown."""
    day_start, day_end = local_day_bounds(now, rep.tz)
    settings = rep.coach_settings
    rows = activities_between(session, rep.team_id, rep.user_id, day_start, day_end)
    leads = lead_summaries(session, rep.team_id, rep.user_id, now - dt.timedelta(days=settings.lead_lookback_days))
    findings = evaluate([to_domain(r) for r in rows], leads, settings, now, day_start=day_start, day_end=day_end)
    if not findings:
        return None
    today = now.astimezone(rep.tz).date()
    finding = pick_tip(findings, _codes_shown_today(session, rep, today))
    if finding is None:
        return None
    insert_ignore(
        session, TipShown, team_id=rep.team_id, user_id=rep.user_id, day=today, code=finding.code, shown_at=now
    )
    return render_finding(finding, rep.language)


def scorecard_text(session: Session, rep: RepProfile, now: dt.datetime) -> str:
    """The rep's scorecard for today and this week, in their language."""
    day_start, day_end = local_day_bounds(now, rep.tz)
    week_start = local_week_start(now, rep.tz)
    settings = rep.coach_settings
    rows = activities_between(session, rep.team_id, rep.user_id, week_start, day_end)
    leads = lead_summaries(session, rep.team_id, rep.user_id, now - dt.timedelta(days=settings.lead_lookback_days))
    card = scorecard(
        [to_domain(r) for r in rows],
        leads,
        settings,
        now,
        day_start=day_start,
        day_end=day_end,
        week_start=week_start,
    )
    return render_scorecard(card, rep.language)

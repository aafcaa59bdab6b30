"""The App Home: the rep's scorecard, today's work, a chart of the week, pending follow-ups, the commands.

Managers also see the team's week. The chart is a PNG uploaded once a day with Slack's files upload v2 and shown by
its file id.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.slack import blockkit
from bot.slack.charts import render_week_chart, week_data
from bot.storage.database import insert_ignore
from bot.storage.models import Activity, ChartFile
from bot.storage.standings import standings
from bot.usecases.coach import scorecard_text
from bot.usecases.followups import pending_followups
from bot.usecases.managers import is_manager
from bot.usecases.reps import RepProfile
from coaching.domain import Outcome
from coaching.findings import Count
from coaching.hours import local_day_bounds, local_week_start
from coaching.i18n import t
from coaching.numbers import fmt_pct
from coaching.quality import QualitySettings
from coaching.render import count

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def home(rt: Runtime, team_id: str, user_id: str) -> dict[str, Any]:
    """The rep's App Home, and for managers the team's week too."""
    rep = rt.reps.profile(team_id, user_id)
    lang, now = rep.language, rt.clock()
    with rt.db.read() as session:
        card = scorecard_text(session, rep, now)
        pending = pending_followups(session, rep)
        today = _today_line(session, rep, now)
        manager = is_manager(session, team_id, user_id)
        team_line = team_summary(session, team_id, now, rep.tz, lang) if manager else None
    chart = _chart_file(rt, rep, now)
    return blockkit.home_view(
        lang,
        scorecard=card,
        followups=[
            (nudge_id, lead, attempt, blockkit.local_when(lang, due, now, rep.tz))
            for nudge_id, lead, attempt, due in pending
        ],
        target=rep.cadence.target,
        today=today,
        team_line=team_line,
        chart_file=chart,
        commands=t(lang, "coach.help", works=blockkit.works_list(lang)),
    )


def _chart_file(rt: Runtime, rep: RepProfile, now: dt.datetime) -> str | None:
    """The id of today's chart of the rep's week, uploaded to Slack once a day."""
    today = now.astimezone(rep.tz).date()
    with rt.db.read() as session:
        key = {"team_id": rep.team_id, "user_id": rep.user_id, "day": today}
        cached = session.get(ChartFile, key)
        if cached is not None:
            return cached.file_id
        start = local_week_start(now, rep.tz)
        data = week_data(session, rep.team_id, rep.user_id, start, start + dt.timedelta(days=7), rep.tz)
    png = render_week_chart(data, rep.language, target_attempts=rep.cadence.target)
    try:
        upload = rt.installations.client_for(rep.team_id).files_upload_v2(
            content=png, filename=f"week-{today:%Y-%m-%d}.png", title=t(rep.language, "home.chart_alt")
        )
    except (SlackApiError, OSError) as err:
        log.warning("chart upload for %s/%s failed: %s", rep.team_id, rep.user_id, type(err).__name__)
        return None
    file_id = (upload.get("file") or {}).get("id") or ((upload.get("files") or [{}])[0]).get("id")
    if not file_id:
        return None
    with rt.db.transaction() as session:
        insert_ignore(session, ChartFile, **key, file_id=file_id, uploaded_at=now)
    return str(file_id)


def _today_line(session: Session, rep: RepProfile, now: dt.datetime) -> str:
    start, end = local_day_bounds(now, rep.tz)
    rows = session.execute(
        select(
            Activity.kind, Activity.outcome, func.count(), func.min(Activity.started_at), func.max(Activity.ended_at)
        )
        .where(
            Activity.team_id == rep.team_id,
            Activity.user_id == rep.user_id,
            Activity.started_at >= start,
            Activity.started_at < end,
        )
        .group_by(Activity.kind, Activity.outcome)
    ).all()
    dials = sum(n for kind, _, n, *_ in rows if kind == "call")
    conversations = sum(
        n for kind, outcome, n, *_ in rows if kind == "call" and outcome and Outcome(outcome).conversation
    )
    meetings = sum(n for kind, outcome, n, *_ in rows if kind == "call" and outcome == "meeting")
    breaks = sum(n for kind, _, n, *_ in rows if kind == "break")
    work = _work_minutes(session, rep, start, end)
    lang = rep.language
    return t(
        lang,
        "home.today_line",
        dials=count(Count(dials, "dial"), lang),
        conversations=count(Count(conversations, "conversation"), lang),
        meetings=count(Count(meetings, "meeting"), lang),
        work=work,
        breaks=count(Count(breaks, "break"), lang),
    )


def _work_minutes(session: Session, rep: RepProfile, start: dt.datetime, end: dt.datetime) -> int:
    spans = session.execute(
        select(Activity.started_at, Activity.ended_at).where(
            Activity.team_id == rep.team_id,
            Activity.user_id == rep.user_id,
            Activity.kind == "work",
            Activity.started_at >= start,
            Activity.started_at < end,
        )
    )
    return round(sum((b - a).total_seconds() for a, b in spans) / 60)


def team_summary(session: Session, team_id: str, now: dt.datetime, tz: ZoneInfo, lang: str) -> str:
    """One line about the team's week, for a manager's App Home."""
    start = local_week_start(now, tz)
    board = standings(session, team_id, start, now, QualitySettings())
    dials = sum(r.figures.dials for r in board)
    conversations = sum(r.figures.conversations for r in board)
    return t(
        lang,
        "home.team_line",
        reps=sum(1 for r in board if r.figures.dials),
        dials=dials,
        conversations=conversations,
        meetings=sum(r.figures.meetings for r in board),
        rate=fmt_pct(conversations / dials if dials else None, lang),
    )

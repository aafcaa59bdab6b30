"""The App Home: the rep's scorecard, today's work, a chart of the week, pending follow-ups, the commands.

Managers also see the team's week.

The chart is a PNG uploaded with Slack's files upload v2, and a Home shows it by its file id (an image block's
`slack_file`). Slack takes such a block only when the person viewing the Home can see the file, and only once it has
processed the file (python-slack-sdk#1658, bolt-python#1251); otherwise it refuses the whole `views.publish` with
`invalid_blocks`. So:

- The chart is uploaded into the rep's DM with the bot, at most once a day and only on a day the rep opens their
  Home. That shares it with the rep alone. It also leaves the chart as a file message in that DM, one a day at most,
  sent while the rep is looking at Slack anyway and without a comment. Slack's other ways to show a picture need
  more: a public link (`files.sharedPublicURL`) takes a user token, and an `image_url` takes a public HTTPS
  address that Socket Mode doesn't have; an upload without a channel is private to the bot, which is what broke.
- The Home names the file only once files.info shows it shared in that DM: Slack processes uploads
  asynchronously, so the Home that uploads the chart goes without it, and the next one (the rep opening the tab
  again, or a button on it) shows it. Nothing waits for Slack.
- Should Slack still refuse a Home showing the chart, the Home is published again without it, the refusal is
  logged once, and the chart is dropped for the rest of the day: a chart never leaves a rep with an empty Home.

`chart_files` keeps each day's file id and whether Slack has shown it ready (`bot.storage.models.ChartFile`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.slack import blockkit
from bot.slack.charts import render_week_chart, week_data
from bot.storage.database import insert_ignore
from bot.storage.models import Activity, ChartFile
from bot.storage.standings import standings
from bot.usecases.coach import scorecard_text
from bot.usecases.followups import pending_followups
from bot.usecases.leaderboard import board_line, quality_settings
from bot.usecases.managers import authority, is_manager
from bot.usecases.privacy import display_name
from bot.usecases.reps import RepProfile, reps_by_id
from coaching.domain import Outcome
from coaching.findings import Count
from coaching.hours import local_day_bounds, local_week_start
from coaching.i18n import t
from coaching.metrics import connect_rate
from coaching.numbers import fmt_pct
from coaching.render import count

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

# A day's chart: uploaded, Slack still processing or sharing it; shown ready by files.info; refused in a Home.
PROCESSING, READY, REFUSED = "processing", "ready", "refused"


def publish(rt: Runtime, team_id: str, user_id: str) -> None:
    """Publish the rep's App Home (and for managers the team's week); with the day's chart once Slack has it ready."""
    rep = rt.reps.profile(team_id, user_id)
    now = rt.clock()
    parts = _home_parts(rt, rep, now)
    # A manager who logs nothing gets the team's week, not an empty chart of their own.
    chart = _chart_file(rt, rep, now) if parts["logged_this_week"] or not parts["team_line"] else None
    client = rt.installations.client_for(team_id)
    try:
        client.views_publish(user_id=user_id, view=blockkit.home_view(rep.language, chart_file=chart, **parts))
    except SlackApiError as err:
        if chart is None or err.response.get("error") != "invalid_blocks":
            raise
        reasons = "; ".join(err.response.get("errors") or []) or "no reason given"
        log.warning(
            "Slack refused the App Home of %s/%s with chart %s (%s): published without it, no chart until tomorrow",
            team_id,
            user_id,
            chart,
            reasons,
        )
        _set_chart_state(rt, rep, now, REFUSED)
        client.views_publish(user_id=user_id, view=blockkit.home_view(rep.language, chart_file=None, **parts))


def _home_parts(rt: Runtime, rep: RepProfile, now: dt.datetime) -> dict[str, Any]:
    """Everything on the rep's Home but the chart, in their language."""
    lang = rep.language
    # The team's week only for someone Slack still vouches for (asked at most a few minutes ago).
    vouched = authority(rt, rep.team_id, rep.user_id) is True
    with rt.db.read() as session:
        card = scorecard_text(session, rep, now)
        pending = pending_followups(session, rep)
        today = _today_line(session, rep, now)
        manager = vouched and is_manager(session, rep.team_id, rep.user_id)
        team_line = team_summary(session, rep, now) if manager else None
        logged = _logged_since(session, rep, local_week_start(now, rep.tz))
    return {
        "scorecard": card,
        "followups": [
            (nudge_id, lead_id, lead, attempt, blockkit.local_when(lang, due, now, rep.tz))
            for nudge_id, lead_id, lead, attempt, due in pending
        ],
        "target": rep.cadence.target,
        "today": today,
        "team_line": team_line,
        "logged_this_week": logged,
        "commands": t(lang, "coach.help", works=blockkit.works_list(lang)),
    }


def _chart_file(rt: Runtime, rep: RepProfile, now: dt.datetime) -> str | None:
    """The id of today's chart of the rep's week once Slack has it ready in their DM; None until then.

    The first Home of the day uploads the chart and goes without it; a later one asks Slack whether it is ready.
    """
    today = now.astimezone(rep.tz).date()
    with rt.db.read() as session:
        cached = session.get(ChartFile, {"team_id": rep.team_id, "user_id": rep.user_id, "day": today})
        state, file_id = (cached.state, cached.file_id) if cached else (None, None)
    if state is None:
        _upload_chart(rt, rep, now)
        return None
    if state == PROCESSING and file_id and _ready_in_dm(rt, rep, file_id):
        _set_chart_state(rt, rep, now, READY)
        return file_id
    return file_id if state == READY else None


def _upload_chart(rt: Runtime, rep: RepProfile, now: dt.datetime) -> None:
    """Draw the rep's week and upload it into their DM with the bot (today's, once)."""
    today = now.astimezone(rep.tz).date()
    start = local_week_start(now, rep.tz)
    with rt.db.read() as session:
        data = week_data(session, rep.team_id, rep.user_id, start, start + dt.timedelta(days=7), rep.tz)
    png = render_week_chart(data, rep.language, target_attempts=rep.cadence.target)
    try:
        channel = rt.reps.dm_channel(rep.team_id, rep.user_id)
        upload = rt.installations.client_for(rep.team_id).files_upload_v2(
            channel=channel, content=png, filename=f"week-{today:%Y-%m-%d}.png", title=t(rep.language, "home.chart_alt")
        )
    except (SlackApiError, OSError) as err:
        log.warning("chart upload for %s/%s failed: %s", rep.team_id, rep.user_id, type(err).__name__)
        return
    file_id = (upload.get("file") or {}).get("id") or ((upload.get("files") or [{}])[0]).get("id")
    if file_id:
        with rt.db.transaction() as session:
            key = {"team_id": rep.team_id, "user_id": rep.user_id, "day": today}
            insert_ignore(session, ChartFile, **key, file_id=file_id, uploaded_at=now, state=PROCESSING)


def _ready_in_dm(rt: Runtime, rep: RepProfile, file_id: str) -> bool:
    """Whether Slack's files.info shows the file processed and shared in the rep's DM with the bot."""
    try:
        info = rt.installations.client_for(rep.team_id).files_info(file=file_id)
    except SlackApiError as err:
        if err.response.get("error") != "file_not_found":  # file_not_found: still processing
            log.warning("files.info on the chart of %s/%s: %s", rep.team_id, rep.user_id, err.response.get("error"))
        return False
    except OSError as err:
        log.warning("files.info on the chart of %s/%s failed: %s", rep.team_id, rep.user_id, type(err).__name__)
        return False
    shown = info.get("file") or {}
    dm = rt.reps.dm_channel(rep.team_id, rep.user_id)
    return dm in (shown.get("ims") or []) or dm in ((shown.get("shares") or {}).get("private") or {})


def _set_chart_state(rt: Runtime, rep: RepProfile, now: dt.datetime, state: str) -> None:
    today = now.astimezone(rep.tz).date()
    with rt.db.transaction() as session:
        session.execute(
            update(ChartFile)
            .where(ChartFile.team_id == rep.team_id, ChartFile.user_id == rep.user_id, ChartFile.day == today)
            .values(state=state)
        )


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


def _logged_since(session: Session, rep: RepProfile, start: dt.datetime) -> bool:
    """Whether the rep logged anything (a call, work, a break, a focus block) since `start`."""
    mine = (Activity.team_id == rep.team_id, Activity.user_id == rep.user_id, Activity.started_at >= start)
    return session.scalar(select(Activity.id).where(*mine).limit(1)) is not None


def team_summary(session: Session, rep: RepProfile, now: dt.datetime) -> str:
    """The team's week for a manager's App Home: the totals, then the top of the quality board."""
    lang = rep.language
    start = local_week_start(now, rep.tz)
    q = quality_settings(rep.team_settings)
    board = [r for r in standings(session, rep.team_id, start, now, q) if r.figures.dials]
    dials = sum(r.figures.dials for r in board)
    conversations = sum(r.figures.conversations for r in board)
    if not board:
        return t(lang, "home.team_none")
    lines = [
        t(
            lang,
            "home.team_line",
            reps=count(Count(len(board), "rep"), lang),
            dials=count(Count(dials, "dial"), lang),
            conversations=count(Count(conversations, "conversation"), lang),
            meetings=count(Count(sum(r.figures.meetings for r in board), "meeting"), lang),
            rate=fmt_pct(connect_rate(conversations, dials), lang),
        )
    ]
    reps = reps_by_id(session, rep.team_id)
    teammate = t(lang, "board.teammate")
    for ranked in board[:HOME_TOP]:
        name = display_name(reps.get(ranked.figures.user_id), ranked.figures.user_id, teammate, viewer=rep.user_id)
        lines.append(board_line(lang, ranked, name))
    return "\n".join(lines)


#: Reps of the quality board on a manager's Home: the top, enough to see who leads; `/leaderboard` has the rest.
HOME_TOP = 3

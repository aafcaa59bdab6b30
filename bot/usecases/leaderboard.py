"""`/leaderboard`: the team's quality board for one rep, and a manager subscribing a channel to scheduled posts.

Misconception 1: the board ranks what calls achieve, not how many were made (`coaching.quality` scores;
`bot.storage.standings` counts in SQL). The posts themselves are `bot.usecases.posts`'.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.slack import blockkit
from bot.storage.models import Subscription, Team
from bot.storage.standings import standings
from bot.usecases.managers import is_manager, refusal
from bot.usecases.privacy import display_name
from bot.usecases.replies import Reply
from bot.usecases.reps import RepProfile, reps_by_id
from coaching import parser
from coaching.hours import WorkingHours, local_datetime, local_day_bounds, local_week_start
from coaching.i18n import t
from coaching.numbers import fmt_num
from coaching.quality import QualitySettings, Ranked
from coaching.seasons import PostSchedule

if TYPE_CHECKING:
    from bot.runtime import Runtime

TOP = 5


def leaderboard(rt: Runtime, team_id: str, user_id: str, channel_id: str, text: str) -> Reply:
    """`/leaderboard [today|week|month]`; managers in a channel: `subscribe [daily|weekly] [month]`, `unsubscribe`."""
    rep = rt.reps.profile(team_id, user_id)
    lang, now = rep.language, rt.clock()
    try:
        command = parser.parse_leaderboard(blockkit.unescape(text))
    except parser.ParseError as err:
        return Reply(t(lang, err.key, **{k: blockkit.escape(str(v)) for k, v in err.params.items()}), ok=False)
    if command.action == "show":
        with rt.db.read() as session:
            return Reply(rep_board(session, rep, command.window, now))
    refused = refusal(rt, rep)
    if refused:
        return Reply(refused)
    with rt.db.transaction() as session:
        if not is_manager(session, rep.team_id, rep.user_id):
            return Reply(t(lang, "manager.only"))
        if command.action == "unsubscribe":
            done = unsubscribe(session, rep.team_id, channel_id)
            return Reply(t(lang, "board.unsubscribed" if done else "board.not_subscribed", channel=channel_id))
        subscribe(session, rep.team_id, channel_id, command.frequency, command.season, rep.user_id, rep.tz_name, now)
        team = session.get(Team, rep.team_id)
        assert team is not None
        schedule, _ = schedule_of(team)
        tz = team_tz(team)
    clock = schedule.time.strftime("%H:%M")
    weekday = blockkit.weekday_name(lang, schedule.weekday)
    when = (
        t(lang, "board.subscribed_daily", time=clock)
        if command.frequency == "daily"
        else t(lang, "board.subscribed_weekly", weekday=weekday, time=clock)
    )
    season = t(lang, f"board.season_{command.season}")
    return Reply(t(lang, "board.subscribed", channel=channel_id, when=when, tz=tz, season=season))


def quality_settings(team_settings: dict[str, Any]) -> QualitySettings:
    """The team's leaderboard weights."""
    return QualitySettings().with_overrides(team_settings.get("quality") or {})


def window_bounds(window: str, now: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of today, this week or this month in `tz`, ending now."""
    if window == "today":
        return local_day_bounds(now, tz)[0], now
    if window == "month":
        first = now.astimezone(tz).date().replace(day=1)
        return local_datetime(first, dt.time(0), tz), now
    return local_week_start(now, tz), now


def how_scored(language: str, q: QualitySettings) -> str:
    def n(value: float) -> str:
        return fmt_num(value, language)

    return t(
        language,
        "board.how",
        meeting=n(q.meeting_points),
        dm=n(q.decision_maker_points),
        conversation=n(q.conversation_points),
        research=n(q.researched_call_points),
        followup=n(q.followup_points),
        dial=n(q.dial_points),
        cap=q.daily_dial_cap,
    )


def board_line(language: str, ranked: Ranked, name: str) -> str:
    f = ranked.figures
    return t(
        language,
        "board.line",
        position=ranked.position,
        name=blockkit.escape(name),
        score=fmt_num(ranked.score, language),
        meetings=f.meetings,
        dm=f.dm_conversations,
        researched=f.researched_calls,
        followups=f.followup_attempts,
    )


def rep_board(session: Session, rep: RepProfile, window: str, now: dt.datetime) -> str:
    """`/leaderboard [today|week|month]`: the top of the team, then the rep's own place and figures."""
    lang = rep.language
    start, end = window_bounds(window, now, rep.tz)
    q = quality_settings(rep.team_settings)
    board = [r for r in standings(session, rep.team_id, start, end, q) if r.figures.dials]
    reps = reps_by_id(session, rep.team_id)
    teammate = t(lang, "board.teammate")
    lines = [t(lang, "board.title", window=t(lang, f"board.window_{window}"))]
    if not board:
        lines.append(t(lang, "board.empty"))
    for ranked in board[:TOP]:
        name = display_name(reps.get(ranked.figures.user_id), ranked.figures.user_id, teammate, viewer=rep.user_id)
        lines.append(board_line(lang, ranked, name))
    mine = next((r for r in board if r.figures.user_id == rep.user_id), None)
    if mine is None:
        lines.append(t(lang, "board.you_none"))
    else:
        f = mine.figures
        lines.append(
            t(
                lang,
                "board.you",
                position=mine.position,
                total=len(board),
                score=fmt_num(mine.score, lang),
                meetings=f.meetings,
                dm=f.dm_conversations,
                researched=f.researched_calls,
                followups=f.followup_attempts,
                dials=f.dials,
            )
        )
    lines.append(how_scored(lang, q))
    return "\n".join(lines)


def team_tz(team: Team) -> str:
    """The team's time zone for posts: set in team settings, else that of whoever subscribed first."""
    return str((team.settings or {}).get("tz") or "Europe/Amsterdam")


def schedule_of(team: Team) -> tuple[PostSchedule, WorkingHours]:
    """The team's posting moment and working days."""
    settings = team.settings or {}
    return PostSchedule.from_dict(settings.get("leaderboard")), WorkingHours.from_dict(settings.get("work_hours"))


def subscribe(
    session: Session, team_id: str, channel_id: str, frequency: str, season: str, by: str, tz: str, now: dt.datetime
) -> Subscription:
    """Subscribe a channel (or change its schedule); the team's posting zone defaults to the subscriber's."""
    team = session.get(Team, team_id)
    assert team is not None
    if not (team.settings or {}).get("tz"):
        team.settings = {**(team.settings or {}), "tz": tz}
    found = session.scalar(
        select(Subscription).where(Subscription.team_id == team_id, Subscription.channel_id == channel_id)
    )
    if found is None:
        found = Subscription(team_id=team_id, channel_id=channel_id, created_by=by, created_at=now)
        session.add(found)
    found.frequency, found.season, found.active = frequency, season, True
    session.flush()
    return found


def unsubscribe(session: Session, team_id: str, channel_id: str) -> bool:
    """End a channel's posts; False if it had none."""
    found = session.scalar(
        select(Subscription).where(
            Subscription.team_id == team_id, Subscription.channel_id == channel_id, Subscription.active.is_(True)
        )
    )
    if found is None:
        return False
    found.active = False
    return True

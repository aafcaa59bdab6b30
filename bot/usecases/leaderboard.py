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
from bot.storage.models import Rep, Subscription, Team
from bot.storage.standings import standings
from bot.usecases.managers import is_manager, refusal
from bot.usecases.privacy import display_name
from bot.usecases.replies import Reply
from bot.usecases.reps import RepProfile, reps_by_id
from coaching import parser
from coaching.findings import Count
from coaching.hours import WorkingHours, local_datetime, local_day_bounds, local_week_start
from coaching.i18n import DEFAULT_LANGUAGE, LANGUAGES, language_for, t
from coaching.numbers import fmt_num
from coaching.quality import QualitySettings, Ranked
from coaching.render import count
from coaching.seasons import PostSchedule

if TYPE_CHECKING:
    from bot.runtime import Runtime

TOP = 5


def leaderboard(rt: Runtime, team_id: str, user_id: str, channel_id: str, text: str) -> Reply:
    """`/leaderboard [today|week|month]`, and for managers `subscribe`, `unsubscribe`, `subscriptions`.

    In a channel: `subscribe [daily|weekly] [month] [en|nl]` and `unsubscribe`.
    """
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
        if command.action == "subscriptions":
            return Reply(subscriptions(session, rep.team_id, lang))
        sub = subscribe(
            session,
            rep.team_id,
            channel_id,
            command.frequency,
            command.season,
            rep.user_id,
            rep.tz_name,
            now,
            language=command.language,
        )
        team = session.get(Team, rep.team_id)
        assert team is not None
        tz = team_tz(team)
        when, language = _when(lang, team, sub.frequency), _in_language(session, lang, team, sub)
    season = t(lang, f"board.season_{command.season}")
    return Reply(t(lang, "board.subscribed", channel=channel_id, when=when, tz=tz, season=season, language=language))


def _when(lang: str, team: Team, frequency: str) -> str:
    """When a channel's posts go out: "every Fri at 16:00", "every working day at 16:00"."""
    schedule, _ = schedule_of(team)
    clock = schedule.time.strftime("%H:%M")
    if frequency == "daily":
        return t(lang, "board.subscribed_daily", time=clock)
    return t(lang, "board.subscribed_weekly", weekday=blockkit.weekday_name(lang, schedule.weekday), time=clock)


def _in_language(session: Session, lang: str, team: Team, sub: Subscription) -> str:
    """The language of a channel's posts, as `lang` reads it: "in English", "in the team's language (now Dutch)"."""
    posted_in = t(lang, f"board.language_{post_language(session, team, sub.language, sub.created_by)}")
    return t(lang, "board.in_language" if sub.language else "board.in_team_language", language=posted_in)


def post_language(session: Session, team: Team, chosen: str | None, subscriber: str | None) -> str:
    """The language of a channel's post: the one chosen at subscribe, else the team's.

    The team's is the one a manager set in `/coach settings`, else that of the manager who subscribed the channel
    (their `/coach language`, else their Slack locale).
    """
    if chosen in LANGUAGES:
        return chosen  # type: ignore[return-value]
    team_language = (team.settings or {}).get("language")
    if team_language in LANGUAGES:
        return team_language
    rep = session.get(Rep, (team.id, subscriber or ""))
    return language_for(rep.locale, rep.language) if rep else DEFAULT_LANGUAGE


def subscriptions(session: Session, team_id: str, lang: str) -> str:
    """`/leaderboard subscriptions`: every channel with posts, when they go out, their language and season."""
    team = session.get(Team, team_id)
    found = session.scalars(
        select(Subscription)
        .where(Subscription.team_id == team_id, Subscription.active.is_(True))
        .order_by(Subscription.channel_id)
    ).all()
    if team is None or not found:
        return t(lang, "board.subscriptions_none")
    lines = [t(lang, "board.subscriptions_title")]
    for sub in found:
        lines.append(
            t(
                lang,
                "board.subscription_line",
                channel=sub.channel_id,
                when=_when(lang, team, sub.frequency),
                language=_in_language(session, lang, team, sub),
                season=t(lang, f"board.season_{sub.season}"),
            )
        )
    return "\n".join(lines)


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


def _counted(language: str, ranked: Ranked) -> dict[str, str]:
    """A board line's figures, each with its noun in the right plural ("1 meeting", "2 afspraken")."""
    f = ranked.figures

    def n(value: float, unit: str) -> str:
        return count(Count(value, unit), language)

    return {
        "score": n(ranked.score, "point"),
        "meetings": n(f.meetings, "meeting"),
        "dm": n(f.dm_conversations, "dm_conversation"),
        "researched": n(f.researched_calls, "researched_call"),
        "followups": n(f.followup_attempts, "followup"),
        "dials": n(f.dials, "dial"),
    }


def board_line(language: str, ranked: Ranked, name: str) -> str:
    figures = {k: v for k, v in _counted(language, ranked).items() if k != "dials"}
    return t(language, "board.line", position=ranked.position, name=blockkit.escape(name), **figures)


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
        lines.append(t(lang, "board.you", position=mine.position, total=len(board), **_counted(lang, mine)))
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
    session: Session,
    team_id: str,
    channel_id: str,
    frequency: str,
    season: str,
    by: str,
    tz: str,
    now: dt.datetime,
    *,
    language: str | None = None,
) -> Subscription:
    """Subscribe a channel (or change its schedule or language); `language` None follows the team's language.

    The team's posting zone defaults to the subscriber's.
    """
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
    found.frequency, found.season, found.language, found.active = frequency, season, language, True
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

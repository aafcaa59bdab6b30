"""Scheduled leaderboard posts in subscribed channels: planned as outbox rows, composed when due.

`plan_posts` runs at the start of every sweep and writes the row for the latest scheduled moment of each
subscription; the dedupe key names the channel and the period, so however many sweeps or `run-due` passes run,
each post is written, and so sent, once. A post shows the season so far, ranked by quality, and celebrates the most
improved follow-up persistence and first meetings; the last post of a season is its final.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.outbox import rows as outbox
from bot.outbox.sweep import Decision
from bot.slack import blockkit
from bot.storage import persistence
from bot.storage.models import Nudge, Rep, Subscription, Team
from bot.storage.standings import first_meetings, standings
from bot.usecases.leaderboard import (
    TOP,
    board_line,
    how_scored,
    post_language,
    quality_settings,
    schedule_of,
    team_tz,
)
from bot.usecases.privacy import display_name
from bot.usecases.reps import team_calendar
from coaching.hours import add_working_days, local_datetime, zone
from coaching.i18n import t
from coaching.metrics import LeadAttempts
from coaching.numbers import fmt_num
from coaching.seasons import Post, latest_post, previous_window

# A post or digest whose moment passed longer ago than this (the clock was down) is skipped, not sent late.
STALE_AFTER = dt.timedelta(hours=20)
#: The most reps a post names for their first meeting; the rest are counted.
FIRSTS_NAMED = 10


def plan_posts(session: Session, now: dt.datetime) -> int:
    """Write the outbox row of every channel post whose moment has come; returns how many are new."""
    written = 0
    rows = session.execute(
        select(Subscription, Team)
        .join(Team, Team.id == Subscription.team_id)
        .where(Subscription.active.is_(True), Team.uninstalled_at.is_(None))
    ).all()
    for sub, team in rows:
        schedule, hours = schedule_of(team)
        tz = zone(team_tz(team))
        post = latest_post(now, tz, sub.frequency, sub.season, schedule, hours)
        if post.at < sub.created_at or now - post.at > STALE_AFTER:
            continue
        key = f"post:{sub.team_id}:{sub.channel_id}:{post.key}"
        payload = {
            "season": sub.season,
            "season_start": post.season_start.isoformat(),
            "at": post.at.isoformat(),
            "final": post.final,
            "tz": tz.key,
            "by": sub.created_by,
            "language": sub.language,
            "frequency": sub.frequency,
        }
        channel = sub.channel_id
        written += outbox.schedule(
            session, sub.team_id, "leaderboard_post", post.at, key, now, channel=channel, payload=payload
        )
    return written


def after_holiday(team: Team, nudge: Nudge, now: dt.datetime) -> Decision | None:
    """What becomes of a post due on a public holiday of the team's country (None: `now` is no holiday).

    A post is news for the people at work: a weekly post (or a season's final) goes out at its usual time on the
    team's next working day; a daily one is left out, as the next day's post covers the same season.
    """
    later = _next_working_day(team, now, nudge.due_at)
    if later is None:
        return None
    payload = nudge.payload or {}
    if payload.get("frequency") == "daily" and not payload.get("final"):
        return Decision(cancel_reason="a public holiday: the next daily post covers it")
    return Decision(defer_until=later)


def _next_working_day(team: Team, now: dt.datetime, due: dt.datetime) -> dt.datetime | None:
    _, hours = schedule_of(team)
    tz = zone(team_tz(team))
    hours = dataclasses.replace(hours, holidays=team_calendar(team.settings or {}, tz.key))
    local = now.astimezone(tz)
    if not hours.holidays.is_holiday(local.date()):
        return None
    day = add_working_days(local.date(), 1, hours)
    return local_datetime(day, due.astimezone(tz).time().replace(tzinfo=None), tz)


def channel_post(session: Session, nudge: Nudge, now: dt.datetime) -> dict[str, Any] | None:
    """The scheduled post of a subscribed channel: the season so far, ranked, and what is worth celebrating."""
    team = session.get(Team, nudge.team_id)
    if team is None:
        return None
    payload = nudge.payload or {}
    tz = zone(payload.get("tz") or team_tz(team))
    lang = post_language(session, team, payload.get("language"), payload.get("by"))
    post = Post(
        at=dt.datetime.fromisoformat(payload["at"]),
        season_start=dt.datetime.fromisoformat(payload["season_start"]),
        final=bool(payload.get("final")),
    )
    q = quality_settings(team.settings or {})
    board = [r for r in standings(session, team.id, post.season_start, post.at, q) if r.figures.dials]
    teammate = t(lang, "board.teammate")

    def rep(user_id: str) -> Rep | None:
        # Only the reps a post names (its top and whom it celebrates), not a large team's every rep.
        return session.get(Rep, (team.id, user_id))

    def name(user_id: str) -> str:
        return blockkit.escape(display_name(rep(user_id), user_id, teammate))

    span = t(
        lang,
        "board.post_window",
        start=blockkit.local_date(lang, post.season_start.astimezone(tz).date()),
        end=blockkit.local_date(lang, post.at.astimezone(tz).date()),
    )
    title = t(lang, "board.post_final" if post.final else "board.post_title", window=span)
    lines = [title]
    if not board:
        lines.append(t(lang, "board.empty"))
    for ranked in board[:TOP]:
        lines.append(
            board_line(lang, ranked, display_name(rep(ranked.figures.user_id), ranked.figures.user_id, teammate))
        )
    cheers = _celebrations(session, team.id, post, payload.get("season", "week"), tz, lang, name)
    blocks = [blockkit.section("\n".join(lines))]
    if cheers:
        blocks.append(blockkit.section("\n".join([t(lang, "board.celebrate_title"), *cheers])))
    footer = [how_scored(lang, q)]
    if post.final:
        footer.append(t(lang, "board.season_reset"))
    blocks.append(blockkit.context("\n".join(footer)))
    return {"text": title, "blocks": blocks}


def _celebrations(
    session: Session, team_id: str, post: Post, season: str, tz: ZoneInfo, lang: str, name: Any
) -> list[str]:
    cheers = []
    before_start, before_end = previous_window(season, post, tz)
    now_avg = _per_lead(persistence.figures(session, team_id, post.season_start, post.at))
    before_avg = _per_lead(persistence.figures(session, team_id, before_start, before_end))
    gains = {
        user: now_avg[user] - before_avg[user]
        for user in now_avg.keys() & before_avg.keys()
        if now_avg[user] > before_avg[user]
    }
    if gains:
        best = min(gains, key=lambda user: (-gains[user], user))
        cheers.append(
            t(
                lang,
                "board.most_improved",
                name=name(best),
                before=fmt_num(before_avg[best], lang),
                after=fmt_num(now_avg[best], lang),
            )
        )
    firsts = sorted(first_meetings(session, team_id, post.season_start, post.at))
    if firsts:
        # A new team's first month can hold hundreds: a name each would pass Slack's 3,000 characters a section.
        names = ", ".join(name(user) for user in firsts[:FIRSTS_NAMED])
        more = len(firsts) - FIRSTS_NAMED
        if more > 0:
            cheers.append(t(lang, "board.first_meeting_more", names=names, more=more))
        else:
            cheers.append(t(lang, "board.first_meeting", names=names))
    return cheers


def _per_lead(by_rep: dict[str, LeadAttempts]) -> dict[str, float]:
    """Each rep's attempts per lead not reached (every rep present has at least one such lead)."""
    return {user: figure.per_lead for user, figure in by_rep.items() if figure.per_lead is not None}

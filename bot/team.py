"""The team's view: managers, leaderboard subscriptions, and planning the scheduled posts and digests.

Scheduled posts are outbox rows like every other message. `plan` runs at the start of every sweep and writes the
row for the latest scheduled moment of each subscription and each manager's digest; the dedupe key names the
channel (or manager) and the period, so however many sweeps or `run-due` passes run, each is written, and so
sent, once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.reps import insert_ignore
from bot.storage.models import Manager, Rep, Subscription, Team
from coaching.hours import WorkingHours, local_datetime, zone
from coaching.seasons import PostSchedule, latest_post

# A post or digest whose moment passed longer ago than this (the clock was down) is skipped, not sent late.
STALE_AFTER = dt.timedelta(hours=20)
DIGEST_WEEKDAY, DIGEST_TIME = 0, dt.time(9, 0)  # Monday morning, in the manager's own zone


def team_tz(team: Team) -> str:
    """The team's time zone for posts: set in team settings, else that of whoever subscribed first."""
    return str((team.settings or {}).get("tz") or "Europe/Amsterdam")


def is_manager(session: Session, team_id: str, user_id: str) -> bool:
    """Workspace admins and owners are managers, and so is whoever a manager granted it."""
    rep = session.get(Rep, (team_id, user_id))
    if rep is not None and rep.is_admin:
        return True
    return session.get(Manager, (team_id, user_id)) is not None


def managers(session: Session, team_id: str) -> list[str]:
    """The user ids of the team's managers known to the bot, sorted."""
    granted = set(session.scalars(select(Manager.user_id).where(Manager.team_id == team_id)))
    admins = set(session.scalars(select(Rep.user_id).where(Rep.team_id == team_id, Rep.is_admin.is_(True))))
    return sorted(granted | admins)


def grant(session: Session, team_id: str, user_id: str, by: str, now: dt.datetime) -> bool:
    """Make `user_id` a manager; False if they were one already."""
    return insert_ignore(session, Manager, team_id=team_id, user_id=user_id, granted_by=by, granted_at=now)


def revoke(session: Session, team_id: str, user_id: str) -> bool:
    """Take a granted manager role back (admins stay managers through Slack)."""
    return bool(session.execute(delete(Manager).where(Manager.team_id == team_id, Manager.user_id == user_id)).rowcount)


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


def schedule_of(team: Team) -> tuple[PostSchedule, WorkingHours]:
    """The team's posting moment and working days."""
    settings = team.settings or {}
    return PostSchedule.from_dict(settings.get("leaderboard")), WorkingHours.from_dict(settings.get("work_hours"))


def plan(session: Session, now: dt.datetime) -> int:
    """Write the outbox rows of every post and digest whose moment has come; returns how many are new."""
    written = 0
    rows = session.execute(
        select(Subscription, Team).join(Team, Team.id == Subscription.team_id).where(Subscription.active.is_(True))
    ).all()
    for sub, team in rows:
        schedule, hours = schedule_of(team)
        tz = zone(team_tz(team))
        post = latest_post(now, tz, sub.frequency, sub.season, schedule, hours)
        if post.at < sub.created_at or now - post.at > STALE_AFTER:
            continue
        written += outbox.schedule(
            session,
            team_id=sub.team_id,
            channel=sub.channel_id,
            kind="leaderboard_post",
            due_at=post.at,
            dedupe_key=f"post:{sub.team_id}:{sub.channel_id}:{post.key}",
            payload={
                "season": sub.season,
                "season_start": post.season_start.isoformat(),
                "at": post.at.isoformat(),
                "final": post.final,
                "tz": tz.key,
                "by": sub.created_by,
            },
            now=now,
        )
    written += _plan_digests(session, now)
    return written


def _plan_digests(session: Session, now: dt.datetime) -> int:
    written = 0
    candidates = session.execute(
        select(Rep)
        .outerjoin(Manager, (Manager.team_id == Rep.team_id) & (Manager.user_id == Rep.user_id))
        .where(Rep.digest.is_(True), or_(Rep.is_admin.is_(True), Manager.user_id.is_not(None)))
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
        written += outbox.schedule(
            session,
            team_id=rep.team_id,
            user_id=rep.user_id,
            kind="digest",
            due_at=at,
            dedupe_key=f"digest:{rep.team_id}:{rep.user_id}:{monday.isoformat()}",
            payload={
                "week_start": local_datetime(monday - dt.timedelta(days=7), dt.time(0), tz).isoformat(),
                "week_end": local_datetime(monday, dt.time(0), tz).isoformat(),
            },
            now=now,
        )
    return written


def display_name(rep: Rep | None, user_id: str, private_label: str, viewer: str | None = None) -> str:
    """How a rep appears to others: their name, or "a teammate" when they chose privacy."""
    if rep is None:
        return user_id
    if rep.private and rep.user_id != viewer:
        return private_label
    return rep.name or rep.user_id


def reps_by_id(session: Session, team_id: str) -> dict[str, Rep]:
    """The team's reps by user id."""
    return {rep.user_id: rep for rep in session.scalars(select(Rep).where(Rep.team_id == team_id))}


def payload_window(payload: dict[str, Any], start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    """Two ISO instants from a nudge payload."""
    return dt.datetime.fromisoformat(payload[start]), dt.datetime.fromisoformat(payload[end])

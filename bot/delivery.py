"""Deciding, at the moment a nudge falls due, whether and what to send.

A nudge is sent only inside the rep's working hours, never while they are away, in a focus block or on a break
(those defer it to the next working moment, once). A follow-up whose lead has moved on, or a break suggestion
whose streak has ended, is cancelled instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import boards, outbox
from bot import team as team_module
from bot.outbox import Decision
from bot.reps import RepProfile, profile_of
from bot.slack import blockkit
from bot.storage.models import Activity, Lead, Nudge, Rep, Team
from bot.storage.records import activities_between, rep_activities, to_domain
from coaching.domain import ActivityKind, WorkType
from coaching.findings import Count
from coaching.hours import add_working_days, is_working, local_datetime, next_working_moment
from coaching.i18n import t
from coaching.render import count
from coaching.streaks import current_streak

# Messages that read a team's whole week or month: composed before the write transaction (bot.outbox.Sweeper).
PREPARE = {"leaderboard_post": boards.channel_post, "digest": boards.digest}

# How far back a streak of work may have started: longer than any working day.
STREAK_LOOKBACK = dt.timedelta(hours=16)
# Window ends are exclusive; this takes in an entry logged at `now` itself.
JUST_AFTER = dt.timedelta(microseconds=1)
# Nudges that wait while the rep is in a focus block or on a break.
HELD_BY_FOCUS = frozenset({"followup", "break"})


def decide(session: Session, nudge: Nudge, now: dt.datetime, prepared: Any = None) -> Decision:
    """The message for a claimed nudge, or when to try again, or why it is no longer wanted.

    `prepared` is the message `PREPARE` composed for this nudge in a read transaction, where it has one.
    """
    decision = _decide(session, nudge, now, prepared)
    if decision.message is not None and decision.channel is None and decision.user_id:
        # The rep's row is in this session already: hand the sweeper the DM channel it knows, so sending costs no
        # transaction of its own to look it up.
        rep = session.get(Rep, (nudge.team_id, decision.user_id))
        if rep is not None and rep.dm_channel:
            decision = dataclasses.replace(decision, channel=rep.dm_channel)
    return decision


def _decide(session: Session, nudge: Nudge, now: dt.datetime, prepared: Any) -> Decision:
    if nudge.kind == "leaderboard_post":
        # A channel post goes out at the team's posting time; no one rep's hours apply.
        message = prepared if prepared is not None else boards.channel_post(session, nudge, now)
        if message is None:
            return Decision(cancel_reason="workspace gone")
        return Decision(message=message, channel=nudge.channel)
    rep = session.get(Rep, (nudge.team_id, nudge.user_id)) if nudge.user_id else None
    team = session.get(Team, nudge.team_id)
    if rep is None or team is None:
        return Decision(cancel_reason="rep no longer known")
    profile = profile_of(rep, team)
    if not is_working(now, profile.tz, profile.hours, profile.away_until):
        return Decision(defer_until=next_working_moment(now, profile.tz, profile.hours, profile.away_until))
    if nudge.kind in HELD_BY_FOCUS:
        busy_until = _blocked_until(session, profile, now)
        if busy_until is not None:
            return Decision(defer_until=next_working_moment(busy_until, profile.tz, profile.hours, profile.away_until))
    if nudge.kind == "followup":
        return _followup(session, nudge, profile, now)
    if nudge.kind == "break":
        return _break(session, nudge, profile, now)
    if nudge.kind == "focus_summary":
        return _focus_summary(session, nudge, profile)
    if nudge.kind == "digest":
        if not rep.digest or not team_module.is_manager(session, rep.team_id, rep.user_id):
            return Decision(cancel_reason="no longer a manager, or digests turned off")
        message = prepared if prepared is not None else boards.digest(session, nudge, now)
        return Decision(message=message, user_id=rep.user_id) if message else Decision(cancel_reason="gone")
    return Decision(cancel_reason=f"unknown nudge kind {nudge.kind}")


# Only a block that started this recently can still be running (focus blocks and breaks last hours at most).
LONGEST_BLOCK = dt.timedelta(days=1)
_RUNNING_BLOCK = (
    select(Activity.ended_at)
    .where(
        Activity.team_id == bindparam("team_id"),
        Activity.user_id == bindparam("user_id"),
        Activity.kind.in_((ActivityKind.FOCUS.value, ActivityKind.BREAK.value)),
        Activity.started_at > bindparam("since"),
        Activity.started_at <= bindparam("now"),
        Activity.ended_at > bindparam("now"),
    )
    .order_by(Activity.ended_at.desc())
    .limit(1)
)


def _blocked_until(session: Session, rep: RepProfile, now: dt.datetime) -> dt.datetime | None:
    """The end of a focus block or break the rep is in at `now`, if any."""
    params = {"team_id": rep.team_id, "user_id": rep.user_id, "now": now, "since": now - LONGEST_BLOCK}
    return session.execute(_RUNNING_BLOCK, params).scalar_one_or_none()


def _followup(session: Session, nudge: Nudge, rep: RepProfile, now: dt.datetime) -> Decision:
    lead = session.get(Lead, nudge.lead_id)
    if lead is None or lead.team_id != nudge.team_id:
        return Decision(cancel_reason="lead gone")
    if lead.cadence != "active" or lead.unreached_attempts + 1 != nudge.attempt:
        return Decision(cancel_reason=f"lead moved on ({lead.cadence}, {lead.unreached_attempts} unreached)")
    message = blockkit.followup_message(
        rep.language,
        again=bool((nudge.payload or {}).get("reminded")),
        nudge_id=nudge.id,
        lead=lead.name,
        attempt=lead.attempts + 1,
        target=rep.cadence.target,
        last_outcome=lead.last_outcome,
        last_at=lead.last_attempt_at,
        now=now,
        tz=rep.tz,
    )
    return Decision(message=message, user_id=rep.user_id)


def _break(session: Session, nudge: Nudge, rep: RepProfile, now: dt.datetime) -> Decision:
    settings = rep.coach_settings
    activities = rep_activities(session, rep.team_id, rep.user_id, now - STREAK_LOOKBACK, now + JUST_AFTER)
    streak = current_streak(activities, now, settings)
    if streak is None or streak.minutes < settings.streak_max_minutes:
        return Decision(cancel_reason="streak ended before the nudge was due")
    minutes = round(streak.minutes)
    nudge.payload = {**(nudge.payload or {}), "minutes": minutes}
    return Decision(
        message=blockkit.break_message(rep.language, nudge_id=nudge.id, minutes=minutes), user_id=rep.user_id
    )


def _focus_summary(session: Session, nudge: Nudge, rep: RepProfile) -> Decision:
    block = session.get(Activity, (nudge.payload or {}).get("activity_id"))
    if block is None or block.team_id != nudge.team_id:
        return Decision(cancel_reason="focus block gone")
    inside = [
        a
        for a in activities_between(session, rep.team_id, rep.user_id, block.started_at, block.ended_at)
        if a.kind in (ActivityKind.CALL.value, ActivityKind.WORK.value)
    ]
    lang = rep.language
    minutes = round((block.ended_at - block.started_at).total_seconds() / 60)
    lines = [t(lang, "nudge.focus_summary", work=blockkit.work_name(lang, block.work or "calls"), minutes=minutes)]
    calls = [a for a in inside if a.kind == ActivityKind.CALL.value]
    if calls:
        conversations = sum(1 for a in calls if a.outcome and to_domain(a).outcome.conversation)  # type: ignore[union-attr]
        meetings = sum(1 for a in calls if a.outcome == "meeting")
        lines.append(
            t(
                lang,
                "nudge.focus_calls",
                calls=count(Count(len(calls), "call"), lang),
                conversations=count(Count(conversations, "conversation"), lang),
                meetings=count(Count(meetings, "meeting"), lang),
            )
        )
    work_minutes = round(sum((a.ended_at - a.started_at).total_seconds() for a in inside if a.kind == "work") / 60)
    if work_minutes:
        lines.append(t(lang, "nudge.focus_work", minutes=work_minutes))
    kinds = {WorkType.CALLS.value if a.kind == ActivityKind.CALL.value else a.work for a in inside}
    others = sorted(k for k in kinds if k and k != (block.work or WorkType.CALLS.value))
    if others:
        lines.append(t(lang, "nudge.focus_other", kinds=", ".join(blockkit.work_name(lang, k) for k in others)))
    elif inside:
        lines.append(t(lang, "nudge.focus_clean"))
    return Decision(message=blockkit.plain("\n".join(lines)), user_id=rep.user_id)


def after_sent(session: Session, nudge: Nudge, now: dt.datetime) -> None:
    """A follow-up DM nobody acts on comes back once, the next working day: the cadence must not stall on it.

    Logging any call to the lead (a button, `/call`), snoozing or stopping cancels the reminder; a reminder that is
    itself ignored leaves the follow-up on the rep's App Home.
    """
    if nudge.kind != "followup" or (nudge.payload or {}).get("reminded") or not nudge.user_id:
        return
    rep = session.get(Rep, (nudge.team_id, nudge.user_id))
    team = session.get(Team, nudge.team_id)
    if rep is None or team is None:
        return
    profile = profile_of(rep, team)
    local = now.astimezone(profile.tz)
    day = add_working_days(local.date(), 1, profile.hours)
    at = local.time().replace(tzinfo=None)
    if not profile.hours.start <= at < profile.hours.end:
        at = profile.hours.start
    outbox.schedule(
        session,
        team_id=nudge.team_id,
        user_id=nudge.user_id,
        kind="followup",
        due_at=next_working_moment(local_datetime(day, at, profile.tz), profile.tz, profile.hours, profile.away_until),
        dedupe_key=f"again:{nudge.id}",
        lead_id=nudge.lead_id,
        attempt=nudge.attempt,
        payload={"reminded": True},
        now=now,
    )

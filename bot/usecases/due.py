"""When a nudge falls due: whether it goes out now, later or never, and what it says, by kind.

The sweep (`bot.outbox.sweep`) claims due rows and calls `decide` for each; `plan` writes the scheduled posts and
digests whose moment has come; `after_sent` is what a delivered nudge causes. A nudge to a rep is sent only inside
their working hours, never while they are away, and a follow-up or break suggestion never during a focus block or
a break: those defer it to the next working moment, once. What each kind says is its use case's: follow-ups,
breaks, posts, digest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.crm.accounts import Accounts
from bot.outbox.sweep import Decision
from bot.storage.database import Database
from bot.storage.models import Nudge, ProcessedEvent, Rep, Team
from bot.usecases import breaks, crm, daylist, digest, followups, installs, posts
from bot.usecases.reps import RepDirectory, RepProfile, profile_of
from coaching.daylist import NOTIFYING
from coaching.hours import is_working, next_working_moment


def prepare(authority: Callable[[str, str], bool | None]) -> dict[str, Callable[[Session, Nudge, dt.datetime], Any]]:
    """Messages that read a team's whole week or month, composed before the write transaction (bot.outbox.sweep).

    A digest is composed only once Slack has said its reader is still a manager (`authority`).
    """
    return {"leaderboard_post": posts.channel_post, "digest": functools.partial(digest.vetted_digest, authority)}


# Delivered after the rest of a sweep's batch, in this order: a day's list takes in the follow-ups due with it,
# and the afternoon's note about a list follows the list's update.
LAST = (daylist.LIST, daylist.ADDED)

# Notifying DMs that, past the budget, are shown in the day's list instead.
HELD_IN_LIST = frozenset({"break", "focus_summary"})

# Nudges that wait while the rep is in a focus block or on a break.
HELD_BY_FOCUS = frozenset({"followup", "break", daylist.LIST, daylist.ADDED})


def decide(
    session: Session,
    nudge: Nudge,
    now: dt.datetime,
    prepared: Any = None,
    *,
    accounts: Accounts | None = None,
    db: Database | None = None,
    reps: RepDirectory | None = None,
) -> Decision:
    """The message for a claimed nudge (or the work it stands for), or when to try again, or why it is no longer wanted.

    `prepared` is what `prepare` composed for this nudge in a read transaction, where it has one. A call's push
    to HubSpot (`crm_push`) goes at once, whatever the hours: nobody is interrupted by it.
    """
    if nudge.kind == crm.PUSH:
        if accounts is None or db is None or reps is None:
            return Decision(defer_until=now + crm.REVOKED_WAIT)  # a process without HubSpot leaves it to one with
        return crm.decide_push(accounts, db, reps, session, nudge, now)
    profiles: dict[str, RepProfile] = {}
    decision = _decide(session, nudge, now, prepared, profiles)
    if decision.message is not None and decision.update_ts is None and nudge.kind in NOTIFYING and decision.user_id:
        # The budget: a notifying DM that would go past the rep's number for the day is not sent.
        profile = profiles.get(decision.user_id)
        if profile is None:
            rep = session.get(Rep, (nudge.team_id, decision.user_id))
            team = session.get(Team, nudge.team_id)
            profile = profile_of(rep, team) if rep is not None and team is not None else None
        if profile is not None and not daylist.within_budget(session, nudge, profile, now):
            # Past it: a break suggestion or a focus summary is shown quietly in today's list, if there is one.
            if nudge.kind in HELD_IN_LIST and daylist.hold(session, nudge, profile, decision.message["text"], now):
                return Decision(cancel_reason=f"{daylist.OVER_BUDGET}: shown in the day's list")
            return Decision(cancel_reason=daylist.OVER_BUDGET)
    if decision.message is not None and decision.channel is None and decision.user_id:
        # The rep's row is in this session already: hand the sweeper the DM channel it knows, so sending costs no
        # transaction of its own to look it up.
        rep = session.get(Rep, (nudge.team_id, decision.user_id))
        if rep is not None and rep.dm_channel:
            decision = dataclasses.replace(decision, channel=rep.dm_channel)
    return decision


def _decide(
    session: Session, nudge: Nudge, now: dt.datetime, prepared: Any, profiles: dict[str, RepProfile]
) -> Decision:
    """What `decide` says of a nudge before the budget; the rep's profile it builds is left in `profiles`."""
    team = session.get(Team, nudge.team_id)
    if team is not None and team.uninstalled_at is not None:
        # Written before the uninstall reached us, or planned since: nothing goes to a workspace that removed us.
        return Decision(cancel_reason=installs.UNINSTALLED)
    if nudge.kind == "leaderboard_post":
        # A channel post goes out at the team's posting time; no one rep's hours apply.
        team = session.get(Team, nudge.team_id)
        held = posts.after_holiday(team, nudge, now) if team is not None else None
        if held is not None:
            return held
        message = prepared if prepared is not None else posts.channel_post(session, nudge, now)
        if message is None:
            return Decision(cancel_reason="workspace gone")
        return Decision(message=message, channel=nudge.channel)
    rep = session.get(Rep, (nudge.team_id, nudge.user_id)) if nudge.user_id else None
    if rep is None or team is None:
        return Decision(cancel_reason="rep no longer known")
    profile = profiles[rep.user_id] = profile_of(rep, team)
    if nudge.kind == daylist.LIST and nudge.sent_ts:
        # An update of a list already sent doesn't notify: it may change at any hour.
        return daylist.decide_list(session, nudge, profile, now)
    if not is_working(now, profile.tz, profile.hours, profile.away_until):
        return Decision(defer_until=next_working_moment(now, profile.tz, profile.hours, profile.away_until))
    if nudge.kind in HELD_BY_FOCUS:
        busy_until = breaks.blocked_until(session, profile, now)
        if busy_until is not None:
            return Decision(defer_until=next_working_moment(busy_until, profile.tz, profile.hours, profile.away_until))
    if nudge.kind == "followup":
        return followups.decide_followup(session, nudge, profile, now)
    if nudge.kind == daylist.LIST:
        return daylist.decide_list(session, nudge, profile, now)
    if nudge.kind == daylist.ADDED:
        return daylist.decide_added(session, nudge, profile, now)
    if nudge.kind == "break":
        return breaks.decide_break(session, nudge, profile, now)
    if nudge.kind == "focus_summary":
        decision = breaks.decide_focus_summary(session, nudge, profile)
        if decision.message is not None and daylist.send_with_list(session, profile, decision.message["text"], now):
            return Decision(cancel_reason=daylist.WITH_LIST)
        return decision
    if nudge.kind == "digest":
        return digest.decide_digest(session, nudge, rep, now, prepared)
    if nudge.kind == crm.CHOOSE:
        return crm.choose_message(session, nudge, profile)
    if nudge.kind == crm.REVOKED:
        return crm.revoked_message(session, nudge, profile)
    return Decision(cancel_reason=f"unknown nudge kind {nudge.kind}")


#: How long a handled delivery is remembered against replays and retries.
DELIVERIES_KEPT = dt.timedelta(days=1)


def plan(session: Session, now: dt.datetime, grace: dt.timedelta = installs.GRACE) -> int:
    """Write the outbox rows of every post and digest whose moment has come; returns how many are new.

    Workspaces that uninstalled the bot more than `grace` ago are deleted in the same pass, and so are records of
    deliveries handled more than `DELIVERIES_KEPT` ago.
    """
    installs.purge(session, now, grace)
    session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - DELIVERIES_KEPT))
    return posts.plan_posts(session, now) + digest.plan_digests(session, now)


def after_sent(session: Session, nudge: Nudge, now: dt.datetime) -> bool:
    """What a delivered nudge causes, written with its "sent": a list changed meanwhile is due again (True)."""
    if nudge.kind == daylist.LIST:
        return daylist.after_sent(session, nudge, now)
    if nudge.kind == crm.PUSH:
        crm.after_push(session, nudge, now)
    return False

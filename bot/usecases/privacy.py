"""A rep's data and how they appear: `/coach export [team]`, `/coach forget`, and "a teammate" for private reps.

Data belongs to the people it is about: export hands a rep all of theirs as CSV by DM (managers: the team's),
forget deletes it after Slack's own confirmation dialog (a lead a teammate also called stays, under the teammate).
`/coach privacy on|off` itself is a preference (`bot.usecases.preferences`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from bot.slack import blockkit
from bot.storage import export as csv_export
from bot.storage.models import (
    SLACK_INSTALLATIONS,
    Activity,
    ChartFile,
    CrmConnection,
    CrmOAuthState,
    CrmOwner,
    DigestPart,
    FollowupList,
    Lead,
    Manager,
    Nudge,
    PersistenceDay,
    PersistenceStep,
    Rep,
    RepDay,
    RuleMute,
    Subscription,
    TipShown,
)
from bot.usecases.managers import is_manager, refusal
from bot.usecases.replies import Reply
from bot.usecases.reps import RepProfile
from bot.usecases.tips import forget_day
from coaching.findings import Count
from coaching.i18n import t
from coaching.render import count

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

FORGET = "coach_forget"


def export(rt: Runtime, rep: RepProfile, scope: str) -> Reply:
    """`/coach export [team]`: refuse at once, or answer at once and send the file from the background.

    Uploads take Slack calls, which must not hold the command's answer past Slack's 3 seconds.
    """
    if scope == "team":
        refused = refusal(rt, rep)
        if refused:
            return Reply(refused, ok=False)
    future = rt.background.submit(send_export, rt, rep, scope)
    future.add_done_callback(_log_failure)
    return Reply(t(rep.language, "export.sent_team" if scope == "team" else "export.sent"))


def send_export(rt: Runtime, rep: RepProfile, scope: str) -> str:
    """Upload the rep's CSV (the team's for managers) to their DM."""
    lang, now = rep.language, rt.clock()
    with rt.db.read() as session:
        if scope == "team":
            if not is_manager(session, rep.team_id, rep.user_id):
                return t(lang, "manager.only")
            content = csv_export.team_csv(session, rep.team_id)
        else:
            content = csv_export.rep_csv(session, rep.team_id, rep.user_id)
    when = blockkit.local_when(lang, now, now, rep.tz)
    channel = rt.reps.dm_channel(rep.team_id, rep.user_id)
    rt.installations.client_for(rep.team_id).files_upload_v2(
        channel=channel,
        content=content,
        filename=f"salescoach-{'team' if scope == 'team' else 'my-data'}-{now:%Y-%m-%d}.csv",
        title="Sales Coach",
        initial_comment=t(lang, "export.comment_team" if scope == "team" else "export.comment", when=when),
    )
    return t(lang, "export.sent_team" if scope == "team" else "export.sent")


def forget_prompt(rep: RepProfile) -> tuple[str, list[dict[str, Any]]]:
    """`/coach forget`: what it deletes, and the button that does it (after Slack's own confirmation)."""
    lang = rep.language
    button = blockkit.button(t(lang, "forget.button"), FORGET, rep.user_id, "danger")
    button["confirm"] = {
        "title": {"type": "plain_text", "text": t(lang, "forget.confirm_title")},
        "text": {"type": "plain_text", "text": t(lang, "forget.confirm_text")},
        "confirm": {"type": "plain_text", "text": t(lang, "forget.confirm_yes")},
        "deny": {"type": "plain_text", "text": t(lang, "forget.confirm_no")},
        "style": "danger",
    }
    text = t(lang, "forget.ask")
    return text, [blockkit.section(text), {"type": "actions", "elements": [button]}]


def forget(rt: Runtime, team_id: str, user_id: str) -> str:
    """Delete everything about a rep in this workspace. A second click finds nothing left and says so."""
    rep = rt.reps.profile(team_id, user_id)
    lang = rep.language
    with rt.db.transaction() as session:
        activities = session.execute(
            delete(Activity).where(Activity.team_id == team_id, Activity.user_id == user_id)
        ).rowcount
        nudges = session.execute(delete(Nudge).where(Nudge.team_id == team_id, Nudge.user_id == user_id)).rowcount
        # Leads no one else has called go too; a lead a teammate also works stays, under their name.
        orphans = select(Lead.id).where(
            Lead.team_id == team_id,
            ~select(Activity.id).where(Activity.lead_id == Lead.id).exists(),
        )
        session.execute(delete(Nudge).where(Nudge.team_id == team_id, Nudge.lead_id.in_(orphans)))
        session.execute(delete(Lead).where(Lead.id.in_(orphans.scalar_subquery())))
        # A lead the rep owned that a teammate also called passes to the teammate who called it last.
        last_caller = (
            select(Activity.user_id)
            .where(Activity.lead_id == Lead.id)
            .order_by(Activity.started_at.desc(), Activity.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        session.execute(
            update(Lead).where(Lead.team_id == team_id, Lead.owner_id == user_id).values(owner_id=last_caller)
        )
        # Roles and subscriptions the rep made stay, with no one named as their author.
        session.execute(delete(Manager).where(Manager.team_id == team_id, Manager.user_id == user_id))
        session.execute(
            update(Manager).where(Manager.team_id == team_id, Manager.granted_by == user_id).values(granted_by=None)
        )
        session.execute(
            update(Subscription)
            .where(Subscription.team_id == team_id, Subscription.created_by == user_id)
            .values(created_by=None)
        )
        # A channel post planned from the rep's subscription names its subscriber (for the post's language).
        posts = session.scalars(select(Nudge).where(Nudge.team_id == team_id, Nudge.kind == "leaderboard_post"))
        for post in posts:
            if (post.payload or {}).get("by") == user_id:
                post.payload = {**post.payload, "by": None}
        # HubSpot stays connected, with no one named as having connected it; the rep's owner match goes.
        session.execute(
            update(CrmConnection)
            .where(CrmConnection.team_id == team_id, CrmConnection.connected_by == user_id)
            .values(connected_by=None)
        )
        # slack_sdk's installation row names its installer (a column it requires): the bot token stays, unnamed.
        session.execute(
            update(SLACK_INSTALLATIONS)
            .where(SLACK_INSTALLATIONS.c.team_id == team_id, SLACK_INSTALLATIONS.c.user_id == user_id)
            .values(user_id="")
        )
        per_rep = (TipShown, RuleMute, ChartFile, RepDay, CrmOAuthState, CrmOwner, FollowupList, DigestPart)
        for model in (*per_rep, PersistenceStep, PersistenceDay):
            session.execute(delete(model).where(model.team_id == team_id, model.user_id == user_id))
        session.execute(delete(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
    # This process's memory of the rep's day goes too (a rep seen again starts a new row, with a new stamp).
    forget_day(rt.db, team_id, user_id)
    done = {"activities": count(Count(activities, "activity"), lang), "nudges": count(Count(nudges, "reminder"), lang)}
    return t(lang, "forget.done", **done)


def display_name(rep: Rep | None, user_id: str, private_label: str, viewer: str | None = None) -> str:
    """How a rep appears to others: their name, or "a teammate" when they chose privacy."""
    if rep is None:
        return user_id
    if rep.private and rep.user_id != viewer:
        return private_label
    return rep.name or rep.user_id


def _log_failure(future: Any) -> None:
    if future.exception() is not None:
        log.error("background work failed", exc_info=future.exception())

"""Buttons on nudges and tips: log, snooze, stop (with a reason), a break, mute a tip, resume leads; the lead card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack import blockkit
from bot.usecases import breaks, crm, followups, home, leadcard, privacy, tips
from handlers.common import guarded, runtime


def register(app: App) -> None:
    """Register the button listeners."""
    for action_id in (*blockkit.FOLLOWUP_LOG, *blockkit.FOLLOWUP_SNOOZE, blockkit.FOLLOWUP_STOP):
        app.action(action_id)(followup_clicked)
    app.action(blockkit.BREAK_START)(break_clicked)
    for action_id in blockkit.HOME_PAGES:
        app.action(action_id)(home_page_clicked)
    app.action(blockkit.TIP_MUTE)(tip_mute_clicked)
    app.action(blockkit.TIP_RESUME)(tip_resume_clicked)
    app.action(privacy.FORGET)(forget_clicked)
    app.action(crm.CHOOSE_ACTION)(record_chosen)
    for action_id in (blockkit.LEAD_CARD, blockkit.LEAD_CARD_PICK):
        app.action(action_id)(lead_card_clicked)
    app.action(blockkit.HUBSPOT_CONNECT)(link_opened)


def link_opened(ack: Ack) -> None:
    """A link button (Connect HubSpot): the browser opens the link; Slack still wants the click acknowledged."""
    ack()


@guarded
def followup_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: Any, respond: Any) -> None:
    """A follow-up button: one click logs once, however often Slack delivers it."""
    ack()
    rt = runtime(context)
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    # A button carries its value; the Stop menu, the option chosen.
    value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    result = followups.followup_button(rt, team_id, user_id, action["action_id"], value)
    if (body.get("container") or {}).get("type") == "view":
        # A button on the App Home: there is no message to update, so the Home is drawn again.
        home.publish(rt, team_id, user_id)
    elif result.in_list:
        # A line of the day's list: the use case has updated the list in place; a tip is the click's own answer.
        if result.message:
            respond(response_type="ephemeral", replace_original=False, **result.message)
    else:
        respond(replace_original=True, **result.message)


@guarded
def home_page_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: Any) -> None:
    """The App Home's next or previous page of follow-ups."""
    ack()
    value = str(action.get("value", ""))
    home.publish(runtime(context), body["team"]["id"], body["user"]["id"], page=int(value) if value.isdigit() else 0)


@guarded
def break_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: Any, respond: Any) -> None:
    """The "Start a 10-minute break" button on a break suggestion."""
    ack()
    result = breaks.break_button(runtime(context), body["team"]["id"], body["user"]["id"], action.get("value", ""))
    respond(replace_original=True, **result.message)


@guarded
def forget_clicked(ack: Ack, body: dict[str, Any], context: Any, respond: Any) -> None:
    """The "Delete all my data" button, after Slack's own confirmation dialog."""
    ack()
    text = privacy.forget(runtime(context), body["team"]["id"], body["user"]["id"])
    respond(replace_original=True, text=text)


@guarded
def tip_mute_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: Any, respond: Any) -> None:
    """Mute a tip's rule for a week (the button under a tip): answered to the rep alone, the tip stays as it was."""
    ack()
    text = tips.mute(runtime(context), body["team"]["id"], body["user"]["id"], action.get("value", ""))
    respond(replace_original=False, response_type="ephemeral", text=text)


@guarded
def tip_resume_clicked(ack: Ack, body: dict[str, Any], context: Any, respond: Any) -> None:
    """Put leads dropped early back into the cadence (the button under their tip)."""
    ack()
    text = followups.resume_dropped(runtime(context), body["team"]["id"], body["user"]["id"])
    respond(replace_original=False, response_type="ephemeral", text=text)


@guarded
def lead_card_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: Any, client: Any, respond: Any
) -> None:
    """A lead card button: on a follow-up, the card below it for the rep alone; on the App Home, a modal.

    A lead picked from the list `/lead` offers replaces the list with its card.
    """
    ack()
    rt = runtime(context)
    team_id, user_id, value = body["team"]["id"], body["user"]["id"], action.get("value", "")
    if (body.get("container") or {}).get("type") == "view":
        client.views_open(trigger_id=body["trigger_id"], view=leadcard.card_modal(rt, team_id, user_id, value))
        return
    message = leadcard.card_message(rt, team_id, user_id, value)
    if action["action_id"] == blockkit.LEAD_CARD_PICK:
        respond(replace_original=True, **message)
    else:
        respond(response_type="ephemeral", replace_original=False, **message)


@guarded
def record_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: Any, respond: Any) -> None:
    """A rep says which HubSpot company or contact a lead is: remembered, and the lead's calls go to HubSpot."""
    ack()
    message = crm.choose(runtime(context), body["team"]["id"], body["user"]["id"], action.get("value", ""))
    respond(replace_original=True, **message)

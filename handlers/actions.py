"""Buttons on nudges and tips: log an attempt, snooze, stop (with a reason), start a break, mute a tip, resume leads."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack import blockkit
from bot.usecases import breaks, followups, home, privacy, tips
from handlers.common import guarded, runtime


def register(app: App) -> None:
    """Register the button listeners."""
    for action_id in (*blockkit.FOLLOWUP_LOG, *blockkit.FOLLOWUP_SNOOZE, blockkit.FOLLOWUP_STOP):
        app.action(action_id)(followup_clicked)
    app.action(blockkit.BREAK_START)(break_clicked)
    app.action(blockkit.TIP_MUTE)(tip_mute_clicked)
    app.action(blockkit.TIP_RESUME)(tip_resume_clicked)
    app.action(privacy.FORGET)(forget_clicked)


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
    else:
        respond(replace_original=True, **result.message)


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

"""Buttons on nudges: log an attempt, snooze, stop, start a break. The nudge is updated in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot import render
from handlers.common import guarded, runtime


def register(app: App) -> None:
    """Register the button listeners."""
    for action_id in (*render.FOLLOWUP_LOG, *render.FOLLOWUP_SNOOZE, render.FOLLOWUP_STOP):
        app.action(action_id)(followup_clicked)
    app.action(render.BREAK_START)(break_clicked)


@guarded
def followup_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: Any, respond: Any) -> None:
    """A follow-up button: one click logs once, however often Slack delivers it."""
    ack()
    result = runtime(context).service.followup_button(
        body["team"]["id"], body["user"]["id"], action["action_id"], action.get("value", "")
    )
    respond(replace_original=True, **result.message)


@guarded
def break_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: Any, respond: Any) -> None:
    """The "Start a 10-minute break" button on a break suggestion."""
    ack()
    result = runtime(context).service.break_button(body["team"]["id"], body["user"]["id"], action.get("value", ""))
    respond(replace_original=True, **result.message)

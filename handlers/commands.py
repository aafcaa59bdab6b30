"""Slash commands: /call, /log, /break (/pauze), /focus, /coach, /leaderboard."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import blockkit
from handlers.common import guarded, runtime


def register(app: App) -> None:
    """Register the slash commands (manifest.yml declares the same list; a test holds them together)."""
    for name, listener in commands().items():
        app.command(name)(listener)


def commands() -> dict[str, Any]:
    """Every slash command and its listener."""
    return {
        "/call": call,
        "/log": log_work,
        "/break": take_break,
        "/pauze": take_break,
        "/focus": focus,
        "/coach": coach,
        "/leaderboard": leaderboard,
    }


@guarded
def call(ack: Ack, command: dict[str, Any], context: Any, client: WebClient, respond: Any) -> None:
    """`/call <lead> <outcome> [+flags] [note]`; bare `/call` opens the form."""
    coach = runtime(context)
    if not (command.get("text") or "").strip():
        ack()
        rep = coach.reps.profile(command["team_id"], command["user_id"])
        view = blockkit.call_form(rep.language)
        view["private_metadata"] = command.get("channel_id", "")
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    reply = coach.service.call(command["team_id"], command["user_id"], command.get("text", ""))
    ack(text=reply.text, response_type="ephemeral")


@guarded
def log_work(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
    """`/log <activity> <minutes> [note]`."""
    reply = runtime(context).service.log(command["team_id"], command["user_id"], command.get("text", ""))
    ack(text=reply.text, response_type="ephemeral")


@guarded
def take_break(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
    """`/break [minutes]`, also `/pauze`."""
    reply = runtime(context).service.pause(command["team_id"], command["user_id"], command.get("text", ""))
    ack(text=reply.text, response_type="ephemeral")


@guarded
def focus(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
    """`/focus <activity> <minutes>`."""
    reply = runtime(context).service.focus(command["team_id"], command["user_id"], command.get("text", ""))
    ack(text=reply.text, response_type="ephemeral")


@guarded
def coach(ack: Ack, command: dict[str, Any], context: Any, client: WebClient, respond: Any) -> None:
    """`/coach`: the scorecard, rules, help, language, absence, privacy, managers, export, forget, settings."""
    reply = runtime(context).service.coach(command["team_id"], command["user_id"], command.get("text", ""))
    if reply.view is not None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=reply.view)
    elif reply.blocks:
        ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
    else:
        ack(text=reply.text, response_type="ephemeral")


@guarded
def leaderboard(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
    """`/leaderboard`: the quality board; in a channel, managers subscribe it to scheduled posts."""
    reply = runtime(context).service.leaderboard(
        command["team_id"], command["user_id"], command.get("channel_id", ""), command.get("text", "")
    )
    ack(text=reply.text, response_type="ephemeral")

"""Slash commands: /call, /log, /break (/pauze), /focus, /coach, /leaderboard."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import blockkit
from bot.usecases import breaks, calls, coach, leaderboard
from handlers.common import guarded, runtime


def register(app: App) -> None:
    """Register the slash commands (manifest.yml declares the same list; a test holds them together)."""
    for name, listener in commands().items():
        app.command(name)(listener)


def commands() -> dict[str, Any]:
    """Every slash command and its listener."""
    return {
        "/call": call_command,
        "/log": log_command,
        "/break": break_command,
        "/pauze": break_command,
        "/focus": focus_command,
        "/coach": coach_command,
        "/leaderboard": leaderboard_command,
    }


@guarded
def call_command(ack: Ack, command: dict[str, Any], context: Any, client: WebClient, respond: Any) -> None:
    """`/call <lead> <outcome> [+flags] [note]`; bare `/call` opens the form."""
    rt = runtime(context)
    if not (command.get("text") or "").strip():
        ack()
        rep = rt.reps.profile(command["team_id"], command["user_id"])
        view = blockkit.call_form(rep.language)
        view["private_metadata"] = command.get("channel_id", "")
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return
    reply = calls.call(rt, command["team_id"], command["user_id"], command.get("text", ""))
    ack(text=reply.text, response_type="ephemeral")


@guarded
def log_command(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
    """`/log <activity> <minutes> [note]`."""
    reply = calls.log(runtime(context), command["team_id"], command["user_id"], command.get("text", ""))
    ack(text=reply.text, response_type="ephemeral")


@guarded
def break_command(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
    """`/break [minutes]`, also `/pauze`."""
    reply = breaks.pause(runtime(context), command["team_id"], command["user_id"], command.get("text", ""))
    ack(text=reply.text, response_type="ephemeral")


@guarded
def focus_command(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
    """`/focus <activity> <minutes>`."""
    reply = breaks.focus(runtime(context), command["team_id"], command["user_id"], command.get("text", ""))
    ack(text=reply.text, response_type="ephemeral")


@guarded
def coach_command(ack: Ack, command: dict[str, Any], context: Any, client: WebClient, respond: Any) -> None:
    """`/coach`: the scorecard, rules, help, language, absence, privacy, managers, export, forget, settings."""
    reply = coach.coach(runtime(context), command["team_id"], command["user_id"], command.get("text", ""))
    if reply.view is not None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=reply.view)
    elif reply.blocks:
        ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
    else:
        ack(text=reply.text, response_type="ephemeral")


@guarded
def leaderboard_command(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
    """`/leaderboard`: the quality board; in a channel, managers subscribe it to scheduled posts."""
    reply = leaderboard.leaderboard(
        runtime(context), command["team_id"], command["user_id"], command.get("channel_id", ""), command.get("text", "")
    )
    ack(text=reply.text, response_type="ephemeral")

"""Slash commands: /call, /log, /break (/pauze), /focus, /coach, /leaderboard, /lead."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack import blockkit
from bot.usecases import breaks, calls, coach, leadcard, leaderboard
from bot.usecases.replies import CommandUseCase
from handlers.common import guarded, runtime


def register(app: App) -> None:
    """Register the slash commands (manifest.yml declares the same list; a test holds them together)."""
    for name, listener in commands().items():
        app.command(name)(listener)


def commands() -> dict[str, Any]:
    """Every slash command and its listener."""
    return {
        "/call": call_command,
        "/log": answered_by(calls.log),
        "/break": answered_by(breaks.pause),
        "/pauze": answered_by(breaks.pause),
        "/focus": answered_by(breaks.focus),
        "/coach": coach_command,
        "/leaderboard": leaderboard_command,
        "/lead": answered_by(leadcard.lead),
    }


def answered_by(use_case: CommandUseCase) -> Any:
    """A listener for a command whose use case answers the rep alone: `/log`, `/break` (`/pauze`), `/focus`, `/lead`."""

    def listener(ack: Ack, command: dict[str, Any], context: Any, respond: Any) -> None:
        reply = use_case(runtime(context), command["team_id"], command["user_id"], command.get("text", ""))
        if reply.blocks:
            ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
        else:
            ack(text=reply.text, response_type="ephemeral")

    listener.__name__ = listener.__qualname__ = f"{use_case.__name__}_command"
    listener.__doc__ = use_case.__doc__
    return guarded(listener)


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
    ack(text=reply.text, blocks=reply.blocks, response_type="ephemeral")


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

"""Events API listeners. Each event is handled once, however often Slack delivers it (bot.app).

Slack wants an event answered within 3 seconds, so each listener acks at once and does its work in the
runtime's background threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.usecases import home, installs, messages
from handlers.common import guarded, log, runtime


def register(app: App) -> None:
    """Register the event listeners (manifest.yml subscribes the same events; a test holds them together)."""
    for subscription, listener in events().items():
        app.event(subscription.split(".")[0])(listener)  # "message.im" is a `message` event from a DM


def events() -> dict[str, Any]:
    """Every bot event the app subscribes to, as manifest.yml names it, and its listener."""
    return {
        "app_home_opened": home_opened,
        "message.im": direct_message,
        "app_uninstalled": app_uninstalled,
        "tokens_revoked": tokens_revoked,
    }


def _after_ack(rt: Runtime, work: Callable[[], None], what: str) -> None:
    """Do `work` in the background, after the event is acked; a failure is logged, as no one waits for it."""

    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("%s failed", what)

    rt.background.submit(run)


@guarded
def home_opened(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
    """Publish the rep's App Home: their scorecard, follow-ups, chart and the commands.

    Drawing the Home (a chart on the first visit of the day) can take longer than Slack waits for the ack.
    """
    if event.get("tab", "home") != "home":
        return
    rt = runtime(context)
    team_id, user_id = body["team_id"], event["user"]

    _after_ack(rt, lambda: home.publish(rt, team_id, user_id), f"publishing the App Home of {team_id}/{user_id}")


@guarded
def direct_message(event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
    """A rep's message to the bot in its Messages tab: logged like `/call` or `/log`, answered in the same DM."""
    if not _from_a_rep(event, body):
        return
    rt = runtime(context)
    team_id, user_id, channel = body["team_id"], event["user"], event["channel"]

    def reply() -> None:
        answer = messages.answer(rt, team_id, user_id, event.get("text") or "")
        # A message in a thread of the DM is answered in that thread; any other in the DM itself.
        client.chat_postMessage(
            channel=channel, text=answer.text, blocks=answer.blocks, thread_ts=event.get("thread_ts")
        )

    _after_ack(rt, reply, f"answering the message of {team_id}/{user_id}")


@guarded
def app_uninstalled(body: dict[str, Any], context: Any) -> None:
    """The workspace removed the bot: stop all sending to it at once (its data stays for the grace period)."""
    installs.uninstalled(runtime(context), body["team_id"])


@guarded
def tokens_revoked(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
    """The workspace's bot token was revoked: nothing can reach it any more, as after an uninstall."""
    if (event.get("tokens") or {}).get("bot"):
        installs.uninstalled(runtime(context), body["team_id"], why="bot token revoked")


def _from_a_rep(event: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether a `message` event is a person's new message in their DM with the bot.

    Not an edit, a deletion or any other subtype, nor a bot's message: the bot's own answers arrive here too, and
    answering them (or another bot's) would never end.
    """
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return False
    bots = {a.get("user_id") for a in body.get("authorizations") or () if a.get("is_bot")}
    return event["user"] not in bots

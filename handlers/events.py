"""Events API listeners. Each event is handled once, however often Slack delivers it (bot.app)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from handlers.common import guarded, runtime


def register(app: App) -> None:
    """Register the event listeners."""
    app.event("app_home_opened")(home_opened)


@guarded
def home_opened(event: dict[str, Any], body: dict[str, Any], context: Any, client: WebClient) -> None:
    """Publish the rep's App Home: their scorecard and the commands."""
    if event.get("tab", "home") != "home":
        return
    view = runtime(context).service.team.home(body["team_id"], event["user"])
    client.views_publish(user_id=event["user"], view=view)

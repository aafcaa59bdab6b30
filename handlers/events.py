"""Events API listeners. Each event is handled once, however often Slack delivers it (bot.app)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.usecases import home
from handlers.common import guarded, log, runtime


def register(app: App) -> None:
    """Register the event listeners."""
    app.event("app_home_opened")(home_opened)


@guarded
def home_opened(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
    """Publish the rep's App Home: their scorecard, follow-ups, chart and the commands.

    Slack wants the event answered within 3 seconds, and drawing the Home (a chart on the first visit of the day)
    can take longer, so it is drawn in the background after the answer.
    """
    if event.get("tab", "home") != "home":
        return
    rt = runtime(context)
    team_id, user_id = body["team_id"], event["user"]

    def publish() -> None:
        try:
            home.publish(rt, team_id, user_id)
        except Exception:
            log.exception("publishing the App Home of %s/%s failed", team_id, user_id)

    rt.background.submit(publish)

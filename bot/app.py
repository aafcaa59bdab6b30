"""The Bolt app and the WSGI application that serves it: `POST /slack/events`, `GET /healthz`.

With OAuth (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET), also `GET /slack/install` and `GET /slack/oauth_redirect`
(bot.oauth).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

import handlers
from bot.runtime import Runtime
from bot.slack.clients import SlackAuthorize
from bot.storage.database import insert_ignore
from bot.storage.models import ProcessedEvent, Team

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def build_app(runtime: Runtime) -> App:
    """A Bolt app whose listeners reach `runtime` through their request context."""
    config = runtime.config.require("SLACK_SIGNING_SECRET")

    def authorize(enterprise_id: str | None, team_id: str | None) -> Any:
        return runtime.installations.authorize(enterprise_id, team_id)

    install_flow = None
    if config.oauth:
        from bot import oauth

        install_flow = oauth.flow(runtime)
    app = App(
        signing_secret=config.signing_secret,
        # Beside an OAuth flow Bolt takes an `Authorize`, not a function: the same lookup either way.
        authorize=SlackAuthorize(runtime.installations) if install_flow else authorize,
        oauth_flow=install_flow,
        client=WebClient(base_url=config.slack_api_url, timeout=10, retry_handlers=[]),
        raise_error_for_unhandled_request=False,
        # Listeners run in the request's own thread and the answer goes out when they return. Slash commands do
        # their work before they ack anyway; the default (False) hands each one to a 5-thread pool and polls it
        # for the ack every 10 ms, which added a 10 ms floor and a queue under load (bench/bench_call.py).
        process_before_response=True,
    )

    @app.middleware
    def _inject_runtime(context: Any, next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        context["coach"] = runtime
        return next()

    @app.middleware
    def _once_per_event(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
        # Slack redelivers events it thinks failed (X-Slack-Retry-Num): the first delivery is the only one handled.
        if body.get("type") == "event_callback" and body.get("event_id") and body.get("team_id"):
            if not first_delivery(runtime, body["team_id"], body["event_id"]):
                return BoltResponse(status=200, body="")
        return next()

    handlers.register(app)
    return app


def first_delivery(runtime: Runtime, team_id: str, event_id: str) -> bool:
    """Record an Events API delivery; False when this event was handled before."""
    now = runtime.clock()
    with runtime.db.transaction() as session:
        insert_ignore(session, Team, id=team_id, settings={}, created_at=now)
        return insert_ignore(session, ProcessedEvent, team_id=team_id, event_id=event_id, received_at=now)


class WsgiApp:
    """Bolt's WSGI adapter plus a health check that answers 200 only when the database does."""

    def __init__(self, runtime: Runtime, app: App | None = None) -> None:
        self.runtime = runtime
        self.bolt = app or build_app(runtime)
        self.slack = SlackRequestHandler(self.bolt, path=EVENTS_PATH)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            healthy = self.runtime.db.ping()
            body = json.dumps({"ok": healthy, "database": "up" if healthy else "down"}).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        if not environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "0").strip().isdigit():
            # Bolt's verifier would raise on a timestamp that isn't a number; it is a forged request all the same.
            body = b'{"error": "invalid request"}'
            start_response(
                "401 Unauthorized", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return self.slack(environ, start_response)

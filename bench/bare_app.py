"""The baseline for bench_call.py: a bare Bolt app whose `/call` only acks, served exactly like `salescoach serve`.

Same Bolt adapter (slack_bolt.adapter.wsgi.SlackRequestHandler on /slack/events, plus /healthz, like bot.app's
WsgiApp), same gunicorn settings: it is served by a subclass of bot.server.Server that changes only which WSGI
app is loaded (gevent, WEB_CONCURRENCY workers, bound to $PORT).

    SLACK_SIGNING_SECRET=... SLACK_API_URL=http://127.0.0.1:9/api/ PORT=3100 python -m bench.bare_app

`gunicorn bench.bare_app:api` serves the same app with gunicorn's own defaults instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

# A fixed token, never verified: the app makes no Slack call before its first request (auth.test then, once).
TOKEN = "xoxb-bench-bare"
EVENTS_PATH = "/slack/events"


def build_app() -> App:
    """A Bolt app with the bot's App options, whose only listener acks `/call`."""
    client = WebClient(
        token=TOKEN,
        base_url=os.environ.get("SLACK_API_URL") or "https://slack.com/api/",
        timeout=10,
        retry_handlers=[],
    )
    app = App(
        signing_secret=os.environ.get("SLACK_SIGNING_SECRET", ""),
        client=client,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        process_before_response=True,  # as the bot's App (bot/app.py)
    )

    @app.command("/call")
    def call(ack: Ack) -> None:
        ack()

    return app


class BareWsgi:
    """SlackRequestHandler plus a /healthz that answers 200, mirroring bot.app.WsgiApp's shape."""

    def __init__(self, app: App) -> None:
        self.slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            body = b'{"ok": true}'
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return self.slack(environ, start_response)


class _LazyApi:
    """`api` for `gunicorn bench.bare_app:api`: the Bolt app is built on first use, in the worker."""

    _wsgi: BareWsgi | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self._wsgi is None:
            self._wsgi = BareWsgi(build_app())
        return self._wsgi(environ, start_response)


api = _LazyApi()


def main() -> int:
    """Serve the bare app with bot.server.Server's gunicorn settings."""
    from bot import config as config_module
    from bot.cli import setup_logging
    from bot.server import Server

    class BareServer(Server):
        def load(self) -> Any:
            return BareWsgi(build_app())

    setup_logging()
    config = config_module.load(dotenv=False)
    BareServer(config).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

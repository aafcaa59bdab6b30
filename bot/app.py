"""The Bolt app and the WSGI application that serves it: `POST /slack/events`, `GET /healthz`.

With OAuth (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET), also `GET /slack/install` and `GET /slack/oauth_redirect`
(bot.oauth); with a HubSpot public app (HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET), also `GET /hubspot/install`
and `GET /hubspot/oauth_redirect` (bot.hubspot_oauth).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from sqlalchemy import bindparam, delete, exists, select

import handlers
from bot import metrics
from bot.runtime import Runtime
from bot.slack.clients import SlackAuthorize
from bot.storage.database import insert_ignore, upsert_insert
from bot.storage.models import ProcessedEvent, Team

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HUBSPOT_PATHS = ("/hubspot/install", "/hubspot/oauth_redirect")  # bot.hubspot_oauth's


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


def replay_key(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """What identifies one slash command or form submission across replays, and its workspace."""
    if body.get("command") and body.get("trigger_id"):
        key, team_id = f"cmd:{body['trigger_id']}", body.get("team_id")
    elif body.get("type") == "view_submission" and (body.get("view") or {}).get("id"):
        view = body["view"]
        key, team_id = f"view:{view['id']}:{view.get('hash') or ''}", (body.get("team") or {}).get("id")
    else:
        return None, None
    if len(key) > 64:  # the column's width; a digest keeps it unique
        key = key.split(":", 1)[0] + ":" + hashlib.sha256(key.encode()).hexdigest()[:48]
    return key, team_id


def _answers_with_errors(response: BoltResponse) -> bool:
    try:
        return json.loads(response.body or "{}").get("response_action") == "errors"
    except (ValueError, AttributeError):
        return False


def forget_delivery(runtime: Runtime, team_id: str, event_id: str) -> None:
    """Let a delivery be handled again (a form its reader has to correct)."""
    with runtime.db.transaction() as session:
        session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.team_id == team_id, ProcessedEvent.event_id == event_id)
        )


def first_delivery(runtime: Runtime, team_id: str, event_id: str, *, durable: bool = True) -> bool:
    """Record an Events API delivery (or a command's replay key); False when it was handled before.

    `durable=False` for a command or form, whose work commits in a transaction of its own after this one: the
    marker is on disk by the time that work is, and lost only with it (`Database.transaction`).
    """
    now = runtime.clock()
    marker = {"team": team_id, "event": event_id, "now": now}
    with runtime.db.transaction(durable=durable) as session:
        # One statement for a workspace already known (every request but its first): the marker, where the
        # workspace's row exists.
        if session.execute(_marked(runtime.db.dialect), marker).first() is not None:
            return True
        insert_ignore(session, Team, id=team_id, settings={}, created_at=now)
        return insert_ignore(session, ProcessedEvent, team_id=team_id, event_id=event_id, received_at=now)


@functools.cache
def _marked(dialect: str) -> Any:
    events, teams = ProcessedEvent.__table__, Team.__table__
    values = select(
        bindparam("team", type_=events.c.team_id.type),
        bindparam("event", type_=events.c.event_id.type),
        bindparam("now", type_=events.c.received_at.type),
    ).where(exists().where(teams.c.id == bindparam("team")))
    statement = upsert_insert(dialect)(events).from_select(["team_id", "event_id", "received_at"], values)
    return statement.on_conflict_do_nothing().returning(events.c.event_id)


#: The largest body Slack sends is a form submission of a few kilobytes; anything far larger is refused unread.
MAX_BODY = 256 * 1024
#: Slack's window for a request's timestamp: older (or newer) requests are replays or forgeries.
SIGNATURE_WINDOW = 5 * 60


#: A client that announced a body must send it within this long (a slow sender holds a connection, no more).
BODY_SECONDS = 5


def _read_body(environ: dict[str, Any], length: int) -> bytes:
    """The request's body, read with a deadline where the server hands us its socket (gunicorn does)."""
    if not length:
        return b""
    sock = environ.get("gunicorn.socket")
    if sock is None:
        return environ["wsgi.input"].read(length)
    previous = sock.gettimeout()
    sock.settimeout(BODY_SECONDS)
    try:
        return environ["wsgi.input"].read(length)
    finally:
        sock.settimeout(previous)


def _answer(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def signature_refusal(secret: str, environ: dict[str, Any], raw: bytes, now: float) -> str | None:
    """Why a request isn't signed by Slack with `secret` within its window; None when it is.

    Checked on the raw bytes before anything reads the body (Slack's "Verifying requests from Slack").
    """
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")).strip()
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE", "")).strip()
    if not timestamp or not signature:
        return "no signature"
    # isdigit() alone takes "١٢٣" (Arabic-Indic digits) too.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "malformed timestamp"
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW:
        return "stale timestamp"
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "bad signature"
    return None


class WsgiApp:
    """Bolt's WSGI adapter behind a guard, plus a health check that answers 200 only when the database does.

    The guard answers `POST /slack/events` without Bolt when it can: a body over `MAX_BODY` (from Content-Length,
    unread), a request not signed by Slack (one log line: method, path, size, reason; never the body), and a replay
    of a slash command or form submission already handled.
    """

    def __init__(self, runtime: Runtime, app: App | None = None) -> None:
        self.runtime = runtime
        self.bolt = app or build_app(runtime)
        self.slack = SlackRequestHandler(self.bolt, path=EVENTS_PATH)
        self.secret = runtime.config.signing_secret or ""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in ("GET", "HEAD"):
            healthy = self.runtime.db.ping()
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _answer(start_response, status, {"ok": healthy, "database": "up" if healthy else "down"})
        if path == "/metrics" and method in ("GET", "HEAD"):
            body, content_type = metrics.exposition(self.runtime.db, self.runtime.clock)
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        if path in HUBSPOT_PATHS and method == "GET" and self.runtime.crm.app is not None:
            from bot import hubspot_oauth

            return hubspot_oauth.serve(self.runtime, environ, start_response)
        if path == EVENTS_PATH and method == "POST":
            started, kind = time.perf_counter(), ["refused"]

            def measured(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
                metrics.observe(kind[0], int(status.split(" ", 1)[0]), time.perf_counter() - started)
                return start_response(status, headers, *args)

            return self.events(environ, measured, kind)
        return self.slack(environ, start_response)

    def events(
        self, environ: dict[str, Any], start_response: Callable[..., Any], kind: list[str] | None = None
    ) -> Iterable[bytes]:
        """`POST /slack/events`: checked, then handed to Bolt; `kind` learns what kind of request it was."""
        length_text = str(environ.get("CONTENT_LENGTH") or "").strip()
        if not (length_text.isascii() and length_text.isdigit()):
            self._refused(environ, 0, "no Content-Length")
            return _answer(start_response, "411 Length Required", {"error": "length required"})
        length = int(length_text)
        if length > MAX_BODY:
            self._refused(environ, length, "body too large")
            return _answer(start_response, "413 Content Too Large", {"error": "body too large"})
        try:
            raw = _read_body(environ, length)
        except OSError:
            self._refused(environ, length, f"body not sent within {BODY_SECONDS} s")
            return _answer(start_response, "408 Request Timeout", {"error": "request timeout"})
        reason = signature_refusal(self.secret, environ, raw, time.time())
        if reason:
            self._refused(environ, length, reason)
            return _answer(start_response, "401 Unauthorized", {"error": "invalid request"})
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self._refused(environ, length, "body is not UTF-8")
            return _answer(start_response, "400 Bad Request", {"error": "bad request"})
        request = WsgiHttpRequest(environ)
        bolt_request = BoltRequest(body=text, query=request.query_string, headers=request.get_headers())
        if kind is not None:
            kind[0] = metrics.request_kind(bolt_request.body)
        response = self.dispatch(bolt_request)
        answer = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
        start_response(answer.status, answer.get_headers())
        return answer.get_body()

    def dispatch(self, request: BoltRequest) -> BoltResponse:
        """Hand a signed request to Bolt, once: a replayed slash command or form submission is answered empty.

        A form answered with errors is forgotten again, so its reader can correct it and submit the same view.
        """
        key, team_id = replay_key(request.body)
        if key is None or team_id is None:
            return self.bolt.dispatch(request)
        if not first_delivery(self.runtime, team_id, key, durable=False):
            log.info("replayed %s ignored", key.split(":", 1)[0])
            return BoltResponse(status=200, body="")
        response = self.bolt.dispatch(request)
        if response.status != 200 or _answers_with_errors(response):
            forget_delivery(self.runtime, team_id, key)
        return response

    @staticmethod
    def _refused(environ: dict[str, Any], size: int, reason: str) -> None:
        # One line, nothing from the body; the path is escaped by the log filter (bot.logs).
        log.warning(
            "refused %s %s (%d bytes): %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), size, reason
        )

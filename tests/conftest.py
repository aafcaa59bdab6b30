"""Shared fixtures: databases (SQLite and PostgreSQL), the Slack stand-in, a controllable clock, and `coachbot`.

`coachbot` is the test bot: the real app served over real HTTP on port 0, requests signed exactly as Slack signs
them, its Web API pointed at the Slack stand-in (`bot.slack.standin`) playing the tests' workspace. A test reads
like a conversation:

    reply = coachbot.slash("/call", "Acme BV no-answer")
    assert "Acme BV" in reply.text
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import text

from bot import runtime as runtime_module
from bot.app import WsgiApp
from bot.config import Config
from bot.demo.workspace import USERS as DEMO_USERS
from bot.slack.standin import SlackStandIn, Workspace, texts
from bot.storage.database import Database
from bot.storage.models import Base

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-0000"
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# A Thursday morning in Amsterdam: tests move the clock from here; nothing sleeps for time to pass.
THURSDAY_10_AMS = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)

# The tests' workspace: the demo's people (Anouk and Sam, reps; Petra, an admin) and Jordan in New York, in a team
# of its own. It is open: any other user gets a default profile, any channel exists and any token goes in.
TEAM = "T0TEAM001"
OTHER_TEAM = "T0TEAM002"
USERS: dict[str, dict[str, Any]] = {
    **DEMO_USERS,
    "U0JORDAN": {"name": "jordan", "real_name": "Jordan Lee", "tz": "America/New_York", "locale": "en-US"},
}
WORKSPACE = Workspace(team_id=TEAM, users=USERS)


class Clock:
    """A clock tests set and advance."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, now: dt.datetime) -> None:
        self.now = now.astimezone(dt.UTC)

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's v0 signature headers for `body` (written out here, independently of Bolt's verifier)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


# -- databases ---------------------------------------------------------------------------------------------------


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as err:  # noqa: BLE001 - any failure means "no server to test against"
        return f"no PostgreSQL server answers at {PG_ADMIN_URL} ({type(err).__name__})"


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """`salescoach` commands run in-process set the root logger up for stderr; the next test gets pytest's back.

    Left in place, the handler writes to a stream pytest has closed, and a later thread's log line is an error.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of this test run's own, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'coach.db'}"
        Database(url).migrate()
        yield url
        return
    reason = _postgres_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"salescoach_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    db = Database(url)
    db.migrate()
    db.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The run's database, emptied before the test."""
    database = Database(database_url)
    with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(text(f"DELETE FROM {table.name}"))
    yield database
    database.dispose()


# -- Slack -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _slack_server() -> Iterator[SlackStandIn]:
    standin = SlackStandIn(WORKSPACE).start()
    yield standin
    standin.stop()


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, starting on a Thursday at 10:00 in Amsterdam."""
    return Clock(THURSDAY_10_AMS)


@pytest.fixture
def slack(_slack_server: SlackStandIn, clock: Clock) -> Iterator[SlackStandIn]:
    """The Slack stand-in on the test's clock, with no calls recorded yet.

    Afterwards, nothing the bot sent may hold mrkdwn that Slack would render wrongly (the stand-in's `findings`:
    every accepted message and view, and the app's HTTP answers, which `CoachBot` hands to `review`).
    """
    _slack_server.reset()
    _slack_server.clock = clock
    yield _slack_server
    assert _slack_server.findings == [], "the bot sent text Slack would render wrongly"


def make_config(slack: SlackStandIn, database_url: str) -> Config:
    return Config(
        bot_token=BOT_TOKEN,
        signing_secret=SECRET,
        app_token=None,
        slack_api_url=slack.api_url,
        database_url=database_url,
        port=0,
    )


# -- what Slack sends: the same payloads over HTTP (CoachBot) and over Socket Mode (tests/test_socket_mode.py) ---


def slash_payload(command: str, text_: str, user: str, team: str, channel: str, response_url: str) -> dict[str, str]:
    """A slash command's fields, as Slack posts them (form-encoded over HTTP; the envelope's payload in Socket Mode)."""
    return {
        "token": "legacy",
        "team_id": team,
        "team_domain": "coach",
        "channel_id": channel,
        "channel_name": "sales",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text_,
        "api_app_id": "A0COACH",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{int(time.time())}.1.{uuid.uuid4().hex[:8]}",
    }


def signed_slash(
    port: int, slack: SlackStandIn, text_: str, user: str = "U0SAM", *, timeout: float = 3.0
) -> tuple[int, str]:
    """`/call <text_>` signed as Slack signs it, to a server on `port`; Slack waits at most 3 s for the answer."""
    body = urllib.parse.urlencode(slash_payload("/call", text_, user, TEAM, "C1", slack.response_url()))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.status, answer.read().decode()


def click_payload(
    action_id: str, value: str, user: str, team: str, response_url: str, message_ts: str = "1.000001"
) -> dict[str, Any]:
    """A `block_actions` payload: `user` pressed a button on the bot's DM `message_ts`."""
    dm = "D" + user[1:]
    return {
        "type": "block_actions",
        "team": {"id": team, "domain": "coach"},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A0COACH",
        "token": "legacy",
        "trigger_id": f"{int(time.time())}.2.{uuid.uuid4().hex[:8]}",
        "channel": {"id": dm, "name": "directmessage"},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": dm},
        "message": {"type": "message", "ts": message_ts, "text": ""},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def event_payload(event: dict[str, Any], event_id: str, team: str) -> dict[str, Any]:
    """An Events API `event_callback` wrapping `event`."""
    return {
        "token": "legacy",
        "team_id": team,
        "api_app_id": "A0COACH",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "U0BOT", "is_bot": True}],
    }


# -- the test bot ------------------------------------------------------------------------------------------------


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when tests send 24 requests at once.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Response:
    """An HTTP answer from the app."""

    status: int
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        """What the rep sees of it."""
        try:
            return texts(self.json)
        except ValueError:
            return self.body


class CoachBot:
    """The real app over HTTP, with helpers that speak as Slack does."""

    def __init__(
        self, slack: SlackStandIn, db: Database, clock: Clock, config: Config | None = None, **settings: Any
    ) -> None:
        self.slack = slack
        self.clock = clock
        config = config or make_config(slack, db.url)
        if settings:  # e.g. HubSpot's
            config = Config(**{**config.__dict__, **settings})
        self.runtime = runtime_module.build(config, clock=clock, db=db)
        self.server = make_server("127.0.0.1", 0, WsgiApp(self.runtime), _ThreadingServer, _QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll interval: close() waits for the serving loop to notice, after every test (0.5 s by default).
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.runtime.background.shutdown(wait=True)

    @property
    def db(self) -> Database:
        return self.runtime.db

    def post(self, body: str, headers: dict[str, str], ctype: str, path: str = "/slack/events") -> Response:
        request = urllib.request.Request(
            self.url + path, data=body.encode(), method="POST", headers={"Content-Type": ctype, **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                response = Response(answer.status, answer.read().decode())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read().decode())
        # An answer in the HTTP response reaches the rep as a message: Slack reads its blocks and mrkdwn too.
        if response.status == 200 and response.body.startswith("{"):
            self.slack.review("the app's HTTP answer", response.json)
        return response

    def get(self, path: str) -> Response:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as answer:
                return Response(answer.status, answer.read().decode())
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read().decode())

    def slash_body(self, command: str, text_: str, user: str, team: str, channel: str) -> str:
        return urllib.parse.urlencode(slash_payload(command, text_, user, team, channel, self.slack.response_url()))

    def slash(
        self, command: str, text_: str = "", user: str = "U0SAM", team: str = TEAM, channel: str = "C0SALES"
    ) -> Response:
        body = self.slash_body(command, text_, user, team, channel)
        return self.post(body, sign(body), "application/x-www-form-urlencoded")

    def interact(self, payload: dict[str, Any]) -> Response:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, sign(body), "application/x-www-form-urlencoded")

    def interact_as(self, kind: str, user: str, team: str = TEAM, **fields: Any) -> Response:
        """An interaction of `kind` by `user`: the fields Slack sends with every payload, and `fields`."""
        who = {"team": {"id": team}, "user": {"id": user, "team_id": team}}
        return self.interact(
            {"type": kind, **who, "api_app_id": "A0COACH", "token": "legacy", "trigger_id": "1.2.3", **fields}
        )

    def click(self, action_id: str, value: str, user: str = "U0SAM", team: str = TEAM) -> Response:
        """Press a button on a DM the bot sent."""
        return self.interact(click_payload(action_id, value, user, team, self.slack.response_url()))

    def event(self, event: dict[str, Any], event_id: str, team: str = TEAM, retry: int | None = None) -> Response:
        body = json.dumps(event_payload(event, event_id, team))
        headers = sign(body)
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        return self.post(body, headers, "application/json")

    def sweep(self, now: dt.datetime | None = None):  # noqa: ANN201 - SweepReport
        """One outbox sweep as of `now` (default: the bot's clock)."""
        from bot.scheduler import run_due

        return run_due(self.runtime, now)

    def dms(self, since: int = 0, user: str | None = None) -> list[dict[str, Any]]:
        """chat.postMessage calls since `since`, optionally to one rep's DM."""
        posts = [c.params for c in self.slack.since(since, "chat.postMessage")]
        if user is not None:
            posts = [p for p in posts if p.get("channel") == "D" + user[1:]]
        return posts


@pytest.fixture
def env(tmp_path, slack):
    """Settings for a `salescoach` subprocess: the stand-in, the test's signing secret, a fresh SQLite file."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k not in ("DATABASE_URL", "PORT")}
    clean.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/coach.db",
        }
    )
    return clean


@pytest.fixture
def coachbot(slack: SlackStandIn, db: Database, clock: Clock) -> Iterator[CoachBot]:
    """The whole bot over HTTP against the Slack stand-in, on each database backend."""
    bot = CoachBot(slack, db, clock)
    yield bot
    bot.close()

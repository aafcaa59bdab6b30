"""`salescoach run` in Socket Mode, end to end: the real process against the Slack stand-in's Socket Mode side.

One process serves the whole module (starting it costs seconds): it connects with its app-level token, answers a
slash command in its ack, delivers a follow-up from its in-process scheduler and takes the click on it, publishes
the App Home, and survives Slack's `refresh_requested` without losing an envelope. Nothing sleeps: every wait is
for a condition, with a timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.slack.standin import SlackStandIn, StandInTimeout, Workspace, dm_channel, texts
from bot.slack.standin_socket import EVENTS_API, INTERACTIVE, SLASH_COMMANDS, SocketModeStandIn
from bot.storage.database import Database
from bot.storage.models import Lead, Nudge
from tests.conftest import BOT_TOKEN, TEAM, Clock, CoachBot, click_payload, event_payload, slash_payload
from tests.test_layout import imports_of

EXE = str(Path(sys.executable).with_name("salescoach"))
APP_TOKEN = "xapp-1-A0COACH-0000-socketmode"
REP = "U0SAM"
SEEDED = "Seeded Lead BV"  # the lead whose follow-up is due when the process starts


def noon_zone(now: dt.datetime) -> str:
    """A time zone where `now` is between 12:00 and 13:00, so the rep is inside working hours whenever this runs."""
    offset = 12 - now.hour  # -11 to +12 hours, each an Etc/GMT zone (POSIX signs: Etc/GMT-3 is UTC+3)
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@dataclass
class Running:
    """The `salescoach run` process and the stand-ins it talks to."""

    slack: SlackStandIn
    socket: SocketModeStandIn
    proc: subprocess.Popen[bytes]
    log: Path
    database_url: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_connected(self, count: int, timeout: float = 60.0) -> None:
        """Wait for the process's `count`-th connection, failing at once (with its output) if it exits."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, f"salescoach run exited {self.proc.returncode}:\n{self.output()}"
            try:
                self.socket.wait_connected(count, timeout=0.5)
                return
            except StandInTimeout:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no Socket Mode connection {count}:\n{self.output()}") from None

    def stop(self) -> int:
        """SIGTERM, as a deploy stops it; killed if it hasn't exited 20 s later."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


def seed(slack: SlackStandIn, database_url: str) -> None:
    """A rep working every day around their noon, and a follow-up of theirs already due, written by the real app."""
    db = Database(database_url)
    db.migrate()
    now = dt.datetime.now(dt.UTC)
    bot = CoachBot(slack, db, Clock(now))
    try:
        assert bot.slash("/coach", "hours 08:00-20:00 mon-sun", user=REP).status == 200
        assert SEEDED in bot.slash("/call", f"{SEEDED} no-answer", user=REP).text
        with db.transaction() as session:
            session.execute(update(Nudge).where(Nudge.kind == "followup").values(due_at=now - dt.timedelta(minutes=1)))
    finally:
        bot.close()
        db.dispose()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """`salescoach run` with SLACK_APP_TOKEN and no signing secret, connected to the stand-in's Socket Mode."""
    tmp = tmp_path_factory.mktemp("socketmode")
    users = {REP: {"name": "sam", "real_name": "Sam Carter", "tz": noon_zone(dt.datetime.now(dt.UTC))}}
    slack = SlackStandIn(Workspace(team_id=TEAM, users=users, tokens=frozenset({BOT_TOKEN, APP_TOKEN}))).start()
    socket = SocketModeStandIn(slack).start()
    database_url = f"sqlite:///{tmp}/coach.db"
    seed(slack, database_url)
    unset = ("DATABASE_URL", "PORT", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k not in unset}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=slack.api_url, DATABASE_URL=database_url
    )
    log = tmp / "salescoach.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([EXE, "run"], env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
    running = Running(slack, socket, proc, log, database_url)
    try:
        running.wait_connected(1)
        yield running
    finally:
        running.stop()
        socket.stop()
        slack.stop()


def test_it_connects_with_the_app_token_at_the_configured_web_api(running):
    opened = running.slack.of("apps.connections.open")[0]
    assert opened.ok and opened.token == APP_TOKEN  # asked of SLACK_API_URL, with the app-level token
    assert {c.token for c in running.slack.calls if c.method != "apps.connections.open"} == {BOT_TOKEN}


def test_a_slash_command_is_answered_in_its_ack_within_3_seconds(running):
    response_url = running.slack.response_url(REP, "C0SALES")
    ack = running.socket.request(
        SLASH_COMMANDS, slash_payload("/call", "Acme BV no-answer", REP, TEAM, "C0SALES", response_url), timeout=3
    )
    assert ack.seconds < 3
    assert ack.payload is not None and ack.payload["response_type"] == "ephemeral"
    assert "Acme BV" in texts(ack.payload)
    db = Database(running.database_url)
    try:
        with db.transaction() as session:
            lead = session.scalar(select(Lead).where(Lead.name == "Acme BV"))
            assert lead is not None and lead.cadence == "active"
            assert session.scalar(select(Nudge.status).where(Nudge.lead_id == lead.id)) == "pending"
    finally:
        db.dispose()


def test_the_in_process_scheduler_sends_a_due_follow_up_and_a_click_on_it_updates_it(running):
    # The scheduler's first sweep runs as the process starts: the seeded follow-up was due a minute before, and
    # goes out in the day's list.
    [dm] = running.slack.wait_for("chat.postMessage", where=lambda call: SEEDED in texts(call.params), timeout=30)
    assert dm.params["channel"] == dm_channel(REP) and "attempt 2 of 6" in texts(dm.params)
    [button] = [
        element
        for block in dm.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "followup_log_no_answer"
    ]
    mark = running.slack.mark()
    ts = dm.answer["ts"]
    response_url = running.slack.response_url(REP, dm_channel(REP), ts)
    click = click_payload(button["action_id"], button["value"], REP, TEAM, response_url, message_ts=ts)
    envelope = running.socket.send(INTERACTIVE, click)
    assert not envelope.accepts_response_payload  # Slack takes no answer in a click's ack
    ack = running.socket.wait_ack(envelope, timeout=3)
    assert ack.payload is None
    # The line is one of the day's list: the list is updated in place, the message the click was on.
    [updated] = running.slack.wait_for("chat.update", since=mark)
    assert f"Logged attempt 2 on *{SEEDED}*: no answer" in texts(updated.params)
    assert updated.params["ts"] == ts and updated.params["channel"] == dm_channel(REP)


def test_app_home_opened_publishes_the_home(running):
    mark = running.slack.mark()
    event = {"type": "app_home_opened", "user": REP, "channel": dm_channel(REP), "tab": "home"}
    ack = running.socket.request(EVENTS_API, event_payload(event, "EvSocketHome1", TEAM), timeout=3)
    assert ack.payload is None
    [published] = running.slack.wait_for("views.publish", since=mark, timeout=15)
    assert published.params["user_id"] == REP
    assert "/call" in texts(published.params["view"])


def test_a_refresh_requested_loses_no_envelope(running):
    socket, slack = running.socket, running.slack

    def call(text):
        return socket.send(SLASH_COMMANDS, slash_payload("/call", text, REP, TEAM, "C0SALES", slack.response_url()))

    old = len(socket.links)
    before = call("Before BV busy")
    assert "Before BV" in texts(socket.wait_ack(before).payload)
    with socket.lock:  # no connection is greeted in between: what is sent now finds none to take it, and waits
        assert socket.refresh() == old
        during = call("During BV busy")
    assert during.waited and during.connection is None
    running.wait_connected(old + 1, timeout=15)
    assert "During BV" in texts(socket.wait_ack(during).payload)
    after = call("After BV busy")
    assert "After BV" in texts(socket.wait_ack(after).payload)
    assert (before.connection, during.connection, after.connection) == (old, old + 1, old + 1)
    socket.wait_closed(old)  # the app closes the old connection once the new one is open
    assert socket.strays == []  # every ack was for an envelope sent, and came once
    assert [c.token for c in slack.of("apps.connections.open")] == [APP_TOKEN] * (old + 1)


def test_sigterm_stops_it_cleanly_with_no_token_in_its_log(running):
    # Last in the module: it ends the process the tests above shared.
    assert running.stop() == 0, running.output()
    output = running.output()
    assert BOT_TOKEN not in output and APP_TOKEN not in output
    assert "Traceback" not in output, output


# -- the stand-in's Socket Mode side on its own ----------------------------------------------------------------


@pytest.fixture
def bare_socket() -> Iterator[SocketModeStandIn]:
    slack = SlackStandIn(Workspace(team_id=TEAM)).start()
    socket = SocketModeStandIn(slack).start()
    yield socket
    socket.stop()
    slack.stop()


def test_a_url_lets_in_one_connection_which_is_greeted_then_given_what_waited(bare_socket):
    waited = bare_socket.send(EVENTS_API, {"type": "event_callback", "event": {"type": "app_home_opened"}})
    assert waited.waited and not waited.accepts_response_payload
    url = bare_socket.connection_url()
    with connect(url, open_timeout=5) as app:
        hello = json.loads(app.recv(timeout=5))
        assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == "A0COACH"
        envelope = json.loads(app.recv(timeout=5))
        assert envelope["envelope_id"] == waited.envelope_id and envelope["type"] == EVENTS_API
        app.send(json.dumps({"envelope_id": waited.envelope_id}))
        assert bare_socket.wait_ack(waited).connection == 1
        app.send(json.dumps({"envelope_id": waited.envelope_id}))  # acknowledged twice: a stray
        with pytest.raises(InvalidStatus) as refused:
            connect(url, open_timeout=5)  # the same URL again
        assert refused.value.response.status_code == 403
    bare_socket.wait_closed(1)
    assert len(bare_socket.strays) == 1


def test_apps_connections_open_is_refused_where_no_socket_mode_is_served(bare_socket):
    slack = bare_socket.standin
    bare_socket.stop()
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=slack.api_url).apps_connections_open(app_token=APP_TOKEN)
    assert refused.value.response["error"] == "invalid_auth"


def test_only_the_tests_import_it_so_a_plain_install_needs_no_websockets():
    root = Path(__file__).resolve().parent.parent
    importers = [
        str(path.relative_to(root))
        for package in ("bot", "handlers", "coaching")
        for path in sorted((root / package).rglob("*.py"))
        if any(module == "bot.slack.standin_socket" for module, _ in imports_of(path))
    ]
    assert importers == []

"""Socket Mode for the Slack stand-in: a websocket server on 127.0.0.1 that plays Slack's side of Socket Mode.

How Slack does it, and so how this does it: the app calls `apps.connections.open` with its app-level token (the
HTTP stand-in answers, with a one-time `ws://127.0.0.1:PORT/link/?ticket=...&app_id=...` URL from here); it
connects and gets `{"type": "hello", ...}`; then envelopes arrive, `{"envelope_id", "type", "payload",
"accepts_response_payload"}` of type `slash_commands`, `interactive` or `events_api`, and the app acknowledges
each with `{"envelope_id", "payload"?}` on whichever connection it has open, the payload being its answer (a slash
command's reply). `refresh()` sends `{"type": "disconnect", "reason": "refresh_requested"}`: from then on that
connection gets no more envelopes, and whatever a test sends waits until the app has connected again and been
greeted, then goes out on the new connection, so nothing is lost.

    socket = SocketModeStandIn(standin).start()   # standin: a started SlackStandIn
    # run the bot with SLACK_APP_TOKEN set and SLACK_API_URL=standin.api_url
    socket.wait_connected()
    ack = socket.request(SLASH_COMMANDS, {"command": "/call", ...})   # send, then wait for its ack
    assert ack.seconds < 3 and "Acme BV" in ack.payload["text"]

Only the tests use it: it needs the `websockets` package (the `dev` extra), which the demo and a plain install do
without; nothing else in the package imports this module.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from bot.slack.standin import SlackStandIn, StandInTimeout

SLASH_COMMANDS = "slash_commands"
INTERACTIVE = "interactive"
EVENTS_API = "events_api"
# The interactions whose ack may carry an answer (a slash command's reply, a form's errors or next view).
_ANSWERED_IN_ACK = frozenset({"view_submission", "block_suggestion"})


@dataclass
class Envelope:
    """One envelope a test sent the app, and where it went."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    sent: float = field(default_factory=time.monotonic)  # when the test sent it
    connection: int | None = None  # the connection it went out on (None: still waiting for one)
    waited: bool = False  # no connection could take it when it was sent: it went out after the next hello

    def message(self) -> dict[str, Any]:
        """The envelope as Slack writes it on the websocket."""
        return {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }


@dataclass(frozen=True)
class Ack:
    """The app's acknowledgement of an envelope."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int
    seconds: float  # from the test sending the envelope to the ack arriving


@dataclass
class Link:
    """One websocket connection from the app, numbered from 1 in the order they were greeted."""

    number: int
    socket: ServerConnection
    retiring: bool = False  # it was sent `disconnect`: no more envelopes go to it
    closed: bool = False


class SocketModeStandIn:
    """Slack's Socket Mode endpoint for the app that `standin` serves; `start()` it before the app connects.

    It hands out a one-time URL per `apps.connections.open`; a connection with a ticket that wasn't handed out
    or was used before is refused (403), as Slack refuses a stale URL. It pings every connection every
    `ping_interval` seconds, as Slack does, but more often: slack_sdk's built-in client lets go of a connection (on
    a refresh, or when it closes) only once something arrives on it or its 3-second read times out, so frequent
    pings keep the tests from waiting on that timeout.
    """

    def __init__(self, standin: SlackStandIn, app_id: str = "A0COACH", ping_interval: float = 0.2) -> None:
        self.standin = standin
        self.app_id = app_id
        # Held while a connection is greeted; a test holds it to do several things with no connection greeted between.
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.links: list[Link] = []
        self.envelopes: dict[str, Envelope] = {}
        self.acks: dict[str, Ack] = {}
        self.strays: list[str] = []  # messages from the app that acknowledged no envelope, or one twice
        self._waiting: list[Envelope] = []
        self._tickets: set[str] = set()
        self._ids = itertools.count(1)
        self.server = serve(
            self._serve, "127.0.0.1", 0, process_request=self._admit, compression=None, ping_interval=ping_interval
        )
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="slack-standin-socket", daemon=True)

    def start(self) -> SocketModeStandIn:
        """Serve in a daemon thread, and have the HTTP stand-in answer `apps.connections.open` with our URLs."""
        self.thread.start()
        self.standin.socket_mode_url = self.connection_url
        return self

    def stop(self) -> None:
        """Close every connection and stop serving."""
        self.standin.socket_mode_url = None
        with self.lock:
            sockets = [link.socket for link in self.links if not link.closed]
        for socket in sockets:
            socket.close()
        self.server.shutdown()

    def connection_url(self) -> str:
        """A fresh one-time URL to connect to (what `apps.connections.open` answers)."""
        ticket = uuid.uuid4().hex
        with self.lock:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # -- what a test does -------------------------------------------------------------------------------------------

    def send(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool | None = None) -> Envelope:
        """Send the app an envelope of `kind` now, or, with no connection open to take it, right after the next hello.

        `accepts_response_payload` defaults to what Slack sets: true for slash commands, form submissions and
        option loads, false for button clicks and events.
        """
        if accepts_response_payload is None:
            accepts_response_payload = kind == SLASH_COMMANDS or payload.get("type") in _ANSWERED_IN_ACK
        envelope = Envelope(f"E{next(self._ids):04d}-{uuid.uuid4().hex[:12]}", kind, payload, accepts_response_payload)
        with self.changed:
            self.envelopes[envelope.envelope_id] = envelope
            link = self._current()
            if link is None or not self._deliver(link, envelope):
                envelope.waited = True
                self._waiting.append(envelope)
        return envelope

    def wait_ack(self, envelope: Envelope, timeout: float = 5.0) -> Ack:
        """Block until the app acknowledged `envelope`."""
        with self.changed:
            if not self.changed.wait_for(lambda: envelope.envelope_id in self.acks, timeout):
                where = "was never sent" if envelope.connection is None else f"went out on link {envelope.connection}"
                raise StandInTimeout(f"no ack for {envelope.type} envelope {envelope.envelope_id} ({where})")
            return self.acks[envelope.envelope_id]

    def request(self, kind: str, payload: dict[str, Any], timeout: float = 5.0) -> Ack:
        """`send` an envelope and wait for its ack."""
        return self.wait_ack(self.send(kind, payload), timeout)

    def refresh(self) -> int:
        """Ask the app to reconnect (`disconnect`, `refresh_requested`), as Slack does every few hours.

        Returns the number of the connection told to go; it takes no more envelopes.
        """
        with self.changed:
            link = self._current()
            if link is None:
                raise RuntimeError("no open connection to refresh")
            link.retiring = True
            disconnect = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "standin"}}
            link.socket.send(json.dumps(disconnect))
            return link.number

    def wait_connected(self, count: int = 1, timeout: float = 30.0) -> Link:
        """Block until the app's `count`-th connection was greeted; returns that connection."""
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.links) >= count, timeout):
                raise StandInTimeout(f"expected {count} Socket Mode connection(s), got {len(self.links)}")
            return self.links[count - 1]

    def wait_closed(self, number: int, timeout: float = 10.0) -> None:
        """Block until connection `number` is closed."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.links[number - 1].closed, timeout):
                raise StandInTimeout(f"Socket Mode connection {number} is still open")

    # -- the websocket side -------------------------------------------------------------------------------------------

    def _current(self) -> Link | None:
        """The newest connection that takes envelopes (the caller holds the lock)."""
        live = [link for link in self.links if not (link.retiring or link.closed)]
        return live[-1] if live else None

    def _deliver(self, link: Link, envelope: Envelope) -> bool:
        """Write an envelope on a connection (the caller holds the lock); False if the connection is gone."""
        try:
            link.socket.send(json.dumps(envelope.message()))
        except ConnectionClosed:
            link.closed = True
            return False
        envelope.connection = link.number
        return True

    def _admit(self, socket: ServerConnection, request: Request) -> Response | None:
        """Let in only a URL that was handed out and not used yet."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self.lock:
            if ticket not in self._tickets:
                return socket.respond(HTTPStatus.FORBIDDEN, "unknown or used ticket\n")
            self._tickets.discard(ticket)
        return None

    def _serve(self, socket: ServerConnection) -> None:
        """One connection: greet it, hand it what waited for a connection, then take its acks until it closes."""
        with self.changed:
            link = Link(len(self.links) + 1, socket)
            self.links.append(link)
            hello = {
                "type": "hello",
                "num_connections": sum(not other.closed for other in self.links),
                "debug_info": {"host": "standin", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
            socket.send(json.dumps(hello))
            waiting, self._waiting = self._waiting, []
            for envelope in waiting:
                if not self._deliver(link, envelope):
                    self._waiting.append(envelope)
            self.changed.notify_all()
        try:
            for message in socket:
                self._receive(link, message)
        except ConnectionClosed:
            pass  # the app dropped the connection without a close frame, as Slack's SDK does on a refresh
        finally:
            with self.changed:
                link.closed = True
                self.changed.notify_all()

    def _receive(self, link: Link, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            data = None
        envelope_id = data.get("envelope_id") if isinstance(data, dict) else None
        with self.changed:
            envelope = self.envelopes.get(str(envelope_id))
            if envelope is None or envelope.envelope_id in self.acks:
                self.strays.append(str(message))
                return
            seconds = time.monotonic() - envelope.sent
            self.acks[envelope.envelope_id] = Ack(envelope.envelope_id, data.get("payload"), link.number, seconds)
            self.changed.notify_all()

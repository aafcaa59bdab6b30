"""The real bot, served over HTTP, spoken to as Slack speaks to it, with a simulated clock.

`DemoBot` builds the real runtime (`bot.runtime.build`) on a fresh SQLite file, serves the real WSGI app
(`bot.app.WsgiApp`) on 127.0.0.1 port 0, and signs every request with a random signing secret exactly as Slack
does. Its Web API is the stand-in (`bot.slack.standin`). Each action returns the `Event`s it caused: what the person
did, the app's HTTP answer (a slash command's answer *is* the reply the rep sees), and every Web API call the bot
made meanwhile. `sweep` runs the real scheduler job (`bot.scheduler.run_due`) at the simulated instant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.fernet import Fernet

from bot import runtime as runtime_module
from bot import scheduler
from bot.app import EVENTS_PATH, WsgiApp
from bot.config import Config
from bot.crm.standin import HubSpotStandIn
from bot.demo.observed import Event, Kind
from bot.demo.workspace import BOT_USER, TEAM, TEAM_DOMAIN, hubspot_account, workspace
from bot.outbox.sweep import SweepReport
from bot.slack.standin import Call, SlackStandIn, StandInTimeout, dm_channel
from bot.storage.database import Database
from bot.usecases import crm

# How long the bot may take to draw an App Home in the background (a chart is rendered on the first of the day).
HOME_WAIT = 20.0


class Clock:
    """The bot's clock: simulated time that the demo sets and advances. Nothing sleeps for time to pass."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, now: dt.datetime) -> dt.datetime:
        """Move to `now` (never backwards)."""
        now = now.astimezone(dt.UTC)
        if now < self.now:
            raise ValueError(f"the demo clock can't go back from {self.now} to {now}")
        self.now = now
        return now


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature: HMAC-SHA256 of "v0:{ts}:{body}" with the signing secret."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def slack_escape(text: str) -> str:
    """Slack escapes &, < and > in the text of a slash command."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class DemoError(Exception):
    """The demo could not do a step (e.g. a message to click on never arrived)."""


class DemoBot:
    """The real app over HTTP against the stand-in, on a fresh database, driven by a simulated clock."""

    def __init__(self, database_url: str, start: dt.datetime) -> None:
        self.clock = Clock(start)
        self.token = "xoxb-demo-" + secrets.token_hex(12)
        self.secret = secrets.token_hex(16)
        self.slack = SlackStandIn(workspace(self.token), clock=self.clock).start()
        hubspot_token = "pat-eu1-demo-" + secrets.token_hex(8)
        self.hubspot = HubSpotStandIn({hubspot_token}, clock=self.clock).start()
        self.owners = hubspot_account(self.hubspot.portal)
        self.config = Config(
            bot_token=self.token,
            signing_secret=self.secret,
            app_token=None,
            slack_api_url=self.slack.api_url,
            database_url=database_url,
            port=0,
            hubspot_api_url=self.hubspot.api_url,
            hubspot_access_token=hubspot_token,
            secret_key=Fernet.generate_key().decode(),
        )
        db = Database(database_url)
        db.migrate()
        self.runtime = runtime_module.build(self.config, clock=self.clock, db=db)
        self.server = make_server("127.0.0.1", 0, WsgiApp(self.runtime), _ThreadingServer, _QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="demo-app", daemon=True)
        self.thread.start()
        self.events: list[Event] = []
        self.refused: list[str] = []  # Web API calls the stand-in refused: the bot asked for something wrong
        self._seq = itertools.count()
        self._event_ids = itertools.count(1)
        self.transcriber = Transcriber(self.slack, self._event, self.refused)

    def close(self) -> None:
        """Stop both servers and release the runtime."""
        self.server.shutdown()
        self.server.server_close()
        self.runtime.close()
        self.slack.stop()
        self.hubspot.stop()

    # -- speaking as Slack ---------------------------------------------------------------------------------------

    def _post(self, body: str, ctype: str) -> tuple[int, str]:
        request = urllib.request.Request(
            self.url + EVENTS_PATH,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": ctype, **sign(self.secret, body)},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def slash(self, user: str, command: str, text: str = "", channel: str | None = None) -> list[Event]:
        """`user` types `command text` in `channel` (default: their DM with the bot); returns what followed."""
        channel = channel or dm_channel(user)
        at = self.clock()
        typed = f"{command} {text}".strip()
        events = [self._event(at, Kind.COMMAND, user, channel, actor=user, label=typed)]
        body = urllib.parse.urlencode(
            {
                "token": "unused",
                "team_id": TEAM,
                "team_domain": TEAM_DOMAIN,
                "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "sales",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": slack_escape(text),
                "api_app_id": "A0COACH",
                "is_enterprise_install": "false",
                "response_url": self.slack.response_url(user, channel),
                "trigger_id": f"{int(time.time())}.{next(self._event_ids)}.{secrets.token_hex(4)}",
            }
        )
        status, answer = self._post(body, "application/x-www-form-urlencoded")
        if status != 200:
            raise DemoError(f"{command} by {user} answered HTTP {status}: {answer[:200]}")
        events += self.transcriber.collect()
        if answer.strip():
            reply = json.loads(answer)
            self.slack.review(f"the answer to {command}", reply)  # Slack shows it: its mrkdwn must render
            kind = Kind.POST if reply.get("response_type") == "in_channel" else Kind.EPHEMERAL
            viewer = channel if kind == Kind.POST else user
            events.append(self._event(at, kind, viewer, channel, payload=reply))
        return events

    def click(self, user: str, message: Event, label: str) -> list[Event]:
        """`user` clicks the button labelled `label` on `message` (a DM or their App Home)."""
        button = find_button(message, label)
        if button is None:
            raise DemoError(f"no button {label!r} on the message to {user} at {message.local:%a %H:%M}")
        at = self.clock()
        on_home = message.kind == Kind.HOME
        confirmed = {"confirmed": True} if button.get("confirm") else {}  # Slack asked "are you sure?" first
        events = [
            self._event(
                at, Kind.CLICK, user, message.channel, actor=user, ts=message.ts, label=label, payload=confirmed
            )
        ]
        container: dict[str, Any]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": TEAM_DOMAIN},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "api_app_id": "A0COACH",
            "token": "unused",
            "trigger_id": f"{int(time.time())}.{next(self._event_ids)}.{secrets.token_hex(4)}",
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": button.get("_block_id", ""),
                    **(
                        {"type": "static_select", "selected_option": button["_option"]}
                        if "_option" in button
                        else {"type": "button", "value": button.get("value", ""), "text": button["text"]}
                    ),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if on_home:
            container = {"type": "view", "view_id": "V0HOME"}
            payload["view"] = {"id": "V0HOME", "type": "home", "blocks": message.blocks}
        else:
            container = {"type": "message", "message_ts": message.ts, "channel_id": message.channel}
            payload["channel"] = {"id": message.channel, "name": "directmessage"}
            payload["message"] = {"type": "message", "ts": message.ts, **message.payload}
            payload["response_url"] = self.slack.response_url(user, message.channel, message.ts)
        payload["container"] = container
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        status, answer = self._post(body, "application/x-www-form-urlencoded")
        if status != 200:
            raise DemoError(f"clicking {label!r} answered HTTP {status}: {answer[:200]}")
        return events + self.transcriber.collect()

    def open_home(self, user: str) -> list[Event]:
        """`user` opens the bot's App Home tab (Slack sends `app_home_opened`)."""
        at = self.clock()
        events = [self._event(at, Kind.OPEN_HOME, user, "home", actor=user, label="opened the App Home")]
        body = json.dumps(
            {
                "token": "unused",
                "team_id": TEAM,
                "api_app_id": "A0COACH",
                "event": {"type": "app_home_opened", "user": user, "channel": dm_channel(user), "tab": "home"},
                "type": "event_callback",
                "event_id": f"Ev{next(self._event_ids):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            }
        )
        status, answer = self._post(body, "application/json")
        if status != 200:
            raise DemoError(f"app_home_opened answered HTTP {status}: {answer[:200]}")
        # The bot answers the event at once and draws the Home in the background: wait for it to arrive.
        try:
            self.slack.wait_for(
                "views.publish",
                since=self.transcriber.mark,
                timeout=HOME_WAIT,
                where=lambda c: c.params.get("user_id") == user,
            )
        except StandInTimeout as err:
            raise DemoError(f"no App Home was published for {user} within {HOME_WAIT:.0f} s") from err
        return events + self.transcriber.collect()

    def sync_crm(self, now: dt.datetime) -> str:
        """The clock's HubSpot job, once, at `now`: what it did."""
        self.clock.set(now)
        reports = crm.sync_all(self.runtime)
        self.transcriber.collect()
        return "; ".join(str(report) for report in reports.values()) or "HubSpot not connected"

    def sweep(self, now: dt.datetime) -> tuple[SweepReport, list[Event]]:
        """The scheduler's sweep job, once, at `now` (the clock moves there first)."""
        self.clock.set(now)
        report = scheduler.run_due(self.runtime, now)
        return report, self.transcriber.collect()

    # -- turning Web API calls into events --------------------------------------------------------------------------

    def _event(self, at: dt.datetime, kind: str, viewer: str, channel: str, **fields: Any) -> Event:
        event = Event(next(self._seq), at, kind, viewer, channel, **fields)
        self.events.append(event)
        return event


class Transcriber:
    """Turns the stand-in's record into what people saw: a DM, a post, an update, a Home, a file."""

    def __init__(self, slack: SlackStandIn, event: Callable[..., Event], refused: list[str]) -> None:
        self.slack = slack
        self.event = event  # makes an Event and adds it to the demo's record
        self.refused = refused
        self.mark = 0  # how far into the stand-in's record it has read
        self._lock = threading.Lock()

    def collect(self) -> list[Event]:
        """The events in what the stand-in recorded since the last collect; refused calls go to `refused`."""
        with self._lock:
            calls = self.slack.since(self.mark)
            self.mark += len(calls)
        events = []
        for call in calls:
            if not call.ok:
                self.refused.append(
                    f"{call.method} refused with {call.answer.get('error')!r} at {call.at:%a %H:%M} UTC"
                )
                continue
            event = self._from_call(call)
            if event is not None:
                events.append(event)
        return events

    def _from_call(self, call: Call) -> Event | None:
        p = call.params
        dm_user = self.slack.workspace.dm_user
        if call.method == "chat.postMessage":
            channel = str(p["channel"])
            user = dm_user(channel)
            kind, viewer = (Kind.DM, user) if user else (Kind.POST, channel)
            return self.event(call.at, kind, viewer, channel, payload=_message(p), ts=call.answer.get("ts"))
        if call.method == "chat.update":
            channel = str(p["channel"])
            return self.event(
                call.at, Kind.UPDATE, dm_user(channel) or channel, channel, payload=_message(p), ts=p["ts"]
            )
        if call.method == "chat.postEphemeral":
            return self.event(call.at, Kind.EPHEMERAL, str(p["user"]), str(p["channel"]), payload=_message(p))
        if call.method == "response_url":
            target = self.slack.response_target(str(p.get("_url")))
            if target is None:
                self.refused.append(f"a post to an unknown response_url at {call.at:%a %H:%M} UTC")
                return None
            message = _message(p)
            if str(p.get("replace_original")).lower() == "true" and target.message_ts:
                return self.event(
                    call.at, Kind.UPDATE, target.user, target.channel, payload=message, ts=target.message_ts
                )
            if p.get("response_type") == "in_channel":
                return self.event(call.at, Kind.POST, target.channel, target.channel, payload=message)
            return self.event(call.at, Kind.EPHEMERAL, target.user, target.channel, payload=message)
        if call.method == "views.publish":
            return self.event(call.at, Kind.HOME, str(p["user_id"]), "home", payload={"view": _json(p["view"])})
        # views.open and views.update: the week's script opens no forms (a bare `/call` would).
        if call.method == "files.completeUploadExternal" and p.get("channel_id"):
            channel = str(p["channel_id"])
            files = _json(p.get("files") or "[]")
            payload = {"text": p.get("initial_comment") or "", "files": files}
            return self.event(call.at, Kind.FILE, dm_user(channel) or channel, channel, payload=payload)
        return None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _message(params: dict[str, Any]) -> dict[str, Any]:
    """The visible part of a message: its text and blocks."""
    message = {"text": params.get("text") or ""}
    if params.get("blocks"):
        message["blocks"] = _json(params["blocks"])
    return message


def find_button(message: Event, label: str) -> dict[str, Any] | None:
    """The button labelled `label` on a message or view, with the id of its block."""
    for block in message.blocks:
        elements = block.get("elements") or []
        accessory = block.get("accessory")
        for element in [*elements, *([accessory] if accessory else [])]:
            if element.get("type") == "button" and element.get("text", {}).get("text") == label:
                return {**element, "_block_id": block.get("block_id", "")}
            # A menu's option is chosen as a button is clicked: the demo names the option.
            for option in element.get("options") or ():
                if element.get("type") == "static_select" and option["text"]["text"] == label:
                    return {**element, "_block_id": block.get("block_id", ""), "_option": option}
    return None

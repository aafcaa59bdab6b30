"""A local Slack stand-in: a real HTTP server on 127.0.0.1 that answers the Web API methods the bot uses.

It plays one small workspace (`TEAM`: two reps and a manager, `USERS`), checks the bot's token, and records every
call it receives (method, parameters, the simulated moment and the wall-clock moment) so the demo can show and
check what the bot said. It also serves the URLs Slack hands out: `response_url`s (a button's answer replaces the
message it was clicked on) and file upload URLs (the body is the file's raw bytes).

A method it doesn't know answers `unknown_method`, as Slack does, and is recorded, so the demo notices.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEAM = "T0DEMO"
TEAM_DOMAIN = "salescoach-demo"
BOT_USER = "U0COACH"

USERS: dict[str, dict[str, Any]] = {
    "U0ANOUK": {
        "name": "anouk",
        "real_name": "Anouk de Vries",
        "tz": "Europe/Amsterdam",
        "locale": "nl-NL",
        "is_admin": False,
    },
    "U0SAM": {"name": "sam", "real_name": "Sam Carter", "tz": "Europe/London", "locale": "en-GB", "is_admin": False},
    "U0PETRA": {
        "name": "petra",
        "real_name": "Petra Jansen",
        "tz": "Europe/Amsterdam",
        "locale": "nl-NL",
        "is_admin": True,
    },
}
CHANNELS = {"C0SALES": "sales"}

METHODS = frozenset(
    {
        "auth.test",
        "users.info",
        "conversations.open",
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "views.open",
        "views.publish",
        "views.update",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    }
)


def dm_channel(user_id: str) -> str:
    """The id of the bot's DM with a user (what conversations.open answers)."""
    return "D" + user_id[1:]


def dm_user(channel: str) -> str | None:
    """The user a DM channel id belongs to, or None for a channel."""
    user = "U" + channel[1:]
    return user if channel.startswith("D") and user in USERS else None


@dataclass
class Call:
    """One request the bot made to the stand-in."""

    seq: int
    method: str
    params: dict[str, Any]
    at: dt.datetime  # the simulated moment
    wall: float = field(default_factory=time.time)
    ok: bool = True
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResponseUrl:
    """A `response_url` handed out with a slash command or a click: where its answer goes."""

    user: str
    channel: str
    message_ts: str | None  # the message a click was on; None for a slash command


class SlackStandIn:
    """`start()` it, point the bot's SLACK_API_URL at `api_url`, read `calls` (or `since(mark)`) afterwards."""

    def __init__(self, token: str, clock: Callable[[], dt.datetime]) -> None:
        self.token = token
        self.clock = clock
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.file_titles: dict[str, str] = {}
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._response_urls: dict[str, ResponseUrl] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="slack-standin", daemon=True)

    @property
    def base_url(self) -> str:
        """The server's root URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL is set to."""
        return f"{self.base_url}/api/"

    def start(self) -> SlackStandIn:
        """Serve in a daemon thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    # -- for the demo -------------------------------------------------------------------------------------------

    def response_url(self, user: str, channel: str, message_ts: str | None = None) -> str:
        """A fresh response_url for a command or a click by `user` in `channel` (on `message_ts`)."""
        key = f"R{next(self._ids):05d}"
        with self.lock:
            self._response_urls[key] = ResponseUrl(user, channel, message_ts)
        return f"{self.base_url}/response/{key}"

    def response_target(self, url: str) -> ResponseUrl | None:
        """What a response_url was handed out for."""
        with self.lock:
            return self._response_urls.get(url.rsplit("/", 1)[-1])

    def mark(self) -> int:
        """A position in the record, for `since`."""
        with self.lock:
            return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        """The calls recorded after `mark`, in the order they arrived."""
        with self.lock:
            return list(self.calls[mark:])

    # -- answers ------------------------------------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any], token: str) -> dict[str, Any]:
        ts = f"{int(self.clock().timestamp())}.{next(self._ts):06d}"
        if method == "response_url":
            return {"ok": True}
        if method == "file_upload":
            return {"ok": True}
        if method not in METHODS:
            return {"ok": False, "error": "unknown_method"}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": f"https://{TEAM_DOMAIN}.slack.com/",
                "team": "Sales Coach demo",
                "team_id": TEAM,
                "user": "salescoach",
                "user_id": BOT_USER,
                "bot_id": "B0COACH",
            }
        if method == "users.info":
            uid = str(params.get("user"))
            user = USERS.get(uid)
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": uid, "team_id": TEAM, "is_bot": False, "deleted": False, **user}}
        if method == "conversations.open":
            user = str(params.get("users", "")).split(",")[0]
            if user not in USERS:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "channel": {"id": dm_channel(user)}}
        if method in ("chat.postMessage", "chat.update"):
            channel = str(params.get("channel") or "")
            if channel not in CHANNELS and dm_user(channel) is None:
                return {"ok": False, "error": "channel_not_found"}
            if not (params.get("text") or params.get("blocks")):
                return {"ok": False, "error": "no_text"}
            return {"ok": True, "channel": channel, "ts": params.get("ts") or ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method.startswith("views."):
            return {"ok": True, "view": {"id": f"V{next(self._ids):08d}"}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        # files.completeUploadExternal
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        done = []
        for item in files:
            file_id = str(item.get("id"))
            if file_id not in self.files:
                return {"ok": False, "error": "file_not_found"}
            self.file_titles[file_id] = str(item.get("title") or "")
            done.append({"id": file_id, "title": item.get("title", ""), "mimetype": "image/png"})
        return {"ok": True, "files": done}

    def _record(self, method: str, params: dict[str, Any], token: str) -> dict[str, Any]:
        with self.lock:
            if method == "file_upload":
                self.files[str(params["file_id"])] = params["bytes"]
            answer = self._answer(method, params, token)
            call = Call(len(self.calls), method, params, self.clock(), ok=bool(answer.get("ok")), answer=answer)
            self.calls.append(call)
            return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urllib.parse.urlparse(self.path).path
                ctype = self.headers.get("Content-Type", "")
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                params: dict[str, Any]
                if path.startswith("/upload/"):
                    # The upload URL takes the file's bytes as they are, whatever the Content-Type says.
                    method, params = "file_upload", {"bytes": raw, "file_id": path.rsplit("/", 1)[-1]}
                else:
                    if "json" in ctype:
                        params = json.loads(raw or b"{}")
                    else:
                        params = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                    if path.startswith("/response/"):
                        method = "response_url"
                        params["_url"] = standin.base_url + path
                    else:
                        method = path.rsplit("/", 1)[-1]
                answer = standin._record(method, params, token)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        return Handler

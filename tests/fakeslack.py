"""A fake Slack for tests: a real HTTP server on port 0 that answers the Web API methods the bot uses.

It records every call (method, parameters, token), answers `response_url` posts, and can be told to fail a
method with 429 (and a Retry-After) or a 5xx a number of times. Users come from `USERS`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEAM = "T0TEAM001"
OTHER_TEAM = "T0TEAM002"

USERS: dict[str, dict[str, Any]] = {
    "U0ANOUK": {"name": "anouk", "real_name": "Anouk de Vries", "tz": "Europe/Amsterdam", "locale": "nl-NL"},
    "U0SAM": {"name": "sam", "real_name": "Sam Carter", "tz": "Europe/London", "locale": "en-GB"},
    "U0JORDAN": {"name": "jordan", "real_name": "Jordan Lee", "tz": "America/New_York", "locale": "en-US"},
    "U0PETRA": {
        "name": "petra",
        "real_name": "Petra Jansen",
        "tz": "Europe/Amsterdam",
        "locale": "nl-NL",
        "is_admin": True,
    },
}


@dataclass
class Call:
    """One request the bot made to the fake."""

    method: str
    params: dict[str, Any]
    token: str
    at: float = field(default_factory=time.time)


class FakeSlack:
    """Start with `start()`, point SLACK_API_URL at `api_url`, read `calls` afterwards."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, list[tuple[int, int]]] = {}
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._ts = itertools.count(1)
        self._response_ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{next(self._response_ids)}"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.failures.clear()

    # -- control and inspection

    def fail(self, method: str, status: int, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP `status` (429 carries Retry-After)."""
        with self.lock:
            self.failures.setdefault(method, []).extend([(status, retry_after)] * times)

    def of(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def mark(self) -> int:
        with self.lock:
            return len(self.calls)

    def since(self, mark: int, method: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls[mark:] if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, since: int = 0, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls of `method` arrived after `since` (work the bot does after its ack)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [c for c in self.calls[since:] if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} {method} call(s), got {len(found)}")
                self.changed.wait(left)

    # -- answers

    def _record(self, method: str, params: dict[str, Any], token: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.changed:
            self.calls.append(Call(method, params, token))
            self.changed.notify_all()
            pending = self.failures.get(method)
            if pending:
                status, retry_after = pending.pop(0)
                if status == 429:
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
                return status, {"ok": False, "error": "fatal_error"}, {}
        return 200, self._body(method, params), {}

    def _body(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method in ("chat.postMessage", "chat.update"):
            return {"ok": True, "channel": p.get("channel"), "ts": ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "conversations.open":
            user = str(p.get("users", "U0")).split(",")[0]
            return {"ok": True, "channel": {"id": "D" + user[1:]}}
        if method == "users.info":
            uid = str(p.get("user"))
            user = USERS.get(uid, {"name": uid.lower(), "real_name": uid, "tz": "Europe/Amsterdam", "locale": "en-US"})
            return {
                "ok": True,
                "user": {
                    "id": uid,
                    "team_id": TEAM,
                    "is_bot": False,
                    "deleted": False,
                    "is_admin": user.get("is_admin", False),
                    **user,
                },
            }
        if method.startswith("views."):
            return {"ok": True, "view": {"id": "V" + ts.replace(".", "")}}
        if method == "files.getUploadURLExternal":
            file_id = "F" + ts.replace(".", "")
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}
        if method == "file_upload":
            return {"ok": True}
        if method == "files.completeUploadExternal":
            files = p.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title", "")} for f in files]}
        if method == "auth.test":
            return {"ok": True, "team_id": TEAM, "user_id": "U0BOT", "bot_id": "B0BOT"}
        return {"ok": True}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urllib.parse.urlparse(self.path).path
                ctype = self.headers.get("Content-Type", "")
                if path.startswith("/upload/"):
                    params = {"bytes": raw, "file_id": path.rsplit("/", 1)[-1]}
                elif "json" in ctype:
                    params = json.loads(raw or b"{}")
                else:
                    params = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if path.startswith("/upload/"):
                    method = "file_upload"
                elif path.startswith("/response/"):
                    method = "response_url"
                else:
                    method = path.rsplit("/", 1)[-1]
                if method == "response_url":
                    params["_url"] = path
                status, body, headers = fake._record(method, params, token)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        return Handler


def texts(obj: Any) -> str:
    """Every human-readable string in a message payload, flattened (mrkdwn escapes undone)."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped[:1] in "[{":
                try:
                    walk(json.loads(stripped))
                    return
                except ValueError:
                    pass
            out.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in (
                    "text",
                    "blocks",
                    "elements",
                    "fields",
                    "title",
                    "view",
                    "label",
                    "options",
                    "hint",
                    "submit",
                    "close",
                    "confirm",
                    "deny",
                    "placeholder",
                ) or isinstance(item, list | dict):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(obj)
    return "\n".join(out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

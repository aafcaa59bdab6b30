"""The stand-in itself: an HTTP server on 127.0.0.1, every request through `handle`, failures injected on demand."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.slack.standin.files import PROCESSING, Files, StoredFile
from bot.slack.standin.methods import Methods
from bot.slack.standin.oauth import AUTHORIZE_PATH, OAUTH_METHODS, Installs, OAuth, basic_credentials
from bot.slack.standin.recording import Call, Recorder, ResponseUrl, wall_clock
from bot.slack.standin.rules import (
    COUNTS_PATH,
    FILE_UPLOAD,
    RATE_LIMIT,
    REQUIRED,
    RESPONSE_URL,
    Answer,
    Params,
    RateLimit,
    refusal,
)
from bot.slack.standin.workspace import Workspace

Reply = tuple[int, Answer, dict[str, str]]  # HTTP status, JSON body, extra headers


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A benchmark opens ~64 connections at once; the default backlog of 5 would refuse some of them.
    request_queue_size = 128


class SlackStandIn(Recorder, Methods, Files, OAuth):
    """`start()` it, point the bot's SLACK_API_URL at `api_url`, read `calls` (or `since(mark)`) afterwards.

    `workspace` is what it plays (default: an open workspace that lets anyone in), `clock` gives the moment of a
    call, of message timestamps, of file processing and of the rate limit's window (default: the wall clock; tests
    and the demo hand in theirs), and `record=False` keeps only a count per method. `rate_limit=None` switches
    chat.postMessage's rate limit off; `processing` is how long an uploaded file takes to be ready.

    Workspaces may also install an app through OAuth (`bot.slack.standin.oauth`): each call is then answered in
    the workspace its token was issued for, which `workspace` is while the call is handled.
    """

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        clock: Callable[[], dt.datetime] = wall_clock,
        record: bool = True,
        rate_limit: RateLimit | None = RATE_LIMIT,
        processing: dt.timedelta = PROCESSING,
    ) -> None:
        self._local = threading.local()
        self._primary = workspace or Workspace()
        self.installs = Installs()
        self.clock = clock
        self.recording = record
        self.rate_limit = rate_limit
        self.processing = processing
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.file_titles: dict[str, str] = {}
        self.uploads: dict[str, StoredFile] = {}
        self.findings: list[str] = []  # mrkdwn Slack would render wrongly, and blocks it would refuse in `review`
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self._counts: Counter[str] = Counter()
        self._failures: dict[str, list[Reply]] = {}
        self._delays: dict[str, tuple[float, int | None]] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        # Set by a Socket Mode stand-in (bot.slack.standin_socket): a fresh ws:// URL for apps.connections.open.
        self.socket_mode_url: Callable[[], str] | None = None
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._buckets: dict[str, tuple[float, dt.datetime]] = {}  # channel -> (messages it takes now, as of when)
        self._handlers: dict[str, Callable[[Params], Answer]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.postEphemeral": self._post_ephemeral,
            "views.open": self._view,
            "views.publish": self._view,
            "views.update": self._view,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.info": self._file_info,
            "apps.connections.open": self._connections_open,
            "oauth.v2.access": self._oauth_access,
            "oauth.v2.exchange": self._oauth_exchange,
            "auth.revoke": self._auth_revoke,
            RESPONSE_URL: self._respond,
            FILE_UPLOAD: self._receive_file,
        }
        self.server = _Server(("127.0.0.1", 0), self._http_handler())
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"  # the server's root
        self.api_url = f"{self.base_url}/api/"  # what SLACK_API_URL is set to
        # A short poll interval: stop() waits for the serving loop to notice, and tests stop stand-ins often.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )

    @property
    def workspace(self) -> Workspace:
        """The workspace the call in hand is answered in (the token's), else the stand-in's own."""
        return getattr(self._local, "workspace", None) or self._primary

    @workspace.setter
    def workspace(self, workspace: Workspace) -> None:
        self._primary = workspace

    def start(self) -> SlackStandIn:
        """Serve in a daemon thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, status: int, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP `status`: 429 (with Retry-After) or a 5xx."""
        if status == 429:
            reply: Reply = (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        elif 500 <= status < 600:
            reply = (status, {"ok": False, "error": "fatal_error"}, {})
        else:
            raise ValueError(f"Slack fails a call with 429 or a 5xx, not {status}")
        with self.lock:
            self._failures.setdefault(method, []).extend([reply] * times)

    def delay(self, method: str, seconds: float, times: int | None = None) -> None:
        """The next `times` calls of `method` (every one while None) are answered `seconds` late."""
        with self.lock:
            self._delays[method] = (seconds, times)

    def reset(self) -> None:
        """Forget the record, the findings, the rate limit's count and any failures or delays still to come.

        Uploaded files stay, as in Slack.
        """
        with self.lock:
            self.calls.clear()
            self._counts.clear()
            self._failures.clear()
            self._delays.clear()
            self._buckets.clear()
            self.findings.clear()

    def handle(self, method: str, params: Params, token: str) -> Reply:
        """Answer one request, as every request comes in: injected trouble first, then Slack's answer, then record.

        What Slack accepted is read for mrkdwn that would render wrongly (`findings`).
        """
        failure, pause = self._trouble(method)
        if pause:
            time.sleep(pause)  # in the server's thread: only this request is slow
        try:
            status, answer, headers = failure or self._answer(method, params, token)
        finally:
            self._local.workspace = None
        if status == 200 and answer.get("ok"):
            self._read_mrkdwn(method, params)
        with self.changed:
            self._counts[method] += 1
            if self.recording:
                ok = status == 200 and bool(answer.get("ok"))
                self.calls.append(Call(len(self.calls), method, params, token, self.clock(), ok=ok, answer=answer))
                self.changed.notify_all()
        return status, answer, headers

    def _trouble(self, method: str) -> tuple[Reply | None, float]:
        """The failure and the delay injected for this call of `method`, used up as they are taken."""
        with self.lock:
            pending = self._failures.get(method)
            failure = pending.pop(0) if pending else None
            seconds, times = self._delays.get(method, (0.0, None))
            if times is not None:
                if times <= 1:
                    del self._delays[method]
                else:
                    self._delays[method] = (seconds, times - 1)
        return failure, seconds

    def _answer(self, method: str, params: Params, token: str) -> Reply:
        """What Slack answers a request that got through.

        An unknown method, a refused token, a missing argument, the rate limit, or else the method's answer (which
        checks the rest: blocks, views, files).
        """
        if method not in self._handlers:
            return 200, refusal("unknown_method"), {}
        # The URLs Slack hands out carry their authority in the URL itself, not in a token; OAuth's methods
        # authenticate the app by its client id and secret.
        if method not in (RESPONSE_URL, FILE_UPLOAD, *OAUTH_METHODS):
            workspace, error = self.token_workspace(token)
            if workspace is None:
                return 200, refusal(error or "invalid_auth"), {}
            self._local.workspace = workspace
        if method in ("auth.revoke", "oauth.v2.exchange"):  # the token the call is about comes as its bearer
            params = {**params, "_token": token}
        for names, error in REQUIRED.get(method, ()):
            if not any(params.get(name) not in (None, "") for name in names):
                # Slack says what is missing only with invalid_arguments; a method's own code says it all.
                why = [f"missing required field: {' or '.join(names)}"] if error == "invalid_arguments" else []
                return 200, refusal(error, *why), {}
        if method == "chat.postMessage":
            wait = self._throttle(str(params["channel"]))
            if wait:
                return 429, refusal("ratelimited"), {"Retry-After": str(wait)}
        return 200, self._body(method, params), {}

    def _body(self, method: str, params: Params) -> Answer:
        """The method's own answer (a test may wrap this to make Slack refuse or dawdle)."""
        return self._handlers[method](params)

    def _request(self, path: str, query: str, content_type: str, raw: bytes) -> tuple[str, Params]:
        """Which method (or URL kind) a request is for, and its parameters."""
        if path.startswith("/upload/"):
            # The upload URL takes the file's bytes as they are, whatever the Content-Type says.
            return FILE_UPLOAD, {"bytes": raw, "file_id": path.rsplit("/", 1)[-1]}
        params: Params
        if "json" in content_type:
            params = json.loads(raw or b"{}")
        else:
            params = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode() or query).items()}
        if path.startswith("/response/"):
            params["_url"] = self.base_url + path
            return RESPONSE_URL, params
        return path.rsplit("/", 1)[-1], params

    def _http_handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urllib.parse.urlparse(self.path)
                if url.path == COUNTS_PATH:
                    self._send(200, {"ok": True, "counts": dict(standin.counts)}, {})
                    return
                if url.path == AUTHORIZE_PATH:
                    self._redirect(*standin.authorize_redirect(url.query))
                    return
                method, params = standin._request(url.path, url.query, self.headers.get("Content-Type", ""), raw)
                authorization = self.headers.get("Authorization", "")
                # oauth.v2.access takes the app's credentials by HTTP Basic auth (slack_sdk sends them so).
                params = {**basic_credentials(authorization), **params}
                token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else ""
                self._send(*standin.handle(method, params, token))

            do_GET = do_POST

            def _redirect(self, status: int, where: str) -> None:
                """Slack's authorize page: a redirect back to the app, or an error page that names the error."""
                body = b"" if status == 302 else f"<html><body><p>{where}</p></body></html>".encode()
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", where)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _send(self, status: int, answer: Answer, headers: dict[str, str]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

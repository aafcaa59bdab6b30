"""A local Slack stand-in: a real HTTP server on 127.0.0.1 that answers the Web API methods the bot uses.

One stand-in serves the tests, the demo and the benchmarks. It plays a `Workspace` (the team, its people and
channels, the tokens it lets in), answers each Web API method from one small handler per method (`unknown_method`
for any other, as Slack does), and serves the URLs Slack hands out: `response_url`s (where a command's or a
click's answer goes) and file upload URLs (the body is the file's raw bytes, kept in `files`).

It records every request (method, parameters, token, the clock's moment, the wall-clock moment, the answer) for
`mark`/`since`/`of`/`wait_for`; with `record=False` it keeps only a count per method, for benchmarks that make
tens of thousands of calls. `fail` makes a method answer 429 (with Retry-After) or a 5xx; `delay` makes it slow.

In a process of its own (benchmarks, so that it has its own CPU):

    python -m bot.slack.standin [--token T ...] [--count-only]

prints its port number alone on the first line of stdout and serves until SIGTERM (exit 0). A workspace with no
people of its own: any user has a default profile and any channel exists; without --token any token is let in.

Besides Slack's URLs it answers one control path, not a Slack method and never counted:
`POST {base_url}/_standin/counts` answers `{"ok": true, "counts": {method: n}}`.

Socket Mode is served beside it by `bot.slack.standin_socket`, which answers `apps.connections.open` here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import signal
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

# Not Web API methods: the URLs Slack hands out, recorded under these names.
RESPONSE_URL = "response_url"
FILE_UPLOAD = "file_upload"
COUNTS_PATH = "/_standin/counts"

Params = dict[str, Any]
Answer = dict[str, Any]
Reply = tuple[int, Answer, dict[str, str]]  # HTTP status, JSON body, extra headers

# What the stand-in does when asked about a user its workspace doesn't list.
UnknownUsers = Literal["default_profile", "user_not_found"]


def dm_channel(user_id: str) -> str:
    """The id of the bot's DM with a user (what conversations.open answers)."""
    return "D" + user_id[1:]


def default_profile(user_id: str) -> dict[str, Any]:
    """The profile an open workspace gives a user it doesn't list."""
    return {"name": user_id.lower(), "real_name": user_id, "tz": "Europe/Amsterdam", "locale": "en-US"}


def wall_clock() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Workspace:
    """The Slack workspace the stand-in plays: who and what exists in it, and which bot tokens it lets in.

    `channels=None` means every channel exists; `tokens=None` lets in any token. `unknown_users` says what
    users.info and conversations.open answer for a user not in `users`: a default profile (an open workspace, as
    the tests and benchmarks want) or `user_not_found` (a closed one, as the demo wants).
    """

    team_id: str = "T0STANDIN"
    team_domain: str = "standin"
    team_name: str = "Slack stand-in"
    users: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    channels: Mapping[str, str] | None = None  # channel id -> name
    tokens: frozenset[str] | None = None
    unknown_users: UnknownUsers = "default_profile"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    bot_name: str = "salescoach"

    def profile(self, user_id: str) -> dict[str, Any] | None:
        """A user's profile fields, or None when the user doesn't exist here."""
        listed = self.users.get(user_id)
        if listed is not None:
            return dict(listed)
        return default_profile(user_id) if self.unknown_users == "default_profile" else None

    def dm_user(self, channel: str) -> str | None:
        """The user a DM channel id belongs to, or None for any other channel."""
        user = "U" + channel[1:]
        return user if channel.startswith("D") and self.profile(user) is not None else None

    def has_channel(self, channel: str) -> bool:
        """Whether the bot can post to `channel`: one of the workspace's channels or a DM with one of its users."""
        if self.channels is None:
            return bool(channel)
        return channel in self.channels or self.dm_user(channel) is not None

    def accepts(self, token: str) -> bool:
        """Whether a request with this bot token is let in."""
        return self.tokens is None or token in self.tokens


@dataclass
class Call:
    """One request the bot made to the stand-in, and what it was answered."""

    seq: int
    method: str
    params: Params
    token: str
    at: dt.datetime  # the stand-in's clock (simulated in the demo)
    wall: float = field(default_factory=time.time)
    ok: bool = True
    answer: Answer = field(default_factory=dict)


@dataclass(frozen=True)
class ResponseUrl:
    """A `response_url` handed out with a slash command or a click: where its answer goes."""

    user: str
    channel: str
    message_ts: str | None  # the message a click was on; None for a slash command


class StandInTimeout(AssertionError):
    """The calls `wait_for` waited for did not arrive in time (an AssertionError, so a test reads as failed)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A benchmark opens ~64 connections at once; the default backlog of 5 would refuse some of them.
    request_queue_size = 128


class SlackStandIn:
    """`start()` it, point the bot's SLACK_API_URL at `api_url`, read `calls` (or `since(mark)`) afterwards.

    `workspace` is what it plays (default: an open workspace that lets anyone in), `clock` gives the moment of a
    call and of message timestamps (default: the wall clock), and `record=False` keeps only a count per method.
    """

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        clock: Callable[[], dt.datetime] = wall_clock,
        record: bool = True,
    ) -> None:
        self.workspace = workspace or Workspace()
        self.clock = clock
        self.recording = record
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.file_titles: dict[str, str] = {}
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
            "apps.connections.open": self._connections_open,
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

    def start(self) -> SlackStandIn:
        """Serve in a daemon thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    # -- control ----------------------------------------------------------------------------------------------------

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
        """Forget the record and any failures or delays still to come (uploaded files stay, as in Slack)."""
        with self.lock:
            self.calls.clear()
            self._counts.clear()
            self._failures.clear()
            self._delays.clear()

    def response_url(self, user: str | None = None, channel: str | None = None, message_ts: str | None = None) -> str:
        """A fresh response_url for a command or a click by `user` in `channel` (default: their DM), on `message_ts`.

        Without `user` it is just somewhere to post; with one, `response_target` tells what it was handed out for.
        """
        key = f"R{next(self._ids):05d}"
        if user is not None:
            with self.lock:
                self._response_urls[key] = ResponseUrl(user, channel or dm_channel(user), message_ts)
        return f"{self.base_url}/response/{key}"

    def response_target(self, url: str) -> ResponseUrl | None:
        """What a response_url was handed out for (None: not one handed out to a user)."""
        with self.lock:
            return self._response_urls.get(url.rsplit("/", 1)[-1])

    # -- inspection -------------------------------------------------------------------------------------------------

    @property
    def counts(self) -> Counter[str]:
        """How many requests each method (or URL kind) received, failed ones included."""
        with self.lock:
            return Counter(self._counts)

    def mark(self) -> int:
        """A position in the record, for `since` and `wait_for`."""
        with self.lock:
            return len(self._recorded())

    def since(self, mark: int, method: str | None = None) -> list[Call]:
        """The calls (of `method`, or all) recorded after `mark`, in the order they were answered."""
        with self.lock:
            return [c for c in self._recorded()[mark:] if method is None or c.method == method]

    def of(self, method: str) -> list[Call]:
        """Every recorded call of `method`."""
        return self.since(0, method)

    def wait_for(
        self,
        method: str,
        count: int = 1,
        since: int = 0,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until `count` calls of `method` (matching `where`) arrived after `since`: work done after an ack."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [c for c in self._recorded()[since:] if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StandInTimeout(f"expected {count} {method} call(s), got {len(found)}")
                self.changed.wait(left)

    def _recorded(self) -> list[Call]:
        if not self.recording:
            raise RuntimeError("this stand-in counts calls only (record=False): read `counts`")
        return self.calls

    # -- answering --------------------------------------------------------------------------------------------------

    def handle(self, method: str, params: Params, token: str) -> Reply:
        """Answer one request, as every request comes in: injected trouble first, then Slack's answer, then record."""
        failure, pause = self._trouble(method)
        if pause:
            time.sleep(pause)  # in the server's thread: only this request is slow
        status, answer, headers = failure or (200, self._answer(method, params, token), {})
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

    def _answer(self, method: str, params: Params, token: str) -> Answer:
        """What Slack answers a request that got through: unknown method, refused token, or the method's answer."""
        if method not in self._handlers:
            return {"ok": False, "error": "unknown_method"}
        # The URLs Slack hands out carry their authority in the URL itself, not in a token.
        if method not in (RESPONSE_URL, FILE_UPLOAD) and not self.workspace.accepts(token):
            return {"ok": False, "error": "invalid_auth"}
        # A method's argument checks (Slack's invalid_arguments, invalid_blocks, ...) belong here, before its answer.
        return self._body(method, params)

    def _body(self, method: str, params: Params) -> Answer:
        """The method's own answer (a test may wrap this to make Slack refuse or dawdle)."""
        return self._handlers[method](params)

    def _message_ts(self) -> str:
        return f"{int(self.clock().timestamp())}.{next(self._ts):06d}"

    # -- one handler per method ---------------------------------------------------------------------------------------

    def _auth_test(self, params: Params) -> Answer:
        space = self.workspace
        return {
            "ok": True,
            "url": f"https://{space.team_domain}.slack.com/",
            "team": space.team_name,
            "team_id": space.team_id,
            "user": space.bot_name,
            "user_id": space.bot_user_id,
            "bot_id": space.bot_id,
        }

    def _users_info(self, params: Params) -> Answer:
        user_id = str(params.get("user"))
        profile = self.workspace.profile(user_id)
        if profile is None:
            return {"ok": False, "error": "user_not_found"}
        user = {"id": user_id, "team_id": self.workspace.team_id, "is_bot": False, "deleted": False, "is_admin": False}
        return {"ok": True, "user": {**user, **profile}}

    def _conversations_open(self, params: Params) -> Answer:
        user_id = str(params.get("users", "")).split(",")[0]
        if self.workspace.profile(user_id) is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": dm_channel(user_id)}}

    def _post_message(self, params: Params) -> Answer:
        return self._message(params, self._message_ts())

    def _update_message(self, params: Params) -> Answer:
        return self._message(params, str(params.get("ts") or self._message_ts()))

    def _message(self, params: Params, ts: str) -> Answer:
        channel = str(params.get("channel") or "")
        if not self.workspace.has_channel(channel):
            return {"ok": False, "error": "channel_not_found"}
        if not (params.get("text") or params.get("blocks")):
            return {"ok": False, "error": "no_text"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _post_ephemeral(self, params: Params) -> Answer:
        return {"ok": True, "message_ts": self._message_ts()}

    def _view(self, params: Params) -> Answer:
        return {"ok": True, "view": {"id": f"V{next(self._ids):08d}"}}

    def _upload_url(self, params: Params) -> Answer:
        file_id = f"F{next(self._ids):08d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _receive_file(self, params: Params) -> Answer:
        with self.lock:
            self.files[str(params["file_id"])] = params["bytes"]
        return {"ok": True}

    def _complete_upload(self, params: Params) -> Answer:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        done = []
        with self.lock:
            for item in files:
                file_id = str(item.get("id"))
                if file_id not in self.files:
                    return {"ok": False, "error": "file_not_found"}
                self.file_titles[file_id] = str(item.get("title") or "")
                done.append({"id": file_id, "title": item.get("title", ""), "mimetype": "image/png"})
        return {"ok": True, "files": done}

    def _respond(self, params: Params) -> Answer:
        return {"ok": True}

    def _connections_open(self, params: Params) -> Answer:
        # Without a Socket Mode stand-in no app-level token is valid here.
        if self.socket_mode_url is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode_url()}

    # -- HTTP ---------------------------------------------------------------------------------------------------------

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
                method, params = standin._request(url.path, url.query, self.headers.get("Content-Type", ""), raw)
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                self._send(*standin.handle(method, params, token))

            do_GET = do_POST

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


# The keys of a message, block or view whose strings a person reads, in it or in a dialog it opens.
READABLE = frozenset(
    {
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
    }
)


def texts(payload: Any, keys: Collection[str] = READABLE, *, nested: bool = True) -> str:
    """The human-readable strings of a message payload (or view, or blocks), flattened, with Slack's escapes undone.

    The strings under `keys` count, and with `nested` those under `keys` in any block, element or dialog deeper
    down, whatever key holds it (a button's confirm, a section's accessory); without, only what hangs from `keys`
    all the way down.
    """
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped[:1] in "[{":
                # Blocks and views travel as JSON strings in form-encoded calls.
                try:
                    walk(json.loads(stripped))
                    return
                except ValueError:
                    pass
            out.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in keys or (nested and isinstance(item, list | dict)):
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload)
    return "\n".join(out).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# -- in a process of its own ------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Serve an open workspace until SIGTERM; the port goes alone on stdout's first line."""
    parser = argparse.ArgumentParser(prog="python -m bot.slack.standin", description=__doc__.split("\n")[0])
    parser.add_argument("--token", action="append", help="a bot token to let in (repeatable; default: any token)")
    parser.add_argument("--count-only", action="store_true", help="keep a count per method, not every call")
    args = parser.parse_args(argv)
    workspace = Workspace(tokens=frozenset(args.token) if args.token else None)
    standin = SlackStandIn(workspace, record=not args.count_only)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    standin.start()
    print(standin.port, flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

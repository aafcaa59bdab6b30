"""A local Slack stand-in: a real HTTP server on 127.0.0.1 that answers the bot's Web API calls as Slack would.

One stand-in serves the tests, the demo and the benchmarks. It plays a `Workspace` (the team, its people and
channels, the tokens it lets in), answers each Web API method from one small handler per method, and serves the
URLs Slack hands out: `response_url`s (where a command's or a click's answer goes) and file upload URLs (the body
is the file's raw bytes, kept in `files`).

Every request goes through `handle`, which refuses as Slack does, with Slack's error codes:
- a method it doesn't serve: `unknown_method`; a token the workspace doesn't let in: `invalid_auth`;
- a required argument missing or empty (`REQUIRED`, after slack_sdk's method signatures and Slack's method docs):
  the method's own code (`channel_not_found`, `no_text`, `user_not_found`, `users_list_not_supplied`,
  `message_not_found`, `user_not_in_channel`, `file_not_found`) or `invalid_arguments`;
- blocks Slack wouldn't take, in a message, a response_url answer or a view: each block is parsed and validated
  with slack_sdk's own models (`Block.parse`, `validate_json`), then held to the limits those don't check (50
  blocks a message, 100 a view, no empty text, an image needs a source): `invalid_blocks` with Slack's `errors`
  list (`invalid_blocks_format` when `blocks` isn't a JSON array). A view's own fields (`View.validate_json`: type,
  title, close and submit lengths, ...) that fail: `invalid_arguments`;
- an image whose `slack_file` the person who would see it can't access, or that Slack is still processing:
  `invalid_blocks` ("invalid slack file"), as Slack answers (python-slack-sdk#1658, bolt-python#1251). A file is
  seen by whoever sees a channel it was shared in (its DM with the bot; every channel of the workspace counts as
  open to everyone); a file uploaded without a channel is the bot's alone;
- a message text over 40,000 characters: `msg_too_long`;
- chat.postMessage faster than `rate_limit` allows in one channel (about one message a second, after a burst):
  HTTP 429 `ratelimited` with Retry-After, the seconds until the channel takes a message again.

Files are processed as Slack processes them: `files.info` knows a file only once `processing` has passed after its
files.completeUploadExternal (`file_not_found` before), and an image block may show it only then.

It also reads every mrkdwn text it accepts (a message's text and mrkdwn blocks, a view's, a file's comment) as
Slack renders it, and keeps in `findings` every `<`, `>` or `&` that is no part of a link, mention or escape: Slack
would swallow it or the text around it. `review` does the same for an answer that doesn't go through the Web API
(a slash command's or an action's HTTP answer). The tests and the demo assert there are none.

Time (processing, the rate limit's window, message timestamps) is the stand-in's `clock`, which a test or the demo
moves: nothing sleeps for time to pass.

It records every request (method, parameters, token, the clock's moment, the wall-clock moment, the answer) for
`mark`/`since`/`of`/`wait_for`; with `record=False` it keeps only a count per method, for benchmarks that make
tens of thousands of calls. `fail` makes a method answer 429 (with Retry-After) or a 5xx; `delay` makes it slow.

In a process of its own (benchmarks, so that it has its own CPU):

    python -m bot.slack.standin [--token T ...] [--count-only]

prints its port number alone on the first line of stdout and serves until SIGTERM (exit 0). A workspace with no
people of its own: any user has a default profile and any channel exists; without --token any token is let in.
`--count-only` keeps a count per method and plays Slack without its rate limit: a benchmark measures the bot, not
Slack's pacing (`SlackStandIn(rate_limit=None)` does the same in-process).

Besides Slack's URLs it answers one control path, not a Slack method and never counted:
`POST {base_url}/_standin/counts` answers `{"ok": true, "counts": {method: n}}`.

Socket Mode is served beside it by `bot.slack.standin_socket`, which answers `apps.connections.open` here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import re
import signal
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Not Web API methods: the URLs Slack hands out, recorded under these names.
RESPONSE_URL = "response_url"
FILE_UPLOAD = "file_upload"
COUNTS_PATH = "/_standin/counts"

Params = dict[str, Any]
Answer = dict[str, Any]
Reply = tuple[int, Answer, dict[str, str]]  # HTTP status, JSON body, extra headers

# What the stand-in does when asked about a user its workspace doesn't list.
UnknownUsers = Literal["default_profile", "user_not_found"]

# Slack's documented limits that slack_sdk's models don't check themselves.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000

# How long Slack takes to process an uploaded file before files.info and image blocks know it (ours: Slack says
# only that files are processed asynchronously; a small PNG takes a second or two).
PROCESSING = dt.timedelta(seconds=2)

# The arguments each method can't do without: per group of alternatives (one of them must be given, not empty),
# the error Slack answers when none is. From slack_sdk's method signatures (web/client.py) and Slack's method docs;
# `invalid_arguments` where a method names no error of its own.
_TEXT = ("text", "blocks", "attachments")
REQUIRED: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "users.info": ((("user",), "user_not_found"),),
    "conversations.open": ((("users", "channel"), "users_list_not_supplied"),),
    "chat.postMessage": ((("channel",), "channel_not_found"), (_TEXT, "no_text")),
    "chat.update": ((("channel",), "channel_not_found"), (("ts",), "message_not_found"), (_TEXT, "no_text")),
    "chat.postEphemeral": (
        (("channel",), "channel_not_found"),
        (("user",), "user_not_in_channel"),
        (_TEXT, "no_text"),
    ),
    "views.open": ((("trigger_id", "interactivity_pointer"), "invalid_arguments"), (("view",), "invalid_arguments")),
    "views.publish": ((("user_id",), "invalid_arguments"), (("view",), "invalid_arguments")),
    "views.update": ((("view_id", "external_id"), "invalid_arguments"), (("view",), "invalid_arguments")),
    "files.getUploadURLExternal": ((("filename",), "invalid_arguments"), (("length",), "invalid_arguments")),
    "files.completeUploadExternal": ((("files",), "invalid_arguments"),),
    "files.info": ((("file",), "file_not_found"),),
}

# What Slack reads as markup in mrkdwn: a mention, channel, special mention or date (`<@U1>`, `<#C1>`, `<!here>`,
# `<!date^...|...>`), a link (`<https://...|label>`, `<mailto:...>`), the escapes `&amp;` `&lt;` `&gt;`, and the
# `>` that opens a quoted line. Any other `<`, `>` or `&` renders wrongly.
_SLACK_MARKUP = re.compile(r"<(?:[@#!]|https?://|mailto:)[^<>\n]*>|&(?:amp|lt|gt);|^>", re.MULTILINE)


@dataclass(frozen=True)
class RateLimit:
    """chat.postMessage's pace in one channel: `per_second` messages a second once a burst of `burst` is spent.

    Slack "will generally allow an app to post 1 message per second to a specific channel", with "generous burst
    behavior"; how generous it doesn't say, so `burst` is ours.
    """

    per_second: float = 1.0
    burst: int = 30


RATE_LIMIT = RateLimit()


@dataclass
class StoredFile:
    """A file uploaded through files upload v2: where it was shared and when Slack finished processing it."""

    id: str
    name: str
    title: str = ""
    completed_at: dt.datetime | None = None  # files.completeUploadExternal; None while only the bytes are there
    channels: tuple[str, ...] = ()  # where it was shared; none: private to the bot

    @property
    def permalink(self) -> str:
        """The file's address, as an image block's `slack_file.url` may name it."""
        return f"https://files.slack.com/files-pri/{self.id}/{self.name}"


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
    call, of message timestamps, of file processing and of the rate limit's window (default: the wall clock; tests
    and the demo hand in theirs), and `record=False` keeps only a count per method. `rate_limit=None` switches
    chat.postMessage's rate limit off; `processing` is how long an uploaded file takes to be ready.
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
        self.workspace = workspace or Workspace()
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
        """Answer one request, as every request comes in: injected trouble first, then Slack's answer, then record.

        What Slack accepted is read for mrkdwn that would render wrongly (`findings`).
        """
        failure, pause = self._trouble(method)
        if pause:
            time.sleep(pause)  # in the server's thread: only this request is slow
        status, answer, headers = failure or self._answer(method, params, token)
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
        # The URLs Slack hands out carry their authority in the URL itself, not in a token.
        if method not in (RESPONSE_URL, FILE_UPLOAD) and not self.workspace.accepts(token):
            return 200, refusal("invalid_auth"), {}
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

    def _throttle(self, channel: str) -> int:
        """0 when `channel` takes one more message now (and it is counted), else the seconds until it does."""
        limit = self.rate_limit
        if limit is None:
            return 0
        now = self.clock()
        with self.lock:
            tokens, then = self._buckets.get(channel, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + max((now - then).total_seconds(), 0.0) * limit.per_second)
            if tokens < 1.0:
                self._buckets[channel] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / limit.per_second))
            self._buckets[channel] = (tokens - 1.0, now)
            return 0

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
        return self._message(params, str(params["ts"]))

    def _message(self, params: Params, ts: str) -> Answer:
        channel = str(params["channel"])
        if not self.workspace.has_channel(channel):
            return refusal("channel_not_found")
        refused = self._message_refusal(params, channel=channel, user=self.workspace.dm_user(channel))
        return refused or {"ok": True, "channel": channel, "ts": ts}

    def _post_ephemeral(self, params: Params) -> Answer:
        channel = str(params["channel"])
        if not self.workspace.has_channel(channel):
            return refusal("channel_not_found")
        refused = self._message_refusal(params, channel=channel, user=str(params["user"]))
        return refused or {"ok": True, "message_ts": self._message_ts()}

    def _respond(self, params: Params) -> Answer:
        target = self.response_target(str(params.get("_url")))
        channel, user = (target.channel, target.user) if target else (None, None)
        return self._message_refusal(params, channel=channel, user=user) or {"ok": True}

    def _message_refusal(self, params: Params, *, channel: str | None, user: str | None) -> Answer | None:
        """Why Slack would refuse a message's text or blocks, seen in `channel` by `user`; None when it takes them."""
        if len(str(params.get("text") or "")) > MESSAGE_TEXT:
            return refusal("msg_too_long")
        blocks = params.get("blocks")
        if blocks in (None, ""):
            return None
        blocks = _json(blocks)
        if not isinstance(blocks, list):
            return refusal("invalid_blocks_format")
        problems = block_problems(blocks, MESSAGE_BLOCKS) + self._file_problems(blocks, "/blocks", channel, user)
        return refusal("invalid_blocks", *problems) if problems else None

    def _view(self, params: Params) -> Answer:
        view = _json(params["view"])
        if not isinstance(view, dict):
            return refusal("invalid_arguments", "must provide an object [json-pointer:/view]")
        try:
            # The view's own fields; its blocks are checked one by one below, where Slack names each problem.
            fields = View(**{**view, "blocks": None})
            fields.blocks = None  # type: ignore[assignment]  # View makes None an empty list, which it refuses
            fields.validate_json()
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as err:
            return refusal("invalid_arguments", f"{err} [json-pointer:/view]")
        blocks = view.get("blocks")
        if not isinstance(blocks, list):
            return refusal("invalid_arguments", "must provide an array [json-pointer:/view/blocks]")
        # Who sees the view: the Home's owner. A modal's person is the trigger's, whom the stand-in doesn't know,
        # so an image in a modal must be shared in a channel.
        viewer = str(params["user_id"]) if params.get("user_id") else None
        problems = block_problems(blocks, VIEW_BLOCKS, "/view/blocks", at_least=1)
        problems += self._file_problems(blocks, "/view/blocks", None, viewer)
        if problems:
            return refusal("invalid_blocks", *problems)
        return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", "type": view.get("type")}}

    def _upload_url(self, params: Params) -> Answer:
        file_id = f"F{next(self._ids):08d}"
        with self.lock:
            self.uploads[file_id] = StoredFile(file_id, str(params["filename"]))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _receive_file(self, params: Params) -> Answer:
        with self.lock:
            self.files[str(params["file_id"])] = params["bytes"]
        return {"ok": True}

    def _complete_upload(self, params: Params) -> Answer:
        files = _json(params["files"])
        if not isinstance(files, list) or not all(isinstance(item, dict) for item in files):
            return refusal("invalid_arguments", "must provide an array of objects [json-pointer:/files]")
        named = [str(params.get("channel_id") or ""), *str(params.get("channels") or "").split(",")]
        shared = tuple(channel for channel in named if channel)
        if not all(self.workspace.has_channel(channel) for channel in shared):
            return refusal("channel_not_found")
        done = []
        with self.lock:
            for item in files:
                file_id = str(item.get("id"))
                if file_id not in self.files:
                    return refusal("file_not_found")
                title = str(item.get("title") or "")
                self.file_titles[file_id] = title
                stored = self.uploads.setdefault(file_id, StoredFile(file_id, file_id))
                stored.title, stored.completed_at, stored.channels = title, self.clock(), shared
                done.append({"id": file_id, "title": title})
        return {"ok": True, "files": done}

    def _file_info(self, params: Params) -> Answer:
        with self.lock:
            stored = self.uploads.get(str(params["file"]))
            if stored is None or not self._processed(stored):
                return refusal("file_not_found")
            size = len(self.files.get(stored.id, b""))
        shared = stored.channels
        return {
            "ok": True,
            "file": {
                "id": stored.id,
                "name": stored.name,
                "title": stored.title,
                "mimetype": "image/png" if stored.name.endswith(".png") else "application/octet-stream",
                "size": size,
                "user": self.workspace.bot_user_id,
                "channels": [c for c in shared if c.startswith("C")],
                "groups": [c for c in shared if c.startswith("G")],
                "ims": [c for c in shared if c.startswith("D")],
                "permalink": stored.permalink,
            },
        }

    # -- files, as an image block sees them ----------------------------------------------------------------------------

    def _processed(self, stored: StoredFile) -> bool:
        """Whether Slack has finished processing the file (call with the lock held)."""
        return stored.completed_at is not None and self.clock() >= stored.completed_at + self.processing

    def _file_problems(self, blocks: list[Any], pointer: str, channel: str | None, user: str | None) -> list[str]:
        """An `invalid slack file` per image whose file is unknown, still processing, or unseen by its viewers.

        A message in `channel` is seen by that channel's members, a Home by `user`. A file is seen where it was
        shared: in a channel (open to everyone in the stand-in's workspace) or in a DM by that DM's person.
        """
        problems = []
        with self.lock:
            for where, ref in _slack_files(blocks, pointer):
                stored = self.uploads.get(str(ref.get("id"))) or next(
                    (f for f in self.uploads.values() if ref.get("url") and f.permalink == ref.get("url")), None
                )
                shared = stored.channels if stored else ()
                seen = any(c[:1] in "CG" or c == channel or (user and c == dm_channel(user)) for c in shared)
                if stored is None or not self._processed(stored) or not seen:
                    problems.append(f"invalid slack file [json-pointer:{where}/slack_file]")
        return problems

    # -- mrkdwn, as Slack renders it -----------------------------------------------------------------------------------

    def review(self, source: str, payload: Mapping[str, Any]) -> list[str]:
        """Read an answer that reaches Slack outside the Web API (a slash command's or an action's HTTP answer).

        Blocks Slack would refuse and mrkdwn it would render wrongly are added to `findings` and returned.
        """
        blocks = _json(payload.get("blocks"))
        found = [f"{source} {why}" for why in block_problems(blocks, MESSAGE_BLOCKS)] if blocks else []
        found += [f"{source} {where}: {why}" for where, text in _mrkdwn_of(payload) for why in mrkdwn_problems(text)]
        with self.lock:
            self.findings.extend(found)
        return found

    def _read_mrkdwn(self, method: str, params: Params) -> None:
        """Add to `findings` the mrkdwn of an accepted call that Slack would render wrongly."""
        if method.startswith("views."):
            payload: Any = {"blocks": (_json(params.get("view")) or {}).get("blocks")}
        elif method == "files.completeUploadExternal":
            payload = {"text": params.get("initial_comment")}
        elif method in ("chat.postMessage", "chat.update", "chat.postEphemeral", RESPONSE_URL):
            payload = params
        else:
            return
        found = [f"{method} {where}: {why}" for where, text in _mrkdwn_of(payload) for why in mrkdwn_problems(text)]
        if found:
            with self.lock:
                self.findings.extend(found)

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


# -- what Slack refuses and what it renders wrongly -------------------------------------------------------------------


def refusal(error: str, *problems: str) -> Answer:
    """Slack's answer to a call it refuses: the error code, and for invalid_blocks and invalid_arguments why."""
    answer: Answer = {"ok": False, "error": error}
    if error == "invalid_blocks":
        answer["errors"] = list(problems)
    if problems:
        answer["response_metadata"] = {"messages": [f"[ERROR] {problem}" for problem in problems]}
    return answer


def block_problems(blocks: Any, limit: int, pointer: str = "/blocks", *, at_least: int = 0) -> list[str]:
    """Why Slack would refuse `blocks` (none: it takes them), each naming where as Slack does (`json-pointer`).

    Each block is parsed and validated with slack_sdk's models (`Block.parse`, `to_dict`, which runs
    `validate_json` on the block and everything inside it); then come the rules those don't check: the number of
    blocks, text objects with no text, images with neither `image_url` nor `slack_file`.
    """
    if not isinstance(blocks, list):
        return [f"must provide an array [json-pointer:{pointer}]"]
    problems = []
    if not at_least <= len(blocks) <= limit:
        problems.append(f"must provide between {at_least} and {limit} items [json-pointer:{pointer}]")
    for i, raw in enumerate(blocks):
        where = f"{pointer}/{i}"
        try:
            block = Block.parse(raw) if isinstance(raw, dict) else None
            if block is None:
                problems.append(f"unsupported block type [json-pointer:{where}]")
                continue
            block.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError) as err:
            problems.append(f"{err} [json-pointer:{where}]")
        problems += [f"{why} [json-pointer:{where}{inner}]" for inner, why in _unchecked(raw)]
    return problems


def _unchecked(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """The problems Slack finds in a block that slack_sdk's validators let through, with where they are."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and not node.get("text"):
            yield f"{path}/text", "must be more than 0 characters"
        if node.get("type") == "image" and not (node.get("image_url") or node.get("slack_file")):
            yield path, "must provide either image_url or slack_file"
        for key, value in node.items():
            yield from _unchecked(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _unchecked(item, f"{path}/{i}")


def _slack_files(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `slack_file` reference in blocks (an image block's or an image element's), with where it is."""
    if isinstance(node, dict):
        if isinstance(node.get("slack_file"), dict):
            yield path, node["slack_file"]
        for key, value in node.items():
            yield from _slack_files(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _slack_files(item, f"{path}/{i}")


def _mrkdwn_of(payload: Any) -> Iterator[tuple[str, str]]:
    """The texts Slack reads as mrkdwn in a message payload, with where each is.

    Its `text` (unless `mrkdwn` is false) and every mrkdwn text object in its blocks.
    """
    if not isinstance(payload, Mapping):
        return
    text = payload.get("text")
    if isinstance(text, str) and str(payload.get("mrkdwn", True)).lower() != "false":
        yield "/text", text

    def walk(node: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                yield f"{path}/text", node["text"]
            for key, value in node.items():
                yield from walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from walk(item, f"{path}/{i}")

    yield from walk(_json(payload.get("blocks")), "/blocks")


def mrkdwn_problems(text: str) -> list[str]:
    """Each `<`, `>` or `&` in `text` that Slack, reading it as mrkdwn, would not render as written.

    Slack reads `<` to the next `>` as a link, mention or command and `&` as the start of an escape, inside
    backticks too: `/call <lead> <outcome>` reaches the rep as `/call  `. Markup and escapes are fine.
    """
    problems = []
    plain = _SLACK_MARKUP.sub(lambda match: " " * len(match.group()), text)  # markup blanked, offsets kept
    for offset, char in enumerate(plain):
        if char in "<>&":
            shown = text[max(0, offset - 24) : offset + 24].replace("\n", " ")
            problems.append(f"{char!r} at {offset} would not render as written, in {shown!r}")
    return problems


def _json(value: Any) -> Any:
    """A parameter that may arrive as a JSON string (form-encoded calls) or as JSON already; None when unreadable."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


# -- in a process of its own ------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Serve an open workspace until SIGTERM; the port goes alone on stdout's first line."""
    parser = argparse.ArgumentParser(prog="python -m bot.slack.standin", description=__doc__.split("\n")[0])
    parser.add_argument("--token", action="append", help="a bot token to let in (repeatable; default: any token)")
    parser.add_argument(
        "--count-only",
        action="store_true",
        help="keep a count per method, not every call, and play Slack without chat.postMessage's rate limit",
    )
    args = parser.parse_args(argv)
    workspace = Workspace(tokens=frozenset(args.token) if args.token else None)
    # A benchmark measures the bot, not Slack's pacing: counting only, the stand-in doesn't rate-limit.
    standin = SlackStandIn(workspace, record=not args.count_only, rate_limit=None if args.count_only else RATE_LIMIT)
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

"""The HubSpot stand-in's HTTP side: routing, Bearer authentication, rate limits and failures on demand."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.crm.standin.api import Api, Reply, error
from bot.crm.standin.oauth import OAuth
from bot.crm.standin.portal import Portal

OBJECTS = "calls|companies|contacts"
ROUTES: list[tuple[str, str, str]] = [
    ("POST", rf"/crm/v3/objects/({OBJECTS})/search", "search"),
    ("POST", rf"/crm/v3/objects/({OBJECTS})/batch/read", "batch_read"),
    ("POST", rf"/crm/v3/objects/({OBJECTS})", "create"),
    ("GET", rf"/crm/v3/objects/({OBJECTS})", "page"),
    ("GET", rf"/crm/v3/objects/({OBJECTS})/(\d+)", "read"),
    ("PATCH", rf"/crm/v3/objects/({OBJECTS})/(\d+)", "update"),
    ("DELETE", rf"/crm/v3/objects/({OBJECTS})/(\d+)", "archive"),
    ("PUT", rf"/crm/v4/objects/({OBJECTS})/(\d+)/associations/default/({OBJECTS})/(\d+)", "associate"),
    ("POST", rf"/crm/v4/associations/({OBJECTS})/({OBJECTS})/batch/read", "association_batch"),
    ("GET", r"/crm/v3/owners/?", "owners"),
    ("GET", r"/calling/v1/dispositions", "dispositions"),
    ("GET", rf"/crm/v3/properties/({OBJECTS})/([a-z0-9_]+)", "property"),
    ("POST", rf"/crm/v3/properties/({OBJECTS})", "create_property"),
    ("GET", r"/account-info/v3/details", "account"),
]
_COMPILED = [(verb, re.compile(pattern + r"$"), name) for verb, pattern, name in ROUTES]

# The rate-limit headers HubSpot sends with every answer to a private app (100 requests per 10 s burst).
INTERVAL_MS, BURST = 10_000, 100


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class HubSpotStandIn:
    """`start()` it, point HUBSPOT_API_URL at `api_url`, act "in HubSpot" through `portal`.

    `tokens` are the private-app tokens it lets in (`revoke` takes one back: 401 from then on). `fail` makes the
    next requests to a path answer 429 (HubSpot's rate-limit body and headers) or a 5xx; with `after=True` the
    request is carried out first and its answer lost, as when a connection drops after HubSpot committed. Every
    request is counted by route (`counts`, `requests`).
    """

    def __init__(self, tokens: set[str] | None = None, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.portal = Portal(lambda: self.clock())
        self.api = Api(self.portal)
        self.tokens = set(tokens or {"pat-eu1-standin"})
        self.lock = threading.Lock()
        self.oauth = OAuth(lambda: self.clock(), self.tokens.add, self.portal.portal_id)
        self.counts: Counter[str] = Counter()
        self.requests: list[tuple[str, str, int]] = []  # verb, path, status
        self._failures: list[list[Any]] = []  # [path part, status, after, retry_after, requests to let by first]
        self.server = _Server(("127.0.0.1", 0), self._http_handler())
        self.port = self.server.server_address[1]
        self.api_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="hubspot-standin", daemon=True
        )

    def start(self) -> HubSpotStandIn:
        """Serve in a daemon thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def revoke(self, token: str) -> None:
        """Someone deletes the private app (or rotates its token): the token gets 401 from now on."""
        with self.lock:
            self.tokens.discard(token)

    def fail(
        self,
        path_part: str,
        status: int,
        times: int = 1,
        *,
        after: bool = False,
        retry_after: int | None = None,
        skip: int = 0,
    ) -> None:
        """The next `times` requests whose path contains `path_part` answer `status` (429 or 5xx).

        `skip` lets that many such requests through first (a sync that fails half-way).
        """
        if status != 429 and not 500 <= status < 600:
            raise ValueError(f"HubSpot fails a request with 429 or a 5xx, not {status}")
        with self.lock:
            self._failures.extend([[path_part, status, after, retry_after, skip] for _ in range(times)])

    def reset_counts(self) -> None:
        """Forget what was counted."""
        with self.lock:
            self.counts.clear()
            self.requests.clear()

    @property
    def oauth_authorize_url(self) -> str:
        """The stand-in's authorize page (HubSpot's is https://app.hubspot.com/oauth/authorize)."""
        return self.api_url + "/oauth/authorize"

    def handle(
        self, verb: str, path: str, query: str, body: bytes, authorization: str, content_type: str = ""
    ) -> Reply:
        """Answer one request: OAuth's endpoints, else authentication, injected trouble, then the endpoint."""
        params = urllib.parse.parse_qs(query)
        oauth = self._oauth(verb, path, params, body, content_type)
        if oauth is not None:
            return self._count(verb, path, "oauth", oauth)
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        with self.lock:
            let_in = token in self.tokens
            expired = let_in and self.oauth.expired(token)
        if expired:
            reply = error(
                401,
                "EXPIRED_AUTHENTICATION",
                "The OAuth token used to make this call expired. Refresh it with the refresh token.",
            )
            return self._count(verb, path, "unauthorized", reply)
        if not let_in:
            reply = error(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            )
            return self._count(verb, path, "unauthorized", reply)
        route = next(((name, m.groups()) for v, rx, name in _COMPILED if v == verb and (m := rx.match(path))), None)
        if route is None:
            return self._count(verb, path, "unknown", (404, {"status": "error", "message": "Not Found"}, {}))
        name, groups = route
        failure = self._take_failure(path)
        if failure is not None and not failure[2]:
            return self._count(verb, path, name, self._failure_reply(failure))
        try:
            payload = json.loads(body) if body else None
        except json.JSONDecodeError as err:
            reply = error(400, "VALIDATION_ERROR", f"Invalid input JSON on line {err.lineno}, column {err.colno}")
            return self._count(verb, path, name, reply)
        with self.lock:  # one request at a time changes the portal, as one account's writes are ordered
            reply = self._route(name, groups, params, payload)
        if failure is not None:  # carried out, then the answer lost
            reply = self._failure_reply(failure)
        return self._count(verb, path, name, reply)

    def _oauth(
        self, verb: str, path: str, params: dict[str, list[str]], body: bytes, content_type: str
    ) -> Reply | None:
        """The OAuth endpoints (no Bearer token: the app's credentials are in the request), or None."""
        with self.lock:
            if verb == "GET" and path == "/oauth/authorize":
                return self.oauth.authorize(params)
            if verb == "POST" and path == "/oauth/v1/token":
                return self.oauth.token(content_type, body)
            found = re.fullmatch(r"/oauth/v1/access-tokens/([^/]+)", path)
            if verb == "GET" and found:
                return self.oauth.access_token(urllib.parse.unquote(found.group(1)))
        return None

    def _route(self, name: str, groups: tuple[str, ...], params: dict[str, list[str]], payload: Any) -> Reply:
        api = self.api
        if name in ("search", "create", "batch_read", "create_property"):
            return getattr(api, name)(groups[0], payload)
        if name in ("page", "owners"):
            return api.page(groups[0], params) if name == "page" else api.owners(params)
        if name == "read":
            return api.read(groups[0], groups[1], params)
        if name == "update":
            return api.update(groups[0], groups[1], payload)
        if name == "archive":
            return api.archive(groups[0], groups[1])
        if name == "associate":
            return api.associate(*groups)
        if name == "association_batch":
            return api.association_batch(groups[0], groups[1], payload)
        if name == "property":
            return api.property(groups[0], groups[1])
        if name == "dispositions":
            return api.dispositions()
        return api.account()

    def _take_failure(self, path: str) -> list[Any] | None:
        with self.lock:
            for index, failure in enumerate(self._failures):
                if failure[0] in path:
                    if failure[4] > 0:
                        failure[4] -= 1
                        return None
                    return self._failures.pop(index)
        return None

    @staticmethod
    def _failure_reply(failure: list[Any]) -> Reply:
        _, status, _, retry_after, _ = failure
        if status == 429:
            body = {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": "TEN_SECONDLY_ROLLING",
                "groupName": "publicapi:private-app:standin",
            }
            headers = {
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(INTERVAL_MS),
                "X-HubSpot-RateLimit-Max": str(BURST),
                "X-HubSpot-RateLimit-Remaining": "0",
            }
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            return 429, body, headers
        return status, {"status": "error", "message": "internal error", "correlationId": str(uuid.uuid4())}, {}

    def _count(self, verb: str, path: str, name: str, reply: Reply) -> Reply:
        with self.lock:
            self.counts[name] += 1
            self.requests.append((verb, path, reply[0]))
        status, body, headers = reply
        if status < 400 or status == 429:
            # HubSpot names its limits on every answer; the remaining count is not modelled (always the burst).
            headers = {
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(INTERVAL_MS),
                "X-HubSpot-RateLimit-Max": str(BURST),
                "X-HubSpot-RateLimit-Remaining": str(BURST - 1),
                **headers,
            }
        return status, body, headers

    def _http_handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urllib.parse.urlparse(self.path)
                status, body, headers = standin.handle(
                    self.command,
                    url.path,
                    url.query,
                    raw,
                    self.headers.get("Authorization", ""),
                    self.headers.get("Content-Type", ""),
                )
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler

"""The HubSpot stand-in's OAuth: a public app's authorize page, `/oauth/v1/token`, `/oauth/v1/access-tokens/{token}`.

As HubSpot's (developers.hubspot.com, "Working with OAuth", and the `oauth` API of hubspot-api-client): the
authorize page sends the browser back to the app's redirect URL with a `code` and the `state` (or, when the person
declines, `error=access_denied`); the token endpoint takes a form-encoded `authorization_code` or `refresh_token`
grant and answers `{access_token, refresh_token, expires_in, token_type}`; an access token works for `expires_in`
seconds by the stand-in's clock, then gets 401 EXPIRED_AUTHENTICATION. Refusals are HubSpot's 400 bodies, whose
`status` names the trouble: BAD_CLIENT_ID, BAD_CLIENT_SECRET, BAD_AUTH_CODE (unknown or used code),
BAD_REDIRECT_URI, BAD_REFRESH_TOKEN, BAD_GRANT_TYPE.
"""

from __future__ import annotations

import datetime as dt
import secrets
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Reply = tuple[int, Any, dict[str, str]]

ACCESS_SECONDS = 1800  # how long HubSpot's OAuth access tokens work (expires_in)


@dataclass
class App:
    """A public app registered with the stand-in."""

    client_id: str
    client_secret: str
    redirect_urls: set[str]
    app_id: int = 1_234_567


@dataclass
class OAuth:
    """The stand-in's OAuth state: apps, codes, refresh tokens and the expiry of each access token it issued.

    `deny` makes the authorize page answer as when the person declines. `grant` is called with every access token
    issued, so the HTTP side lets it in.
    """

    clock: Callable[[], dt.datetime]
    grant: Callable[[str], None]
    hub_id: int
    user: str = "petra@salescoach-demo.example"
    apps: dict[str, App] = field(default_factory=dict)
    codes: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)  # code -> client id, redirect, scopes
    refresh_tokens: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # token -> client id, scopes
    expires: dict[str, dt.datetime] = field(default_factory=dict)  # access token -> when it stops working
    scopes_of: dict[str, list[str]] = field(default_factory=dict)  # access token -> scopes
    deny: bool = False

    def register(self, client_id: str, client_secret: str, redirect_url: str) -> App:
        """A public app with its credentials and redirect URL."""
        app = App(client_id, client_secret, {redirect_url})
        self.apps[client_id] = app
        return app

    def revoke_refresh(self, refresh_token: str) -> None:
        """The app is uninstalled from the account: its refresh token stops working."""
        self.refresh_tokens.pop(refresh_token, None)

    def expired(self, token: str) -> bool:
        """Whether `token` is an OAuth access token past its expiry."""
        until = self.expires.get(token)
        return until is not None and self.clock() >= until

    # -- the endpoints ----------------------------------------------------------------------------------------

    def authorize(self, params: dict[str, list[str]]) -> Reply:
        """`GET /oauth/authorize`: the person consents (or, told to, declines) and goes back to the app."""

        def one(name: str) -> str:
            return (params.get(name) or [""])[0]

        app = self.apps.get(one("client_id"))
        redirect = one("redirect_uri")
        if app is None:
            return _bad("BAD_CLIENT_ID", "missing or unknown client_id")
        if redirect not in app.redirect_urls:
            return _bad("BAD_REDIRECT_URI", "redirect_uri is not one of the app's redirect URLs")
        scopes = one("scope").split()
        if not scopes:
            return _bad("BAD_SCOPES", "missing scope")
        if self.deny:
            back = {"error": "access_denied", "error_description": "The user denied access", "state": one("state")}
        else:
            code = secrets.token_hex(18)
            self.codes[code] = (app.client_id, redirect, scopes)
            back = {"code": code, "state": one("state")}
        joiner = "&" if "?" in redirect else "?"
        return 302, None, {"Location": redirect + joiner + urllib.parse.urlencode(back)}

    def token(self, content_type: str, body: bytes) -> Reply:
        """`POST /oauth/v1/token`: an authorization code or a refresh token for a fresh access token."""
        if "application/x-www-form-urlencoded" not in content_type:
            return _bad("BAD_REQUEST", "Content-Type must be application/x-www-form-urlencoded")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        app = self.apps.get(form.get("client_id", ""))
        if app is None:
            return _bad("BAD_CLIENT_ID", "missing or unknown client id")
        if not secrets.compare_digest(form.get("client_secret", ""), app.client_secret):
            return _bad("BAD_CLIENT_SECRET", "missing or unknown client secret")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.get(form.get("code", ""))
            if issued is None or issued[0] != app.client_id:
                return _bad("BAD_AUTH_CODE", "missing or unknown auth code")
            if form.get("redirect_uri") != issued[1]:
                return _bad("BAD_REDIRECT_URI", "redirect_uri does not match initial auth code URL")
            del self.codes[form["code"]]  # a code works once
            refresh = str(uuid.uuid4())
            self.refresh_tokens[refresh] = (app.client_id, issued[2])
            return self._issue(refresh, issued[2])
        if grant == "refresh_token":
            held = self.refresh_tokens.get(form.get("refresh_token", ""))
            if held is None or held[0] != app.client_id:
                return _bad("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
            return self._issue(form["refresh_token"], held[1])  # HubSpot's refresh token stays the same
        return _bad("BAD_GRANT_TYPE", "grant_type must be authorization_code or refresh_token")

    def access_token(self, token: str) -> Reply:
        """`GET /oauth/v1/access-tokens/{token}`: what a (working) access token is for."""
        until = self.expires.get(token)
        if until is None or self.clock() >= until:
            return 404, {"status": "error", "message": "Token not found", "correlationId": str(uuid.uuid4())}, {}
        body = {
            "token": token,
            "user": self.user,
            "hub_domain": "salescoach-demo.example",
            "scopes": self.scopes_of.get(token, []),
            "hub_id": self.hub_id,
            "app_id": 1_234_567,
            "expires_in": int((until - self.clock()).total_seconds()),
            "user_id": 5_000_000,
            "token_type": "access",
        }
        return 200, body, {}

    def _issue(self, refresh: str, scopes: list[str]) -> Reply:
        access = "CN" + secrets.token_urlsafe(48)
        self.expires[access] = self.clock() + dt.timedelta(seconds=ACCESS_SECONDS)
        self.scopes_of[access] = scopes
        self.grant(access)
        body = {"token_type": "bearer", "refresh_token": refresh, "access_token": access, "expires_in": ACCESS_SECONDS}
        return 200, body, {}


def _bad(status: str, message: str) -> Reply:
    body = {"status": status, "message": message, "correlationId": str(uuid.uuid4()), "requestId": uuid.uuid4().hex}
    return 400, body, {}

"""A HubSpot public app's OAuth: the authorize URL, and tokens from a code or a refresh token.

HubSpot's flow (developers.hubspot.com, "Working with OAuth"): the manager consents on HubSpot's authorize page
(`client_id`, `scope`, `redirect_uri`, `state`), HubSpot sends them back to `redirect_uri` with a `code`, and
`POST /oauth/v1/token` (form-encoded, through hubspot-api-client's `oauth` TokensApi) exchanges it for an access
token (which expires after `expires_in` seconds) and a refresh token that renews it. HubSpot refuses with a 400
whose `status` names the trouble (BAD_AUTH_CODE, BAD_REFRESH_TOKEN, BAD_CLIENT_ID, BAD_REDIRECT_URI, ...).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import hubspot

from bot.crm.hubspot import DEFAULT_API_URL, HubSpotError, request


@dataclass(frozen=True)
class Tokens:
    """What HubSpot hands out for a code or a refresh token."""

    access: str
    refresh: str
    expires_in: int  # seconds

    def expires_at(self, now: dt.datetime) -> dt.datetime:
        """When the access token expires, counted from when it was handed out."""
        return now + dt.timedelta(seconds=self.expires_in)


@dataclass(frozen=True)
class HubSpotApp:
    """A HubSpot public app (HUBSPOT_CLIENT_ID/_SECRET) whose OAuth connects workspaces."""

    client_id: str
    client_secret: str
    redirect_url: str
    authorize_url: str
    scopes: tuple[str, ...]
    api_url: str = DEFAULT_API_URL

    def __repr__(self) -> str:
        return f"HubSpotApp(client_id={self.client_id!r}, client_secret=***, redirect_url={self.redirect_url!r})"

    def authorize(self, state: str) -> str:
        """HubSpot's consent page for this app, with `state` to come back with."""
        query = urllib.parse.urlencode(
            {
                "client_id": self.client_id,
                "scope": " ".join(self.scopes),
                "redirect_uri": self.redirect_url,
                "state": state,
            }
        )
        return f"{self.authorize_url}?{query}"

    def exchange(self, code: str) -> Tokens:
        """The tokens a code from the redirect stands for (a code works once)."""
        return self._tokens(grant_type="authorization_code", code=code, redirect_uri=self.redirect_url)

    def refresh(self, refresh_token: str) -> Tokens:
        """A fresh access token; a refresh token HubSpot no longer takes is a 401 (the connection is revoked)."""
        try:
            return self._tokens(grant_type="refresh_token", refresh_token=refresh_token, redirect_uri=self.redirect_url)
        except HubSpotError as err:
            if err.status == 400:
                # BAD_REFRESH_TOKEN (the app uninstalled), or the app's own id or secret changed: no retry cures
                # it, only connecting again does.
                raise HubSpotError(401, err.category, err.message) from err
            raise

    def _tokens(self, **form: str) -> Tokens:
        api = hubspot.Client.create(host=self.api_url.rstrip("/")).oauth.tokens_api
        answer = request(
            api.create, client_id=self.client_id, client_secret=self.client_secret, errors=_oauth_error, **form
        )
        return Tokens(str(answer.access_token), str(answer.refresh_token), int(answer.expires_in or 0))


def _oauth_error(err: Any) -> HubSpotError:
    """HubSpot's OAuth error body: `{"status": "BAD_AUTH_CODE", "message": ...}`."""
    status = int(getattr(err, "status", 0) or 0)
    try:
        body = json.loads(getattr(err, "body", None) or "{}")
    except (TypeError, ValueError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    category = str(body.get("status") or body.get("category") or "ERROR")
    return HubSpotError(status, category, str(body.get("message") or getattr(err, "reason", "") or "refused"))

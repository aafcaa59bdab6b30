"""Installing through OAuth, as Slack does it: the authorize page, oauth.v2.access, oauth.v2.exchange, auth.revoke.

A test registers the app (`register_app`: client id and secret, its redirect URL, whether token rotation is on)
and the workspaces that may install it (`add_workspace`; the stand-in's own `workspace` may too). Then:
- `GET /oauth/v2/authorize?client_id&scope&state[&redirect_uri][&team]` plays the installer approving the install
  in workspace `team` (default: the stand-in's own) and answers 302 to the redirect URL with `code` and `state`,
  as Slack does. `install=org` plays an Enterprise Grid org admin choosing an org-wide install. An unknown client
  or a redirect URL other than the app's: 400 with the error, as Slack shows an error page instead of redirecting.
- `oauth.v2.access` exchanges a code once, within 10 minutes (`invalid_code` otherwise), or with
  `grant_type=refresh_token` a refresh token (`invalid_refresh_token`); client credentials come by HTTP Basic auth
  (as slack_sdk sends them) or as parameters: `invalid_client_id`, `bad_client_secret`. A redirect_uri that isn't
  the authorize step's: `bad_redirect_uri`. The answer has Slack's documented shape (team, enterprise,
  authed_user, bot_user_id, scope, token_type, access_token; with rotation also refresh_token and expires_in).
- `oauth.v2.exchange` turns a long-lived bot token into a rotating one with a refresh token (the old one stops).
- Every token issued here speaks for its own workspace only: a call made with it is answered in that workspace
  (its people, channels and team id); a revoked token gets `token_revoked`, an expired one `token_expired` (on the
  stand-in's clock). `uninstall(team_id)` revokes all of a workspace's tokens, as removing the app does.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import secrets
import urllib.parse
from dataclasses import dataclass, field

from bot.slack.standin.rules import Answer, Params, refusal
from bot.slack.standin.workspace import Workspace

AUTHORIZE_PATH = "/oauth/v2/authorize"
OAUTH_METHODS = frozenset({"oauth.v2.access", "oauth.v2.exchange"})
CODE_LIFETIME = dt.timedelta(minutes=10)
# Slack's rotating bot tokens live 12 hours.
TOKEN_LIFETIME = dt.timedelta(hours=12)


@dataclass
class OAuthApp:
    """A Slack app that installs through OAuth."""

    client_id: str
    client_secret: str
    redirect_uri: str | None = None
    rotation: bool = False
    app_id: str = "A0COACH"


@dataclass
class Grant:
    """A bot token (or refresh token) issued by an install: whose it is and until when it works."""

    team_id: str
    client_id: str
    scopes: str
    expires_at: dt.datetime | None = None
    revoked: bool = False
    org: bool = False


@dataclass
class _Code:
    grant: Grant
    redirect_uri: str | None
    issued_at: dt.datetime
    installer: str
    used: bool = False


@dataclass
class Installs:
    """What the stand-in knows of OAuth: apps, workspaces that may install, codes and tokens issued."""

    apps: dict[str, OAuthApp] = field(default_factory=dict)
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    tokens: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    serial: itertools.count = field(default_factory=lambda: itertools.count(1))


class OAuth:
    """The OAuth side of a `SlackStandIn` (its `installs`, `workspace`, `clock`, `lock`)."""

    def register_app(
        self, client_id: str, client_secret: str, *, redirect_uri: str | None = None, rotation: bool = False
    ) -> None:
        """Create the Slack app that workspaces install through OAuth."""
        with self.lock:
            self.installs.apps[client_id] = OAuthApp(client_id, client_secret, redirect_uri, rotation)

    def add_workspace(self, workspace: Workspace) -> None:
        """A workspace that may install the app (besides the stand-in's own)."""
        with self.lock:
            self.installs.workspaces[workspace.team_id] = workspace

    def uninstall(self, team_id: str) -> None:
        """Remove the app from a workspace: every token it was issued stops working (token_revoked)."""
        with self.lock:
            for grant in [*self.installs.tokens.values(), *self.installs.refresh_tokens.values()]:
                if grant.team_id == team_id:
                    grant.revoked = True

    def team_of(self, token: str) -> str | None:
        """The workspace an issued token speaks for (None: not issued here)."""
        grant = self.installs.tokens.get(token)
        return grant.team_id if grant else None

    def token_workspace(self, token: str) -> tuple[Workspace | None, str | None]:
        """The workspace a call with `token` is answered in, or the error Slack answers instead."""
        grant = self.installs.tokens.get(token)
        if grant is None:
            return (self._primary, None) if self._primary.accepts(token) else (None, "invalid_auth")
        if grant.revoked:
            return None, "token_revoked"
        if grant.expires_at is not None and self.clock() >= grant.expires_at:
            return None, "token_expired"
        return self._workspace_by_id(grant.team_id), None

    def _workspace_by_id(self, team_id: str) -> Workspace:
        return self.installs.workspaces.get(team_id) or self._primary

    # -- the authorize page ------------------------------------------------------------------------------------

    def authorize_redirect(self, query: str) -> tuple[int, str]:
        """The installer approving an install: (302, the redirect URL with code and state) or (400, the error)."""
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        app = self.installs.apps.get(params.get("client_id", ""))
        if app is None:
            return 400, "invalid_client_id"
        redirect = params.get("redirect_uri") or app.redirect_uri
        if not redirect or (app.redirect_uri and redirect != app.redirect_uri):
            return 400, "bad_redirect_uri"
        scopes = params.get("scope", "")
        if not scopes:
            return 400, "invalid_scope"
        team_id = params.get("team") or self._primary.team_id
        if team_id != self._primary.team_id and team_id not in self.installs.workspaces:
            return 400, "invalid_team"
        workspace = self._workspace_by_id(team_id)
        org = params.get("install") == "org"
        if org and not workspace.enterprise_id:
            return 400, "not_an_enterprise"
        code = f"{next(self.installs.serial)}.{secrets.token_hex(8)}"
        grant = Grant(team_id, app.client_id, scopes, org=org)
        installer = params.get("user") or next(iter(workspace.users), "U0INSTALLER")
        with self.lock:
            self.installs.codes[code] = _Code(grant, params.get("redirect_uri"), self.clock(), installer)
        query_back = urllib.parse.urlencode({"code": code, "state": params.get("state", "")})
        return 302, f"{redirect}{'&' if '?' in redirect else '?'}{query_back}"

    # -- the Web API methods -----------------------------------------------------------------------------------

    def _client(self, params: Params) -> tuple[OAuthApp | None, str | None]:
        app = self.installs.apps.get(str(params.get("client_id") or ""))
        if app is None:
            return None, "invalid_client_id"
        if params.get("client_secret") != app.client_secret:
            return None, "bad_client_secret"
        return app, None

    def _oauth_access(self, params: Params) -> Answer:
        app, error = self._client(params)
        if app is None:
            return refusal(error or "invalid_client_id")
        grant_type = params.get("grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            with self.lock:
                grant = self.installs.refresh_tokens.get(str(params.get("refresh_token") or ""))
            if grant is None or grant.revoked or grant.client_id != app.client_id:
                return refusal("invalid_refresh_token")
            return self._issue(app, grant, str(params["refresh_token"]), None)
        if grant_type != "authorization_code":
            return refusal("invalid_grant_type")
        with self.lock:
            code = self.installs.codes.get(str(params.get("code") or ""))
            if code is None or code.used or code.grant.client_id != app.client_id:
                return refusal("invalid_code")
            if self.clock() - code.issued_at > CODE_LIFETIME:
                return refusal("invalid_code")
            if params.get("redirect_uri") and params["redirect_uri"] != code.redirect_uri:
                return refusal("bad_redirect_uri")
            code.used = True
        refresh = f"xoxe-1-{next(self.installs.serial)}-{secrets.token_hex(8)}" if app.rotation else None
        return self._issue(app, code.grant, refresh, code.installer)

    def _oauth_exchange(self, params: Params) -> Answer:
        app, error = self._client(params)
        if app is None:
            return refusal(error or "invalid_client_id")
        with self.lock:
            old = self.installs.tokens.get(str(params.get("token") or params.get("_token") or ""))
            if old is None or old.revoked or old.client_id != app.client_id:
                return refusal("invalid_auth")
            old.revoked = True
        refresh = f"xoxe-1-{next(self.installs.serial)}-{secrets.token_hex(8)}"
        return self._issue(app, Grant(old.team_id, old.client_id, old.scopes, org=old.org), refresh, None)

    def _issue(self, app: OAuthApp, grant: Grant, refresh: str | None, installer: str | None) -> Answer:
        """A new bot token for `grant`'s workspace, in oauth.v2.access's documented shape."""
        workspace = self._workspace_by_id(grant.team_id)
        prefix = "xoxe.xoxb-1" if refresh else "xoxb"
        token = f"{prefix}-{grant.team_id}-{next(self.installs.serial)}-{secrets.token_hex(8)}"
        expires_at = self.clock() + TOKEN_LIFETIME if refresh else None
        issued = Grant(grant.team_id, grant.client_id, grant.scopes, expires_at, org=grant.org)
        with self.lock:
            self.installs.tokens[token] = issued
            if refresh:
                self.installs.refresh_tokens[refresh] = issued
        org_id = workspace.enterprise_id
        enterprise = {"id": org_id, "name": org_id} if org_id else None
        answer: Answer = {
            "ok": True,
            "app_id": app.app_id,
            "authed_user": {"id": installer or "U0INSTALLER"},
            "scope": grant.scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": workspace.bot_user_id,
            "team": None if grant.org else {"id": workspace.team_id, "name": workspace.team_name},
            "enterprise": enterprise,
            "is_enterprise_install": grant.org,
        }
        if refresh:
            answer.update({"refresh_token": refresh, "expires_in": int(TOKEN_LIFETIME.total_seconds())})
        return answer

    def _auth_revoke(self, params: Params) -> Answer:
        token = str(params.get("_token") or "")
        with self.lock:
            grant = self.installs.tokens.get(token)
            if grant is not None:
                grant.revoked = True
        return {"ok": True, "revoked": True}


def basic_credentials(header: str) -> dict[str, str]:
    """client_id and client_secret from an HTTP Basic Authorization header (empty when it isn't one)."""
    if not header.startswith("Basic "):
        return {}
    try:
        client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"client_id": client_id, "client_secret": client_secret}

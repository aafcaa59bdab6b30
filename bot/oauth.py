"""Installing into many workspaces: Bolt's OAuth flow on the bot's database, with our pages.

`GET /slack/install` answers an "Add to Slack" page whose link carries a fresh OAuth `state` (slack_sdk's state
store, and a cookie that ties it to the browser); Slack sends the installer back to `GET /slack/oauth_redirect`
with a `code`, which Bolt exchanges (oauth.v2.access) for the workspace's bot token and saves in slack_sdk's
installation store (bot.slack.installs). Enabled when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set.

Enterprise Grid: a workspace of an org installs like any other workspace (its installation names the org). An
org-wide install is refused with a page saying so, and its token revoked: each team's data lives in its own
workspace, and the manifest doesn't enable org deploys (`org_deploy_enabled: false`), so Slack shouldn't offer one.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation

from bot.runtime import Runtime
from bot.slack.installs import StateStore, Store, on_clock
from bot.storage.database import insert_ignore
from bot.storage.models import Team
from coaching.i18n import language_for, t

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class OrgInstallRefused(BoltError):
    """An Enterprise Grid org-wide install, which the bot doesn't take."""


def authorization_url(api_url: str) -> str:
    """Slack's authorize page beside its Web API: https://slack.com/oauth/v2/authorize (or the stand-in's)."""
    return api_url.removesuffix("/").removesuffix("/api") + "/oauth/v2/authorize"


def flow(runtime: Runtime) -> OAuthFlow:
    """The OAuth flow of this process: slack_sdk's stores on the bot's database, our pages."""
    config = runtime.config
    assert config.client_id and config.client_secret
    settings = OAuthSettings(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=list(config.scopes),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(config.slack_api_url),
        installation_store=Store(config.client_id, runtime.db),
        installation_store_bot_only=True,
        state_store=StateStore(runtime.db),
        callback_options=CallbackOptions(success=_installed_page, failure=_failed_page),
    )
    client = WebClient(base_url=config.slack_api_url, timeout=10, retry_handlers=[])
    return InstallFlow(runtime, client=client, settings=settings)


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow, with our install page, installations on the bot's clock, and org-wide installs refused."""

    def __init__(self, runtime: Runtime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        lang = _language(request)
        link = f'<p><a class="button" href="{html.escape(url)}">{_text(lang, "install.button")}</a></p>'
        return _page(lang, "install.title", f"<p>{_text(lang, 'install.intro')}</p>{link}")

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        if installation.is_enterprise_install:
            self._revoke(installation)
            raise OrgInstallRefused(f"org-wide install into {installation.enterprise_id} refused")
        team_id = installation.team_id or ""
        super().store_installation(request, on_clock(installation, self.runtime.clock))
        with self.runtime.db.transaction() as session:
            now = self.runtime.clock()
            insert_ignore(session, Team, id=team_id, name=installation.team_name, settings={}, created_at=now)
        self.runtime.installations.installed(team_id)  # a reinstall within the grace period keeps everything
        log.info("workspace %s installed the bot", team_id)

    def _revoke(self, installation: Installation) -> None:
        """Give back the token of an install we refuse, so nothing holds it."""
        try:
            self.client.auth_revoke(token=installation.bot_token)
        except (SlackApiError, OSError, ValueError) as err:
            log.warning("could not revoke the token of a refused org install: %s", type(err).__name__)


def _installed_page(args: SuccessArgs) -> BoltResponse:
    lang = _language(args.request)
    team = html.escape(args.installation.team_name or args.installation.team_id or "")
    body = f"<p>{_text(lang, 'install.done_body').replace('{team}', team)}</p>"
    return _response(200, _page(lang, "install.done_title", body))


def _failed_page(args: FailureArgs) -> BoltResponse:
    lang = _language(args.request)
    again = f'<p><a href="{INSTALL_PATH}">{_text(lang, "install.again")}</a></p>'
    if isinstance(args.error, OrgInstallRefused):
        return _response(403, _page(lang, "install.org_title", f"<p>{_text(lang, 'install.org_body')}</p>{again}"))
    reason = html.escape(args.reason or "")
    body = f"<p>{_text(lang, 'install.failed_body').replace('{reason}', reason)}</p>{again}"
    # A store that failed is ours to fix, but the installer reads a page, never a 500.
    status = 503 if args.suggested_status_code >= 500 else args.suggested_status_code
    return _response(status, _page(lang, "install.failed_title", body))


def _language(request: BoltRequest) -> str:
    """The installer's language from the browser's Accept-Language (English unless it prefers Dutch)."""
    accept = (request.headers.get("accept-language") or [""])[0]
    return language_for(accept.split(",")[0].split(";")[0].strip())


def _text(lang: str, key: str) -> str:
    # The catalogs hold no markup in these keys; a {placeholder} is filled by the caller, already escaped.
    return html.escape(t(lang, key, team="{team}", reason="{reason}"))


def _page(lang: str, title_key: str, body: str) -> str:
    title = _text(lang, title_key)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><style>'
        "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1d1c1d}"
        "a.button{display:inline-block;background:#1d4f91;color:#fff;padding:.7rem 1.2rem;border-radius:6px;"
        "text-decoration:none;font-weight:600}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def _response(status: int, page: str) -> BoltResponse:
    return BoltResponse(status=status, body=page, headers={"Content-Type": "text/html; charset=utf-8"})

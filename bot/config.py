"""Settings from the environment and `.env`, checked once at start-up.

A missing or malformed setting stops the program with one line naming the variable and where to get it
(exit code 2, no traceback): `ConfigError` carries that line and the CLI prints it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from cryptography.fernet import Fernet
from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite:///salescoach.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
DEFAULT_HUBSPOT_API_URL = "https://api.hubapi.com"
DEFAULT_HUBSPOT_AUTHORIZE_URL = "https://app.hubspot.com/oauth/authorize"
HUBSPOT_REDIRECT_PATH = "/hubspot/oauth_redirect"
# What a HubSpot public app asks for: the objects the sync reads and writes, the owners, our call property.
DEFAULT_HUBSPOT_SCOPES = (
    "oauth",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.owners.read",
)
# The bot scopes an OAuth install asks for: manifest.yml's (a test holds the two together). SLACK_SCOPES overrides.
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "users:read.email",
    "chat:write.public",
    "files:write",
    "im:history",
)
# How long a workspace's data is kept after it uninstalls the bot: a reinstall within it finds everything as it was.
DEFAULT_UNINSTALL_GRACE_DAYS = 30

_WHERE = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-...) under OAuth & Permissions in your Slack app's settings",
    "SLACK_SIGNING_SECRET": "the Signing Secret under Basic Information in your Slack app's settings (HTTP mode "
    "needs it; for Socket Mode instead, set SLACK_APP_TOKEN and use `salescoach run`)",
    "SLACK_APP_TOKEN": "an app-level token (xapp-...) with connections:write, under Basic Information > App-Level "
    "Tokens; leave it unset to serve HTTP instead of Socket Mode",
    "SLACK_API_URL": "the Slack Web API base URL; leave it unset for https://slack.com/api/",
    "DATABASE_URL": "a SQLAlchemy URL such as sqlite:///salescoach.db or "
    "postgresql+psycopg://user:password@host:5432/salescoach",
    "PORT": "a TCP port number such as 3000",
    "HUBSPOT_API_URL": "HubSpot's API base URL; leave it unset for https://api.hubapi.com",
    "SALESCOACH_SECRET_KEY": "a Fernet key, which encrypts HubSpot tokens at rest: make one with "
    '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`',
    "HUBSPOT_ACCESS_TOKEN": "a HubSpot private-app access token (pat-...); it needs SALESCOACH_SECRET_KEY too",
    "HUBSPOT_CLIENT_ID": "the Client ID of your HubSpot public app (its Auth tab); set HUBSPOT_CLIENT_SECRET and "
    "HUBSPOT_REDIRECT_URL with it",
    "HUBSPOT_CLIENT_SECRET": "the Client secret of your HubSpot public app (its Auth tab)",
    "HUBSPOT_REDIRECT_URL": "this server's public address followed by /hubspot/oauth_redirect, e.g. "
    "https://coach.example.com/hubspot/oauth_redirect, listed as a Redirect URL in your HubSpot app's Auth tab",
    "HUBSPOT_AUTHORIZE_URL": "HubSpot's authorize page; leave it unset for https://app.hubspot.com/oauth/authorize",
    "SLACK_CLIENT_ID": "the Client ID under Basic Information > App Credentials in your Slack app's settings",
    "SLACK_CLIENT_SECRET": "the Client Secret under Basic Information > App Credentials in your Slack app's settings",
    "SLACK_SCOPES": "a comma-separated list of bot scopes such as commands,chat:write; leave it unset for the "
    "scopes in manifest.yml",
    "UNINSTALL_GRACE_DAYS": "a whole number of days such as 30",
}


class ConfigError(Exception):
    """A setting is missing or malformed; the message is the one line the operator reads."""


@dataclass(frozen=True)
class Config:
    """Everything the bot reads from its environment."""

    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    slack_api_url: str
    database_url: str
    port: int
    hubspot_api_url: str = DEFAULT_HUBSPOT_API_URL
    hubspot_access_token: str | None = None
    secret_key: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    uninstall_grace_days: int = DEFAULT_UNINSTALL_GRACE_DAYS
    hubspot_client_id: str | None = None
    hubspot_client_secret: str | None = None
    hubspot_redirect_url: str | None = None
    hubspot_authorize_url: str = DEFAULT_HUBSPOT_AUTHORIZE_URL
    hubspot_scopes: tuple[str, ...] = DEFAULT_HUBSPOT_SCOPES

    @property
    def hubspot_oauth(self) -> bool:
        """Whether managers connect HubSpot through a public app's OAuth (besides a private-app token)."""
        return bool(self.hubspot_client_id and self.hubspot_client_secret and self.secret_key)

    @property
    def oauth(self) -> bool:
        """Whether workspaces install the bot through OAuth (many workspaces) rather than with SLACK_BOT_TOKEN."""
        return bool(self.client_id and self.client_secret)

    def require_tokens(self) -> Config:
        """Stop with one clear line unless the bot has a way to speak for a workspace: a bot token or OAuth."""
        if self.oauth:
            return self
        return self.require("SLACK_BOT_TOKEN")

    def require(self, *names: str) -> Config:
        """Stop with one clear line if any of the named settings is missing."""
        values = {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_APP_TOKEN": self.app_token,
        }
        for name in names:
            if not values[name]:
                if name == "SLACK_BOT_TOKEN":
                    raise ConfigError(
                        "SLACK_BOT_TOKEN is not set: set it in the environment or .env to "
                        f"{_WHERE[name]}, or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install through OAuth."
                    )
                raise ConfigError(f"{name} is not set: set it in the environment or .env to {_WHERE[name]}.")
        return self

    def __repr__(self) -> str:
        # Secrets never reach a log line, even through a debug print of the config.
        return (
            f"Config(slack_api_url={self.slack_api_url!r}, database_url={_redact_url(self.database_url)!r}, "
            f"port={self.port}, bot_token={'set' if self.bot_token else 'unset'}, "
            f"signing_secret={'set' if self.signing_secret else 'unset'}, "
            f"app_token={'set' if self.app_token else 'unset'}, "
            f"client_id={self.client_id!r}, client_secret={'set' if self.client_secret else 'unset'}, "
            f"hubspot_api_url={self.hubspot_api_url!r}, "
            f"hubspot_access_token={'set' if self.hubspot_access_token else 'unset'}, "
            f"hubspot_client_id={self.hubspot_client_id!r}, "
            f"hubspot_client_secret={'set' if self.hubspot_client_secret else 'unset'}, "
            f"secret_key={'set' if self.secret_key else 'unset'})"
        )


def load(environ: dict[str, str] | None = None, *, dotenv: bool = True) -> Config:
    """Read and check the settings; `.env` in the working directory fills what the environment lacks."""
    if dotenv and environ is None:
        load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    bot_token = get("SLACK_BOT_TOKEN")
    if bot_token and not bot_token.startswith("xoxb-"):
        raise ConfigError(f"SLACK_BOT_TOKEN must start with xoxb-: use {_WHERE['SLACK_BOT_TOKEN']}.")
    app_token = get("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError(f"SLACK_APP_TOKEN must start with xapp-: use {_WHERE['SLACK_APP_TOKEN']}.")
    api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"SLACK_API_URL is not an http(s) URL ({api_url!r}): set it to {_WHERE['SLACK_API_URL']}.")
    if not api_url.endswith("/"):
        api_url += "/"
    database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
    database_url = _normalize_database_url(database_url)
    port_text = get("PORT") or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"PORT is not a port number ({port_text!r}): set it to {_WHERE['PORT']}.")
    hubspot_url = (get("HUBSPOT_API_URL") or DEFAULT_HUBSPOT_API_URL).rstrip("/")
    parsed = urlparse(hubspot_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"HUBSPOT_API_URL is not an http(s) URL ({hubspot_url!r}): set it to {_WHERE['HUBSPOT_API_URL']}."
        )
    secret_key = get("SALESCOACH_SECRET_KEY")
    if secret_key:
        try:
            Fernet(secret_key.encode())
        except ValueError:
            raise ConfigError(
                f"SALESCOACH_SECRET_KEY is not a Fernet key: set it to {_WHERE['SALESCOACH_SECRET_KEY']}."
            ) from None
    hubspot_token = get("HUBSPOT_ACCESS_TOKEN")
    if hubspot_token and not secret_key:
        raise ConfigError(
            "HUBSPOT_ACCESS_TOKEN is set but SALESCOACH_SECRET_KEY is not: no HubSpot without a key to keep its "
            f"token encrypted; set SALESCOACH_SECRET_KEY to {_WHERE['SALESCOACH_SECRET_KEY']}."
        )
    hubspot_app = _hubspot_app(get, secret_key)
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    _check_oauth(client_id, client_secret, bot_token)
    scopes = tuple(s.strip() for s in (get("SLACK_SCOPES") or ",".join(DEFAULT_SCOPES)).split(",") if s.strip())
    if not scopes:
        raise ConfigError(f"SLACK_SCOPES names no scope: set it to {_WHERE['SLACK_SCOPES']}.")
    grace = get("UNINSTALL_GRACE_DAYS") or str(DEFAULT_UNINSTALL_GRACE_DAYS)
    if not grace.isdigit() or not grace.isascii():
        raise ConfigError(
            f"UNINSTALL_GRACE_DAYS is not a number of days ({grace!r}): set it to {_WHERE['UNINSTALL_GRACE_DAYS']}."
        )
    return Config(
        bot_token=bot_token,
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=app_token,
        slack_api_url=api_url,
        database_url=database_url,
        port=int(port_text),
        hubspot_api_url=hubspot_url,
        hubspot_access_token=hubspot_token,
        secret_key=secret_key,
        client_id=client_id,
        client_secret=client_secret,
        scopes=scopes,
        uninstall_grace_days=int(grace),
        **hubspot_app,
    )


def _hubspot_app(get: Any, secret_key: str | None) -> dict[str, Any]:
    """HubSpot OAuth: a public app's id and secret, where HubSpot sends the manager back, and its authorize page."""
    client_id, client_secret = get("HUBSPOT_CLIENT_ID"), get("HUBSPOT_CLIENT_SECRET")
    authorize = (get("HUBSPOT_AUTHORIZE_URL") or DEFAULT_HUBSPOT_AUTHORIZE_URL).rstrip("/")
    if not _http_url(authorize):
        raise ConfigError(
            f"HUBSPOT_AUTHORIZE_URL is not an http(s) URL ({authorize!r}): set it to {_WHERE['HUBSPOT_AUTHORIZE_URL']}."
        )
    if not client_id and not client_secret:
        return {"hubspot_authorize_url": authorize}
    for name, value in (("HUBSPOT_CLIENT_ID", client_id), ("HUBSPOT_CLIENT_SECRET", client_secret)):
        if not value:
            raise ConfigError(f"{name} is not set while the other is: set it to {_WHERE[name]}.")
    if not secret_key:
        raise ConfigError(
            "HUBSPOT_CLIENT_ID is set but SALESCOACH_SECRET_KEY is not: no HubSpot without a key to keep its "
            f"tokens encrypted; set SALESCOACH_SECRET_KEY to {_WHERE['SALESCOACH_SECRET_KEY']}."
        )
    redirect = get("HUBSPOT_REDIRECT_URL")
    if not redirect or not _http_url(redirect) or not redirect.endswith(HUBSPOT_REDIRECT_PATH):
        raise ConfigError(
            f"HUBSPOT_REDIRECT_URL is {'not set' if not redirect else f'not valid ({redirect!r})'}: "
            f"set it to {_WHERE['HUBSPOT_REDIRECT_URL']}."
        )
    return {
        "hubspot_client_id": client_id,
        "hubspot_client_secret": client_secret,
        "hubspot_redirect_url": redirect,
        "hubspot_authorize_url": authorize,
    }


def _http_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _check_oauth(client_id: str | None, client_secret: str | None, bot_token: str | None) -> None:
    """OAuth needs both credentials, and takes every workspace's token from its install, never SLACK_BOT_TOKEN."""
    if bool(client_id) != bool(client_secret):
        have, missing = (
            ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET") if client_id else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
        )
        raise ConfigError(
            f"{missing} is not set while {have} is: set it to {_WHERE[missing]}, or unset {have} to serve one "
            "workspace with SLACK_BOT_TOKEN."
        )
    if client_id and bot_token:
        raise ConfigError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: with OAuth each workspace's token comes from its "
            "install, so unset SLACK_BOT_TOKEN (or unset SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for one workspace)."
        )


def _normalize_database_url(url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    # Heroku-style URLs name the server, not the driver; we ship psycopg 3.
    if scheme in ("postgres", "postgresql"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if scheme.startswith("sqlite") or scheme.startswith("postgresql+psycopg"):
        return url
    raise ConfigError(
        f"DATABASE_URL has an unsupported scheme ({scheme or 'none'}): set it to {_WHERE['DATABASE_URL']}."
    )


def _redact_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url

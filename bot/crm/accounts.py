"""Each workspace's HubSpot connection: the token encrypted at rest, connecting, and the client of a workspace.

Tokens are encrypted with Fernet (cryptography) under `SALESCOACH_SECRET_KEY`; without the key there is no
HubSpot at all (`Accounts.enabled` is False and whoever asks is told why), since a token must never be stored in
the clear. Nothing here logs a token.

A connection made through a public app's OAuth (`source="oauth"`, bot.crm.oauth) also keeps its refresh token,
encrypted, and when its access token expires: its client renews the token (`renew`) before a call that would
meet the expiry, and stores the new pair. A refresh HubSpot refuses is a 401, as a revoked token is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session

from bot.crm.hubspot import DEFAULT_API_URL, Expiry, HubSpot, HubSpotError
from bot.crm.hubspot import RENEW_BEFORE as RENEW_MARGIN
from bot.crm.oauth import HubSpotApp, Tokens
from bot.storage.database import Database
from bot.storage.models import CrmConnection


@dataclass(frozen=True)
class Checked:
    """What HubSpot says about a token that works: its account and call outcomes."""

    portal_id: str
    labels: dict[str, str]  # disposition id -> label


class Accounts:
    """HubSpot accounts of the workspaces, by token; `api_url` is HUBSPOT_API_URL."""

    def __init__(
        self,
        secret_key: str | None,
        api_url: str = DEFAULT_API_URL,
        env_token: str | None = None,
        *,
        app: HubSpotApp | None = None,
        db: Database | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.fernet = Fernet(secret_key.encode()) if secret_key else None
        self.api_url = api_url
        self.env_token = env_token
        self.app = app if self.fernet is not None else None  # OAuth: HUBSPOT_CLIENT_ID/_SECRET
        self.db = db
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    @property
    def enabled(self) -> bool:
        """Whether HubSpot can be connected at all: a key to keep its token with."""
        return self.fernet is not None

    def client_for_token(self, token: str) -> HubSpot:
        """A client for a token not stored yet (to check it)."""
        return HubSpot(token, self.api_url)

    def check(self, token: str) -> Checked:
        """Ask HubSpot about a token: its account, its call outcomes, our call property (created if missing)."""
        client = self.client_for_token(token)
        account = client.account()
        labels = client.dispositions()
        client.ensure_marker()
        return Checked(str(account.get("portalId") or ""), labels)

    def store(
        self,
        session: Session,
        team_id: str,
        token: str,
        checked: Checked,
        outcomes: dict[str, str],
        by: str,
        source: str,
        now: dt.datetime,
        tokens: Tokens | None = None,
    ) -> CrmConnection:
        """Keep a checked token, encrypted, as the workspace's connection (replacing one before, cursor kept).

        `tokens` are an OAuth connection's: its refresh token is kept too, and when the access token expires.
        """
        assert self.fernet is not None, "no SALESCOACH_SECRET_KEY: HubSpot can't be connected"
        sealed = self.fernet.encrypt(token.encode()).decode()
        row = session.get(CrmConnection, team_id)
        if row is None:
            row = CrmConnection(team_id=team_id, pulled=0, connected_at=now)
            session.add(row)
        row.token, row.source, row.portal_id, row.status = sealed, source, checked.portal_id, "active"
        row.labels, row.outcomes, row.connected_by, row.connected_at = checked.labels, outcomes, by, now
        row.revoked_told, row.last_error = False, None
        row.refresh_token = self.fernet.encrypt(tokens.refresh.encode()).decode() if tokens else None
        row.expires_at = tokens.expires_at(now) if tokens else None
        if row.cursor is None:
            row.cursor = now  # the pull starts at the connection: calls from before it are HubSpot's history
        return row

    def token_of(self, row: CrmConnection) -> str | None:
        """A connection's token in the clear, or None when the key can't open it (the key changed)."""
        return self._open(row.token)

    def _open(self, sealed: str | None) -> str | None:
        if self.fernet is None or not sealed:
            return None
        try:
            return self.fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None

    def client(self, row: CrmConnection | None) -> HubSpot | None:
        """The client of a connection that works, or None (none, revoked, or a token the key can't open)."""
        if row is None or row.status != "active":
            return None
        token = self.token_of(row)
        if not token:
            return None
        if row.source == "oauth" and row.expires_at is not None:
            team_id = row.team_id
            return HubSpot(token, self.api_url, Expiry(row.expires_at, self.clock, lambda: self.renew(team_id)))
        return HubSpot(token, self.api_url)

    def renew(self, team_id: str) -> tuple[str, dt.datetime]:
        """Renew a workspace's OAuth access token with its refresh token, store the new pair, and return it.

        A token another process renewed meanwhile is taken as it is. Refused (the app uninstalled in HubSpot, or
        the refresh token unreadable): HubSpotError 401, which the callers treat as a revoked connection.
        """
        assert self.db is not None, "renewing a token needs the database"
        with self.db.read() as session:
            row = session.get(CrmConnection, team_id)
            if row is None or row.status != "active":
                raise HubSpotError(401, "NOT_CONNECTED", "the HubSpot connection is gone")
            token, refresh, expires_at = self.token_of(row), self._open(row.refresh_token), row.expires_at
        if token and expires_at is not None and self.clock() < expires_at - RENEW_MARGIN:
            return token, expires_at
        if self.app is None or not refresh:
            raise HubSpotError(
                401, "BAD_REFRESH_TOKEN", "no HubSpot app or refresh token to renew the access token with"
            )
        now = self.clock()
        tokens = self.app.refresh(refresh)
        assert self.fernet is not None
        with self.db.transaction() as session:
            row = session.get(CrmConnection, team_id)
            if row is None or row.status != "active":
                raise HubSpotError(401, "NOT_CONNECTED", "the HubSpot connection is gone")
            row.token = self.fernet.encrypt(tokens.access.encode()).decode()
            row.refresh_token = self.fernet.encrypt(tokens.refresh.encode()).decode()
            row.expires_at = tokens.expires_at(now)
        return tokens.access, tokens.expires_at(now)

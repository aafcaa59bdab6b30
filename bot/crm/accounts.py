"""Each workspace's HubSpot connection: the token encrypted at rest, connecting, and the client of a workspace.

Tokens are encrypted with Fernet (cryptography) under `SALESCOACH_SECRET_KEY`; without the key there is no
HubSpot at all (`Accounts.enabled` is False and whoever asks is told why), since a token must never be stored in
the clear. Nothing here logs a token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session

from bot.crm.hubspot import DEFAULT_API_URL, HubSpot
from bot.storage.models import CrmConnection


@dataclass(frozen=True)
class Checked:
    """What HubSpot says about a token that works: its account and call outcomes."""

    portal_id: str
    labels: dict[str, str]  # disposition id -> label


class Accounts:
    """HubSpot accounts of the workspaces, by token; `api_url` is HUBSPOT_API_URL."""

    def __init__(self, secret_key: str | None, api_url: str = DEFAULT_API_URL, env_token: str | None = None) -> None:
        self.fernet = Fernet(secret_key.encode()) if secret_key else None
        self.api_url = api_url
        self.env_token = env_token

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
    ) -> CrmConnection:
        """Keep a checked token, encrypted, as the workspace's connection (replacing one before, cursor kept)."""
        assert self.fernet is not None, "no SALESCOACH_SECRET_KEY: HubSpot can't be connected"
        sealed = self.fernet.encrypt(token.encode()).decode()
        row = session.get(CrmConnection, team_id)
        if row is None:
            row = CrmConnection(team_id=team_id, pulled=0, connected_at=now)
            session.add(row)
        row.token, row.source, row.portal_id, row.status = sealed, source, checked.portal_id, "active"
        row.labels, row.outcomes, row.connected_by, row.connected_at = checked.labels, outcomes, by, now
        row.revoked_told, row.last_error = False, None
        if row.cursor is None:
            row.cursor = now  # the pull starts at the connection: calls from before it are HubSpot's history
        return row

    def token_of(self, row: CrmConnection) -> str | None:
        """A connection's token in the clear, or None when the key can't open it (the key changed)."""
        if self.fernet is None:
            return None
        try:
            return self.fernet.decrypt(row.token.encode()).decode()
        except InvalidToken:
            return None

    def client(self, row: CrmConnection | None) -> HubSpot | None:
        """The client of a connection that works, or None (none, revoked, or a token the key can't open)."""
        if row is None or row.status != "active":
            return None
        token = self.token_of(row)
        return HubSpot(token, self.api_url) if token else None

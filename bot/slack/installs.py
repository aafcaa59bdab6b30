"""Workspaces that installed the bot through OAuth: slack_sdk's SQLAlchemy stores on the bot's own database.

The tables are the bot's (bot.storage.models, created by migration 0010), read and written by slack_sdk's
`SQLAlchemyInstallationStore` and `SQLAlchemyOAuthStateStore`. Two things are ours:
- On SQLite, writes take this process's writer turn (`Database.writing`) and reads go through the read-only
  engine, as every other statement of the bot does, so a store's statement never waits on SQLite's file lock.
- Token expiry is on the bot's clock. slack_sdk computes `bot_token_expires_at` from the wall clock (`time()`);
  `on_clock` moves it onto the bot's clock where an installation is made (OAuth callback, rotation), and `Rotation`
  asks slack_sdk's `TokenRotator` with the bot's clock. In production the two clocks are one; in the tests and the
  demo the clock is set, and the Slack stand-in expires tokens on that same clock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import desc, select

from bot.storage.database import READ_ONLY, Database
from bot.storage.models import SLACK_INSTALLATIONS

# Rotate a bot token this long before Slack's expiry (Bolt's default, token_rotation_expiration_minutes).
ROTATE_BEFORE = dt.timedelta(hours=2)
# How long a process reuses a workspace's installation before reading it again (bench/bench_tokens.py: a read costs
# about 1 ms on SQLite and 4 to 9 ms on PostgreSQL, for every Slack call). An uninstall in this process forgets it at
# once; in another, a send with the revoked token is refused by Slack and not retried, and the outbox rows of the
# workspace are cancelled in the database at once anyway.
CACHE_FOR = dt.timedelta(seconds=60)
# How long an "Add to Slack" click may take to come back to /slack/oauth_redirect.
STATE_EXPIRY_SECONDS = 600


class NotInstalled(Exception):
    """The bot has no token for this workspace (never installed, uninstalled, or its token revoked)."""


def on_clock(installation: Installation, clock: Callable[[], dt.datetime]) -> Installation:
    """Move an installation's token expiry, which slack_sdk computed on the wall clock, onto the bot's clock."""
    if installation.bot_token_expires_at is not None:
        installation.bot_token_expires_at += round(clock().timestamp() - time.time())
    return installation


class Store(InstallationStore):
    """slack_sdk's SQLAlchemy installation store on the bot's database: one workspace, one installation."""

    def __init__(self, client_id: str, db: Database) -> None:
        self.db = db
        self.client_id = client_id
        self._reads = SQLAlchemyInstallationStore(client_id, db.engine.execution_options(**{READ_ONLY: True}))
        self._writes = SQLAlchemyInstallationStore(client_id, db.engine)
        self._enterprises: dict[str, str | None] = {}  # a workspace never changes org: asked once per process

    def save(self, installation: Installation) -> None:
        with self.db.writing():
            self._writes.save(installation)

    def save_bot(self, bot: Bot) -> None:
        with self.db.writing():
            self._writes.save_bot(bot)

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        return self._reads.find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return self._reads.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, is_enterprise_install=is_enterprise_install
        )

    def enterprise_of(self, team_id: str) -> str | None:
        """The Enterprise Grid org a workspace's latest installation belongs to (None outside Grid)."""
        if team_id in self._enterprises:
            return self._enterprises[team_id]
        with self.db.read() as session:
            row = session.execute(
                select(SLACK_INSTALLATIONS.c.enterprise_id)
                .where(SLACK_INSTALLATIONS.c.client_id == self.client_id, SLACK_INSTALLATIONS.c.team_id == team_id)
                .order_by(desc(SLACK_INSTALLATIONS.c.installed_at))
                .limit(1)
            ).first()
        if row is None:
            return None  # not installed (yet): asked again next time
        self._enterprises[team_id] = row[0]
        return row[0]

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self.db.writing():
            self._writes.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        with self.db.writing():
            self._writes.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)


class StateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store on the bot's database (table slack_oauth_states), writing in our turn."""

    def __init__(self, db: Database) -> None:
        super().__init__(expiration_seconds=STATE_EXPIRY_SECONDS, engine=db.engine)
        self.db = db

    def issue(self, *args: Any, **kwargs: Any) -> str:
        with self.db.writing():
            return super().issue(*args, **kwargs)

    def consume(self, state: str) -> bool:
        with self.db.writing():
            return super().consume(state)


class Rotation:
    """Refreshes a workspace's expiring bot token with its refresh token (slack_sdk's `TokenRotator`), on our clock."""

    def __init__(
        self, store: Store, client_id: str, client_secret: str, api_url: str, clock: Callable[[], dt.datetime]
    ) -> None:
        self.store = store
        self.clock = clock
        client = WebClient(base_url=api_url, timeout=10, retry_handlers=[])
        self.rotator = TokenRotator(client_id=client_id, client_secret=client_secret, client=client)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Installation, dt.datetime]] = {}

    def forget(self, team_id: str) -> None:
        """Read the workspace's installation afresh next time (it installed again, or uninstalled)."""
        self._cache.pop(team_id, None)

    def current(self, team_id: str) -> Installation:
        """The workspace's installation with a bot token that is good for a while yet (NotInstalled: none)."""
        cached = self._cache.get(team_id)
        if cached is not None and dt.timedelta(0) <= self.clock() - cached[1] < CACHE_FOR:
            if not self._expiring(cached[0]):
                return cached[0]
        installation = self._find(team_id)
        if not self._expiring(installation):
            self._cache[team_id] = (installation, self.clock())
            return installation
        with self._lock:  # one refresh per process, however many threads find the token expiring at once
            installation = self._find(team_id)
            if not self._expiring(installation):
                return installation
            # TokenRotator compares the expiry with the wall clock: hand it the minutes that make its test ours.
            skew = time.time() - self.clock().timestamp()
            minutes = (ROTATE_BEFORE.total_seconds() + skew) / 60
            try:
                rotated = self.rotator.perform_token_rotation(
                    installation=installation,
                    minutes_before_expiration=minutes,  # type: ignore[arg-type]  # a float works as well
                )
            except SlackTokenRotationError as err:
                api_error: SlackApiError = err.api_error
                if api_error.response.status_code == 200:  # Slack refused the refresh token: nothing will cure it
                    raise NotInstalled(team_id, api_error.response.get("error")) from err
                raise api_error from err  # 429 or 5xx: the caller retries later
            if rotated is None:
                return installation
            self.store.save(on_clock(rotated, self.clock))
            self._cache[team_id] = (rotated, self.clock())
            return rotated

    def _find(self, team_id: str) -> Installation:
        installation = self.store.find_installation(enterprise_id=self.store.enterprise_of(team_id), team_id=team_id)
        if installation is None or not installation.bot_token:
            raise NotInstalled(team_id)
        return installation

    def _expiring(self, installation: Installation) -> bool:
        expires = installation.bot_token_expires_at
        return expires is not None and expires <= (self.clock() + ROTATE_BEFORE).timestamp()

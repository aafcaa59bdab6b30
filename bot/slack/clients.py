"""Slack Web API clients, one per workspace token, all aimed at `SLACK_API_URL`.

Every Slack call is made with the token of the workspace it concerns, and `Installations.token_for` says which:
`SLACK_BOT_TOKEN` for the one workspace in single-workspace mode, or, with OAuth, the workspace's own installation
(bot.slack.installs), its token refreshed when it is about to expire.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_sdk import WebClient
from sqlalchemy import update

from bot.slack.installs import NotInstalled, Rotation
from bot.storage.database import Database
from bot.storage.models import Team

__all__ = ["CLIENT_TIMEOUT", "INTERACTIVE_TIMEOUT", "Installations", "NotInstalled"]

log = logging.getLogger(__name__)

# Outbox sends have their own retry, so a send may wait this long before it counts as failed.
CLIENT_TIMEOUT = 10
# A call made before an ack (a new rep's users.info) must leave time to answer within Slack's 3 seconds.
INTERACTIVE_TIMEOUT = 2


class Installations:
    """Which token speaks for which workspace, and the Web API clients that use them."""

    def __init__(
        self,
        bot_token: str | None,
        api_url: str,
        *,
        oauth: Rotation | None = None,
        db: Database | None = None,
        clock: Callable[[], Any] | None = None,
    ) -> None:
        self._bot_token = bot_token
        self.api_url = api_url
        self.oauth = oauth
        self.db = db
        self.clock = clock
        self._clients: dict[tuple[str, int], WebClient] = {}
        self._lock = threading.Lock()
        self._active: set[str] = set()  # workspaces this process has seen a request from since it last uninstalled

    def token_for(self, team_id: str) -> str:
        """The bot token of workspace `team_id` (NotInstalled when there is none)."""
        if self.oauth is not None:
            token = self.oauth.current(team_id).bot_token
            assert token is not None
            return token
        if not self._bot_token:
            raise NotInstalled(team_id)
        return self._bot_token

    def client_for(self, team_id: str, *, interactive: bool = False) -> WebClient:
        """A Web API client speaking for workspace `team_id` (shared, thread-safe).

        `interactive` is for calls made before an ack: their timeout leaves time to answer Slack.
        """
        token = self.token_for(team_id)
        timeout = INTERACTIVE_TIMEOUT if interactive else CLIENT_TIMEOUT
        with self._lock:
            client = self._clients.get((token, timeout))
            if client is None:
                # No automatic retries: the outbox reschedules on 429 and 5xx itself, and interactive paths
                # can't afford to wait.
                client = WebClient(token=token, base_url=self.api_url, timeout=timeout, retry_handlers=[])
                self._clients[(token, timeout)] = client
            return client

    def authorize(self, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult | None:
        """Bolt's `authorize` hook: the token of the workspace a request came from (None: not installed)."""
        try:
            token = self.token_for(team_id or "")
        except NotInstalled:
            log.warning("request from workspace %s, which has no token", team_id)
            return None
        if team_id and team_id not in self._active:
            self.installed(team_id)
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    def installed(self, team_id: str) -> None:
        """The workspace has the bot (a request came from it, or it just installed): clear its uninstall mark.

        Slack sends nothing from a workspace that uninstalled the bot, so a request means it is back, also in
        single-workspace mode, where a reinstall is a new SLACK_BOT_TOKEN. `authorize` asks once per workspace per
        process.
        """
        if self.oauth is not None:
            self.oauth.forget(team_id)
        if self.db is None:
            return
        with self.db.transaction() as session:
            session.execute(
                update(Team).where(Team.id == team_id, Team.uninstalled_at.is_not(None)).values(uninstalled_at=None)
            )
        self._active.add(team_id)

    def uninstalled(self, team_id: str) -> None:
        """Forget, in this process, that the workspace was active (the uninstall itself is bot.usecases.installs')."""
        self._active.discard(team_id)
        if self.oauth is not None:
            self.oauth.forget(team_id)


class SlackAuthorize(Authorize):
    """Bolt's authorize step as an `Authorize` (what Bolt takes beside an OAuth flow): `Installations.authorize`."""

    def __init__(self, installations: Installations) -> None:
        self.installations = installations

    def __call__(self, *, context: Any, enterprise_id: str | None, team_id: str | None, **_: Any) -> Any:
        return self.installations.authorize(enterprise_id, team_id)

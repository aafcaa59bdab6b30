"""Slack Web API clients, one per workspace token, all aimed at `SLACK_API_URL`.

Every Slack call is made with the token of the workspace it concerns. Today every workspace's token is
`SLACK_BOT_TOKEN`; per-workspace OAuth installs will answer `Installations.token_for` from the database instead,
and nothing else has to change.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

log = logging.getLogger(__name__)

# Outbox sends have their own retry, so a send may wait this long before it counts as failed.
CLIENT_TIMEOUT = 10
# A call made before an ack (a new rep's users.info) must leave time to answer within Slack's 3 seconds.
INTERACTIVE_TIMEOUT = 2


class NotInstalled(Exception):
    """The bot has no token for this workspace."""


class Installations:
    """Which token speaks for which workspace, and the Web API clients that use them."""

    def __init__(self, bot_token: str | None, api_url: str) -> None:
        self._bot_token = bot_token
        self.api_url = api_url
        self._clients: dict[tuple[str, int], WebClient] = {}
        self._lock = threading.Lock()

    def token_for(self, team_id: str) -> str:
        """The bot token of workspace `team_id`."""
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
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

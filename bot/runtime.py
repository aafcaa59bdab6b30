"""The parts of a running bot, built once per process and handed to listeners, the scheduler and the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import team
from bot.config import Config
from bot.delivery import PREPARE, after_sent, decide
from bot.outbox import Sweeper
from bot.reps import RepDirectory
from bot.service import CoachService
from bot.slack.clients import Installations
from bot.storage.database import Database

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The wall clock, in UTC. Everything else takes `now` from a `Clock`, so tests can set it."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    """Config, database, Slack clients and services of one process."""

    config: Config
    db: Database
    installations: Installations
    clock: Clock
    reps: RepDirectory
    service: CoachService
    sweeper: Sweeper
    background: ThreadPoolExecutor

    def close(self) -> None:
        """Release threads and connections."""
        self.background.shutdown(wait=True)
        self.db.dispose()


def build(config: Config, *, clock: Clock = utcnow, db: Database | None = None) -> Runtime:
    """Wire a runtime from settings."""
    db = db or Database(config.database_url)
    installations = Installations(config.bot_token, config.slack_api_url)
    background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="coach-bg")
    reps = RepDirectory(db, installations, clock, background)
    service = CoachService(db, reps, installations, clock, background)

    def post(team_id: str, channel: str, message: dict[str, Any]) -> str:
        response = installations.client_for(team_id).chat_postMessage(channel=channel, **message)
        if not response.get("ok"):
            raise SlackApiError("chat.postMessage failed", response)
        return str(response.get("ts") or "")

    sweeper = Sweeper(db, decide, reps.dm_channel, post, clock, plan=team.plan, after_sent=after_sent, prepare=PREPARE)
    return Runtime(config, db, installations, clock, reps, service, sweeper, background)

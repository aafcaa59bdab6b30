"""The parts of a running bot, built once per process and handed to listeners, the scheduler and the CLI."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.config import Config
from bot.crm.accounts import Accounts
from bot.crm.oauth import HubSpotApp
from bot.outbox.sweep import Sweeper
from bot.slack.clients import Installations
from bot.slack.installs import Rotation, Store
from bot.storage.database import Database
from bot.usecases import due, managers
from bot.usecases.reps import RepDirectory

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The wall clock, in UTC. Everything else takes `now` from a `Clock`, so tests can set it."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    """Config, database, Slack clients, the rep directory and the sweeper of one process.

    Every use case in `bot.usecases` takes it as its first argument, so a listener calls one function.
    """

    config: Config
    db: Database
    installations: Installations
    clock: Clock
    reps: RepDirectory
    sweeper: Sweeper
    background: ThreadPoolExecutor
    crm: Accounts  # each workspace's HubSpot (bot.crm)

    def close(self) -> None:
        """Release threads and connections."""
        self.background.shutdown(wait=True)
        self.db.dispose()


def build(config: Config, *, clock: Clock = utcnow, db: Database | None = None) -> Runtime:
    """Wire a runtime from settings."""
    db = db or Database(config.database_url)
    rotation = None
    if config.oauth:
        assert config.client_id and config.client_secret
        store = Store(config.client_id, db)
        rotation = Rotation(store, config.client_id, config.client_secret, config.slack_api_url, clock)
    installations = Installations(config.bot_token, config.slack_api_url, oauth=rotation, db=db, clock=clock)
    background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="coach-bg")
    reps = RepDirectory(db, installations, clock, background)

    def post(team_id: str, channel: str, message: dict[str, Any]) -> str:
        response = installations.client_for(team_id).chat_postMessage(channel=channel, **message)
        if not response.get("ok"):
            raise SlackApiError("chat.postMessage failed", response)
        return str(response.get("ts") or "")

    def update(team_id: str, channel: str, ts: str, message: dict[str, Any]) -> None:
        response = installations.client_for(team_id).chat_update(channel=channel, ts=ts, **message)
        if not response.get("ok"):
            raise SlackApiError("chat.update failed", response)

    app = None
    if config.hubspot_oauth:
        assert config.hubspot_client_id and config.hubspot_client_secret and config.hubspot_redirect_url
        app = HubSpotApp(
            config.hubspot_client_id,
            config.hubspot_client_secret,
            config.hubspot_redirect_url,
            config.hubspot_authorize_url,
            config.hubspot_scopes,
            config.hubspot_api_url,
        )
    crm = Accounts(config.secret_key, config.hubspot_api_url, config.hubspot_access_token, app=app, db=db, clock=clock)
    decide = functools.partial(due.decide, accounts=crm, db=db, reps=reps)

    def authority(team_id: str, user_id: str) -> bool | None:
        return managers.authority_of(reps, db, team_id, user_id, interactive=False)

    plan = functools.partial(due.plan, grace=dt.timedelta(days=config.uninstall_grace_days))
    sweeper = Sweeper(
        db,
        decide,
        reps.dm_channel,
        post,
        clock,
        plan=plan,
        after_sent=due.after_sent,
        prepare=due.prepare(authority),
        update=update,
        last=due.LAST,
    )
    return Runtime(config, db, installations, clock, reps, sweeper, background, crm)

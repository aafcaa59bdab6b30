"""Workspaces leaving: an uninstall stops all sending at once, and the data goes once the grace period has passed.

Slack sends `app_uninstalled` when a workspace removes the bot and `tokens_revoked` when its bot token is revoked;
either way nothing more can reach the workspace. `uninstalled` marks the workspace, cancels every nudge still in its
outbox (none is sent or retried) and forgets its installation (its tokens), in one transaction. The data stays for
the grace period (`UNINSTALL_GRACE_DAYS`, 30 days by default), so a reinstall within it finds the team as it left
it; `purge`, run by every sweep's planning pass, deletes what is older.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES, Nudge, Team

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

GRACE = dt.timedelta(days=30)
UNINSTALLED = "app uninstalled"


def uninstalled(rt: Runtime, team_id: str, why: str = UNINSTALLED) -> int:
    """Stop all sending to a workspace that removed the bot or revoked its token; returns the nudges cancelled."""
    now = rt.clock()
    with rt.db.transaction() as session:
        session.execute(
            update(Team).where(Team.id == team_id, Team.uninstalled_at.is_(None)).values(uninstalled_at=now)
        )
        cancelled = session.execute(
            update(Nudge)
            .where(Nudge.team_id == team_id, Nudge.status.in_(("pending", "sending")))
            .values(status="cancelled", last_error=why, lease_until=None)
        ).rowcount
        _forget_installation(session, team_id)
    rt.installations.uninstalled(team_id)
    log.info("workspace %s: %s; %s nudges cancelled, its data kept for the grace period", team_id, why, cancelled)
    return cancelled


def purge(session: Session, now: dt.datetime, grace: dt.timedelta = GRACE) -> list[str]:
    """Delete every workspace that uninstalled the bot more than `grace` before `now`, and all its rows.

    Also the OAuth states of installs nobody finished: slack_sdk deletes a state only when it is used.
    """
    # slack_sdk stores naive UTC times (its tables have no time zone).
    session.execute(delete(SLACK_OAUTH_STATES).where(SLACK_OAUTH_STATES.c.expire_at < now.replace(tzinfo=None)))
    cutoff = now - grace
    gone = list(session.scalars(select(Team.id).where(Team.uninstalled_at <= cutoff)))
    for team_id in gone:
        _forget_installation(session, team_id)
        # Every other row of the workspace hangs off `teams` with ON DELETE CASCADE (bot.storage.models).
        session.execute(delete(Team).where(Team.id == team_id, Team.uninstalled_at <= cutoff))
        log.info("workspace %s: deleted, %s after it uninstalled the bot", team_id, grace)
    return gone


def _forget_installation(session: Session, team_id: str) -> None:
    for table in (SLACK_BOTS, SLACK_INSTALLATIONS):
        session.execute(delete(table).where(table.c.team_id == team_id))

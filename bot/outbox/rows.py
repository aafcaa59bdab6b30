"""Writing, cancelling and finding nudge rows: what the use cases do with the outbox in their own transaction.

A nudge is written in the same transaction as the call or entry that caused it; its unique dedupe key keeps the
same nudge from being written twice, however often its cause is retried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.storage.database import upsert_insert
from bot.storage.models import Nudge


def schedule(
    session: Session, team_id: str, kind: str, due_at: dt.datetime, dedupe_key: str, now: dt.datetime, **target: Any
) -> bool:
    """Write a nudge unless one with the same dedupe key exists. Returns whether it was written.

    `target` says whom it is for and what about: `user_id` (a DM) or `channel` (a post), and where it has them
    `lead_id`, `attempt` and `payload`.
    """
    row = {"status": "pending", "tries": 0, "payload": {}, "created_at": now, **target}
    insert = upsert_insert(session.get_bind().dialect.name)
    statement = insert(Nudge).values(team_id=team_id, kind=kind, due_at=due_at, dedupe_key=dedupe_key, **row)
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT.
    result = session.execute(statement.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Nudge.id))
    return result.first() is not None


class Recipient(Protocol):
    """Whom a direct message goes to: a rep of a workspace (a profile or a row)."""

    team_id: str
    user_id: str


def schedule_dm(
    session: Session,
    to: Recipient,
    kind: str,
    due_at: dt.datetime,
    dedupe_key: str,
    now: dt.datetime,
    **details: Any,
) -> bool:
    """`schedule` a direct message to a rep; `details` are the lead, the attempt and the payload, where it has them."""
    return schedule(session, to.team_id, kind, due_at, dedupe_key, now, user_id=to.user_id, **details)


def cancel_followups(session: Session, team_id: str, lead_id: int, reason: str = "superseded") -> int:
    """Cancel the follow-ups still pending for a lead."""
    result = session.execute(
        update(Nudge)
        .where(
            Nudge.team_id == team_id,
            Nudge.lead_id == lead_id,
            Nudge.kind == "followup",
            Nudge.status == "pending",
        )
        .values(status="cancelled", last_error=reason)
    )
    return result.rowcount


def own_nudge(session: Session, team_id: str, user_id: str, value: str) -> Nudge | None:
    """The nudge a button names, if it is this rep's in this workspace (a forged id finds nothing)."""
    if not str(value).isdigit():
        return None
    nudge = session.get(Nudge, int(value))
    if nudge is None or nudge.team_id != team_id or nudge.user_id != user_id:
        return None
    return nudge

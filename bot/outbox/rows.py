"""Writing, cancelling and finding nudge rows: what the use cases do with the outbox in their own transaction.

A nudge is written in the same transaction as the call or entry that caused it; its unique dedupe key keeps the
same nudge from being written twice, however often its cause is retried.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Protocol

from sqlalchemy import bindparam, update
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
    row = nudge_row(team_id, kind, due_at, dedupe_key, now, **target)
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT.
    return session.execute(_insert(session.get_bind().dialect.name, True), row).first() is not None


def schedule_all(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write several nudges (each a `nudge_row`) in one execution, skipping those whose dedupe key exists.

    One compiled statement sent once with all the rows (psycopg pipelines them, sqlite3 runs one executemany),
    not a multi-row VALUES compiled anew for every number of rows.
    """
    if rows:
        session.execute(_insert(session.get_bind().dialect.name, False), rows)


def nudge_row(
    team_id: str, kind: str, due_at: dt.datetime, dedupe_key: str, now: dt.datetime, **target: Any
) -> dict[str, Any]:
    """A nudge's values as `schedule` and `schedule_all` write them; `target` as `schedule` takes it."""
    unknown = target.keys() - _TARGET
    if unknown:
        raise TypeError(f"a nudge has no {', '.join(sorted(unknown))}")
    row = dict.fromkeys(_TARGET) | {"payload": {}} | target
    return row | {"team_id": team_id, "kind": kind, "due_at": due_at, "dedupe_key": dedupe_key, "created_at": now}


_TARGET = frozenset({"user_id", "channel", "lead_id", "attempt", "payload"})


@functools.cache
def _insert(dialect: str, returning: bool) -> Any:
    """The nudge INSERT, built once per dialect: it runs with nearly every call a rep logs."""
    table = Nudge.__table__
    names = ("team_id", "kind", "due_at", "dedupe_key", "created_at", *sorted(_TARGET))
    values = {name: bindparam(name) for name in names} | {"status": "pending", "tries": 0}
    statement = upsert_insert(dialect)(table).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return statement.returning(table.c.id) if returning else statement


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
    result = session.execute(_CANCEL, {"team": team_id, "lead": lead_id, "reason": reason})
    # A Core UPDATE (the ORM's synchronising bulk update cost more than the statement): rows the session holds as
    # entities are read again when next used (pending changes were flushed before the UPDATE ran).
    for held in list(session.identity_map.values()):
        if isinstance(held, Nudge):
            session.expire(held)
    return result.rowcount


_nudges = Nudge.__table__.c
_CANCEL = (
    update(Nudge.__table__)
    .where(
        _nudges.team_id == bindparam("team"),
        _nudges.lead_id == bindparam("lead"),
        _nudges.kind == "followup",
        _nudges.status == "pending",
    )
    .values(status="cancelled", last_error=bindparam("reason"))
)


def own_nudge(session: Session, team_id: str, user_id: str, value: str) -> Nudge | None:
    """The nudge a button names, if it is this rep's in this workspace (a forged id finds nothing)."""
    if not str(value).isdigit():
        return None
    nudge = session.get(Nudge, int(value))
    if nudge is None or nudge.team_id != team_id or nudge.user_id != user_id:
        return None
    return nudge

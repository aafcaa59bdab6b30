"""A rep's record: adding an entry, and reading entries and leads for the coaching core as its plain records.

Every query names the workspace: no query can read another workspace's rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session

from bot.storage import digest_parts
from bot.storage.models import Activity, Lead, Nudge
from bot.storage.models import Rep as RepRow
from coaching import domain

# No entry spans more than this (work is logged up to 12 h, focus blocks 4 h): a lower bound on started_at lets
# the (team, rep, started_at) index skip the rep's older history.
LONGEST_ENTRY = dt.timedelta(days=1)


class Rep(Protocol):
    """Whose entry: a rep of a workspace (a profile or a row)."""

    team_id: str
    user_id: str


def add_entry(
    session: Session, rep: Rep, kind: domain.ActivityKind, started_at: dt.datetime, ended_at: dt.datetime, **fields: Any
) -> int:
    """Add one of a rep's entries (a call, work, a break, a focus block); returns its id.

    `fields` are the kind's own columns; `created_at` defaults to when the entry ends. A Core INSERT, not an ORM
    entity: this runs with every logged call, and the unit of work's flush cost more than the insert itself.
    """
    fields.setdefault("created_at", ended_at)
    values = {"team_id": rep.team_id, "user_id": rep.user_id, "kind": kind.value}
    values |= {"started_at": started_at, "ended_at": ended_at, **fields}
    return int(session.execute(_ADD_ENTRY, values).scalar_one())


_ADD_ENTRY = insert(Activity.__table__).returning(Activity.__table__.c.id)


@dataclass(frozen=True, slots=True)
class Stamp:
    """Where a rep's entries stand: their version, raised with every change, and when the rep's row was made.

    The row's creation tells a rep forgotten and seen again (versions start over) from the rep of before.
    """

    version: int
    since: dt.datetime


@dataclass(frozen=True, slots=True)
class Written:
    """An entry a transaction just wrote (as the coaching core reads it), and the rep's stamp after it."""

    stamp: Stamp
    entry: domain.Activity


def entries_changed(session: Session, team_id: str, user_id: str, at: dt.datetime | None = None) -> Stamp | None:
    """Raise the rep's entries version (an entry written, corrected or removed); locks the rep's row until commit.

    Call it last in the transaction, after the entry's other writes: the rep's row lock is the last one taken.
    `at`: when the changed entry started, for a change that may lie in the past (a call pulled from HubSpot, a
    correction or removal there): the digest weeks holding it are counted again (`digest_parts.touched`).
    """
    row = session.execute(_ENTRIES_CHANGED, {"team": team_id, "user": user_id}).first()
    if at is not None:
        digest_parts.touched(session, team_id, user_id, at)  # under the row lock just taken
    return Stamp(row.entries_version, row.created_at) if row is not None else None


_reps = RepRow.__table__.c
_ENTRIES_CHANGED = (
    update(RepRow.__table__)
    .where(_reps.team_id == bindparam("team"), _reps.user_id == bindparam("user"))
    .values(entries_version=_reps.entries_version + 1)
    .returning(_reps.entries_version, _reps.created_at)
)


def entry_record(
    entry_id: int, kind: domain.ActivityKind, started_at: dt.datetime, ended_at: dt.datetime, **fields: Any
) -> domain.Activity:
    """An entry just written by `add_entry`, as `rep_activities` would read it back."""
    values = dict.fromkeys(("outcome", "work", "lead_id", "attempt"))
    values |= {"researched": False, "decision_maker": False, "source": "command"} | fields
    return to_domain(SimpleNamespace(id=entry_id, kind=kind.value, started_at=started_at, ended_at=ended_at, **values))


def _overlapping(team_id: str, user_id: str, start: dt.datetime, end: dt.datetime) -> tuple[Any, ...]:
    """The rep's activities overlapping [start, end): the bound on started_at lets the index skip older history."""
    return (
        Activity.team_id == team_id,
        Activity.user_id == user_id,
        Activity.started_at >= start - LONGEST_ENTRY,
        Activity.started_at < end,
        Activity.ended_at >= start,
    )


def activities_between(
    session: Session, team_id: str, user_id: str, start: dt.datetime, end: dt.datetime
) -> list[Activity]:
    """A rep's activities that overlap [start, end], oldest first."""
    return list(
        session.execute(
            select(Activity)
            .where(*_overlapping(team_id, user_id, start, end))
            .order_by(Activity.started_at, Activity.id)
        ).scalars()
    )


#: The columns of an activity the coaching core reads (`to_domain`).
ACTIVITY_COLUMNS = (
    Activity.id,
    Activity.kind,
    Activity.started_at,
    Activity.ended_at,
    Activity.outcome,
    Activity.work,
    Activity.lead_id,
    Activity.source,
    Activity.researched,
    Activity.decision_maker,
    Activity.attempt,
)


def rep_activities(
    session: Session, team_id: str, user_id: str, start: dt.datetime, end: dt.datetime
) -> list[domain.Activity]:
    """A rep's activities overlapping [start, end) as the coaching core's records, oldest first.

    Plain columns, not ORM entities, from a statement built once: this runs on every logged call, and building
    entities (or the statement) cost more than the query.
    """
    return rep_day(session, team_id, user_id, start, end)[1]


def rep_day(
    session: Session, team_id: str, user_id: str, start: dt.datetime, end: dt.datetime
) -> tuple[Stamp | None, list[domain.Activity]]:
    """The rep's stamp and activities overlapping [start, end), oldest first; no stamp when the rep has no row.

    One statement, so one snapshot also under PostgreSQL's READ COMMITTED: the stamp says exactly which changes the
    activities include.
    """
    window = {"team": team_id, "user": user_id, "since": start - LONGEST_ENTRY, "start": start, "end": end}
    stamp, records = None, []
    for row in session.execute(_REP_DAY, window):
        stamp = stamp or Stamp(row.entries_version, row.rep_since)
        if row.id is not None:
            records.append(to_domain(row))
    return stamp, records


_REP_DAY = (
    select(_reps.entries_version, _reps.created_at.label("rep_since"), *ACTIVITY_COLUMNS)
    .select_from(RepRow.__table__)
    .outerjoin(
        Activity,
        and_(
            Activity.team_id == _reps.team_id,
            Activity.user_id == _reps.user_id,
            Activity.started_at >= bindparam("since"),
            Activity.started_at < bindparam("end"),
            Activity.ended_at >= bindparam("start"),
        ),
    )
    .where(_reps.team_id == bindparam("team"), _reps.user_id == bindparam("user"))
    .order_by(Activity.started_at, Activity.id)
)


def to_domain(row: Any) -> domain.Activity:
    """An activity (an ORM row, or a row of `ACTIVITY_COLUMNS`) as the coaching core reads it."""
    return domain.Activity(
        id=row.id,
        kind=domain.ActivityKind(row.kind),
        started_at=row.started_at,
        ended_at=row.ended_at,
        outcome=domain.Outcome(row.outcome) if row.outcome else None,
        work=domain.WorkType(row.work) if row.work else None,
        lead_key=str(row.lead_id) if row.lead_id is not None else None,
        researched=row.researched,
        decision_maker=row.decision_maker,
        first_attempt=row.attempt == 1,
        attempt=row.attempt,
        automatic=row.source == "hubspot",
    )


def lead_summaries(session: Session, team_id: str, user_id: str, since: dt.datetime) -> list[domain.LeadSummary]:
    """The rep's leads called since `since` that were never reached and have nothing pending.

    Those are the leads the persistence rules (M2) judge; a lead still in its cadence or reached is on track, so
    it isn't loaded at all (a busy rep has hundreds of those).
    """
    rows = session.execute(_LEAD_SUMMARIES, {"team": team_id, "user": user_id, "since": since})
    return [
        domain.LeadSummary(
            key=str(row.id),
            name=row.name,
            attempts=row.attempts,
            reached=False,
            pending=False,
            first_attempt_at=row.first_attempt_at,
            last_attempt_at=row.last_attempt_at,
            stop_reason=domain.StopReason(row.stop_reason) if row.stop_reason else None,
        )
        for row in rows
    ]


_PENDING = (
    exists()
    .where(Nudge.lead_id == Lead.id, Nudge.kind == "followup", Nudge.status.in_(("pending", "sending")))
    .correlate(Lead)
)
_LEAD_SUMMARIES = select(
    Lead.id, Lead.name, Lead.attempts, Lead.first_attempt_at, Lead.last_attempt_at, Lead.stop_reason
).where(
    Lead.team_id == bindparam("team"),
    Lead.owner_id == bindparam("user"),
    Lead.last_attempt_at >= bindparam("since"),
    Lead.reached_at.is_(None),
    Lead.cadence != "active",
    ~_PENDING,
)

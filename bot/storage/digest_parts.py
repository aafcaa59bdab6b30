"""The manager digest's parts, prepared ahead by the clock: a closed week of a workspace, and each rep's part of it.

A digest at 1,000,000 activities reads two weeks of a team (some 500,000 rows) and judges every rep's every day:
seconds, not the milliseconds a sweep may spend on one message. So once a week has closed the clock counts each
rep's part (`bot.usecases.digest.rep_week`) and stores it here, and the digest reads a row per rep.

A part stays true while no entry in the weeks it reads changes. Entries that start now never do (a week is prepared
only once it has ended); the ones that can are written behind: a piece of work that began before midnight, a call
pulled from HubSpot, a correction or removal there. Each of those raises the rep's entries version, which takes the
rep's row lock and then calls `touched` (`records.entries_changed` given the entry's start, `breaks.count_in_streak`
for an entry that began before now), setting the rep's parts of those weeks to be counted again (`payload` NULL).
The clock counts a part from a read and writes it only if the rep's entries version is still the one it read (under
the same row lock), so a change that raced the count is never stored over. Until every rep of a week has a row
(`complete_at`), and for any part not counted yet, the digest counts from the activities: the result is the same
either way, only slower.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import JSON, String, bindparam, cast, delete, literal, null, select, update
from sqlalchemy.orm import Session

from bot.storage.database import insert_ignore, upsert_insert
from bot.storage.models import DigestPart, DigestWeek, Rep

_parts = DigestPart.__table__.c
_weeks = DigestWeek.__table__.c
_reps = Rep.__table__.c


def touched(session: Session, team_id: str, user_id: str, at: dt.datetime) -> None:
    """An entry of the rep starting at `at` was written behind, corrected or removed: its parts are counted again.

    Called after the rep's row lock is taken (by `records.entries_changed` and `breaks.count_in_streak`): the clock
    takes the same lock before it writes a part, so the two never cross.
    """
    statement = _touched(session.get_bind().dialect.name)
    session.execute(statement, {"team": team_id, "user": user_id, "at": at})


@cache
def _touched(dialect: str) -> Any:
    team, user = cast(bindparam("team"), String(32)), cast(bindparam("user"), String(32))
    weeks = select(_weeks.id, user, team, _NO_TZ, _TO_COUNT).where(
        _weeks.team_id == team, _weeks.reads_from <= bindparam("at"), _weeks.end > bindparam("at")
    )
    statement = upsert_insert(dialect)(DigestPart.__table__).from_select(_COLUMNS, weeks)
    return statement.on_conflict_do_update(index_elements=[_parts.week_id, _parts.user_id], set_={"payload": _TO_COUNT})


_COLUMNS = ["week_id", "user_id", "team_id", "rep_tz", "payload"]
# Typed NULLs: PostgreSQL reads an untyped NULL in a SELECT list as text, which a JSON column refuses.
_NO_TZ, _TO_COUNT = cast(null(), String(64)), cast(null(), JSON)


@dataclass(frozen=True, slots=True)
class Part:
    """A rep's stored part: the zone their days were cut in and what was counted (None: to be counted)."""

    user_id: str
    rep_tz: str | None
    payload: dict[str, Any] | None


def week(session: Session, team_id: str, start: dt.datetime, end: dt.datetime, first_day: dt.date) -> DigestWeek | None:
    """The team's prepared week [start, end) whose days are named from `first_day`, if the clock has one."""
    return session.scalars(
        select(DigestWeek).where(
            DigestWeek.team_id == team_id,
            DigestWeek.start == start,
            DigestWeek.end == end,
            DigestWeek.first_day == first_day,
        )
    ).first()


def open_week(
    session: Session,
    team_id: str,
    start: dt.datetime,
    end: dt.datetime,
    first_day: dt.date,
    settings_key: str,
    now: dt.datetime,
) -> DigestWeek:
    """The team's week to prepare: the stored one, or a new one (a stored one judged by other thresholds goes).

    Two clocks may open the same week at once: the second one's insert is ignored and it finds the first one's.
    """
    found = week(session, team_id, start, end, first_day)
    if found is not None and found.settings_key == settings_key:
        return found
    if found is not None:  # its parts go with it (ON DELETE CASCADE)
        session.expunge(found)
        session.execute(delete(DigestWeek).where(DigestWeek.id == found.id))
    values = {"team_id": team_id, "start": start, "end": end, "first_day": first_day}
    insert_ignore(
        session,
        DigestWeek,
        **values,
        reads_from=start - dt.timedelta(days=7),
        settings_key=settings_key,
        created_at=now,
    )
    made = week(session, team_id, start, end, first_day)
    assert made is not None  # inserted, or another clock's, committed before this insert returned
    return made


def complete(session: Session, found: DigestWeek, now: dt.datetime) -> int:
    """Give every rep of the week's team a row to count; returns how many were new."""
    dialect = session.get_bind().dialect.name
    reps = select(literal(found.id), _reps.user_id, _reps.team_id, _NO_TZ, _TO_COUNT).where(
        _reps.team_id == found.team_id
    )
    statement = upsert_insert(dialect)(DigestPart.__table__).from_select(_COLUMNS, reps)
    added = session.execute(statement.on_conflict_do_nothing()).rowcount
    found.complete_at = now
    return int(added or 0)


def parts(session: Session, week_id: int) -> list[Part]:
    """Every rep's part of a week."""
    rows = session.execute(select(_parts.user_id, _parts.rep_tz, _parts.payload).where(_parts.week_id == week_id))
    return [Part(row.user_id, row.rep_tz, row.payload) for row in rows]


def to_count(session: Session, week_id: int, limit: int) -> list[str]:
    """Reps whose part of the week is still to be counted, or was cut in a zone they have left; at most `limit`."""
    return list(
        session.scalars(
            select(_parts.user_id)
            .join(Rep.__table__, (_reps.team_id == _parts.team_id) & (_reps.user_id == _parts.user_id))
            .where(_parts.week_id == week_id, _parts.payload.is_(None) | _parts.rep_tz.is_distinct_from(_reps.tz))
            .order_by(_parts.user_id)
            .limit(limit)
        )
    )


Stamp = tuple[int, dt.datetime]  # a rep's entries version, and when their row was made


def stamps(session: Session, team_id: str, user_ids: Sequence[str], *, lock: bool = False) -> dict[str, Stamp]:
    """The reps' entries versions (`lock`: under their row locks, taken in key order)."""
    statement = (
        select(_reps.user_id, _reps.entries_version, _reps.created_at)
        .where(_reps.team_id == team_id, _reps.user_id.in_(user_ids))
        .order_by(_reps.user_id)
    )
    if lock:
        statement = statement.with_for_update()
    return {row.user_id: (row.entries_version, row.created_at) for row in session.execute(statement)}


def zones(session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, str]:
    """The reps' time zones."""
    rows = session.execute(select(_reps.user_id, _reps.tz).where(_reps.team_id == team_id, _reps.user_id.in_(user_ids)))
    return {row.user_id: row.tz for row in rows}


def store(
    session: Session, week_id: int, team_id: str, counted: Iterable[tuple[str, str, dict[str, Any], Stamp]]
) -> int:
    """Store parts counted from a read, each only while its rep's entries are as they were read; returns how many."""
    counted = list(counted)
    if not counted:
        return 0
    now_stamps = stamps(session, team_id, [user for user, *_ in counted], lock=True)
    values = [
        {"week": week_id, "user": user, "tz": tz, "payload": payload}
        for user, tz, payload, read in counted
        if now_stamps.get(user) == read
    ]
    if values:
        session.execute(_STORE, values)
    return len(values)


_STORE = (
    update(DigestPart.__table__)
    .where(_parts.week_id == bindparam("week"), _parts.user_id == bindparam("user"))
    .values(rep_tz=bindparam("tz"), payload=bindparam("payload"))
)


def prune(session: Session, before: dt.datetime) -> int:
    """Drop weeks that ended before `before` (their digests are long sent)."""
    return int(session.execute(delete(DigestWeek).where(DigestWeek.end < before)).rowcount or 0)

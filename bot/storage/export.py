"""CSV exports of what reps logged: one rep's own data, or a whole workspace's.

One row per activity, oldest first, with a header row. Times are given twice: the UTC instant and the rep's local
time, both ISO 8601 with their offset, beside the rep's time zone. Values are the stored, canonical ones
(`no-answer`, `admin`), not translations, so a spreadsheet or script can rely on them.

The rows are read in batches (`yield_per`) and written one by one: `rep_csv_lines` and `team_csv_lines` yield the
CSV a line at a time for a streamed response; `rep_csv` and `team_csv` join them into one string.

Opened in a spreadsheet, a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return could run as a
formula. Every such cell gets a leading single quote, as OWASP advises for CSV injection. Every field is quoted
(RFC 4180), and a spreadsheet that splits on another separator than the comma (Excel in Dutch splits on `;`, and
a tab may split too) could still start a cell inside a field: so wherever `,`, `;`, a tab or a line break is
followed (after spaces or quotes) by a formula character, a single quote goes before that character as well.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Row, Select, and_, select
from sqlalchemy.orm import Session

from bot.storage.models import Activity, Lead, Rep
from coaching.domain import ActivityKind
from coaching.hours import zone

#: The columns of a rep's export.
COLUMNS = (
    "started_at_utc",
    "started_at_local",
    "time_zone",
    "kind",
    "lead",
    "outcome",
    "work",
    "minutes",
    "researched",
    "decision_maker",
    "attempt",
    "note",
)
#: The team export puts the rep first.
TEAM_COLUMNS = ("user_id", "rep_name", *COLUMNS)
#: Rows fetched from the database per batch.
BATCH = 1000
#: Leading characters a spreadsheet may read as the start of a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A formula character after any separator a spreadsheet may split on, with the spaces and quotes between.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n][ \"]*)([=+\-@])")


def rep_csv(session: Session, team_id: str, user_id: str) -> str:
    """All of one rep's activities as CSV, oldest first (see `COLUMNS`)."""
    return "".join(rep_csv_lines(session, team_id, user_id))


def team_csv(session: Session, team_id: str) -> str:
    """Every activity of every rep of the workspace as CSV, rep by rep, oldest first (see `TEAM_COLUMNS`)."""
    return "".join(team_csv_lines(session, team_id))


def rep_csv_lines(session: Session, team_id: str, user_id: str) -> Iterator[str]:
    """`rep_csv` a line at a time (each ends in CRLF), reading the rows in batches."""
    query = _activities(team_id).where(Activity.user_id == user_id).order_by(Activity.started_at, Activity.id)
    return _lines(COLUMNS, (_row(found) for found in _stream(session, query)))


def team_csv_lines(session: Session, team_id: str) -> Iterator[str]:
    """`team_csv` a line at a time (each ends in CRLF), reading the rows in batches."""
    query = _activities(team_id).order_by(Activity.user_id, Activity.started_at, Activity.id)
    return _lines(
        TEAM_COLUMNS,
        ((found.user_id, found.rep_name or "", *_row(found)) for found in _stream(session, query)),
    )


def _activities(team_id: str) -> Select[Any]:
    """Every activity of the workspace with its rep (for the time zone) and lead (for the name).

    Plain columns rather than ORM entities: an export reads every row once and keeps none.
    """
    return (
        select(
            Activity.user_id,
            Activity.kind,
            Activity.started_at,
            Activity.ended_at,
            Activity.outcome,
            Activity.work,
            Activity.researched,
            Activity.decision_maker,
            Activity.attempt,
            Activity.note,
            Lead.name.label("lead"),
            Rep.name.label("rep_name"),
            Rep.tz.label("tz"),
        )
        .join(Rep, and_(Rep.team_id == Activity.team_id, Rep.user_id == Activity.user_id))
        .outerjoin(Lead, and_(Lead.id == Activity.lead_id, Lead.team_id == Activity.team_id))
        .where(Activity.team_id == team_id, Rep.team_id == team_id)
    )


def _stream(session: Session, query: Select[Any]) -> Iterator[Any]:
    # yield_per also streams on the server side where the driver can (a named cursor on PostgreSQL).
    yield from session.execute(query.execution_options(yield_per=BATCH))


def _row(activity: Row[Any]) -> tuple[str, ...]:
    tz = zone(activity.tz)
    call = activity.kind == ActivityKind.CALL.value
    return (
        _iso(activity.started_at),
        _iso(activity.started_at.astimezone(tz)),
        tz.key,
        activity.kind,
        activity.lead or "",
        activity.outcome or "",
        activity.work or "",
        "" if call else _minutes(activity.started_at, activity.ended_at),
        _flag(activity.researched) if call else "",
        _flag(activity.decision_maker) if call else "",
        "" if activity.attempt is None else str(activity.attempt),
        activity.note or "",
    )


def _iso(at: dt.datetime) -> str:
    """ISO 8601 to the second with the offset: 2026-11-23T09:00:00+00:00."""
    return at.isoformat(timespec="seconds")


def _minutes(start: dt.datetime, end: dt.datetime) -> str:
    minutes = round((end - start).total_seconds() / 60, 1)
    return str(int(minutes)) if minutes == int(minutes) else str(minutes)


def _flag(value: bool | None) -> str:
    return "true" if value else "false"


def neutralize(cell: str) -> str:
    """`cell` made safe to open in a spreadsheet, whatever it splits on: a single quote before any formula start."""
    cell = _FORMULA_AFTER_SEPARATOR.sub(r"\1'\2", cell)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class _Line:
    """A file-like target for csv.writer that hands back what it is given instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def _lines(header: Iterable[str], rows: Iterable[Iterable[str]]) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralize(cell) for cell in row])

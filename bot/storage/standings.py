"""The quality leaderboard's figures, computed by the database: one row per rep comes back, never the calls.

Every query names the workspace, so one workspace never sees another's figures. Windows are half-open,
[start, end), on the call's `started_at` (UTC). The score itself is `coaching.quality`'s, pure and documented there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Select, case, cast, delete, func, insert, literal_column, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot.storage.models import REP_DAY_ATTEMPTS, Activity, RepDay
from coaching.domain import CONVERSATIONS, ActivityKind, Outcome
from coaching.metrics import LeadAttempts
from coaching.quality import QualitySettings, Ranked, RepFigures, rank


def _word(value: str) -> ColumnElement[str]:
    """A word of the vocabulary written into the SQL rather than bound as a parameter.

    Once psycopg prepares a statement (from its 6th run), PostgreSQL may switch to a generic plan, which rebuilds
    an IN list of parameters for every row: 20-35% slower in bench/bench_leaderboard.py. A constant also lets SQLite
    match a partial index. The words are our own enum values, never user input.
    """
    if "'" in value:
        raise ValueError(f"not a vocabulary word: {value!r}")
    return literal_column(f"'{value}'")


_CALL = _word(ActivityKind.CALL.value)
_MEETING = _word(Outcome.MEETING.value)
_CONVERSATION_WORDS = [_word(outcome.value) for outcome in sorted(CONVERSATIONS)]
_REACHED_WORDS = [_word(outcome.value) for outcome in sorted(Outcome) if outcome.reached]


def _calls_in(team_id: str, start: dt.datetime, end: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    """The workspace's calls that started in [start, end)."""
    return (
        Activity.team_id == team_id,
        Activity.kind == _CALL,
        Activity.started_at >= start,
        Activity.started_at < end,
    )


def _utc_day(session: Session) -> ColumnElement[object]:
    """The UTC calendar day of a call's start, in the connected database's own terms."""
    if session.get_bind().dialect.name == "postgresql":
        # timestamptz::date would use the session's TimeZone setting; the day must be UTC's whatever that is.
        return cast(func.timezone(_word("UTC"), Activity.started_at), Date)
    # SQLite holds UTC as naive text ('YYYY-MM-DD HH:MM:SS.ffffff'): date() reads its day as it is.
    return func.date(Activity.started_at)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """count(*) FILTER (WHERE condition): cheaper per row than sum(CASE ...); PostgreSQL and SQLite 3.30+ have it."""
    return func.count().filter(condition)


_HALF_DAY, _WHOLE_DAY = dt.timedelta(hours=12), dt.timedelta(days=1)
_COUNTS = ("dials", "conversations", "dm_conversations", "meetings", "researched_calls", "followup_attempts")


def _utc_midnight_on_or_after(moment: dt.datetime) -> dt.datetime:
    midnight = moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + dt.timedelta(days=1)


def _utc_midnight_on_or_before(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def figures(
    session: Session,
    team_id: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    settings: QualitySettings,
    target_attempts: int = 6,
) -> list[RepFigures]:
    """Every rep's figures for their calls that started in [start, end), by user id; reps without calls are absent.

    One statement: the calls are counted per rep per UTC day (the daily dial cap applies per day), and those day
    rows are summed per rep, so one row per rep leaves the database. Whole UTC days inside the window are read from
    the daily rollup `rep_days`; the partial first day (a window starts at a rep's local midnight) is counted from
    the activities, and so is the partial last day's shorter side: the part inside the window, or (a channel post's
    window ends in the afternoon) the day's rollup less the calls after the window's end.
    """
    if target_attempts > REP_DAY_ATTEMPTS[-1]:
        raise ValueError(f"target_attempts above {REP_DAY_ATTEMPTS[-1]}: rep_days doesn't count those attempts")
    cap = settings.daily_dial_cap
    first_day, last_day = _utc_midnight_on_or_after(start), _utc_midnight_on_or_before(end)
    followups = [RepDay.__table__.c[f"attempt_{n}"] for n in REP_DAY_ATTEMPTS if n <= target_attempts]

    def counted(low: dt.datetime, high: dt.datetime, sign: int = 1) -> Select[Any]:
        """The calls in [low, high), per rep per UTC day (negated with `sign` -1).

        Each range is its own SELECT: a plain range of ix_activities_team_time (an OR of two ranges makes SQLite
        read the workspace's whole history).
        """
        columns = (
            func.count(),
            _count(Activity.outcome.in_(_CONVERSATION_WORDS)),
            _count(Activity.outcome.in_(_CONVERSATION_WORDS) & Activity.decision_maker),
            _count(Activity.outcome == _MEETING),
            _count(Activity.researched),
            # Persistence: the 2nd call on a lead up to the target; calls beyond the target don't add.
            _count(Activity.attempt.between(2, target_attempts)),
        )
        return (
            select(
                Activity.user_id.label("user_id"),
                *((sign * c if sign < 0 else c).label(n) for n, c in zip(_COUNTS, columns, strict=True)),
            )
            .where(*_calls_in(team_id, low, high))
            .group_by(Activity.user_id, _utc_day(session))
        )

    def rolled_up(*where: ColumnElement[bool]) -> Select[Any]:
        follow = sum(followups[1:], followups[0]) if followups else literal_column("0")
        return select(
            RepDay.user_id.label("user_id"),
            RepDay.dials,
            RepDay.conversations,
            RepDay.dm_conversations,
            RepDay.meetings,
            RepDay.researched_calls,
            follow.label("followup_attempts"),
        ).where(RepDay.team_id == team_id, *where)

    parts: list[Select[Any]] = []
    if first_day < last_day:
        if start < first_day:
            parts.append(counted(start, first_day))
        parts.append(rolled_up(RepDay.day >= first_day.date(), RepDay.day < last_day.date()))
        if end - last_day > _HALF_DAY:
            # Most of the last day (a channel post's window ends in the afternoon): the day's rollup row less the
            # calls after `end`, met per rep before the day's dials are capped.
            day = union_all(rolled_up(RepDay.day == last_day.date()), counted(end, last_day + _WHOLE_DAY, -1))
            last = day.subquery("last_day")
            parts.append(
                select(last.c.user_id, *(func.sum(last.c[n]).label(n) for n in _COUNTS)).group_by(last.c.user_id)
            )
        elif last_day < end:
            parts.append(counted(last_day, end))
    elif start < end:  # a window without a whole day comes from the activities alone
        parts.append(counted(start, end))
    if not parts:  # an empty window
        return []
    days = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("per_day")
    day_ = days.c
    rows = session.execute(
        select(
            day_.user_id,
            func.sum(day_.dials),
            func.sum(case((day_.dials > cap, cap), else_=day_.dials)),
            func.sum(day_.conversations),
            func.sum(day_.dm_conversations),
            func.sum(day_.meetings),
            func.sum(day_.researched_calls),
            func.sum(day_.followup_attempts),
        )
        .group_by(day_.user_id)
        .having(func.sum(day_.dials) > 0)  # a rep whose only calls that day came after `end`
        .order_by(day_.user_id)
    ).all()
    # PostgreSQL's sum() of bigints is numeric (a Decimal here): int() gives the counts back their type.
    return [RepFigures(user_id, *(int(value) for value in counts)) for user_id, *counts in rows]


def standings(
    session: Session, team_id: str, start: dt.datetime, end: dt.datetime, settings: QualitySettings
) -> list[Ranked]:
    """The quality leaderboard of the workspace for calls in [start, end)."""
    return rank(figures(session, team_id, start, end, settings=settings), settings)


def lead_attempts(
    session: Session, team_id: str, start: dt.datetime, end: dt.datetime, *, user_id: str | None = None
) -> dict[str, LeadAttempts]:
    """Per rep (or for `user_id` alone): attempts per lead over their calls in [start, end), counted in SQL.

    `coaching.metrics.lead_attempts` defines the figure: the leads a rep called in the window and didn't reach with
    any of those calls, each with its attempts so far (its highest attempt number among them, else the number of
    them). One row per rep leaves the database, the count of such leads and the sum of their attempts; reps without
    such leads are absent. A past window's figure never changes: it reads only the window's calls.
    """
    rep_calls = [*_calls_in(team_id, start, end), Activity.lead_id.is_not(None)]
    if user_id is not None:
        rep_calls.append(Activity.user_id == user_id)
    per_lead = (
        select(Activity.user_id, func.coalesce(func.max(Activity.attempt), func.count()).label("attempts"))
        .where(*rep_calls)
        .group_by(Activity.user_id, Activity.lead_id)
        .having(_count(Activity.outcome.in_(_REACHED_WORDS)) == 0)
        .subquery("per_lead")
    )
    rows = session.execute(
        select(per_lead.c.user_id, func.count(), func.sum(per_lead.c.attempts)).group_by(per_lead.c.user_id)
    )
    return {user: LeadAttempts(int(leads), int(attempts)) for user, leads, attempts in rows}


def first_meetings(session: Session, team_id: str, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The reps whose first meeting ever booked (a call with outcome meeting) falls in [start, end), by user id."""
    first = func.min(Activity.started_at)
    rows = session.execute(
        select(Activity.user_id)
        .where(
            Activity.team_id == team_id,
            # Constant words, and the window only in HAVING: so both databases can answer from a partial index on
            # meetings (ix_activities_meetings) instead of reading the workspace's whole history.
            Activity.kind == _CALL,
            Activity.outcome == _MEETING,
        )
        .group_by(Activity.user_id)
        .having(first >= start, first < end)
        .order_by(Activity.user_id)
    )
    return list(rows.scalars())


def rebuild_rep_days(session: Session, team_id: str) -> int:
    """Recount the workspace's `rep_days` from its activities (for bulk loads and repairs; calls keep it current).

    Returns the number of rep-day rows written.
    """
    session.execute(delete(RepDay).where(RepDay.team_id == team_id))
    conversation = Activity.outcome.in_(_CONVERSATION_WORDS)
    day = _utc_day(session)
    counts = select(
        Activity.team_id,
        Activity.user_id,
        day,
        func.count(),
        _count(conversation),
        _count(conversation & Activity.decision_maker),
        _count(Activity.outcome == _MEETING),
        _count(Activity.researched),
        *(_count(Activity.attempt == n) for n in REP_DAY_ATTEMPTS),
    ).where(Activity.team_id == team_id, Activity.kind == _CALL)
    columns = ["team_id", "user_id", "day", "dials", "conversations", "dm_conversations", "meetings"]
    columns += ["researched_calls", *(f"attempt_{n}" for n in REP_DAY_ATTEMPTS)]
    session.execute(insert(RepDay).from_select(columns, counts.group_by(Activity.team_id, Activity.user_id, day)))
    return session.scalar(select(func.count()).select_from(RepDay).where(RepDay.team_id == team_id)) or 0

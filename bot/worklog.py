"""Recording what reps do: calls, other work, breaks and focus blocks.

Each entry is one transaction: the activity, the lead's follow-up state, and every nudge it causes (the next
attempt, a break suggestion, a focus summary) are written together or not at all.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.reps import RepProfile
from bot.storage.database import upsert_insert
from bot.storage.models import REP_DAY_ATTEMPTS, Activity, Lead, Nudge, Rep, RepDay
from coaching.cadence import next_attempt_at, shift_for_absence
from coaching.domain import CONVERSATIONS, ActivityKind, Outcome
from coaching.parser import BreakCommand, CallCommand, WorkCommand, normalize_lead
from coaching.streaks import Streak, extend


@dataclass(frozen=True)
class CallLogged:
    """What logging a call did."""

    activity_id: int
    lead_id: int
    lead_name: str
    outcome: Outcome
    attempt: int
    next_attempt_at: dt.datetime | None
    cadence: str


def log_call(
    session: Session,
    rep: RepProfile,
    call: CallCommand,
    now: dt.datetime,
    *,
    source: str = "command",
) -> CallLogged:
    """Store a call and move its lead's cadence on: the next attempt is scheduled, or the cadence ends."""
    lead = _lead_for(session, rep, call.lead, now)
    lead.attempts += 1
    lead.owner_id = rep.user_id
    lead.last_outcome = call.outcome.value
    lead.last_attempt_at = now
    if lead.first_attempt_at is None:
        lead.first_attempt_at = now
    activity = Activity(
        team_id=rep.team_id,
        user_id=rep.user_id,
        kind=ActivityKind.CALL.value,
        started_at=now,
        ended_at=now,
        outcome=call.outcome.value,
        lead_id=lead.id,
        attempt=lead.attempts,
        researched=call.researched,
        decision_maker=call.decision_maker,
        note=call.note,
        source=source,
        created_at=now,
    )
    session.add(activity)
    session.flush()
    _count_in_rep_day(session, activity)
    # Whatever was scheduled for this lead is superseded by the call just made.
    outbox.cancel_followups(session, rep.team_id, lead.id)
    due: dt.datetime | None = None
    if call.outcome.reached:
        lead.unreached_attempts = 0
        lead.cadence = "reached"
        lead.reached_at = now
    else:
        lead.unreached_attempts += 1
        due = next_attempt_at(now, lead.unreached_attempts, rep.cadence, rep.tz, rep.hours, rep.away_until)
        if due is None:
            lead.cadence = "exhausted"
        else:
            lead.cadence = "active"
            outbox.schedule(
                session,
                team_id=rep.team_id,
                user_id=rep.user_id,
                kind="followup",
                due_at=due,
                dedupe_key=f"followup:{lead.id}:{activity.id}",
                lead_id=lead.id,
                attempt=lead.unreached_attempts + 1,
                now=now,
            )
    suggest_break(session, rep, now, now, now)
    return CallLogged(
        activity_id=activity.id,
        lead_id=lead.id,
        lead_name=lead.name,
        outcome=call.outcome,
        attempt=lead.attempts,
        next_attempt_at=due,
        cadence=lead.cadence,
    )


def _count_in_rep_day(session: Session, call: Activity) -> None:
    """Add a call to its rep's row of the day in `rep_days`, as bot.storage.standings.figures counts it."""
    conversation = call.outcome in _CONVERSATION_VALUES
    counts = {
        "dials": 1,
        "conversations": int(conversation),
        "dm_conversations": int(conversation and call.decision_maker),
        "meetings": int(call.outcome == Outcome.MEETING.value),
        "researched_calls": int(call.researched),
        **{f"attempt_{n}": int(call.attempt == n) for n in REP_DAY_ATTEMPTS},
    }
    key = {"team_id": call.team_id, "user_id": call.user_id, "day": call.started_at.astimezone(dt.UTC).date()}
    session.execute(_rep_day_upsert(session.get_bind().dialect.name), {**key, **counts})


_CONVERSATION_VALUES = frozenset(outcome.value for outcome in CONVERSATIONS)
_REP_DAY_COUNTS = (
    "dials",
    "conversations",
    "dm_conversations",
    "meetings",
    "researched_calls",
    *(f"attempt_{n}" for n in REP_DAY_ATTEMPTS),
)


@functools.cache
def _rep_day_upsert(dialect: str) -> Any:
    """The upsert that adds one call to a rep's day; built once per dialect, as it runs with every call."""
    insert = upsert_insert(dialect)
    names = ("team_id", "user_id", "day", *_REP_DAY_COUNTS)
    statement = insert(RepDay).values({name: bindparam(name) for name in names})
    table = RepDay.__table__.c
    return statement.on_conflict_do_update(
        index_elements=["team_id", "user_id", "day"],
        set_={name: table[name] + statement.excluded[name] for name in _REP_DAY_COUNTS},
    )


def _lead_for(session: Session, rep: RepProfile, name: str, now: dt.datetime) -> Lead:
    key = normalize_lead(name)
    # Insert first, then lock: SELECT ... FOR UPDATE locks nothing while the row doesn't exist yet, so two first
    # calls to a new lead would both insert.
    dialect = session.get_bind().dialect.name
    insert = upsert_insert(dialect)
    session.execute(
        insert(Lead)
        .values(
            team_id=rep.team_id,
            key=key,
            name=name,
            owner_id=rep.user_id,
            attempts=0,
            unreached_attempts=0,
            cadence="none",
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["team_id", "key"])
    )
    return session.execute(
        # NO KEY UPDATE: rows that merely reference the lead (activities, nudges) hold KEY SHARE locks on it,
        # which a plain FOR UPDATE would wait for, and deadlock with (PostgreSQL).
        select(Lead).where(Lead.team_id == rep.team_id, Lead.key == key).with_for_update(key_share=True)
    ).scalar_one()


def log_work(session: Session, rep: RepProfile, work: WorkCommand, now: dt.datetime) -> int:
    """Store a piece of work that just ended after `work.minutes`."""
    activity = Activity(
        team_id=rep.team_id,
        user_id=rep.user_id,
        kind=ActivityKind.WORK.value,
        started_at=now - dt.timedelta(minutes=work.minutes),
        ended_at=now,
        work=work.work.value,
        note=work.note,
        created_at=now,
    )
    session.add(activity)
    session.flush()
    suggest_break(session, rep, activity.started_at, activity.ended_at, now)
    return activity.id


def suggest_break(
    session: Session, rep: RepProfile, started: dt.datetime, ended: dt.datetime, now: dt.datetime
) -> bool:
    """Extend the rep's streak with one entry, and suggest one break per streak of `streak_max_minutes`."""
    settings = rep.coach_settings
    # NO KEY UPDATE, not FOR UPDATE: this transaction's own activity row already holds a KEY SHARE lock on the rep
    # (its foreign key), and so may a concurrent entry's; FOR UPDATE would wait for each other: a deadlock.
    row = session.get(Rep, (rep.team_id, rep.user_id), with_for_update={"key_share": True})
    assert row is not None
    current = Streak(row.streak_start, row.streak_end) if row.streak_start and row.streak_end else None
    streak = extend(current, started, ended, settings.streak_gap_minutes)
    row.streak_start, row.streak_end = streak.start, streak.end
    if streak.minutes < settings.streak_max_minutes:
        return False
    # The streak's start names it: however many entries extend it, it earns one suggestion.
    return outbox.schedule(
        session,
        team_id=rep.team_id,
        user_id=rep.user_id,
        kind="break",
        due_at=now,
        dedupe_key=f"break:{rep.team_id}:{rep.user_id}:{streak.start.isoformat()}",
        payload={"minutes": round(streak.minutes)},
        now=now,
    )


def log_break(session: Session, rep: RepProfile, pause: BreakCommand, now: dt.datetime) -> dt.datetime:
    """Store a break starting now; a pending break suggestion is no longer needed. Returns when it ends."""
    ends = now + dt.timedelta(minutes=pause.minutes)
    row = session.get(Rep, (rep.team_id, rep.user_id))
    if row is not None:
        row.streak_start = row.streak_end = None  # a break ends the streak
    session.add(
        Activity(
            team_id=rep.team_id,
            user_id=rep.user_id,
            kind=ActivityKind.BREAK.value,
            started_at=now,
            ended_at=ends,
            created_at=now,
        )
    )
    session.execute(
        update(Nudge)
        .where(
            Nudge.team_id == rep.team_id,
            Nudge.user_id == rep.user_id,
            Nudge.kind == "break",
            Nudge.status == "pending",
        )
        .values(status="cancelled", last_error="rep took a break")
    )
    return ends


def start_focus(session: Session, rep: RepProfile, focus: WorkCommand, now: dt.datetime) -> dt.datetime:
    """Store a focus block from now and schedule its summary for when it ends. Returns when it ends."""
    ends = now + dt.timedelta(minutes=focus.minutes)
    activity = Activity(
        team_id=rep.team_id,
        user_id=rep.user_id,
        kind=ActivityKind.FOCUS.value,
        started_at=now,
        ended_at=ends,
        work=focus.work.value,
        note=focus.note,
        created_at=now,
    )
    session.add(activity)
    session.flush()
    outbox.schedule(
        session,
        team_id=rep.team_id,
        user_id=rep.user_id,
        kind="focus_summary",
        due_at=ends,
        dedupe_key=f"focus:{activity.id}",
        payload={"activity_id": activity.id},
        now=now,
    )
    return ends


def set_away(session: Session, rep: RepProfile, until: dt.date | None, now: dt.datetime) -> int:
    """Pause the rep's nudges through `until` (None: back now) and shift pending follow-ups past the absence.

    Returns how many follow-ups moved.
    """
    row = session.get(Rep, (rep.team_id, rep.user_id))
    assert row is not None
    row.away_until = until
    if until is None:
        return 0
    moved = 0
    pending = session.scalars(
        select(Nudge).where(
            Nudge.team_id == rep.team_id,
            Nudge.user_id == rep.user_id,
            Nudge.kind == "followup",
            Nudge.status == "pending",
        )
    )
    for nudge in pending:
        shifted = shift_for_absence(nudge.due_at, now, rep.tz, rep.hours, until)
        if shifted != nudge.due_at:
            nudge.due_at = shifted
            moved += 1
    return moved

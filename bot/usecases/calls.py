"""Calls and other work: `/call`, the call form and `/log` (typed in the bot's DM too: `messages`).

Each entry is one transaction: the activity, the lead's follow-up state, the rep's day in the leaderboard's
rollup, and every nudge it causes (the next attempt, a break suggestion) are written together or not at all. Bad
input stores nothing and says what was wrong. After the entry, at most one coaching tip joins the confirmation.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.outbox import rows as outbox
from bot.slack import blockkit
from bot.storage.database import upsert_insert
from bot.storage.models import REP_DAY_ATTEMPTS, Activity, Lead, RepDay
from bot.storage.records import add_entry
from bot.usecases import crm
from bot.usecases.breaks import suggest_break
from bot.usecases.replies import Reply, refuses_bad_input
from bot.usecases.reps import RepProfile
from bot.usecases.tips import tips_after_entry, with_tips
from coaching import parser
from coaching.cadence import next_attempt_at
from coaching.domain import CONVERSATIONS, ActivityKind, Outcome
from coaching.i18n import t
from coaching.parser import CallCommand, WorkCommand, normalize_lead

if TYPE_CHECKING:
    from bot.runtime import Runtime


@refuses_bad_input("call")
def call(rt: Runtime, team_id: str, user_id: str, text: str, *, source: str = "command") -> Reply:
    """`/call <lead> <outcome> [+flags] [note]` (or `help`); `source` "message" when typed in the bot's DM."""
    rep = rt.reps.profile(team_id, user_id)
    if (text or "").strip().casefold() in parser.HELP_WORDS:
        return Reply(blockkit.help_call(rep.language))
    command = parser.parse_call(blockkit.unescape(text))
    return _store_and_confirm(rt, rep, command, source=source)


def call_from_form(rt: Runtime, team_id: str, user_id: str, values: dict[str, Any]) -> tuple[dict[str, str], str]:
    """The call form's submission: field errors (nothing stored), or the confirmation."""
    rep = rt.reps.profile(team_id, user_id)
    lead = " ".join(str(values.get("lead") or "").split())
    errors: dict[str, str] = {}
    try:
        parser.clean_text(lead)
        if not lead:
            errors["lead"] = t(rep.language, "error.modal_lead")
        elif len(lead) > parser.MAX_LEAD:
            errors["lead"] = t(rep.language, "error.lead_too_long", limit=parser.MAX_LEAD)
    except parser.ParseError as err:
        errors["lead"] = t(rep.language, err.key, **err.params)
    outcome = values.get("outcome")
    if outcome not in {o.value for o in Outcome}:
        errors["outcome"] = t(rep.language, "error.modal_outcome")
    note = str(values.get("note") or "")
    try:
        note = parser.clean_text(note.replace("\n", " "))
    except parser.ParseError as err:
        errors["note"] = t(rep.language, err.key, **err.params)
    if errors:
        return errors, ""
    flags = set(values.get("flags") or ())
    command = parser.CallCommand(
        lead=lead,
        outcome=Outcome(outcome),
        researched="researched" in flags,
        decision_maker="decision_maker" in flags,
        note=note,
    )
    reply = _store_and_confirm(rt, rep, command, source="modal")
    # A form's closing view has no room for the tip's buttons: its words only.
    sections = [block["text"]["text"] for block in reply.blocks or () if block["type"] == "section"]
    return {}, "\n".join(sections) or reply.text


def _store_and_confirm(rt: Runtime, rep: RepProfile, command: CallCommand, *, source: str) -> Reply:
    now = rt.clock()
    with rt.db.transaction() as session:
        logged = log_call(session, rep, command, now, source=source)
    extras = tips_after_entry(rt.db, rep, now)
    lang = rep.language
    flags = [t(lang, "call.flag_research")] if command.researched else []
    flags += [t(lang, "call.flag_dm")] if command.decision_maker else []
    lines = [
        t(
            lang,
            "call.confirm",
            lead=blockkit.escape(logged.lead_name),
            outcome=blockkit.outcome_name(lang, logged.outcome),
            flags=t(lang, "call.flags", flags=", ".join(flags)) if flags else "",
        )
    ]
    if command.note:
        lines.append(t(lang, "call.note", note=blockkit.escape(command.note)))
    if logged.next_attempt_at is not None:
        lines.append(t(lang, "call.next_attempt", when=blockkit.local_when(lang, logged.next_attempt_at, now, rep.tz)))
    elif logged.cadence == "exhausted":
        lines.append(t(lang, "call.cadence_exhausted", attempts=logged.attempt, lead=blockkit.escape(logged.lead_name)))
    return with_tips(rep, "\n".join(lines), extras)


@refuses_bad_input("log")
def log(rt: Runtime, team_id: str, user_id: str, text: str, *, source: str = "command") -> Reply:
    """`/log <activity> <minutes> [note]`; `source` "message" when typed in the bot's DM."""
    work = parser.parse_log(blockkit.unescape(text))
    rep, now = rt.reps.profile(team_id, user_id), rt.clock()
    with rt.db.transaction() as session:
        log_work(session, rep, work, now, source=source)
    extras = tips_after_entry(rt.db, rep, now)
    confirm = t(rep.language, "log.confirm", minutes=work.minutes, work=blockkit.work_name(rep.language, work.work))
    return with_tips(rep, confirm, extras)


@dataclass(frozen=True)
class CallLogged:
    """What logging a call did."""

    lead_name: str
    outcome: Outcome
    attempt: int
    next_attempt_at: dt.datetime | None
    cadence: str
    activity_id: int = 0
    lead_id: int = 0


def log_call(
    session: Session,
    rep: RepProfile,
    call: CallCommand,
    now: dt.datetime,
    *,
    source: str = "command",
    live: bool = True,
) -> CallLogged:
    """Store a call and move its lead's cadence on: the next attempt is scheduled, or the cadence ends.

    A call logged here goes to HubSpot too, where it is connected (`crm.queue_push`, in this transaction); one read
    from HubSpot (`source="hubspot"`, `live=False`: it happened a while ago) is not pushed back, nor does it start a
    break suggestion.
    """
    lead = _lead_for(session, rep, call.lead, now)
    lead.attempts += 1
    lead.owner_id = rep.user_id
    lead.last_outcome = call.outcome.value
    lead.last_attempt_at = now
    lead.stop_reason = None  # called again: whatever stopped it no longer holds
    if lead.first_attempt_at is None:
        lead.first_attempt_at = now
    flags = {"researched": call.researched, "decision_maker": call.decision_maker, "note": call.note, "source": source}
    activity = add_entry(
        session,
        rep,
        ActivityKind.CALL,
        now,
        now,
        outcome=call.outcome.value,
        lead_id=lead.id,
        attempt=lead.attempts,
        **flags,
    )
    _count_in_rep_day(session, activity)
    if source != "hubspot":
        crm.queue_push(session, rep, activity, now)
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
            key, attempt = f"followup:{lead.id}:{activity.id}", lead.unreached_attempts + 1
            outbox.schedule_dm(session, rep, "followup", due, key, now, lead_id=lead.id, attempt=attempt)
    if live:
        suggest_break(session, rep, now, now, now)
    return CallLogged(lead.name, call.outcome, lead.attempts, due, lead.cadence, activity.id, lead.id)


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


def log_work(session: Session, rep: RepProfile, work: WorkCommand, now: dt.datetime, *, source: str = "command") -> int:
    """Store a piece of work that just ended after `work.minutes`."""
    started = now - dt.timedelta(minutes=work.minutes)
    fields = {"work": work.work.value, "note": work.note, "source": source}
    activity = add_entry(session, rep, ActivityKind.WORK, started, now, **fields)
    suggest_break(session, rep, activity.started_at, activity.ended_at, now)
    return activity.id

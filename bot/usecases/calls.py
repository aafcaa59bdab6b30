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

from sqlalchemy import bindparam, case, func, null, update
from sqlalchemy.orm import Session

from bot.outbox import rows as outbox
from bot.slack import blockkit
from bot.storage.database import upsert_insert
from bot.storage.models import REP_DAY_ATTEMPTS, Lead, RepDay
from bot.storage.records import Written, add_entry, entries_changed, entry_record
from bot.usecases import crm, daylist
from bot.usecases.breaks import count_in_streak
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
    if (text or "").strip().casefold() in parser.HELP_WORDS:
        return Reply(blockkit.help_call(rt.reps.profile(team_id, user_id).language))
    # Parsed before anything is read: a refused line reads the rep's language in `refuses_bad_input`.
    command = parser.parse_call(blockkit.unescape(text))
    return _store_and_confirm(rt, team_id, user_id, command, source=source)


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
    reply = _store_and_confirm(rt, team_id, user_id, command, source="modal")
    # A form's closing view has no room for the tip's buttons: its words only.
    sections = [block["text"]["text"] for block in reply.blocks or () if block["type"] == "section"]
    return {}, "\n".join(sections) or reply.text


def _store_and_confirm(rt: Runtime, team_id: str, user_id: str, command: CallCommand, *, source: str) -> Reply:
    now = rt.clock()
    # A known rep's profile is read in the call's own transaction (one transaction, not two, per call).
    with rt.db.transaction() as session:
        rep = rt.reps.known(session, team_id, user_id)
        if rep is not None:
            logged = log_call(session, rep, command, now, source=source)
    if rep is None:  # first sight: Slack is asked for the rep's profile outside any transaction
        rep = rt.reps.profile(team_id, user_id)
        with rt.db.transaction() as session:
            logged = log_call(session, rep, command, now, source=source)
    extras = tips_after_entry(rt.db, rep, now, logged.written)
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
        written = log_work(session, rep, work, now, source=source)
    extras = tips_after_entry(rt.db, rep, now, written)
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
    written: Written | None = None  # the call and the rep's stamp after it (bot.usecases.tips)


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
    reached = call.outcome.reached
    lead = _lead_called(session, rep, call, now)
    attempt = lead.attempts
    flags = {"researched": call.researched, "decision_maker": call.decision_maker, "note": call.note, "source": source}
    fields = {"outcome": call.outcome.value, "lead_id": lead.id, "attempt": attempt, **flags}
    activity_id = add_entry(session, rep, ActivityKind.CALL, now, now, **fields)
    record = entry_record(activity_id, ActivityKind.CALL, now, now, **fields)
    if source != "hubspot":
        crm.queue_push(session, rep, activity_id, lead.id, now)
    # Whatever was scheduled for this lead is superseded by the call just made; a list showing it shows that.
    outbox.cancel_followups(session, rep.team_id, lead.id)
    daylist.lead_moved(session, rep.team_id, lead.id, now)
    due: dt.datetime | None = None
    cadence = "reached"
    if not reached:
        due = next_attempt_at(now, lead.unreached_attempts, rep.cadence, rep.tz, rep.hours, rep.away_until)
        if due is None:
            cadence = "exhausted"
            session.execute(_CADENCE_ENDED, {"lead": lead.id})
        else:
            cadence = "active"
            key, next_attempt = f"followup:{lead.id}:{activity_id}", lead.unreached_attempts + 1
            outbox.schedule_dm(session, rep, "followup", due, key, now, lead_id=lead.id, attempt=next_attempt)
            daylist.schedule_list(session, rep, due, now)
    # The rep's own rows (their day's counts, then their streak and entries version) are locked last, so
    # two calls of one rep wait for each other only at the end of the transaction, not through all of it.
    _count_in_rep_day(session, rep, now, call, attempt)
    if live:
        stamp = count_in_streak(session, rep, now, now, now)
    else:  # a call from the past (HubSpot)
        stamp = entries_changed(session, rep.team_id, rep.user_id, at=now)
    written = Written(stamp, record) if stamp is not None else None
    return CallLogged(lead.name, call.outcome, attempt, due, cadence, activity_id, lead.id, written)


def _count_in_rep_day(session: Session, rep: RepProfile, at: dt.datetime, call: CallCommand, attempt: int) -> None:
    """Add a call to its rep's row of the day in `rep_days`, as bot.storage.standings.figures counts it."""
    conversation = call.outcome in CONVERSATIONS
    counts = {
        "dials": 1,
        "conversations": int(conversation),
        "dm_conversations": int(conversation and call.decision_maker),
        "meetings": int(call.outcome is Outcome.MEETING),
        "researched_calls": int(call.researched),
        **{f"attempt_{n}": int(attempt == n) for n in REP_DAY_ATTEMPTS},
    }
    key = {"team_id": rep.team_id, "user_id": rep.user_id, "day": at.astimezone(dt.UTC).date()}
    session.execute(_rep_day_upsert(session.get_bind().dialect.name), {**key, **counts})


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
    table = RepDay.__table__
    statement = insert(table).values({name: bindparam(name) for name in names})
    return statement.on_conflict_do_update(
        index_elements=["team_id", "user_id", "day"],
        set_={name: table.c[name] + statement.excluded[name] for name in _REP_DAY_COUNTS},
    )


_LEAD_VALUES = (
    "team_id",
    "key",
    "name",
    "owner_id",
    "attempts",
    "unreached_attempts",
    "cadence",
    "last_outcome",
    "last_attempt_at",
    "first_attempt_at",
    "reached_at",
    "created_at",
)


@functools.cache
def _lead_upsert(dialect: str) -> Any:
    """A call moves its lead on in one statement, built once per dialect: inserted at its first call, else updated.

    ON CONFLICT DO UPDATE also locks the row (PostgreSQL: as FOR NO KEY UPDATE, since no key column changes, so
    rows referencing the lead don't block it), where a SELECT ... FOR UPDATE would lock nothing before the first
    call's insert: two first calls to a new lead still make one lead, with both attempts counted.
    """
    insert = upsert_insert(dialect)
    table = Lead.__table__
    lead = table.c
    statement = insert(table).values({name: bindparam(name) for name in _LEAD_VALUES})
    new = statement.excluded
    reached = new.cadence == "reached"
    return statement.on_conflict_do_update(
        index_elements=["team_id", "key"],
        set_={
            "attempts": lead.attempts + 1,
            "owner_id": new.owner_id,
            "last_outcome": new.last_outcome,
            "last_attempt_at": new.last_attempt_at,
            "first_attempt_at": func.coalesce(lead.first_attempt_at, new.first_attempt_at),
            "stop_reason": null(),  # called again: whatever stopped it no longer holds
            "unreached_attempts": case((reached, 0), else_=lead.unreached_attempts + 1),
            "cadence": new.cadence,
            "reached_at": case((reached, new.reached_at), else_=lead.reached_at),
        },
    ).returning(lead.id, lead.name, lead.attempts, lead.unreached_attempts)


_CADENCE_ENDED = update(Lead.__table__).where(Lead.__table__.c.id == bindparam("lead")).values(cadence="exhausted")


def _lead_called(session: Session, rep: RepProfile, call: CallCommand, now: dt.datetime) -> Any:
    """The lead's row after this call: id, name, attempts and unreached attempts (cadence `reached` or `active`)."""
    reached = call.outcome.reached
    values = {
        "team_id": rep.team_id,
        "key": normalize_lead(call.lead),
        "name": call.lead,
        "owner_id": rep.user_id,
        "attempts": 1,
        "unreached_attempts": 0 if reached else 1,
        "cadence": "reached" if reached else "active",
        "last_outcome": call.outcome.value,
        "last_attempt_at": now,
        "first_attempt_at": now,
        "reached_at": now if reached else None,
        "created_at": now,
    }
    row = session.execute(_lead_upsert(session.get_bind().dialect.name), values).one()
    # A caller holding the lead as an entity (a follow-up's button) must not keep its old attempts.
    held = session.identity_map.get(session.identity_key(Lead, row.id))
    if held is not None:
        session.expire(held)
    return row


def log_work(
    session: Session, rep: RepProfile, work: WorkCommand, now: dt.datetime, *, source: str = "command"
) -> Written:
    """Store a piece of work that just ended after `work.minutes`."""
    started = now - dt.timedelta(minutes=work.minutes)
    fields = {"work": work.work.value, "note": work.note, "source": source}
    activity_id = add_entry(session, rep, ActivityKind.WORK, started, now, **fields)
    record = entry_record(activity_id, ActivityKind.WORK, started, now, **fields)
    return Written(count_in_streak(session, rep, started, now, now), record)

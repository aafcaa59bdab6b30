"""Breaks and focus blocks: `/break` (`/pauze`), `/focus`, the break suggestion and its button, the focus summary.

Misconceptions 4 and 5: one kind of work at a time, and regular short breaks. A streak of work is kept on the
rep's row, one step per entry; a streak that runs past the team's limit earns one break suggestion. A focus block
or a break holds the follow-up and break nudges until it ends (`blocked_until`, read by `bot.usecases.due`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot.outbox import rows as outbox
from bot.outbox.sweep import Decision
from bot.slack import blockkit
from bot.storage import digest_parts
from bot.storage.models import Activity, Nudge, Rep, TipShown
from bot.storage.records import Stamp, activities_between, add_entry, entries_changed, rep_activities, to_domain
from bot.usecases.replies import ButtonResult, Reply, refuses_bad_input
from bot.usecases.reps import RepProfile
from bot.usecases.tips import BREAK_NUDGE_CODE as BREAK_RULE
from bot.usecases.tips import muted
from coaching import parser
from coaching.domain import ActivityKind, WorkType
from coaching.findings import Count
from coaching.i18n import t
from coaching.parser import BreakCommand, WorkCommand
from coaching.render import count
from coaching.rules.m402_focus_block_interrupted import FocusBlockInterrupted
from coaching.streaks import Streak, current_streak, extend

if TYPE_CHECKING:
    from bot.runtime import Runtime


@refuses_bad_input("break")
def pause(rt: Runtime, team_id: str, user_id: str, text: str) -> Reply:
    """`/break [minutes]` (or `/pauze`)."""
    return _block_of_time(rt, team_id, user_id, parser.parse_break(blockkit.unescape(text)), log_break)


@refuses_bad_input("focus")
def focus(rt: Runtime, team_id: str, user_id: str, text: str) -> Reply:
    """`/focus <activity> <minutes>`."""
    return _block_of_time(rt, team_id, user_id, parser.parse_focus(blockkit.unescape(text)), start_focus)


def _block_of_time(
    rt: Runtime,
    team_id: str,
    user_id: str,
    command: BreakCommand | WorkCommand,
    start: Callable[[Session, RepProfile, Any, dt.datetime], dt.datetime],
) -> Reply:
    """Start a break or a focus block now and say until when (in the rep's own time)."""
    rep = rt.reps.profile(team_id, user_id)
    with rt.db.transaction() as session:
        ends = start(session, rep, command, rt.clock())
    until = ends.astimezone(rep.tz).strftime("%H:%M")
    if isinstance(command, BreakCommand):
        return Reply(t(rep.language, "break.confirm", minutes=command.minutes, until=until))
    work = blockkit.work_name(rep.language, command.work)
    return Reply(t(rep.language, "focus.confirm", minutes=command.minutes, work=work, until=until))


def break_button(rt: Runtime, team_id: str, user_id: str, value: str) -> ButtonResult:
    """The "Start a 10-minute break" button on a break suggestion."""
    rep = rt.reps.profile(team_id, user_id)
    now = rt.clock()
    with rt.db.transaction() as session:
        nudge = outbox.own_nudge(session, team_id, user_id, value)
        if nudge is None:
            return ButtonResult(blockkit.plain(t(rep.language, "nudge.gone", lead="?")), changed=False)
        # The conditional update is the idempotency: only the first click finds acted_at empty.
        claimed = session.execute(
            update(Nudge)
            .where(Nudge.id == nudge.id, Nudge.acted_at.is_(None))
            .values(acted_at=now, action="break_start")
        ).rowcount
        if claimed:
            ends = log_break(session, rep, parser.BreakCommand(minutes=10), now)
        else:
            ends = (nudge.acted_at or now) + dt.timedelta(minutes=10)
        text = t(rep.language, "nudge.break_text", minutes=(nudge.payload or {}).get("minutes", 90))
    until = ends.astimezone(rep.tz).strftime("%H:%M")
    done = t(rep.language, "nudge.break_started", until=until)
    return ButtonResult(blockkit.resolved_message(text, done), changed=bool(claimed))


def count_in_streak(
    session: Session, rep: RepProfile, started: dt.datetime, ended: dt.datetime, now: dt.datetime
) -> Stamp:
    """Extend the rep's streak with one entry, and suggest one break per streak of `streak_max_minutes`.

    An entry's last write: it also raises the rep's entries version (`records.entries_changed`), under the rep's row
    lock, and returns the new stamp. An entry that began before `now` (work logged when it ended) may lie in a week
    the digest has counted already: that week is counted again (`digest_parts.touched`).
    """
    settings = rep.coach_settings
    who = {"team": rep.team_id, "user": rep.user_id}
    row = session.execute(_STREAK, who).one()
    current = Streak(row.streak_start, row.streak_end) if row.streak_start and row.streak_end else None
    streak = extend(current, started, ended, settings.streak_gap_minutes)
    changed = session.execute(_SET_STREAK, {**who, "start": streak.start, "end": streak.end}).one()
    held = session.identity_map.get(session.identity_key(Rep, (rep.team_id, rep.user_id)))
    if held is not None:
        session.expire(held)  # a caller holding the rep as an entity reads the new streak
    if started < now:
        digest_parts.touched(session, rep.team_id, rep.user_id, started)
    if streak.minutes >= settings.streak_max_minutes:
        # The streak's start names it: however many entries extend it, it earns one suggestion.
        key = f"break:{rep.team_id}:{rep.user_id}:{streak.start.isoformat()}"
        outbox.schedule_dm(session, rep, "break", now, key, now, payload={"minutes": round(streak.minutes)})
    return Stamp(changed.entries_version, changed.created_at)


_reps = Rep.__table__.c
_the_rep = (_reps.team_id == bindparam("team"), _reps.user_id == bindparam("user"))
# NO KEY UPDATE, not FOR UPDATE: this transaction's own activity row already holds a KEY SHARE lock on the rep (its
# foreign key), and so may a concurrent entry's; FOR UPDATE would wait for each other: a deadlock. Built once: every
# entry runs them.
_STREAK = select(_reps.streak_start, _reps.streak_end).where(*_the_rep).with_for_update(key_share=True)
_SET_STREAK = (
    update(Rep.__table__)
    .where(*_the_rep)
    .values(streak_start=bindparam("start"), streak_end=bindparam("end"), entries_version=_reps.entries_version + 1)
    .returning(_reps.entries_version, _reps.created_at)
)


def log_break(session: Session, rep: RepProfile, command: BreakCommand, now: dt.datetime) -> dt.datetime:
    """Store a break starting now; a pending break suggestion is no longer needed. Returns when it ends."""
    ends = now + dt.timedelta(minutes=command.minutes)
    row = session.get(Rep, (rep.team_id, rep.user_id))
    if row is not None:
        row.streak_start = row.streak_end = None  # a break ends the streak
    add_entry(session, rep, ActivityKind.BREAK, now, ends, created_at=now)
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
    entries_changed(session, rep.team_id, rep.user_id)
    return ends


def start_focus(session: Session, rep: RepProfile, command: WorkCommand, now: dt.datetime) -> dt.datetime:
    """Store a focus block from now and schedule its summary for when it ends. Returns when it ends."""
    ends = now + dt.timedelta(minutes=command.minutes)
    block = add_entry(
        session, rep, ActivityKind.FOCUS, now, ends, work=command.work.value, note=command.note, created_at=now
    )
    outbox.schedule_dm(session, rep, "focus_summary", ends, f"focus:{block}", now, payload={"activity_id": block})
    entries_changed(session, rep.team_id, rep.user_id)
    return ends


FOCUS_RULE = FocusBlockInterrupted.code

# How far back a streak of work may have started: longer than any working day.
STREAK_LOOKBACK = dt.timedelta(hours=16)

# Window ends are exclusive; this takes in an entry logged at `now` itself.
JUST_AFTER = dt.timedelta(microseconds=1)


def decide_break(session: Session, nudge: Nudge, rep: RepProfile, now: dt.datetime) -> Decision:
    if muted(session, rep.team_id, rep.user_id, BREAK_RULE, now):
        return Decision(cancel_reason="the rep muted break suggestions (M501)")
    settings = rep.coach_settings
    activities = rep_activities(session, rep.team_id, rep.user_id, now - STREAK_LOOKBACK, now + JUST_AFTER)
    streak = current_streak(activities, now, settings)
    if streak is None or streak.minutes < settings.streak_max_minutes:
        return Decision(cancel_reason="streak ended before the nudge was due")
    minutes = round(streak.minutes)
    nudge.payload = {**(nudge.payload or {}), "minutes": minutes}
    return Decision(
        message=blockkit.break_message(rep.language, nudge_id=nudge.id, minutes=minutes), user_id=rep.user_id
    )


def decide_focus_summary(session: Session, nudge: Nudge, rep: RepProfile) -> Decision:
    block = session.get(Activity, (nudge.payload or {}).get("activity_id"))
    if block is None or block.team_id != nudge.team_id:
        return Decision(cancel_reason="focus block gone")
    inside = [
        a
        for a in activities_between(session, rep.team_id, rep.user_id, block.started_at, block.ended_at)
        if a.kind in (ActivityKind.CALL.value, ActivityKind.WORK.value)
    ]
    lang = rep.language
    minutes = round((block.ended_at - block.started_at).total_seconds() / 60)
    lines = [t(lang, "nudge.focus_summary", work=blockkit.work_name(lang, block.work or "calls"), minutes=minutes)]
    calls = [a for a in inside if a.kind == ActivityKind.CALL.value]
    if calls:
        conversations = sum(1 for a in calls if a.outcome and to_domain(a).outcome.conversation)  # type: ignore[union-attr]
        meetings = sum(1 for a in calls if a.outcome == "meeting")
        lines.append(
            t(
                lang,
                "nudge.focus_calls",
                calls=count(Count(len(calls), "call"), lang),
                conversations=count(Count(conversations, "conversation"), lang),
                meetings=count(Count(meetings, "meeting"), lang),
            )
        )
    # Only the block's own kind of work: minutes of other work are the slip the next line names.
    work_minutes = round(
        sum((a.ended_at - a.started_at).total_seconds() for a in inside if a.kind == "work" and a.work == block.work)
        / 60
    )
    if work_minutes:
        lines.append(t(lang, "nudge.focus_work", minutes=work_minutes))
    kinds = {WorkType.CALLS.value if a.kind == ActivityKind.CALL.value else a.work for a in inside}
    others = sorted(k for k in kinds if k and k != (block.work or WorkType.CALLS.value))
    if others:
        # Named either way; the advice only if the block's tip (M402) didn't already give it during the block.
        key = "nudge.focus_other_told" if _tip_given(session, rep, FOCUS_RULE, block) else "nudge.focus_other"
        lines.append(t(lang, key, kinds=", ".join(blockkit.work_name(lang, k) for k in others)))
    elif inside:
        lines.append(t(lang, "nudge.focus_clean"))
    return Decision(message=blockkit.plain("\n".join(lines)), user_id=rep.user_id)


def _tip_given(session: Session, rep: RepProfile, code: str, block: Activity) -> bool:
    """Whether the rep was shown tip `code` while `block` ran."""
    shown = select(TipShown.code).where(
        TipShown.team_id == rep.team_id,
        TipShown.user_id == rep.user_id,
        TipShown.code == code,
        TipShown.shown_at >= block.started_at,
        TipShown.shown_at <= block.ended_at,
    )
    return session.scalar(shown.limit(1)) is not None


# Only a block that started this recently can still be running (focus blocks and breaks last hours at most).
LONGEST_BLOCK = dt.timedelta(days=1)

_RUNNING_BLOCK = (
    select(Activity.ended_at)
    .where(
        Activity.team_id == bindparam("team_id"),
        Activity.user_id == bindparam("user_id"),
        Activity.kind.in_((ActivityKind.FOCUS.value, ActivityKind.BREAK.value)),
        Activity.started_at > bindparam("since"),
        Activity.started_at <= bindparam("now"),
        Activity.ended_at > bindparam("now"),
    )
    .order_by(Activity.ended_at.desc())
    .limit(1)
)


def blocked_until(session: Session, rep: RepProfile, now: dt.datetime) -> dt.datetime | None:
    """The end of a focus block or break the rep is in at `now`, if any."""
    params = {"team_id": rep.team_id, "user_id": rep.user_id, "now": now, "since": now - LONGEST_BLOCK}
    return session.execute(_RUNNING_BLOCK, params).scalar_one_or_none()

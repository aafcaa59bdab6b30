"""Follow-ups: the next attempt on a lead not reached, its buttons, the App Home's list, `/coach away` and `back`.

Misconception 2: reps give up after about 1.3 attempts while most converted leads were reached by the 6th. A call
that doesn't reach the lead schedules the next attempt (`bot.usecases.calls`); this module puts a due attempt into
the rep's list of the day (`bot.usecases.daylist`, never a DM of its own), handles the buttons on a line of it or
of the App Home (log the attempt, snooze, stop), pages the open follow-ups for the Home, and moves pending
follow-ups past a rep's absence.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.outbox import rows as outbox
from bot.outbox.sweep import Decision
from bot.slack import blockkit
from bot.storage.models import Lead, Nudge, Rep
from bot.storage.records import lead_summaries
from bot.usecases import daylist
from bot.usecases.calls import log_call
from bot.usecases.replies import ButtonResult, Reply
from bot.usecases.reps import RepProfile
from bot.usecases.tips import tips_after_entry
from coaching import parser
from coaching.cadence import next_attempt_at, shift_for_absence
from coaching.domain import StopReason
from coaching.findings import Count
from coaching.hours import add_working_days, local_datetime, next_working_moment
from coaching.i18n import t
from coaching.render import count

if TYPE_CHECKING:
    from bot.runtime import Runtime


def followup_button(rt: Runtime, team_id: str, user_id: str, action_id: str, value: str) -> ButtonResult:
    """A click on a follow-up (a line of the day's list, the App Home): log the attempt, snooze, or stop.

    A second click changes nothing. A line of a list is changed in the list itself, through the outbox
    (`in_list`); the click's own answer is only a tip, if one is due.
    """
    rep = rt.reps.profile(team_id, user_id)
    now = rt.clock()
    lists: list[int] = []
    result = _click(rt, rep, action_id, value, now, lists)
    for list_nudge in lists:
        rt.sweeper.send_now(list_nudge, now)
    return result


def _click(
    rt: Runtime, rep: RepProfile, action_id: str, value: str, now: dt.datetime, lists: list[int]
) -> ButtonResult:
    team_id, user_id, lang = rep.team_id, rep.user_id, rep.language
    # The Stop menu's value is `<nudge id>:<reason>`; every button's is the nudge id.
    value, _, reason_value = value.partition(":")
    reason = next((r for r in StopReason if r.value == reason_value), None)
    with rt.db.transaction() as session:
        nudge = outbox.own_nudge(session, team_id, user_id, value)
        if nudge is None:
            return ButtonResult(blockkit.plain(t(lang, "nudge.gone", lead="?")), changed=False)
        lead = session.get(Lead, nudge.lead_id)
        if lead is None:
            return ButtonResult(blockkit.plain(t(lang, "nudge.gone", lead="?")), changed=False)
        name = blockkit.escape(lead.name)
        written = None  # a call logged by the button: the tip after it
        headline = t(lang, "nudge.followup_text", lead=name, attempt=nudge.attempt or 0, target=rep.cadence.target)
        # The conditional update is the idempotency: only the first click finds acted_at empty.
        claimed = session.execute(
            update(Nudge).where(Nudge.id == nudge.id, Nudge.acted_at.is_(None)).values(acted_at=now, action=action_id)
        ).rowcount
        in_list = nudge.list_day is not None
        if not claimed:
            state = t(lang, "nudge.already", state=(nudge.payload or {}).get("done", ""))
            return ButtonResult(blockkit.resolved_message(headline, state), changed=False, in_list=in_list)
        if in_list and (lead.cadence != "active" or lead.unreached_attempts + 1 != nudge.attempt):
            lists += daylist.lines_done(session, nudge, action_id, t(lang, "nudge.gone", lead=name), now)
            return ButtonResult(blockkit.plain(t(lang, "nudge.gone", lead=name)), False, in_list=True)
        if lead.cadence != "active" or lead.unreached_attempts + 1 != nudge.attempt:
            return ButtonResult(blockkit.resolved_message(headline, t(lang, "nudge.gone", lead=name)), False)
        if action_id in blockkit.FOLLOWUP_LOG:
            outcome = blockkit.FOLLOWUP_LOG[action_id]
            logged = log_call(session, rep, parser.CallCommand(lead=lead.name, outcome=outcome), now, source="button")
            written = logged.written
            done = t(
                lang,
                "nudge.done_logged",
                attempt=logged.attempt,
                lead=name,
                outcome=blockkit.outcome_name(lang, outcome),
            )
            if logged.next_attempt_at is not None:
                done += "\n" + t(
                    lang, "call.next_attempt", when=blockkit.local_when(lang, logged.next_attempt_at, now, rep.tz)
                )
        elif action_id in blockkit.FOLLOWUP_SNOOZE:
            at = _snooze_until(action_id, rep, now)
            # A snooze replaces whatever is pending for the lead (a button on the App Home acts before the DM).
            outbox.cancel_followups(session, team_id, lead.id, reason="snoozed")
            outbox.schedule_dm(
                session,
                rep,
                "followup",
                at,
                f"snooze:{nudge.id}:{now.isoformat()}",
                now,
                lead_id=lead.id,
                attempt=nudge.attempt,
            )
            daylist.schedule_list(session, rep, at, now)
            done = t(lang, "nudge.done_snoozed", lead=name, when=blockkit.local_when(lang, at, now, rep.tz))
        else:
            lead.cadence = "stopped"
            lead.stop_reason = reason.value if reason else None
            outbox.cancel_followups(session, team_id, lead.id, reason="stopped by the rep")
            attempts = count(Count(lead.attempts, "attempt"), lang)
            if reason is None:
                done = t(lang, "nudge.done_stopped", lead=name, attempts=attempts)
            else:
                done = t(
                    lang, "nudge.done_stopped_reason", lead=name, attempts=attempts, reason=t(lang, f"stop.{reason}")
                )
        nudge.payload = {**(nudge.payload or {}), "done": done}
        lists += daylist.lines_done(session, nudge, action_id, done, now)
    tips = tips_after_entry(rt.db, rep, now, written) if written is not None else []
    blocks = [block for found in tips for block in found.blocks(lang)]
    if in_list:
        answer = {"text": "\n".join(found.text for found in tips), "blocks": blocks} if tips else {}
        return ButtonResult(answer, changed=True, in_list=True)
    return ButtonResult(blockkit.resolved_message(headline, done, blocks), changed=True)


def away(rt: Runtime, rep: RepProfile, until: dt.date | None) -> Reply:
    """`/coach away <date>` and `/coach back`: pause the rep's nudges and move pending follow-ups past the absence."""
    with rt.db.transaction() as session:
        moved = set_away(session, rep, until, rt.clock())
    if until is None:
        return Reply(t(rep.language, "coach.back"))
    back_on = add_working_days(until, 1, rep.hours)
    return Reply(
        t(
            rep.language,
            "coach.away_set",
            date=blockkit.local_date(rep.language, back_on),
            moved=count(Count(moved, "followup"), rep.language),
        )
    )


def _snooze_until(action_id: str, rep: RepProfile, now: dt.datetime) -> dt.datetime:
    tz, hours = rep.tz, rep.hours
    if action_id == "followup_snooze_hour":
        return next_working_moment(now + dt.timedelta(hours=1), tz, hours, rep.away_until)
    if action_id == "followup_snooze_morning":
        tomorrow = now.astimezone(tz).date() + dt.timedelta(days=1)
        return next_working_moment(local_datetime(tomorrow, hours.start, tz), tz, hours, rep.away_until)
    day = add_working_days(now.astimezone(tz).date(), 1, hours)
    at = now.astimezone(tz).time().replace(tzinfo=None)
    if not hours.start <= at < hours.end:
        at = hours.start
    return next_working_moment(local_datetime(day, at, tz), tz, hours, rep.away_until)


def decide_followup(session: Session, nudge: Nudge, rep: RepProfile, now: dt.datetime) -> Decision:
    """A follow-up that falls due joins the rep's list of the day (bot.usecases.daylist), never a DM of its own."""
    lead = session.get(Lead, nudge.lead_id)
    if lead is None or lead.team_id != nudge.team_id:
        return Decision(cancel_reason="lead gone")
    if lead.cadence != "active" or lead.unreached_attempts + 1 != nudge.attempt:
        return Decision(cancel_reason=f"lead moved on ({lead.cadence}, {lead.unreached_attempts} unreached)")
    return daylist.join(session, rep, nudge, now)


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


def pending_followups(
    session: Session, rep: RepProfile, page: int = 0, size: int = blockkit.HOME_PAGE_SIZE
) -> tuple[list[tuple[int, int, str, int, dt.datetime]], int]:
    """A page of the rep's open follow-ups, one per lead, most overdue first, and how many there are in all.

    Each as (nudge id, lead id, lead name, attempt, due).

    Open: still to come, or shown (in a list, or a DM from before the lists) and not acted on, while the lead is
    still at that attempt. A lead can have several such rows (a list's line and its roll-over to the next day);
    the Home shows the lead once, by its earliest.
    """
    open_rows = (
        select(Nudge.lead_id, func.min(Nudge.id).label("nudge_id"), func.min(Nudge.due_at).label("due_at"))
        .join(Lead, Lead.id == Nudge.lead_id)
        .where(
            Nudge.team_id == rep.team_id,
            Nudge.user_id == rep.user_id,
            Nudge.kind == "followup",
            or_(
                Nudge.status.in_(("pending", "sending")),
                and_(Nudge.status.in_(("sent", "listed")), Nudge.acted_at.is_(None)),
            ),
            Lead.cadence == "active",
            Nudge.attempt == Lead.unreached_attempts + 1,
        )
        .group_by(Nudge.lead_id)
        .subquery()
    )
    total = session.scalar(select(func.count()).select_from(open_rows)) or 0
    rows = session.execute(
        select(open_rows.c.nudge_id, Lead.id, Lead.name, Lead.unreached_attempts, open_rows.c.due_at)
        .join(Lead, Lead.id == open_rows.c.lead_id)
        .order_by(open_rows.c.due_at, Lead.name, open_rows.c.nudge_id)
        .offset(page * size)
        .limit(size)
    )
    return [(row.nudge_id, row.id, row.name, row.unreached_attempts + 1, row.due_at) for row in rows], int(total)


def resume_dropped(rt: Runtime, team_id: str, user_id: str) -> str:
    """The button under a tip about leads dropped early: put each back into its cadence.

    The leads are those M201 names right now (never reached, stopped without a reason after fewer than
    `early_drop_attempts` attempts, last called within `lead_lookback_days`). Each gets the follow-up its cadence
    would have had, or the next working moment when that has passed.
    """
    rep, now = rt.reps.profile(team_id, user_id), rt.clock()
    settings = rep.coach_settings
    since = now - dt.timedelta(days=settings.lead_lookback_days)
    with rt.db.transaction() as session:
        dropped = [
            summary
            for summary in lead_summaries(session, team_id, user_id, since)
            if summary.stop_reason is None and 0 < summary.attempts < settings.early_drop_attempts
        ]
        names, first_due = [], None
        for summary in sorted(dropped, key=lambda lead: lead.name):
            lead = session.get(Lead, int(summary.key))
            if lead is None or lead.last_attempt_at is None:
                continue
            due = next_attempt_at(
                lead.last_attempt_at, lead.unreached_attempts, rep.cadence, rep.tz, rep.hours, rep.away_until
            )
            due = next_working_moment(max(due or now, now), rep.tz, rep.hours, rep.away_until)
            lead.cadence, lead.stop_reason = "active", None
            attempt = lead.unreached_attempts + 1
            key = f"resume:{lead.id}:{attempt}:{now.isoformat()}"
            outbox.schedule_dm(session, rep, "followup", due, key, now, lead_id=lead.id, attempt=attempt)
            daylist.schedule_list(session, rep, due, now)
            names.append(blockkit.escape(lead.name))
            first_due = min(due, first_due or due)
    if not names:
        return t(rep.language, "tip.resumed_none")
    assert first_due is not None
    when = blockkit.local_when(rep.language, first_due, now, rep.tz)
    return t(rep.language, "tip.resumed", leads=", ".join(names), when=when)

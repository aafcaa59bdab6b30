"""The day's follow-up list and the notification budget (issue 11: a calm coach).

One DM a rep a working day lists every follow-up due that day, most overdue first, with its buttons. It is an
outbox row (`followup_list`) like any nudge: written with the follow-up that causes it (due at the start of that
working day), sent once, and from then on changed in place with chat.update, which doesn't notify:

- A follow-up row that falls due joins its day's list (`listed`, `Nudge.list_day`) instead of becoming a DM of
  its own; one that is still open at the end of the day rolls into the next working day's list, marked "still
  open since Tue" (a `roll:` row), never as a DM of its own.
- Every change (a follow-up joins, a button is used, a call is logged on a listed lead) raises the list's version
  in the changer's transaction and makes the list's row due again; the row records the version it showed, and
  one that showed less than the version when it was marked sent is due again at once. A click and an update that
  race therefore both end up in the message (bot.storage.models.FollowupList).
- Follow-ups that join a list already sent, in the afternoon, earn one short DM a day saying how many joined.

The budget: a rep gets at most the team's number of notifying DMs a working day (`coaching.daylist.NOTIFYING`);
one that would go past it is not sent (the list's follow-ups wait on the App Home and roll into the next list).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from bot.outbox import rows as outbox
from bot.outbox.sweep import Decision
from bot.slack import blockkit
from bot.storage.database import upsert_insert
from bot.storage.models import FollowupList, Lead, Nudge, Rep
from bot.usecases.reps import RepProfile
from coaching import daylist
from coaching.hours import add_working_days, local_datetime, local_day_bounds, next_working_moment, zone

LIST, ADDED = "followup_list", "list_added"
SNOOZED_TODAY = ("followup_snooze_hour",)
HELD_SHOWN = 3  # the day's latest messages held back by the budget that the list shows
NOTHING_DUE = "nothing due today"
OVER_BUDGET = "over the day's notification budget"
WITH_LIST = "sent with the day's list"
# Why a message is in the list rather than a DM of its own (a held entry's "why"): held back by the budget (`hold`),
# or a focus summary sent with the list's first sending (`send_with_list`).
BUDGET, FOCUS = "budget", "focus"


def list_key(team_id: str, user_id: str, day: dt.date) -> str:
    """The dedupe key of a rep's list of `day`: one list a day."""
    return f"list:{team_id}:{user_id}:{day.isoformat()}"


def schedule_list(session: Session, rep: RepProfile, due: dt.datetime, now: dt.datetime) -> None:
    """Write the list of the day a follow-up falls due, at the start of that working day (once a day)."""
    day, start = _list_start(rep, due, now)
    outbox.schedule_dm(session, rep, LIST, start, list_key(rep.team_id, rep.user_id, day), now, payload={})


def _list_start(rep: RepProfile, due: dt.datetime, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The rep's day a follow-up due at `due` falls on, and when that day's list is due.

    That is the start of the working day, not before now, never after the follow-up.
    """
    day = due.astimezone(rep.tz).date()
    return day, min(max(local_datetime(day, rep.hours.start, rep.tz), now), due)


def _key(team_id: str, user_id: str, day: dt.date) -> dict[str, Any]:
    return {"team_id": team_id, "user_id": user_id, "day": day}


def _list_row(
    session: Session, rep: RepProfile, day: dt.date, now: dt.datetime, *, likely_there: bool = False
) -> FollowupList:
    """The rep's list row of `day` as it stands now, written first if it is new (two first writers may race).

    One statement in the usual case: a list being sent is most likely new (written, and its row returned by the
    INSERT); one a follow-up joins (`likely_there`) most likely exists (read).
    """
    key = _key(rep.team_id, rep.user_id, day)
    if likely_there:
        row = session.get(FollowupList, key, populate_existing=True)
        if row is not None:
            return row
    insert = upsert_insert(session.get_bind().dialect.name)(FollowupList)
    written = insert.values(**key, version=0, added_note=False, created_at=now).on_conflict_do_nothing()
    row = session.scalars(written.returning(FollowupList)).first()
    if row is None:  # there already: read it, fresh
        row = session.get(FollowupList, key, populate_existing=True)
    assert row is not None
    return row


def join(session: Session, rep: RepProfile, nudge: Nudge, now: dt.datetime) -> Decision:
    """A follow-up fell due: it joins the rep's list of today (sent, or updated in place), not a DM of its own."""
    day = now.astimezone(rep.tz).date()
    row = _list_row(session, rep, day, now, likely_there=True)
    if not _put(session, rep, day, [nudge], now):
        return Decision(cancel_reason="already open in today's list")
    changed(session, nudge, day, now, joined=True, row=row)
    return Decision(listed=True)


def _put(session: Session, rep: RepProfile, day: dt.date, rows: list[Nudge], now: dt.datetime) -> int:
    """Put follow-ups into the list of `day`; one whose lead moved on, or is open in the list already, is cancelled.

    A few statements a list, not a few a follow-up: the list's lines are read once, the follow-ups put are marked
    in one UPDATE and their roll-overs written in one INSERT.
    """
    lines = session.execute(
        select(Nudge.id, Nudge.lead_id, Nudge.attempt, Nudge.acted_at, Nudge.action)
        .where(*_in_list(rep.team_id, rep.user_id, day))
        .where(or_(Nudge.acted_at.is_(None), Nudge.action.in_(SNOOZED_TODAY)))
        .order_by(Nudge.id)
    ).all()
    open_leads = {line.lead_id for line in lines if line.acted_at is None}
    snoozed: dict[tuple[int | None, int | None], int] = {}
    for line in lines:
        if line.action in SNOOZED_TODAY:
            snoozed.setdefault((line.lead_id, line.attempt), line.id)
    _load(session, rows, snoozed)
    listed: list[int] = []
    roll_overs: list[tuple[Nudge, Nudge]] = []
    for row in rows:
        lead = session.get(Lead, row.lead_id)  # loaded above: no query
        if lead is None or lead.cadence != "active" or lead.unreached_attempts + 1 != row.attempt:
            row.status, row.last_error = "cancelled", "lead moved on"
            continue
        if row.lead_id in open_leads:
            row.status, row.last_error = "cancelled", "already open in the day's list"
            continue
        snoozed_id = snoozed.pop((row.lead_id, row.attempt), None)
        if snoozed_id is not None:
            # Snoozed for an hour from this list: its own line opens again, rather than a second line.
            line = session.get(Nudge, snoozed_id)  # loaded above: no query
            assert line is not None
            line.acted_at = line.action = None
            line.sent_at = now
            line.payload = {k: v for k, v in (line.payload or {}).items() if k != "done"}
            row.status, row.last_error = "cancelled", "its line in the day's list opened again"
        else:
            listed.append(row.id)
            line = row
        open_leads.add(row.lead_id)
        roll_overs.append((row, line))
    if listed:
        # One UPDATE for the lot; "evaluate" sets the same values on the rows in this session, which then have
        # nothing left to flush.
        session.execute(
            update(Nudge)
            .where(Nudge.id.in_(listed))
            .values(status="listed", list_day=day, sent_at=now, lease_until=None)
            .execution_options(synchronize_session="evaluate")
        )
    _roll_over(session, rep, roll_overs, now)
    return len(roll_overs)


def _load(session: Session, rows: list[Nudge], snoozed: dict[tuple[int | None, int | None], int]) -> None:
    """Bring the follow-ups' leads, and the snoozed lines they reopen, into the session in one query each.

    What the session holds already (a lead its sweep read with the follow-up) is not read again.
    """
    leads = {row.lead_id for row in rows if row.lead_id is not None}
    missing = [i for i in leads if session.identity_key(Lead, i) not in session.identity_map]
    if missing:
        session.scalars(select(Lead).where(Lead.id.in_(missing))).all()
    wanted = {(row.lead_id, row.attempt) for row in rows}
    reopened = [i for key, i in snoozed.items() if key in wanted]
    if reopened:
        session.scalars(select(Nudge).where(Nudge.id.in_(reopened))).all()


def _roll_over(session: Session, rep: RepProfile, put: list[tuple[Nudge, Nudge]], now: dt.datetime) -> None:
    """Should the follow-ups put in a list still be open tomorrow, they join the next working day's list.

    A button cancels a roll-over. `put` pairs each follow-up with the list's line that shows it: that line's first
    due moment is the one "still open since" tells.

    The roll-overs and the next day's list (the same for all of them, written as `schedule_list` writes it) go in
    one execution (`outbox.schedule_all`).
    """
    if not put:
        return
    next_day = add_working_days(now.astimezone(rep.tz).date(), 1, rep.hours)
    start = local_datetime(next_day, rep.hours.start, rep.tz)
    due = next_working_moment(start, rep.tz, rep.hours, rep.away_until)
    rows = []
    for row, line in put:
        first_due = (line.payload or {}).get("first_due") or line.due_at.isoformat()
        details = {"lead_id": row.lead_id, "attempt": row.attempt, "payload": {"first_due": first_due}}
        rows.append(
            outbox.nudge_row(rep.team_id, "followup", due, f"roll:{row.id}", now, user_id=rep.user_id, **details)
        )
    day, start = _list_start(rep, due, now)
    rows.append(
        outbox.nudge_row(
            rep.team_id, LIST, start, list_key(rep.team_id, rep.user_id, day), now, user_id=rep.user_id, payload={}
        )
    )
    outbox.schedule_all(session, rows)


def _in_list(team_id: str, user_id: str, day: dt.date) -> tuple[Any, ...]:
    return (
        Nudge.team_id == team_id,
        Nudge.user_id == user_id,
        Nudge.kind == "followup",
        Nudge.status == "listed",
        Nudge.list_day == day,
    )


def changed(
    session: Session,
    rep: Any,
    day: dt.date,
    now: dt.datetime,
    *,
    joined: bool = False,
    row: FollowupList | None = None,
) -> int | None:
    """The list of `day` changed: raise its version and make its message due again. Returns that row if due now.

    `rep` is anything with the rep's `team_id` and `user_id`; `row` the list's row where the caller just read it
    in this transaction (else it is read here).
    """
    key = _key(rep.team_id, rep.user_id, day)
    if row is None:
        row = session.get(FollowupList, key, populate_existing=True)
    if row is None:
        return None
    if row.nudge_id is None:
        # The list's own row isn't adopted yet (a follow-up fell due before the day's list): write or find it.
        list_id = list_key(rep.team_id, rep.user_id, day)
        outbox.schedule(session, rep.team_id, LIST, now, list_id, now, user_id=rep.user_id, payload={})
        row.nudge_id = session.scalar(select(Nudge.id).where(Nudge.dedupe_key == list_id))
    # The list's row is locked before its version is raised: a sweeper marking it sent meanwhile either finished
    # first (this sees it sent and makes it due again) or waits for this commit (and then reads the new version in
    # `after_sent`). Read without the lock, both could miss the change (PostgreSQL's READ COMMITTED).
    message = session.get(Nudge, row.nudge_id, populate_existing=True, with_for_update=True) if row.nudge_id else None
    session.execute(
        update(FollowupList)
        .where(*(getattr(FollowupList, k) == v for k, v in key.items()))
        .values(version=FollowupList.version + 1)
    )
    if message is None:
        return None
    if message.status == "sent" or (message.status == "cancelled" and message.last_error == NOTHING_DUE):
        message.status, message.due_at, message.tries = "pending", now, 0
    if joined and message.sent_ts and not row.added_note and _afternoon(session, rep, now):
        row.added_note = True
        outbox.schedule(
            session, rep.team_id, ADDED, now, f"added:{rep.team_id}:{rep.user_id}:{day.isoformat()}", now,
            user_id=rep.user_id, payload={"day": day.isoformat()},
        )  # fmt: skip
    return message.id if message.status == "pending" else None


def lines_done(session: Session, nudge: Nudge, action: str, done: str, now: dt.datetime) -> list[int]:
    """A button on a follow-up was used: its other open lines (yesterday's list, today's) say the same.

    Returns the lists' rows due now, for the caller to send at once.
    """
    siblings = session.scalars(
        select(Nudge).where(
            Nudge.team_id == nudge.team_id,
            Nudge.lead_id == nudge.lead_id,
            Nudge.kind == "followup",
            Nudge.status == "listed",
            Nudge.acted_at.is_(None),
            Nudge.id != nudge.id,
        )
    ).all()
    for sibling in siblings:
        sibling.acted_at, sibling.action = now, action
        sibling.payload = {**(sibling.payload or {}), "done": done}
    return _touch(session, {(n.team_id, n.user_id, n.list_day) for n in (nudge, *siblings) if n.list_day}, now)


def lead_moved(session: Session, team_id: str, lead_id: int, now: dt.datetime) -> list[int]:
    """A call was logged on a lead: the lists showing it open show it handled."""
    showing = session.execute(_LISTS_SHOWING, {"team_id": team_id, "lead_id": lead_id})
    return _touch(session, {(team_id, user_id, day) for user_id, day in showing}, now)


_nudges = Nudge.__table__.c
# Built once: this runs with every logged call, and nearly always finds nothing.
_LISTS_SHOWING = (
    select(_nudges.user_id, _nudges.list_day).where(
        _nudges.team_id == bindparam("team_id"),
        _nudges.lead_id == bindparam("lead_id"),
        _nudges.kind == "followup",
        _nudges.status == "listed",
        _nudges.acted_at.is_(None),
        _nudges.list_day.is_not(None),
    )
    # No DISTINCT (the set above dedupes): with it, SQLite's planner would walk the team's nudges in user order
    # (ix_nudges_rep) instead of the lead's few (ix_nudges_lead_id).
)


def _touch(session: Session, lists: set[tuple[str, str | None, dt.date]], now: dt.datetime) -> list[int]:
    """Each of these lists (team, rep, day) changed; returns the rows of those due now."""
    due = []
    for team_id, user_id, day in sorted(lists, key=lambda key: (key[0], key[1] or "", key[2])):
        found = changed(session, _Who(team_id, user_id or ""), day, now)
        if found is not None:
            due.append(found)
    return due


class _Who:
    """A rep by their ids alone."""

    def __init__(self, team_id: str, user_id: str) -> None:
        self.team_id, self.user_id = team_id, user_id


def _afternoon(session: Session, rep: Any, now: dt.datetime) -> bool:
    tz = rep.tz if isinstance(rep, RepProfile) else _zone_of(session, rep.team_id, rep.user_id)
    return daylist.is_afternoon(now, tz)


def _zone_of(session: Session, team_id: str, user_id: str) -> Any:
    row = session.get(Rep, (team_id, user_id))
    return zone(row.tz if row else None)


def decide_list(session: Session, nudge: Nudge, rep: RepProfile, now: dt.datetime) -> Decision:
    """The day's list: sent at the start of the day with every follow-up due that day, then updated in place."""
    if nudge.sent_ts:
        day = dt.date.fromisoformat((nudge.payload or {})["day"])
        # Its version and held messages, read before its lines: a change between the two reads makes it due again
        # (`after_sent`) rather than be lost.
        row = session.get(FollowupList, _key(rep.team_id, rep.user_id, day), populate_existing=True)
        return _render(session, nudge, rep, day, now, row, update=True)
    day = now.astimezone(rep.tz).date()
    row = _list_row(session, rep, day, now)
    _, end = local_day_bounds(now, rep.tz)
    # The leads come with their follow-ups, into the session, where `_put` finds them. The follow-ups are locked:
    # one another sweeper claims between this read and `_put`'s write would otherwise be listed here and, in the
    # other sweeper's `join`, found open in the list and cancelled, its line gone (PostgreSQL's READ COMMITTED;
    # SQLite's writers take turns). Locked, the claim skips it, or it is read as no longer pending.
    due_today = session.execute(
        select(Nudge, Lead)
        .outerjoin(Lead, Lead.id == Nudge.lead_id)
        .where(
            Nudge.team_id == rep.team_id,
            Nudge.user_id == rep.user_id,
            Nudge.kind == "followup",
            Nudge.status == "pending",
            Nudge.due_at < end,
        )
        .order_by(Nudge.due_at, Nudge.id)
        .with_for_update(of=Nudge)
    ).all()
    gathered = _put(session, rep, day, [followup for followup, _ in due_today], now)
    if row.nudge_id not in (None, nudge.id):
        # The day has its list already (this one was held over from another day): what it gathered goes there.
        if gathered:
            changed(session, nudge, day, now, joined=True)
        return Decision(cancel_reason="merged into the day's list")
    return _render(session, nudge, rep, day, now, row, update=False)


def _render(
    session: Session,
    nudge: Nudge,
    rep: RepProfile,
    day: dt.date,
    now: dt.datetime,
    row: FollowupList | None,
    *,
    update: bool,
) -> Decision:
    """The list's message as it stands; `row` is its list row, read in this transaction before its lines."""
    order, lines = _lines(session, rep, day, now)
    if not update:
        if not order and not _held(row)[0]:
            return Decision(cancel_reason=NOTHING_DUE)
        assert row is not None
        row.nudge_id = nudge.id
    version = (row.version if row is not None else None) or 0
    nudge.payload = {**(nudge.payload or {}), "day": day.isoformat(), "shown": version}
    message = _message(rep, day, now, row, order, lines)
    if update:
        return Decision(message=message, user_id=rep.user_id, channel=nudge.sent_channel, update_ts=nudge.sent_ts)
    return Decision(message=message, user_id=rep.user_id)


def _message(
    rep: RepProfile,
    day: dt.date,
    now: dt.datetime,
    row: FollowupList | None,
    order: list[daylist.ListItem],
    lines: dict[int, blockkit.ListLine],
) -> dict[str, Any]:
    """The list of `day` as it stands: a line per follow-up, most overdue first; what doesn't fit, "N more"."""
    with_list, held = _held(row)
    if not order:
        # Its follow-ups moved on between a focus summary riding along and the list's sending: the summary alone.
        return blockkit.plain("\n\n".join(with_list))
    limit = daylist.MESSAGE_BLOCKS - len(held) - len(with_list)
    shown = daylist.fit(order, blockkit.LINE_OPEN_BLOCKS, blockkit.LINE_DONE_BLOCKS, limit)
    return blockkit.followup_list(
        rep.language,
        with_list=with_list,
        held=held,
        day=day,
        lines=[lines[item.nudge_id] for item in order[:shown]],
        more=len(order) - shown,
        done=sum(item.done for item in order),
        total=len(order),
        target=rep.cadence.target,
        now=now,
        tz=rep.tz,
    )


def _lines(
    session: Session, rep: RepProfile, day: dt.date, now: dt.datetime
) -> tuple[list[daylist.ListItem], dict[int, blockkit.ListLine]]:
    """The list's follow-ups in order, and each one's line."""
    # Columns, not entities: nothing here is changed, so the session needn't track (or build) an object per line.
    rows = session.execute(
        select(
            Nudge.id,
            Nudge.attempt,
            Nudge.payload,
            Nudge.acted_at,
            Nudge.due_at,
            Lead.id.label("lead_id"),
            Lead.name,
            Lead.cadence,
            Lead.unreached_attempts,
            Lead.last_outcome,
            Lead.last_attempt_at,
        )
        .join(Lead, Lead.id == Nudge.lead_id)
        .where(*_in_list(rep.team_id, rep.user_id, day))
    ).all()
    today = now.astimezone(rep.tz).date()
    lines: dict[int, blockkit.ListLine] = {}
    items = []
    for line in rows:
        payload = line.payload or {}
        done = payload.get("done") if line.acted_at else None
        moved_on = line.cadence != "active" or line.unreached_attempts + 1 != line.attempt
        handled = not done and (line.acted_at is not None or moved_on)
        first_due = dt.datetime.fromisoformat(payload.get("first_due") or line.due_at.isoformat())
        items.append(daylist.ListItem(line.id, line.name, first_due, bool(done or handled)))
        lines[line.id] = blockkit.ListLine(
            nudge_id=line.id,
            lead=line.name,
            lead_id=line.lead_id,
            attempt=line.attempt or 0,
            last_outcome=line.last_outcome,
            last_at=line.last_attempt_at,
            since=daylist.open_since(first_due, now, rep.tz) if day == today else None,
            done=done,
            handled=handled,
        )
    return daylist.ordered(items), lines


def after_sent(session: Session, nudge: Nudge, now: dt.datetime) -> bool:
    """A list just sent or updated: if it changed meanwhile, it is due again now. Returns whether it is."""
    payload = nudge.payload or {}
    if "day" not in payload or not nudge.user_id:
        return False
    version = session.scalar(
        select(FollowupList.version).where(
            FollowupList.team_id == nudge.team_id,
            FollowupList.user_id == nudge.user_id,
            FollowupList.day == dt.date.fromisoformat(payload["day"]),
        )
    )
    if version is not None and version > payload.get("shown", 0):
        nudge.status, nudge.due_at = "pending", now
        return True
    return False


def decide_added(session: Session, nudge: Nudge, rep: RepProfile, now: dt.datetime) -> Decision:
    """The afternoon's one short DM: how many follow-ups joined the day's list since it was sent."""
    day = dt.date.fromisoformat((nudge.payload or {})["day"])
    row = session.get(FollowupList, _key(rep.team_id, rep.user_id, day))
    message = session.get(Nudge, row.nudge_id) if row and row.nudge_id else None
    if message is None or message.sent_at is None:
        return Decision(cancel_reason="the day's list was never sent")
    listed = session.scalars(select(Nudge.sent_at).where(*_in_list(rep.team_id, rep.user_id, day))).all()
    added = sum(1 for sent_at in listed if sent_at and sent_at > message.sent_at)
    if not added:
        return Decision(cancel_reason="nothing joined the list")
    order, _ = _lines(session, rep, day, now)
    message = blockkit.list_added(rep.language, added=added, done=sum(i.done for i in order), total=len(order))
    return Decision(message=message, user_id=rep.user_id)


def hold(session: Session, nudge: Nudge, rep: RepProfile, text: str, now: dt.datetime) -> bool:
    """A DM past the budget goes quietly into today's list, if one was sent (an update doesn't notify)."""
    day = now.astimezone(rep.tz).date()
    row = session.get(FollowupList, _key(rep.team_id, rep.user_id, day), populate_existing=True)
    message = session.get(Nudge, row.nudge_id) if row and row.nudge_id else None
    if row is None or message is None or not message.sent_ts or message.status not in ("sent", "pending", "sending"):
        return False
    row.held = [*(row.held or []), {"why": BUDGET, "text": text}]
    changed(session, rep, day, now)
    return True


def send_with_list(session: Session, rep: RepProfile, text: str, now: dt.datetime) -> bool:
    """A focus summary due as the day's list goes out for the first time rides in it: one buzz, not two.

    Only a list due now (held by the same focus block, as a rule), not sent yet, with follow-ups to show; else the
    summary goes as a DM of its own. Returns whether it went into the list.
    """
    day = now.astimezone(rep.tz).date()
    unsent = (Nudge.sent_ts.is_(None), Nudge.status.in_(("pending", "sending")))
    message_id = session.scalar(
        select(Nudge.id).where(
            Nudge.dedupe_key == list_key(rep.team_id, rep.user_id, day), Nudge.due_at <= now, *unsent
        )
    )
    if message_id is None:
        return False
    _, end = local_day_bounds(now, rep.tz)
    lines = session.scalar(
        select(Nudge.id)
        .where(
            Nudge.team_id == rep.team_id,
            Nudge.user_id == rep.user_id,
            Nudge.kind == "followup",
            or_(
                (Nudge.status.in_(("pending", "sending"))) & (Nudge.due_at < end),
                (Nudge.status == "listed") & (Nudge.list_day == day),
            ),
        )
        .limit(1)
    )
    if lines is None:
        return False
    # The list's row, then its message, locked: the order every writer of a list takes them (`join`, `decide_list`),
    # so none waits for the other in a cycle. Locked, the message is checked again: sent meanwhile, the summary is
    # news of its own.
    row = _list_row(session, rep, day, now, likely_there=True)
    if session.scalar(select(Nudge.id).where(Nudge.id == message_id, *unsent).with_for_update()) is None:
        return False
    row.held = [*(row.held or []), {"why": FOCUS, "text": text}]
    changed(session, rep, day, now, row=row)
    return True


def _held(row: FollowupList | None) -> tuple[list[str], list[str]]:
    """The list's held messages as (sent with the list for a focus block, held back by the budget), latest last."""
    # A plain string is an entry stored before entries said why: all of those were the budget's.
    entries = [e if isinstance(e, dict) else {"why": BUDGET, "text": e} for e in (row.held if row else None) or []]
    shown = entries[-HELD_SHOWN:]
    return [e["text"] for e in shown if e["why"] == FOCUS], [e["text"] for e in shown if e["why"] == BUDGET]


def within_budget(session: Session, nudge: Nudge, rep: RepProfile, now: dt.datetime) -> bool:
    """Whether a notifying DM still fits in the rep's budget today; if it does, it is counted (reserved) now.

    The rep's row is locked first, so two sweepers deciding DMs for one rep at once count each other's.
    """
    start, end = local_day_bounds(now, rep.tz)
    # What the session holds unflushed (this nudge's payload, its list's row) counts for nothing here: it is
    # written with the reservation below, in one UPDATE at commit rather than one now and one then.
    with session.no_autoflush:
        session.get(Rep, (rep.team_id, rep.user_id), with_for_update={"key_share": True})
        sent = session.scalar(
            select(func.count()).where(
                Nudge.team_id == rep.team_id,
                Nudge.user_id == rep.user_id,
                Nudge.kind.in_(daylist.NOTIFYING),
                Nudge.status.in_(("pending", "sending", "sent")),
                Nudge.sent_at >= start,
                Nudge.sent_at < end,
                Nudge.id != nudge.id,
            )
        )
    if not daylist.within_budget(int(sent or 0), rep.notify_budget):
        return False
    nudge.sent_at = now
    return True

"""The sweep: claims due nudges and delivers each once.

Delivery guarantees (README, "Delivery guarantees"):
- A sweep claims due rows atomically (pending -> sending with a lease; `FOR UPDATE SKIP LOCKED` on PostgreSQL,
  a write transaction on SQLite), so two sweepers never claim the same row.
- A 429 reschedules the row by Retry-After; a 5xx or a connection error retries later with backoff; a row left
  in 'sending' by a crashed process is claimed again once its lease has run out; a sweeper told to stop gives
  back at once what it claimed and hasn't sent; a database error while deciding a row retries that row later (nothing
  was sent) and the rest of the batch goes on.
- The only duplicate possible: a process dies after Slack accepted a message and before the row is marked sent
  (a database error at that moment is tried once more).

What a due nudge becomes (a message, a deferral, a cancellation) is not decided here: `bot.usecases.due` decides
it, by kind, and `bot.runtime` hands that decision to the `Sweeper`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, literal_column, or_, select, union_all, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from bot.slack.clients import NotInstalled
from bot.storage.database import Database
from bot.storage.models import Lead, Nudge, Rep, Team

log = logging.getLogger(__name__)


LEASE = dt.timedelta(minutes=5)

BATCH = 200

MAX_TRIES = 12

# Slack errors no retry can cure: the row is marked failed and the reason kept.
PERMANENT_ERRORS = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "invalid_auth",
        "is_archived",
        "missing_scope",
        "not_authed",
        "not_in_channel",
        "token_revoked",
        "token_expired",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "invalid_blocks",
        "msg_too_long",
    }
)


# Literals, not bound parameters: a generic plan of a prepared statement can't use a partial index on a parameter.
_PENDING, _SENDING = literal_column("'pending'"), literal_column("'sending'")


def claim(db: Database, now: dt.datetime, worker: str, limit: int = BATCH) -> list[tuple[int, str]]:
    """Atomically take up to `limit` due rows (and rows whose lease ran out) for `worker`."""
    due = or_(
        and_(Nudge.status == "pending", Nudge.due_at <= now),
        and_(Nudge.status == "sending", Nudge.lease_until <= now),
    )
    # Each arm is read from its own partial index in due_at order and stops after `limit` rows; the `limit`
    # earliest of the two are the `limit` earliest due rows. One OR of both would make SQLite and PostgreSQL read
    # and sort every due row for every batch (bench/bench_sweep.py).
    pending = (
        select(Nudge.id, Nudge.due_at)
        .where(Nudge.status == _PENDING, Nudge.due_at <= now)
        .order_by(Nudge.due_at)
        .limit(limit)
    )
    expired = (
        select(Nudge.id, Nudge.due_at)
        .where(Nudge.status == _SENDING, Nudge.lease_until <= now)
        .order_by(Nudge.due_at)
        .limit(limit)
    )
    if db.dialect == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
        expired = expired.with_for_update(skip_locked=True)
    p, e = pending.subquery("pending"), expired.subquery("expired")
    both = union_all(select(p.c.id, p.c.due_at), select(e.c.id, e.c.due_at)).subquery("due")
    pick = select(both.c.id).order_by(both.c.due_at).limit(limit)
    with db.transaction() as session:
        ids: list[tuple[int, str]] = list(
            session.execute(
                update(Nudge)
                .where(Nudge.id.in_(pick.scalar_subquery()), due)
                .values(status="sending", claimed_by=worker, lease_until=now + LEASE)
                .returning(Nudge.id, Nudge.kind)
            ).all()
        )
    return sorted(ids)


class SweepReport:
    """What one sweep did: how many nudges it planned, sent, deferred, retried, cancelled and failed."""

    def __init__(self) -> None:
        self.planned = self.sent = self.deferred = self.retried = self.cancelled = self.failed = 0
        self.listed = self.updated = 0  # follow-ups put in a day list; messages changed in place
        self.requeued = 0  # lists changed while they were sent, due again at once
        self.errors: list[str] = []  # the Slack errors that made a nudge wait for a retry

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, updated {self.updated}, listed {self.listed}, deferred {self.deferred}, "
            f"retried {self.retried}, cancelled {self.cancelled}, failed {self.failed}"
        )


class TryLater(Exception):
    """Work a nudge stands for failed, and a retry may cure it: at `at` when the other side said when."""

    def __init__(self, error: str, at: dt.datetime | None = None) -> None:
        super().__init__(error)
        self.error, self.at = error, at


class CannotDeliver(Exception):
    """Work a nudge stands for failed, and no retry will cure it."""


@dataclass(frozen=True)
class Decision:
    """What to do with a claimed nudge: send this message, do this work, defer it, or cancel it.

    `perform` is work other than a Slack message (a call pushed to the CRM): it runs outside any transaction, may
    raise `TryLater` or `CannotDeliver`, and what it returns is kept in the nudge's payload as `result` (its `id`
    as `sent_ts`) in the transaction that marks the nudge sent, where `after_sent` reads it.
    """

    message: dict[str, Any] | None = None  # chat.postMessage arguments (without channel)
    perform: Callable[[], dict[str, Any]] | None = None
    user_id: str | None = None  # DM target
    channel: str | None = None  # channel target
    defer_until: dt.datetime | None = None
    cancel_reason: str | None = None
    update_ts: str | None = None  # the message to change in place (chat.update, which doesn't notify) in `channel`
    listed: bool = False  # its content went into the rep's day list (bot.usecases.daylist): nothing to send


class Sweeper:
    """Delivers due nudges. `decide` (bot.usecases.due) turns a nudge into a message or a deferral."""

    def __init__(
        self,
        db: Database,
        decide: Callable[[Session, Nudge, dt.datetime, Any], Decision],
        open_dm: Callable[[str, str], str],
        post: Callable[[str, str, dict[str, Any]], str],
        clock: Callable[[], dt.datetime],
        plan: Callable[[Session, dt.datetime], int] | None = None,
        after_sent: Callable[[Session, Nudge, dt.datetime], bool] | None = None,
        prepare: dict[str, Callable[[Session, Nudge, dt.datetime], Any]] | None = None,
        update: Callable[[str, str, str, dict[str, Any]], None] | None = None,
        last: tuple[str, ...] = (),
    ) -> None:
        self.db = db
        # Kinds whose message takes real reading (a leaderboard, a digest) are composed in a read transaction
        # first, so the write transaction that decides and marks the nudge stays short.
        self.prepare = prepare or {}
        self.plan = plan
        self.after_sent = after_sent
        self.decide = decide
        self.open_dm = open_dm
        self.post = post
        self.update = update
        self.last = last  # kinds delivered after the rest of a batch, in this order
        self.clock = clock
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Send nothing more (the process is ending): a sweep in progress stops after the nudge in hand.

        The rest of its batch goes back to pending at once, for the next sweeper, instead of waiting out its lease.
        """
        self._stopped.set()

    def sweep(self, now: dt.datetime | None = None, limit: int = BATCH) -> SweepReport:
        """Deliver everything due at `now` (default: the clock), batch after batch, until done or stopped."""
        now = now or self.clock()
        report = SweepReport()
        if self.plan is not None and not self._stopped.is_set():
            # Scheduled posts and digests become outbox rows first, so this same sweep delivers them.
            with self.db.transaction() as session:
                report.planned = self.plan(session, now)
        while not self._stopped.is_set():
            claimed = claim(self.db, now, self.worker, limit)
            # Kinds that gather others (a day's list) go after them, so one message has them all at once.
            claimed.sort(key=lambda row: self.last.index(row[1]) + 1 if row[1] in self.last else 0)
            woken = report.listed + report.requeued
            for done, (nudge_id, kind) in enumerate(claimed):
                if self._stopped.is_set():
                    self._release([nudge_id for nudge_id, _ in claimed[done:]])
                    return report
                self._deliver(nudge_id, kind, now, report)
            # A follow-up put in a list, or a list changed while it was being sent, leaves that list due now:
            # this same sweep sends it.
            if len(claimed) < limit and report.listed + report.requeued == woken:
                break
        return report

    def send_now(self, nudge_id: int, now: dt.datetime | None = None) -> bool:
        """Deliver one nudge at once if it is due and no one holds it (a list a click just changed)."""
        now = now or self.clock()
        with self.db.transaction() as session:
            claimed = session.execute(
                update(Nudge)
                .where(Nudge.id == nudge_id, Nudge.status == "pending", Nudge.due_at <= now)
                .values(status="sending", claimed_by=self.worker, lease_until=now + LEASE)
                .returning(Nudge.kind)
            ).first()
        if claimed is None:
            return False
        report = SweepReport()
        self._deliver(nudge_id, claimed.kind, now, report)
        while report.requeued:  # changed again while it was sent: once more, with the change
            report.requeued = 0
            if not self.send_now(nudge_id, now):
                break
        return True

    def _release(self, nudge_ids: list[int]) -> None:
        """Give claimed nudges back to the outbox, unsent, for any sweeper to claim now."""
        with self.db.transaction() as session:
            session.execute(
                update(Nudge)
                .where(Nudge.id.in_(nudge_ids), Nudge.status == "sending", Nudge.claimed_by == self.worker)
                .values(status="pending", claimed_by=None, lease_until=None)
            )

    def _deliver(self, nudge_id: int, kind: str, now: dt.datetime, report: SweepReport) -> None:
        prepared = None
        if kind in self.prepare:
            try:
                with self.db.read() as session:
                    nudge = session.get(Nudge, nudge_id)
                    prepared = self.prepare[kind](session, nudge, now) if nudge is not None else None
            except Exception:
                log.exception("composing nudge %s (%s) failed", nudge_id, kind)
        try:
            outcome, decision, team_id = self._decide(nudge_id, now, prepared)
        except DBAPIError as err:
            # The database refused the decision (a deadlock another transaction lost to us, a dropped connection):
            # nothing was decided or sent, so this nudge is tried again shortly and the rest of the batch goes on.
            error = type(err.orig).__name__
            log.warning("deciding nudge %s (%s) failed in the database: %s", nudge_id, kind, error)
            self._retry(nudge_id, now, None, f"database: {error}", report)
            return
        if outcome != "send" or decision is None:
            if outcome in ("cancelled", "deferred", "listed"):
                setattr(report, outcome, getattr(report, outcome) + 1)
            return
        result: dict[str, Any] | None = None
        try:
            if decision.perform is not None:
                result = decision.perform()
                channel, ts = None, str(result.get("id") or "")[:32] or None
            elif decision.update_ts and self.update is not None:
                assert decision.message is not None
                channel = decision.channel or self.open_dm(team_id, decision.user_id or "")
                self.update(team_id, channel, decision.update_ts, decision.message)
                ts = decision.update_ts
            else:
                assert decision.message is not None
                channel = decision.channel or self.open_dm(team_id, decision.user_id or "")
                ts = self.post(team_id, channel, decision.message)
        except SlackApiError as err:
            self._failed_send(nudge_id, now, err, report)
            return
        except TryLater as err:
            self._retry(nudge_id, now, err.at, err.error, report, count=err.at is None)
            return
        except CannotDeliver as err:
            self._give_up(nudge_id, str(err), report)
            return
        except NotInstalled:  # uninstalled or its token revoked: no retry can cure that
            self._give_up(nudge_id, "not installed", report)
            return
        except (OSError, ValueError) as err:  # connection refused, timeout, a body that isn't JSON
            self._retry(nudge_id, now, None, f"{type(err).__name__}", report)
            return
        # An update leaves sent_at as it was: the message notified when it was first sent, not now.
        sent_at = Nudge.sent_at if decision.update_ts else now
        values = {"status": "sent", "sent_at": sent_at, "sent_channel": channel, "sent_ts": ts, "lease_until": None}
        try:
            marked, requeued = self._mark_sent(nudge_id, values, result, now)
        except OperationalError as err:
            # Slack has the message: left `sending`, it would go out again after its lease. One more try, on a
            # fresh transaction, gets past a lost connection or a deadlock the database resolved against this one.
            log.warning("marking nudge %s (%s) sent failed once: %s", nudge_id, kind, type(err.orig).__name__)
            marked, requeued = self._mark_sent(nudge_id, values, result, now)
        report.requeued += requeued
        if not marked:
            log.warning("nudge %s (%s) was sent but its lease had passed to another sweeper", nudge_id, kind)
        if decision.update_ts:
            report.updated += 1
        else:
            report.sent += 1

    def _mark_sent(
        self, nudge_id: int, values: dict[str, Any], result: dict[str, Any] | None, now: dt.datetime
    ) -> tuple[bool, bool]:
        """Mark a delivered nudge sent, with what it causes; returns whether it was still ours, and requeued."""
        with self.db.transaction() as session:
            # The row marked comes back from the UPDATE itself (RETURNING): no second query to read it.
            sent = session.scalars(
                update(Nudge)
                .where(Nudge.id == nudge_id, Nudge.status == "sending", Nudge.claimed_by == self.worker)
                .values(**values)
                .returning(Nudge)
            ).first()
            if sent is None:
                return False, False
            if result is not None:
                sent.payload = {**(sent.payload or {}), "result": result}
            # What a delivered nudge causes (a list changed meanwhile goes out again), with its "sent".
            return True, self.after_sent is not None and self.after_sent(session, sent, now)

    def _decide(self, nudge_id: int, now: dt.datetime, prepared: Any) -> tuple[str, Decision | None, str]:
        """Decide a claimed nudge in one transaction; returns what became of it, the decision and its workspace.

        What became of it: "send" (the decision's message or work goes out), "cancelled", "deferred", "listed", or
        "gone" (no longer this sweeper's). A database error is raised after the rollback: nothing was decided.
        """
        # Not durable (PostgreSQL commits it without waiting for the disk): lost in a database crash, the nudge is
        # back as it was claimed and is decided again once its lease runs out; and the durable commit that marks it
        # sent, after Slack took it, puts this one on disk first (Database.transaction).
        with self.db.transaction(durable=False) as session:
            # The nudge with its rep, workspace and lead in one SELECT: `row` keeps them in the session's identity
            # map, so decide()'s session.get() finds them without a query of its own.
            row = session.execute(
                select(Nudge, Rep, Team, Lead)
                .outerjoin(Rep, and_(Rep.team_id == Nudge.team_id, Rep.user_id == Nudge.user_id))
                .outerjoin(Team, Team.id == Nudge.team_id)
                .outerjoin(Lead, Lead.id == Nudge.lead_id)
                .where(Nudge.id == nudge_id)
            ).first()
            nudge = row[0] if row is not None else None
            if nudge is None or nudge.status != "sending" or nudge.claimed_by != self.worker:
                return "gone", None, ""
            try:
                decision = self.decide(session, nudge, now, prepared)
            except DBAPIError:
                raise  # the transaction is spoilt (PostgreSQL): rolled back whole, and retried by the caller
            except Exception:
                log.exception("deciding nudge %s failed", nudge_id)
                decision = Decision(defer_until=now + _backoff(nudge.tries))
                nudge.tries += 1
            if decision.cancel_reason:
                nudge.status, nudge.last_error = "cancelled", decision.cancel_reason[:200]
                return "cancelled", decision, nudge.team_id
            if decision.defer_until is not None:
                nudge.status, nudge.due_at, nudge.lease_until = "pending", decision.defer_until, None
                return "deferred", decision, nudge.team_id
            if decision.listed:
                nudge.status, nudge.sent_at, nudge.lease_until = "listed", now, None
                return "listed", decision, nudge.team_id
            return "send", decision, nudge.team_id

    def _failed_send(self, nudge_id: int, now: dt.datetime, err: SlackApiError, report: SweepReport) -> None:
        status = err.response.status_code
        error = str(err.response.get("error") or status)
        if status == 429:
            retry_after = _retry_after(err.response.headers)
            self._retry(nudge_id, now, now + dt.timedelta(seconds=retry_after), "ratelimited", report, count=False)
        elif status >= 500 or error in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
            self._retry(nudge_id, now, None, error, report)
        elif error in PERMANENT_ERRORS or 400 <= status < 500:
            self._give_up(nudge_id, error, report)
        else:
            self._retry(nudge_id, now, None, error, report)

    def _give_up(self, nudge_id: int, error: str, report: SweepReport) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(Nudge)
                .where(Nudge.id == nudge_id, Nudge.claimed_by == self.worker)
                .values(status="failed", last_error=error[:200], lease_until=None)
            )
        log.warning("nudge %s failed for good: %s", nudge_id, error)
        report.failed += 1

    def _retry(
        self,
        nudge_id: int,
        now: dt.datetime,
        at: dt.datetime | None,
        error: str,
        report: SweepReport,
        *,
        count: bool = True,
    ) -> None:
        with self.db.transaction() as session:
            nudge = session.get(Nudge, nudge_id)
            if nudge is None or nudge.claimed_by != self.worker or nudge.status != "sending":
                return
            tries = nudge.tries + (1 if count else 0)
            if tries >= MAX_TRIES:
                nudge.status, nudge.last_error = "failed", f"gave up after {tries} tries: {error}"[:200]
                report.failed += 1
                return
            nudge.tries = tries
            nudge.status, nudge.lease_until = "pending", None
            nudge.due_at = at or now + _backoff(tries)
            nudge.last_error = error[:200]
        report.retried += 1
        report.errors.append(error)


def _backoff(tries: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(tries - 1, 0), 3600))


def _retry_after(headers: Any) -> int:
    value = None
    if headers:
        value = headers.get("Retry-After") or headers.get("retry-after")
        if isinstance(value, list):
            value = value[0]
    try:
        return max(1, min(int(value), 3600))
    except (TypeError, ValueError):
        return 30

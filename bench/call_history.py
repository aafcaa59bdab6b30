"""A year of one workspace's work, stored as the app would have stored it: the `/call` benchmarks' history phase.

The activities and leads are bench/bench_leaderboard.py's generator (`build`: reps with paces of their own, leads
worked through cadences of up to 8 attempts, 8% of dials reached, research and decision-maker flags, some logged
work and breaks), here over the 365 days before the history's end, and loaded by its bulk loaders (executemany on
SQLite, COPY on PostgreSQL). Then what the app writes beside each call:

- `rep_days`, counted by `standings.rebuild_rep_days` (bench_leaderboard's `fill_rollup`), as migration 0005 does;
- the follow-ups: every unreached call scheduled the next attempt (`next_attempt_at`, the default cadence, the
  reps' Amsterdam hours and Dutch holidays); the next call on the lead cancelled it (`superseded`); the last one
  is `pending` when it is still ahead, else `sent` (the sweep did its work: since issue 11 that means listed in
  the day's list, which went out); dedupe keys as `bot.usecases.calls` writes them;
- the day lists (`followup_list`) of the days those follow-ups fall due on (bench/sweep_data.py's `list_rows`),
  `pending` ahead and `sent` behind;
- the reps as `users.info` left them: Amsterdam, a DM channel, the profile fetched an hour ago (no refresh).

The history ends at the UTC midnight after the last working day whose hours (07:00 to 16:30 UTC) are over, so a
run in the evening has today's calls in it. Activity ids are 1..N in time order (the database is fresh), which
the follow-ups' dedupe keys use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, update

from bench import sweep_data
from bench.bench_leaderboard import Data, _sqlite_time, build, fill_rollup, load_postgres, load_sqlite
from bot.storage.database import Database
from bot.storage.models import Rep
from coaching.cadence import CadenceSettings, next_attempt_at
from coaching.domain import CONVERSATIONS
from coaching.hours import WorkingHours
from coaching.workdays import HolidayCalendar

TEAM = sweep_data.TEAM
AMSTERDAM = sweep_data.AMSTERDAM
DAYS = 365
REACHED = frozenset(o.value for o in CONVERSATIONS)


def history_end(now: dt.datetime) -> dt.datetime:
    """The UTC midnight the history ends at: after today if today's calling hours are over, else before today."""
    midnight = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + dt.timedelta(days=1) if now.astimezone(dt.UTC).hour >= 17 else midnight


@dataclass(frozen=True)
class History:
    """What was stored, and the leads each rep worked (for the calls made on top of it)."""

    data: Data
    end: dt.datetime
    nudges: int
    pending: int
    rep_days: int
    seconds: float

    def worked_leads(self) -> dict[str, list[int]]:
        """Per rep, the leads they own with at least one attempt."""
        out: dict[str, list[int]] = {}
        for lead_id, _key, owner, attempts, *_ in self.data.leads:
            if attempts:
                out.setdefault(owner, []).append(lead_id)
        return out

    def active_leads(self) -> set[int]:
        return {row[0] for row in self.data.leads if row[5] == "active"}

    def summary(self) -> str:
        d = self.data
        return (
            f"{len(d.activities):,} activities ({d.calls:,} calls) by {len(d.reps):,} reps on {len(d.leads):,} leads "
            f"over the {DAYS} days before {self.end:%Y-%m-%d %H:%M} UTC; {self.rep_days:,} rep_days rows; "
            f"{self.nudges:,} nudges ({self.pending:,} pending); stored in {self.seconds:.0f} s"
        )


def lead_name(lead_id: int) -> str:
    """The name the generator gave a lead (its key too): what a rep types after `/call`."""
    return f"lead {lead_id}"


def followups(data: Data, now: dt.datetime, first_id: int) -> Iterator[dict[str, Any]]:
    """The follow-up each unreached call scheduled, in call order, with what became of it by `now`."""
    cadence = CadenceSettings()
    hours = dataclasses.replace(WorkingHours(), holidays=HolidayCalendar.parse("NL"))
    unreached: dict[int, int] = {}
    open_row: dict[int, dict[str, Any]] = {}  # per lead: its latest follow-up, until the next call settles it
    nudge_id = first_id
    for activity_id, (user, kind, at, _ended, outcome, _work, lead_id, _attempt, *_) in enumerate(data.activities, 1):
        if kind != "call":
            continue
        previous = open_row.pop(lead_id, None)
        if previous is not None:
            previous["status"], previous["last_error"] = "cancelled", "superseded"
            yield previous
        if outcome in REACHED:
            unreached[lead_id] = 0
            continue
        unreached[lead_id] = unreached.get(lead_id, 0) + 1
        due = next_attempt_at(at, unreached[lead_id], cadence, AMSTERDAM, hours)
        if due is None:
            continue
        row = sweep_data.followup_row(nudge_id, user, lead_id, due, at)
        row["attempt"] = unreached[lead_id] + 1
        row["dedupe_key"] = f"followup:{lead_id}:{activity_id}"
        row["last_error"] = None
        nudge_id += 1
        open_row[lead_id] = row
    for row in open_row.values():
        if row["due_at"] <= now:
            row["status"], row["sent_at"], row["tries"] = "sent", row["due_at"], 1
        yield row


def store(db: Database, reps: int, activities: int, now: dt.datetime, seed: int = 20261130) -> History:
    """Build and bulk-load the history into a migrated, empty database."""
    t0 = time.perf_counter()
    end = history_end(now)
    data = build(reps, activities, seed, end=end, days=DAYS)
    print(f"history: built {len(data.activities):,} activities in {time.perf_counter() - t0:.0f} s", flush=True)
    (load_sqlite if db.dialect == "sqlite" else load_postgres)(db, data)
    print(f"history: activities and leads loaded at {time.perf_counter() - t0:.0f} s", flush=True)
    rep_days = fill_rollup(db)
    print(f"history: rep_days counted at {time.perf_counter() - t0:.0f} s", flush=True)
    nudges = list(followups(data, now, 1))
    # Written by the calls before those days: each list is due at its day's start (or its first follow-up).
    lists = sweep_data.list_rows([row for row in nudges if row["status"] != "cancelled"], len(nudges) + 1, data.created)
    for row in lists:
        row["created_at"] = min(row["due_at"], now)
        if row["due_at"] <= now:
            row["status"], row["sent_at"], row["tries"] = "sent", row["due_at"], 1
    nudges += lists
    load_nudges(db, nudges)
    with db.engine.begin() as conn:
        conn.execute(
            update(Rep)
            .where(Rep.team_id == TEAM)
            .values(
                tz="Europe/Amsterdam",
                locale="en-US",
                name=Rep.user_id,
                dm_channel=literal("D") + func.substr(Rep.user_id, 2),
                profile_fetched_at=now - dt.timedelta(hours=1),
            )
        )
    sweep_data.fix_sequences(db)
    # A year of history is at rest on a real server: its pages written out, not being flushed during the measured
    # phases (after the bulk load, PostgreSQL's next checkpoint wrote it out while the calls' commits waited on the
    # disk: p99 137 ms at 16 clients against 78 ms in a run without the history).
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
    else:  # on the driver's connection: the engine's connections begin a transaction, inside which this can't run
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    pending = sum(1 for row in nudges if row["status"] == "pending")
    history = History(data, end, len(nudges), pending, rep_days, time.perf_counter() - t0)
    print(f"history: {history.summary()}", flush=True)
    return history


NUDGE_COLUMNS = (
    "id, team_id, user_id, channel, kind, lead_id, attempt, due_at, status, tries, dedupe_key, payload, "
    "created_at, last_error, sent_at"
)


def load_nudges(db: Database, rows: list[dict[str, Any]]) -> None:
    """The rows in bulk, as bench_leaderboard loads activities: executemany on SQLite, COPY on PostgreSQL."""
    names = [name.strip() for name in NUDGE_COLUMNS.split(",")]
    times = {"due_at", "created_at", "sent_at"}
    raw = db.engine.raw_connection()
    try:
        if db.dialect == "sqlite":
            values = (
                tuple(
                    _sqlite_time(row.get(n)) if n in times else json.dumps(row[n]) if n == "payload" else row.get(n)
                    for n in names
                )
                for row in rows
            )
            cur = raw.cursor()
            cur.execute("BEGIN")
            cur.executemany(f"INSERT INTO nudges ({NUDGE_COLUMNS}) VALUES ({', '.join('?' * len(names))})", values)
            cur.execute("COMMIT")
        else:
            conn = raw.driver_connection
            with conn.cursor() as cur, cur.copy(f"COPY nudges ({NUDGE_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(row[n]) if n == "payload" else row.get(n) for n in names])
            conn.commit()
    finally:
        raw.close()


def call_mix(
    history: History, count: int, reps: int, rng: random.Random, templates: list[tuple[str, int]]
) -> list[tuple[str, str, str]]:
    """`count` calls as (rep, lead name, the `/call` text) by `reps` of the history's reps with the most leads in
    their cadence, each on a lead of their own with past attempts (three in four in its cadence)."""
    worked = history.worked_leads()
    active = history.active_leads()
    chosen = sorted(worked, key=lambda user: -sum(1 for lead in worked[user] if lead in active))[:reps]
    texts, weights = zip(*templates, strict=True)
    out = []
    for i in range(count):
        user = chosen[i % len(chosen)] if i < len(chosen) else rng.choice(chosen)
        leads = worked[user]
        in_cadence = [lead for lead in leads if lead in active]
        lead = rng.choice(in_cadence if in_cadence and rng.random() < 0.75 else leads)
        name = lead_name(lead)
        out.append((user, name, f"{name} {rng.choices(texts, weights)[0]}"))
    return out

"""The sweep benchmark's data: one team of reps with open cadences, built in bulk and reshaped between scenarios.

Ids are given explicitly: 1..N for the built leads and nudges, N+1..M for the rows `grow` adds.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update

from bot.storage.database import Database
from bot.storage.models import Activity, Lead, Nudge, Rep, Team

TEAM = "T0BENCH01"
TOKEN = "xoxb-bench-sweep"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The sweep instant: Wednesday 2 December 2026, 10:00 in Amsterdam (09:00 UTC), inside default working hours.
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=AMSTERDAM).astimezone(dt.UTC)
CHUNK = 10_000  # rows per bulk INSERT


@dataclass(frozen=True)
class Plan:
    """The sizes of one run, and how it measures."""

    total: int  # open cadences built
    due: int  # of them due at NOW
    scale: int  # rows for the scaling check
    reps: int
    backlog: int  # due rows in the backlog check
    first_contacts: int  # reps without a DM channel, one due nudge each
    history: int  # activities per rep for the history sweep (0: no history sweep)
    history_due: int  # nudges in the history sweep
    runs: int  # timed runs of each query (the median counts)
    sqlite_analyze: bool  # ANALYZE on SQLite too (the bot never runs it)
    profile: bool  # cProfile the main sweep


def rep_id(n: int) -> str:
    return f"U0REP{n:04d}"


def rep_row(
    user_id: str, name: str, *, dm_channel: str | None, locale: str, created: dt.datetime, is_admin: bool = False
) -> dict[str, Any]:
    """A rep in Amsterdam whose Slack profile was fetched an hour ago."""
    return {
        "team_id": TEAM,
        "user_id": user_id,
        "name": name,
        "tz": "Europe/Amsterdam",
        "locale": locale,
        "language": None,
        "is_admin": is_admin,
        "dm_channel": dm_channel,
        "profile_fetched_at": NOW - dt.timedelta(hours=1),
        "created_at": created,
    }


def lead_row(lead_id: int, owner: str, key: str, name: str, outcome: str, called: dt.datetime) -> dict[str, Any]:
    """A lead in an active cadence: one call, not reached."""
    return {
        "id": lead_id,
        "team_id": TEAM,
        "key": key,
        "name": name,
        "owner_id": owner,
        "attempts": 1,
        "unreached_attempts": 1,
        "cadence": "active",
        "last_outcome": outcome,
        "last_attempt_at": called,
        "first_attempt_at": called,
        "reached_at": None,
        "created_at": called,
    }


def followup_row(
    nudge_id: int, user_id: str, lead_id: int, due_at: dt.datetime, created: dt.datetime
) -> dict[str, Any]:
    """The pending follow-up (attempt 2) of a lead."""
    return {
        "id": nudge_id,
        "team_id": TEAM,
        "user_id": user_id,
        "channel": None,
        "kind": "followup",
        "lead_id": lead_id,
        "attempt": 2,
        "due_at": due_at,
        "status": "pending",
        "tries": 0,
        "dedupe_key": f"followup:{lead_id}:2",
        "payload": {},
        "created_at": created,
    }


def build_data(db: Database, plan: Plan, seed: int = 20261202) -> None:
    """The team, its reps (DM channel known), `plan.total` leads and their follow-ups, `plan.due` of them due."""
    rng = random.Random(seed)
    created = NOW - dt.timedelta(days=30)
    last_call = NOW - dt.timedelta(days=2, hours=3)
    due = set(rng.sample(range(1, plan.total + 1), plan.due))  # scattered over the table, as in life

    def due_at(i: int) -> dt.datetime:
        if i in due:
            return NOW - dt.timedelta(seconds=rng.randrange(0, 3600))
        return NOW + dt.timedelta(seconds=rng.randrange(60, 14 * 86400))

    with db.engine.begin() as conn:
        conn.execute(insert(Team.__table__), [{"id": TEAM, "name": "Bench BV", "settings": {}, "created_at": created}])
        reps = [rep_id(r) for r in range(plan.reps)]
        conn.execute(
            insert(Rep.__table__),
            [
                rep_row(
                    user,
                    f"Rep {r}",
                    dm_channel="D" + user[1:],
                    locale="nl-NL" if r % 2 else "en-US",
                    created=created,
                    is_admin=r == 0,
                )
                for r, user in enumerate(reps)
            ],
        )
        for start in range(1, plan.total + 1, CHUNK):
            ids = range(start, min(start + CHUNK, plan.total + 1))
            conn.execute(
                insert(Lead.__table__),
                [lead_row(i, reps[i % plan.reps], f"lead {i}", f"Lead {i} BV", "no-answer", last_call) for i in ids],
            )
            conn.execute(
                insert(Nudge.__table__), [followup_row(i, reps[i % plan.reps], i, due_at(i), last_call) for i in ids]
            )
    fix_sequences(db)


def fix_sequences(db: Database) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    if db.dialect != "postgresql":
        return
    with db.engine.begin() as conn:
        for table in ("leads", "nudges"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def analyze(db: Database, plan: Plan) -> None:
    """Fresh planner statistics: autovacuum would have them on PostgreSQL; the bot never runs ANALYZE on SQLite,
    so SQLite is measured without (unless `plan.sqlite_analyze`)."""
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("nudges", "leads", "reps"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    elif plan.sqlite_analyze:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def count_nudges(db: Database, *where: Any) -> int:
    with db.transaction() as session:
        return session.execute(select(func.count()).select_from(Nudge).where(*where)).scalar_one()


def count_due(db: Database) -> int:
    return count_nudges(db, Nudge.status == "pending", Nudge.due_at <= NOW)


def count_sent(db: Database) -> int:
    """Rows marked sent at the sweep instant."""
    return count_nudges(db, Nudge.status == "sent", Nudge.sent_at == NOW)


def reset_sent(db: Database, limit: int | None = None) -> int:
    """Put the swept rows (or the first `limit` of them) back to pending, as they were before the sweep."""
    swept = select(Nudge.id).where(Nudge.status == "sent", Nudge.sent_at == NOW).order_by(Nudge.id)
    if limit is not None:
        swept = swept.limit(limit)
    with db.transaction() as session:
        return session.execute(
            update(Nudge)
            .where(Nudge.id.in_(swept.scalar_subquery()))
            .values(status="pending", lease_until=None, claimed_by=None, sent_at=None, sent_channel=None, sent_ts=None)
        ).rowcount


def execute(db: Database, sql: str, **params: Any) -> int:
    """One SQL statement in a transaction of its own; the rows it changed."""
    with db.engine.begin() as conn:
        return conn.execute(text(sql), params).rowcount


def remove_sweep_writes(db: Database, built: int) -> int:
    """Delete the nudges the sweeps wrote (bot.delivery.after_sent's reminders), ids past the `built` ones:
    growing the table gives ids from there on."""
    return execute(db, "DELETE FROM nudges WHERE id > :built", built=built)


# -- first contacts: reps the bot has never messaged ---------------------------------------------------------------


def new_rep(r: int) -> str:
    return f"U1NEW{r:04d}"


def add_first_contacts(db: Database, count: int, first_id: int) -> None:
    """`count` reps without a DM channel, each with one lead (ids from `first_id`) and one due follow-up."""
    created = NOW - dt.timedelta(days=1)
    ids = range(first_id, first_id + count)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Rep.__table__),
            [rep_row(new_rep(r), f"New {r}", dm_channel=None, locale="en-US", created=created) for r in range(count)],
        )
        conn.execute(
            insert(Lead.__table__),
            [lead_row(i, new_rep(r), f"new lead {r}", f"New Lead {r}", "busy", created) for r, i in enumerate(ids)],
        )
        due_at = NOW - dt.timedelta(minutes=1)
        conn.execute(
            insert(Nudge.__table__), [followup_row(i, new_rep(r), i, due_at, created) for r, i in enumerate(ids)]
        )
    fix_sequences(db)


def remove_first_contacts(db: Database, first_id: int) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM nudges WHERE id >= :f"), {"f": first_id})
        conn.execute(text("DELETE FROM leads WHERE id >= :f"), {"f": first_id})
        conn.execute(text("DELETE FROM reps WHERE user_id LIKE 'U1NEW%'"))


# -- a year of logged work -----------------------------------------------------------------------------------------


def add_history(db: Database, per_rep: int, reps: int, seed: int = 7) -> None:
    """`per_rep` logged activities per rep over the past year (calls mostly, some work, focus blocks and breaks),
    all ended before the sweep instant."""
    rng = random.Random(seed)
    kinds = ["call"] * 8 + ["work", "focus", "break"]

    def rows(r: int) -> Iterator[dict[str, Any]]:
        for k in range(per_rep):
            start = NOW - dt.timedelta(days=365 * (k + 1) / per_rep, minutes=rng.randrange(0, 600))
            kind = rng.choice(kinds)
            yield {
                "team_id": TEAM,
                "user_id": rep_id(r),
                "kind": kind,
                "started_at": start,
                "ended_at": start + dt.timedelta(minutes=rng.randrange(2, 60)),
                "outcome": "no-answer" if kind == "call" else None,
                "work": "calls" if kind in ("work", "focus") else None,
                "researched": False,
                "decision_maker": False,
                "note": "",
                "source": "command",
                "created_at": start,
            }

    with db.engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        for r in range(reps):
            batch.extend(rows(r))
            if batch and (len(batch) >= 2 * CHUNK or r == reps - 1):
                conn.execute(insert(Activity.__table__), batch)
                batch = []


def remove_history(db: Database) -> None:
    execute(db, "DELETE FROM activities WHERE team_id = :t", t=TEAM)


# -- more rows, more due rows --------------------------------------------------------------------------------------


def grow(db: Database, first_id: int, last_id: int) -> None:
    """Add nudges first_id..last_id in SQL: even ids pending and due later (inside ix_nudges_due), odd ids sent
    history (outside both partial indexes). None of them is due."""
    if last_id < first_id:
        return
    cols = "id, team_id, user_id, kind, attempt, due_at, status, tries, dedupe_key, payload, sent_at, created_at"
    if db.dialect == "postgresql":
        sql = f"""
            INSERT INTO nudges ({cols})
            SELECT g, :team, 'U0REP' || lpad((g % 100)::text, 4, '0'), 'followup', 2,
                   CASE WHEN g % 2 = 0 THEN CAST(:now AS timestamptz) + (60 + g % 1209600) * interval '1 second'
                        ELSE CAST(:now AS timestamptz) - (3600 + g % 2592000) * interval '1 second' END,
                   CASE WHEN g % 2 = 0 THEN 'pending' ELSE 'sent' END, CASE WHEN g % 2 = 0 THEN 0 ELSE 1 END,
                   'bench-extra:' || g, '{{}}'::json,
                   CASE WHEN g % 2 = 0 THEN NULL
                        ELSE CAST(:now AS timestamptz) - (3600 + g % 2592000) * interval '1 second' END,
                   CAST(:now AS timestamptz) - interval '30 days'
            FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
        """
    else:
        sql = f"""
            WITH RECURSIVE seq(g) AS (SELECT :first UNION ALL SELECT g + 1 FROM seq WHERE g < :last)
            INSERT INTO nudges ({cols})
            SELECT g, :team, 'U0REP' || substr('0000' || (g % 100), -4), 'followup', 2,
                   CASE WHEN g % 2 = 0 THEN datetime(:now, '+' || (60 + g % 1209600) || ' seconds') || '.000000'
                        ELSE datetime(:now, '-' || (3600 + g % 2592000) || ' seconds') || '.000000' END,
                   CASE WHEN g % 2 = 0 THEN 'pending' ELSE 'sent' END, CASE WHEN g % 2 = 0 THEN 0 ELSE 1 END,
                   'bench-extra:' || g, '{{}}',
                   CASE WHEN g % 2 = 0 THEN NULL
                        ELSE datetime(:now, '-' || (3600 + g % 2592000) || ' seconds') || '.000000' END,
                   datetime(:now, '-30 days') || '.000000'
            FROM seq
        """
    execute(db, sql, team=TEAM, now=sql_now(db), first=first_id, last=last_id)
    fix_sequences(db)


def make_backlog(db: Database, extra_due: int) -> int:
    """Make `extra_due` of the pending-later rows due in the last hour; returns how many were changed."""
    if db.dialect == "postgresql":
        due_at = "CAST(:now AS timestamptz) - (id % 3600) * interval '1 second'"
        later: Any = NOW
    else:
        due_at = "datetime(:now, '-' || (id % 3600) || ' seconds') || '.000000'"
        # As SQLAlchemy stores a DateTime on SQLite: naive UTC, microseconds always written.
        later = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = f"""
        UPDATE nudges SET due_at = {due_at}
        WHERE id IN (SELECT id FROM nudges WHERE status = 'pending' AND due_at > :later ORDER BY id LIMIT :n)
    """
    return execute(db, sql, now=sql_now(db), later=later, n=extra_due)


def sql_now(db: Database) -> Any:
    """NOW as the hand-written SQL above takes it: a timestamptz on PostgreSQL, SQLite's datetime() text."""
    return NOW if db.dialect == "postgresql" else NOW.strftime("%Y-%m-%d %H:%M:%S")

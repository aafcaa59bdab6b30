"""The claim's due-row query, as bot.outbox.sweep.claim writes it and as it was, and how to time and explain it."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, event, literal_column, or_, select, union_all, update
from sqlalchemy.engine import Connection

from bot.outbox.sweep import BATCH, LEASE
from bot.storage.database import Database
from bot.storage.models import Nudge

NO_INDEX_RUNS = 3  # timed runs without the partial indexes: each reads the whole table


def due_condition(now: dt.datetime) -> Any:
    return or_(
        and_(Nudge.status == "pending", Nudge.due_at <= now),
        and_(Nudge.status == "sending", Nudge.lease_until <= now),
    )


def pick_or(now: dt.datetime, dialect: str, limit: int = BATCH) -> Any:
    """The claim's inner SELECT before: one OR of the two conditions, ORDER BY due_at LIMIT n."""
    pick = select(Nudge.id).where(due_condition(now)).order_by(Nudge.due_at).limit(limit)
    if dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    return pick


def pick_union(now: dt.datetime, dialect: str, limit: int = BATCH) -> Any:
    """The claim's inner SELECT now: the n earliest of each index-backed select, UNION ALL, then the n earliest.

    Each arm is answered from its partial index in due_at order and stops after n rows, so the cost follows the
    batch size, not the number of due rows. The result is the same set: the n earliest of a union are among the
    n earliest of each part.
    """
    # Status literals, as the bot writes them: a prepared statement's generic plan can't use a partial index on a
    # bound parameter.
    arms = []
    for status, until in (("pending", Nudge.due_at), ("sending", Nudge.lease_until)):
        arm = (
            select(Nudge.id, Nudge.due_at)
            .where(Nudge.status == literal_column(f"'{status}'"), until <= now)
            .order_by(Nudge.due_at)
            .limit(limit)
        )
        arms.append(arm.with_for_update(skip_locked=True) if dialect == "postgresql" else arm)
    p, e = arms[0].subquery("pending"), arms[1].subquery("expired")
    both = union_all(select(p.c.id, p.c.due_at), select(e.c.id, e.c.due_at)).subquery("due")
    return select(both.c.id).order_by(both.c.due_at).limit(limit)


PICKS: dict[str, Callable[[dt.datetime, str], Any]] = {"OR (before)": pick_or, "UNION ALL (current)": pick_union}


def claim_update(make: Callable[..., Any], now: dt.datetime, dialect: str, worker: str = "bench:claim") -> Any:
    """bot.outbox.sweep.claim's UPDATE ... RETURNING around a pick made by `make` (pick_union: as the bot writes it)."""
    return (
        update(Nudge)
        .where(Nudge.id.in_(make(now, dialect).scalar_subquery()), due_condition(now))
        .values(status="sending", claimed_by=worker, lease_until=now + LEASE)
        .returning(Nudge.id, Nudge.kind)
    )


# The statements the report shows the plans of, by title.
OR_SELECT = "claim's inner SELECT with one OR (before)"
OR_CLAIM = "the whole claim UPDATE ... RETURNING with one OR (before)"
UNION_SELECT = "claim's inner SELECT with UNION ALL (current)"
UNION_CLAIM = "the whole claim UPDATE ... RETURNING with UNION ALL (current: as the bot writes it)"
STATEMENTS: dict[str, Callable[[dt.datetime, str], Any]] = {
    OR_SELECT: pick_or,
    OR_CLAIM: lambda now, dialect: claim_update(pick_or, now, dialect),
    UNION_SELECT: pick_union,
    UNION_CLAIM: lambda now, dialect: claim_update(pick_union, now, dialect),
}


@contextlib.contextmanager
def rolled_back(db: Database) -> Iterator[Connection]:
    """A connection in a transaction that is always rolled back."""
    with db.engine.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        finally:
            trans.rollback()


def driver_sql(conn: Connection, stmt: Any) -> tuple[str, Any]:
    """The exact SQL text and DBAPI parameters SQLAlchemy sends for `stmt` (executed once in a savepoint that is
    rolled back)."""
    seen: list[tuple[str, Any]] = []

    def grab(c: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    savepoint = conn.begin_nested()
    event.listen(conn, "before_cursor_execute", grab)
    try:
        conn.execute(stmt).all()
    finally:
        event.remove(conn, "before_cursor_execute", grab)
        savepoint.rollback()
    return seen[-1]


def query_plan(conn: Connection, sql: str, params: Any, *, analyze: bool) -> str:
    """EXPLAIN QUERY PLAN (SQLite, indented as a tree) or EXPLAIN [(ANALYZE, BUFFERS)] (PostgreSQL) of the driver's
    `sql` with its `params`."""
    if conn.dialect.name == "postgresql":
        options = "ANALYZE, BUFFERS, COSTS OFF" if analyze else "COSTS OFF"
        return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN ({options}) {sql}", params))
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params):
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


def explain(db: Database, stmt: Any) -> str:
    """The plan of `stmt` with its real bound parameters, run (ANALYZE on PostgreSQL) in a transaction of its own
    that is rolled back."""
    with rolled_back(db) as conn:
        sql, params = driver_sql(conn, stmt)
    with rolled_back(db) as conn:
        return query_plan(conn, sql, params, analyze=True)


def summarize_plan(plan: str, dialect: str) -> str:
    """A few words on how the plan reaches the nudges table."""
    found = []
    for line in plan.splitlines():
        text = line.strip().removeprefix("->").strip()
        if dialect == "postgresql":
            if ":" in text:  # a property of the node above (Sort Key, Index Cond, ...), not a node
                continue
            match = re.match(
                r"(Seq Scan|Index Scan|Index Only Scan|Bitmap Index Scan|Bitmap Heap Scan|BitmapOr|"
                r"Merge Append|Append|Sort|Incremental Sort|LockRows|Hash Semi Join|Nested Loop)"
                r"(?:\s+(?:using|on)\s+(\w+))?",
                text,
            )
            if match:
                found.append(" ".join(g for g in match.groups() if g))
        elif not re.fullmatch(r"INDEX \d+|COMPOUND QUERY|LEFT-MOST SUBQUERY|UNION ALL|CO-ROUTINE .*", text):
            found.append(text)
    return "; ".join(found) or "?"


@dataclass
class QueryRow:
    rows: int
    due: int
    variant: str
    index: bool
    select_ms: float
    claim_ms: float
    claimed: int
    plan: str


def timed_ms(conn: Connection, stmt: Any) -> tuple[float, list[Any]]:
    """Milliseconds to execute `stmt` and fetch its rows, and the rows."""
    t0 = time.perf_counter()
    rows = conn.execute(stmt).all()
    return (time.perf_counter() - t0) * 1000, rows


def time_queries(db: Database, now: dt.datetime, *, rows: int, due: int, runs: int) -> list[QueryRow]:
    """The inner SELECT and the whole claim UPDATE (rolled back each time) of each variant with the partial
    indexes, and of the OR without them (dropped in a transaction that is rolled back). `rows` and `due` label."""
    out: list[QueryRow] = []
    for with_index, name in ((True, "OR (before)"), (True, "UNION ALL (current)"), (False, "OR (before)")):
        pick = PICKS[name](now, db.dialect)
        claim = claim_update(PICKS[name], now, db.dialect)
        n = runs if with_index else NO_INDEX_RUNS
        with rolled_back(db) as conn:
            if not with_index:
                conn.exec_driver_sql("DROP INDEX ix_nudges_due")
                conn.exec_driver_sql("DROP INDEX ix_nudges_lease")
            conn.execute(pick).all()  # warm: statement cache, pages
            select_ms = statistics.median(timed_ms(conn, pick)[0] for _ in range(n))
            claims = []
            for _ in range(n):
                savepoint = conn.begin_nested()
                claims.append(timed_ms(conn, claim))
                savepoint.rollback()
            plan = summarize_plan(query_plan(conn, *driver_sql(conn, pick), analyze=False), db.dialect)
        claim_ms, claimed = statistics.median(ms for ms, _ in claims), len(claims[-1][1])
        out.append(QueryRow(rows, due, name, with_index, select_ms, claim_ms, claimed, plan))
        print(
            f"  {rows:>9,} rows {due:>7,} due  {name:<13} index={'yes' if with_index else 'no ':<3} "
            f"SELECT {select_ms:8.2f} ms  claim {claim_ms:8.2f} ms ({claimed} rows)  [{plan}]",
            flush=True,
        )
    return out

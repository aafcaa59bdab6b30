"""Benchmark the outbox sweep: 100,000 open cadences, 10,000 of them due, one sweep against the Slack stand-in.

    .venv/bin/python bench/bench_sweep.py             # 100,000 cadences, 10,000 due; scaling to 1,000,000 rows
    .venv/bin/python bench/bench_sweep.py --quick     # 20,000 cadences, 2,000 due; scaling to 100,000 rows
    .venv/bin/python bench/bench_sweep.py --no-postgres --profile

For each backend (SQLite in a temporary folder; PostgreSQL on a throwaway database, skipped with a reason when
no server answers) the script:

1. migrates, then bulk-inserts one team, 100 reps (Europe/Amsterdam, profile cached, DM channel known),
   N leads with an active cadence (one unreached attempt) and N pending follow-ups (attempt 2), of which D are due
   at the sweep instant (a weekday, 10:00 Amsterdam) and the rest later. Building is not measured.
2. times the due-row query (the claim's inner SELECT ... LIMIT 200, and the whole claim UPDATE ... RETURNING in
   a rolled-back transaction) as `bot.outbox.claim` writes it (OR of the two partial-index conditions), beside
   a UNION ALL of the two index-backed selects, and with both partial indexes dropped (in a rolled-back
   transaction); prints EXPLAIN QUERY PLAN (SQLite) / EXPLAIN ANALYZE (PostgreSQL).
3. runs one `Sweeper.sweep(now)` (wired by `bot.runtime.build`) over the D due rows against the Slack stand-in
   (`python -m bot.slack.standin --count-only`: no rate limit, its own CPU), timing the Slack HTTP calls inside
   it, and, as a baseline in the same run, D bare `chat.postMessage` calls made directly with slack_sdk's
   WebClient; then a small sweep of reps seen for the first time (no DM channel yet: one `conversations.open`
   each), and a sweep of 2,000 nudges once every rep has a year of logged activities (--history, default 2,500
   each).
4. puts the D rows back to pending, grows the table to M rows with the same D due, and times the query again;
   then makes 10x as many rows due (a backlog) to show what the query's cost follows.

The tables are printed and written to bench/results/sweep.md. Target (issue): under 2 ms of our own time per
nudge (total minus the time inside Slack HTTP calls); finding due rows grows with the due rows, not all rows.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
OUT = RESULTS / "sweep.md"

TEAM = "T0BENCH01"
TOKEN = "xoxb-bench-sweep"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The sweep instant: Wednesday 2 December 2026, 10:00 in Amsterdam (09:00 UTC), inside default working hours.
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=AMSTERDAM).astimezone(dt.UTC)
TARGET_OWN_MS = 2.0
LIMIT = 200  # bot.outbox.BATCH


# -- the Slack stand-in, run as a subprocess so its CPU and GIL are not ours ----------------------------------------


class StandInProcess:
    """`python -m bot.slack.standin --count-only` in a child process (its own session); stop() ends that process only.

    Counting only, the stand-in plays Slack without chat.postMessage's rate limit: this measures the bot, not
    Slack's pacing.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.slack.standin", "--count-only", "--token", TOKEN],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"the Slack stand-in did not start (said {line!r})")
        self.port = int(line)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def counts(self) -> Counter[str]:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_standin/counts", data=b"", timeout=10) as response:
            return Counter(json.loads(response.read())["counts"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


# -- throwaway PostgreSQL database ---------------------------------------------------------------------------------


class PostgresDatabase:
    """A database created for one run on a PostgreSQL server and dropped after it."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy.engine import make_url

        self.admin_url = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.name = f"salescoach_bench_{os.getpid()}_{random.randrange(1 << 30):x}"
        self.url = self.admin_url.set(database=self.name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> str:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                result = conn.execute(text(sql))
                return str(result.scalar()) if result.returns_rows else ""
        finally:
            engine.dispose()

    def version(self) -> str:
        return self._admin("SHOW server_version")

    def create(self) -> str:
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# -- data ----------------------------------------------------------------------------------------------------------


def rep_id(n: int) -> str:
    return f"U0REP{n:04d}"


def utc_text(moment: dt.datetime) -> str:
    """A UTC moment as SQLAlchemy stores a DateTime on SQLite (naive, microseconds always written)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build_data(db: Any, *, total: int, due: int, reps: int, seed: int = 20261202) -> list[int]:
    """Bulk-insert the team, reps, leads and nudges; returns the ids of the due nudges."""
    from sqlalchemy import insert

    from bot.storage.models import Lead, Nudge, Rep, Team

    rng = random.Random(seed)
    created = NOW - dt.timedelta(days=30)
    last_call = NOW - dt.timedelta(days=2, hours=3)
    due_ids = sorted(rng.sample(range(1, total + 1), due))  # scattered over the table, as in life
    due_set = set(due_ids)
    with db.engine.begin() as conn:
        conn.execute(insert(Team.__table__), [{"id": TEAM, "name": "Bench BV", "settings": {}, "created_at": created}])
        conn.execute(
            insert(Rep.__table__),
            [
                {
                    "team_id": TEAM,
                    "user_id": rep_id(r),
                    "name": f"Rep {r}",
                    "tz": "Europe/Amsterdam",
                    "locale": "nl-NL" if r % 2 else "en-US",
                    "language": None,
                    "is_admin": r == 0,
                    "dm_channel": "D" + rep_id(r)[1:],
                    "profile_fetched_at": NOW - dt.timedelta(hours=1),
                    "created_at": created,
                }
                for r in range(reps)
            ],
        )
        chunk = 10_000
        for start in range(1, total + 1, chunk):
            ids = range(start, min(start + chunk, total + 1))
            conn.execute(
                insert(Lead.__table__),
                [
                    {
                        "id": i,
                        "team_id": TEAM,
                        "key": f"lead {i}",
                        "name": f"Lead {i} BV",
                        "owner_id": rep_id(i % reps),
                        "attempts": 1,
                        "unreached_attempts": 1,
                        "cadence": "active",
                        "last_outcome": "no-answer",
                        "last_attempt_at": last_call,
                        "first_attempt_at": last_call,
                        "reached_at": None,
                        "created_at": last_call,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                insert(Nudge.__table__),
                [
                    {
                        "id": i,
                        "team_id": TEAM,
                        "user_id": rep_id(i % reps),
                        "channel": None,
                        "kind": "followup",
                        "lead_id": i,
                        "attempt": 2,
                        "due_at": (
                            NOW - dt.timedelta(seconds=rng.randrange(0, 3600))
                            if i in due_set
                            else NOW + dt.timedelta(seconds=rng.randrange(60, 14 * 86400))
                        ),
                        "status": "pending",
                        "tries": 0,
                        "dedupe_key": f"followup:{i}:2",
                        "payload": {},
                        "created_at": last_call,
                    }
                    for i in ids
                ],
            )
    fix_sequences(db)
    return due_ids


def fix_sequences(db: Any) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    if db.dialect != "postgresql":
        return
    from sqlalchemy import text

    with db.engine.begin() as conn:
        for table in ("leads", "nudges"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def grow(db: Any, first_id: int, last_id: int) -> None:
    """Add nudges first_id..last_id in SQL: even ids pending and due later (inside ix_nudges_due), odd ids sent
    history (outside both partial indexes). None of them is due."""
    from sqlalchemy import text

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
        params: dict[str, Any] = {"team": TEAM, "now": NOW, "first": first_id, "last": last_id}
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
        params = {"team": TEAM, "now": NOW.strftime("%Y-%m-%d %H:%M:%S"), "first": first_id, "last": last_id}
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)
    fix_sequences(db)


def make_backlog(db: Any, extra_due: int) -> int:
    """Make `extra_due` of the pending-later rows due in the last hour; returns how many were changed."""
    from sqlalchemy import text

    if db.dialect == "postgresql":
        due_at = "CAST(:now AS timestamptz) - (id % 3600) * interval '1 second'"
        now: Any = NOW
    else:
        due_at = "datetime(:now, '-' || (id % 3600) || ' seconds') || '.000000'"
        now = NOW.strftime("%Y-%m-%d %H:%M:%S")
    sql = f"""
        UPDATE nudges SET due_at = {due_at}
        WHERE id IN (SELECT id FROM nudges WHERE status = 'pending' AND due_at > :later ORDER BY id LIMIT :n)
    """
    later = NOW if db.dialect == "postgresql" else utc_text(NOW)
    with db.engine.begin() as conn:
        return conn.execute(text(sql), {"now": now, "later": later, "n": extra_due}).rowcount


def analyze(db: Any) -> None:
    """Fresh planner statistics: autovacuum would have them on PostgreSQL; the bot never runs ANALYZE on SQLite,
    so SQLite is measured without (unless --sqlite-analyze)."""
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE nudges")
            conn.exec_driver_sql("VACUUM ANALYZE leads")
            conn.exec_driver_sql("VACUUM ANALYZE reps")
    elif ARGS.sqlite_analyze:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def count_due(db: Any) -> int:
    from sqlalchemy import func, select

    from bot.storage.models import Nudge

    with db.transaction() as session:
        return session.execute(
            select(func.count()).select_from(Nudge).where(Nudge.status == "pending", Nudge.due_at <= NOW)
        ).scalar_one()


def count_sent(db: Any) -> int:
    """Rows marked sent at the sweep instant."""
    from sqlalchemy import func, select

    from bot.storage.models import Nudge

    with db.transaction() as session:
        return session.execute(
            select(func.count()).select_from(Nudge).where(Nudge.status == "sent", Nudge.sent_at == NOW)
        ).scalar_one()


def count_rows(db: Any) -> int:
    from sqlalchemy import func, select

    from bot.storage.models import Nudge

    with db.transaction() as session:
        return session.execute(select(func.count()).select_from(Nudge)).scalar_one()


# -- the due-row query, as bot.outbox.claim writes it, and the alternative -----------------------------------------


def due_condition(now: dt.datetime) -> Any:
    from sqlalchemy import and_, or_

    from bot.storage.models import Nudge

    return or_(
        and_(Nudge.status == "pending", Nudge.due_at <= now),
        and_(Nudge.status == "sending", Nudge.lease_until <= now),
    )


def pick_or(now: dt.datetime, dialect: str, due: Any = None, limit: int = LIMIT) -> Any:
    """bot.outbox.claim's inner SELECT, verbatim: one OR of the two conditions, ORDER BY due_at LIMIT n."""
    from sqlalchemy import select

    from bot.storage.models import Nudge

    pick = select(Nudge.id).where(due_condition(now) if due is None else due).order_by(Nudge.due_at).limit(limit)
    if dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    return pick


def pick_union(now: dt.datetime, dialect: str, due: Any = None, limit: int = LIMIT) -> Any:
    """The alternative: the n earliest of each index-backed select, UNION ALL, then the n earliest of those.

    Each arm is answered from its partial index in due_at order and stops after n rows, so the cost follows the
    batch size, not the number of due rows. The result is the same set: the n earliest of a union are among the
    n earliest of each part.
    """
    from sqlalchemy import select, union_all

    from bot.storage.models import Nudge

    pending = (
        select(Nudge.id, Nudge.due_at)
        .where(Nudge.status == "pending", Nudge.due_at <= now)
        .order_by(Nudge.due_at)
        .limit(limit)
    )
    expired = (
        select(Nudge.id, Nudge.due_at)
        .where(Nudge.status == "sending", Nudge.lease_until <= now)
        .order_by(Nudge.due_at)
        .limit(limit)
    )
    if dialect == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
        expired = expired.with_for_update(skip_locked=True)
    p, e = pending.subquery("pending"), expired.subquery("expired")
    both = union_all(select(p.c.id, p.c.due_at), select(e.c.id, e.c.due_at)).subquery("due")
    return select(both.c.id).order_by(both.c.due_at).limit(limit)


PICKS: dict[str, Callable[..., Any]] = {"OR (before)": pick_or, "UNION ALL (current)": pick_union}


def claim_update(make: Callable[..., Any], now: dt.datetime, dialect: str, worker: str = "bench:claim") -> Any:
    """bot.outbox.claim's UPDATE ... RETURNING around a pick made by `make` (pick_union: as the bot writes it)."""
    from sqlalchemy import update

    from bot.outbox.sweep import LEASE
    from bot.storage.models import Nudge

    due = due_condition(now)
    pick = make(now, dialect, due)
    return (
        update(Nudge)
        .where(Nudge.id.in_(pick.scalar_subquery()), due)
        .values(status="sending", claimed_by=worker, lease_until=now + LEASE)
        .returning(Nudge.id)
    )


@contextlib.contextmanager
def rolled_back(db: Any) -> Iterator[Any]:
    """A connection in a transaction that is always rolled back."""
    with db.engine.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        finally:
            trans.rollback()


def driver_sql(db: Any, stmt: Any) -> tuple[str, Any]:
    """The exact SQL text and DBAPI parameters SQLAlchemy sends for `stmt` (executed once, rolled back)."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    with rolled_back(db) as conn:
        event.listen(conn, "before_cursor_execute", grab)
        try:
            conn.execute(stmt).all()
        finally:
            event.remove(conn, "before_cursor_execute", grab)
    return seen[-1]


def explain(db: Any, stmt: Any) -> str:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL), run with the real bound parameters,
    in a rolled-back transaction."""
    sql, params = driver_sql(db, stmt)
    with rolled_back(db) as conn:
        if db.dialect == "postgresql":
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params).all()
            return "\n".join(r[0] for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


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


def time_runs(fn: Callable[[], Any], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls of `fn`."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


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


def time_queries(db: Any, *, label_rows: int, label_due: int, runs: int, no_index_runs: int) -> list[QueryRow]:
    """The inner SELECT and the whole claim UPDATE (rolled back), each variant, with and without the indexes."""
    dialect = db.dialect
    out: list[QueryRow] = []
    for with_index in (True, False):
        for name, make in PICKS.items():
            if not with_index and name != "OR (before)":
                continue
            pick = make(NOW, dialect)
            update = claim_update(make, NOW, dialect)
            n = runs if with_index else no_index_runs
            with rolled_back(db) as conn:
                if not with_index:
                    conn.exec_driver_sql("DROP INDEX ix_nudges_due")
                    conn.exec_driver_sql("DROP INDEX ix_nudges_lease")
                conn.execute(pick).all()  # warm: statement cache, pages
                select_ms = statistics.median(time_runs(lambda p=pick, c=conn: c.execute(p).all(), n))
                claim_times: list[float] = []
                claimed = 0
                for _ in range(n):
                    sp = conn.begin_nested()
                    t0 = time.perf_counter()
                    claimed = len(conn.execute(update).all())
                    claim_times.append((time.perf_counter() - t0) * 1000)
                    sp.rollback()
                sql, params = driver_sql_in(conn, pick)
                if dialect == "postgresql":
                    plan_rows = conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + sql, params).all()
                    plan = "\n".join(r[0] for r in plan_rows)
                else:
                    plan = "\n".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all())
            out.append(
                QueryRow(
                    rows=label_rows,
                    due=label_due,
                    variant=name,
                    index=with_index,
                    select_ms=select_ms,
                    claim_ms=statistics.median(claim_times),
                    claimed=claimed,
                    plan=summarize_plan(plan, dialect),
                )
            )
            print(
                f"  {label_rows:>9,} rows {label_due:>7,} due  {name:<13} index={'yes' if with_index else 'no ':<3} "
                f"SELECT {out[-1].select_ms:8.2f} ms  claim {out[-1].claim_ms:8.2f} ms ({claimed} rows)  "
                f"[{out[-1].plan}]",
                flush=True,
            )
    return out


def driver_sql_in(conn: Any, stmt: Any) -> tuple[str, Any]:
    """Like driver_sql, on an open connection (inside a savepoint that is rolled back)."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def grab(c: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    sp = conn.begin_nested()
    event.listen(conn, "before_cursor_execute", grab)
    try:
        conn.execute(stmt).all()
    finally:
        event.remove(conn, "before_cursor_execute", grab)
        sp.rollback()
    return seen[-1]


# -- the sweep -----------------------------------------------------------------------------------------------------


@dataclass
class Timer:
    """Accumulated wall time and calls of a wrapped callable."""

    seconds: float = 0.0
    cpu: float = 0.0  # CPU time of the calling thread inside the calls
    calls: int = 0

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.cpu += time.thread_time() - c0
                self.calls += 1

        return timed


@dataclass
class SweepResult:
    label: str
    nudges: int
    sent: int
    other: str
    wall_s: float
    cpu_s: float
    post: Timer
    open_dm: Timer
    http: Timer
    claim: Timer
    statements: int
    slack_calls: Counter[str]
    sent_rows: int
    message: dict[str, Any] | None = None
    claim_sql_matches: bool | None = None
    profile: str = ""

    @property
    def per_nudge_ms(self) -> float:
        return self.wall_s * 1000 / max(self.sent, 1)

    @property
    def own_ms(self) -> float:
        """Total minus the Slack HTTP calls (slack_sdk's api_call: JSON, urllib, the stand-in's answer)."""
        return (self.wall_s - self.http.seconds) * 1000 / max(self.sent, 1)

    @property
    def own_cpu_ms(self) -> float:
        """CPU time of this process outside the Slack HTTP calls (slack_sdk's own CPU excluded)."""
        return (self.cpu_s - self.http.cpu) * 1000 / max(self.sent, 1)

    @property
    def own_callables_ms(self) -> float:
        """Total minus the time inside the sweeper's post/open_dm callables (open_dm's DB look-up included)."""
        return (self.wall_s - self.post.seconds - self.open_dm.seconds) * 1000 / max(self.sent, 1)


def run_sweep(db: Any, fake: StandInProcess, label: str, expected: int, *, profile: bool = False) -> SweepResult:
    """One Sweeper.sweep(NOW) as bot.runtime.build wires it, with its Slack calls and claims timed."""
    from sqlalchemy import event

    import bot.outbox.sweep
    from bot.config import Config
    from bot.runtime import build

    config = Config(
        bot_token=TOKEN,
        signing_secret="bench0signing0secret0000deadbeef",
        app_token=None,
        slack_api_url=fake.api_url,
        database_url=db.url,
        port=0,
    )
    runtime = build(config, clock=lambda: NOW, db=db)
    sweeper = runtime.sweeper
    post, open_dm, http, claim = Timer(), Timer(), Timer(), Timer()
    client = runtime.installations.client_for(TEAM)
    client.api_call = http.wrap(client.api_call)  # type: ignore[method-assign]
    last: dict[str, Any] = {}

    def remember(team_id: str, channel: str, message: dict[str, Any]) -> Any:
        last["message"] = message
        return original_post(team_id, channel, message)

    original_post = sweeper.post
    sweeper.post = post.wrap(remember)
    sweeper.open_dm = open_dm.wrap(sweeper.open_dm)
    original_claim = bot.outbox.sweep.claim
    bot.outbox.sweep.claim = claim.wrap(original_claim)  # type: ignore[assignment]
    statements = 0
    claim_sql: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        nonlocal statements
        statements += 1
        if statement.startswith("UPDATE nudges SET status") and "RETURNING" in statement and not claim_sql:
            claim_sql.append(statement)

    sent_before = count_sent(db)
    event.listen(db.engine, "before_cursor_execute", count)
    before = fake.counts()
    profiler = cProfile.Profile() if profile else None
    try:
        cpu0, t0 = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        report = sweeper.sweep(NOW)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        bot.outbox.sweep.claim = original_claim  # type: ignore[assignment]
        event.remove(db.engine, "before_cursor_execute", count)
        runtime.background.shutdown(wait=True)
    after = fake.counts()
    sent_rows = count_sent(db) - sent_before
    matches = None
    if claim_sql:
        mine, _ = driver_sql(db, claim_update(pick_union, NOW, db.dialect, worker=sweeper.worker))
        matches = " ".join(mine.split()) == " ".join(claim_sql[0].split())
    text = ""
    if profiler:
        import io

        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats("cumulative").print_stats(r"/(bot|coaching)/", 30)
        stats.sort_stats("tottime").print_stats(20)
        text = buf.getvalue()
    result = SweepResult(
        label=label,
        nudges=expected,
        sent=report.sent,
        other=f"deferred {report.deferred}, retried {report.retried}, cancelled {report.cancelled}, "
        f"failed {report.failed}",
        wall_s=wall,
        cpu_s=cpu,
        post=post,
        open_dm=open_dm,
        http=http,
        claim=claim,
        statements=statements,
        slack_calls=after - before,
        sent_rows=sent_rows,
        message=last.get("message"),
        claim_sql_matches=matches,
        profile=text,
    )
    print(
        f"  sweep ({label}): sent {report.sent}/{expected} in {wall:.2f} s = {result.per_nudge_ms:.3f} ms/nudge; "
        f"Slack HTTP {http.seconds * 1000 / max(report.sent, 1):.3f} ms/nudge; own {result.own_ms:.3f} ms/nudge; "
        f"claims {claim.calls} x {claim.seconds * 1000 / max(claim.calls, 1):.2f} ms; "
        f"{statements / max(report.sent, 1):.1f} SQL statements/nudge; Slack saw {dict(result.slack_calls)}",
        flush=True,
    )
    if report.sent != expected or sent_rows != expected:
        print(f"  WARNING: expected {expected} sent, report says {report.sent}, table says {sent_rows} ({report})")
    return result


def bare_posts(fake: StandInProcess, message: dict[str, Any], n: int) -> float:
    """Seconds for n chat.postMessage calls made directly with a WebClient like the bot's: the Slack-call cost."""
    from slack_sdk import WebClient

    client = WebClient(token=TOKEN, base_url=fake.api_url, timeout=10, retry_handlers=[])
    client.chat_postMessage(channel="D0REP0000", **message)  # warm
    t0 = time.perf_counter()
    for i in range(n):
        client.chat_postMessage(channel=f"D0REP{i % 100:04d}", **message)
    return time.perf_counter() - t0


def add_first_contacts(db: Any, count: int, first_id: int) -> None:
    """`count` reps never messaged (no DM channel), each with one lead and one due follow-up."""
    from sqlalchemy import insert

    from bot.storage.models import Lead, Nudge, Rep

    created = NOW - dt.timedelta(days=1)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Rep.__table__),
            [
                {
                    "team_id": TEAM,
                    "user_id": f"U1NEW{r:04d}",
                    "name": f"New {r}",
                    "tz": "Europe/Amsterdam",
                    "locale": "en-US",
                    "is_admin": False,
                    "dm_channel": None,
                    "profile_fetched_at": NOW - dt.timedelta(hours=1),
                    "created_at": created,
                }
                for r in range(count)
            ],
        )
        conn.execute(
            insert(Lead.__table__),
            [
                {
                    "id": first_id + r,
                    "team_id": TEAM,
                    "key": f"new lead {r}",
                    "name": f"New Lead {r}",
                    "owner_id": f"U1NEW{r:04d}",
                    "attempts": 1,
                    "unreached_attempts": 1,
                    "cadence": "active",
                    "last_outcome": "busy",
                    "last_attempt_at": created,
                    "first_attempt_at": created,
                    "created_at": created,
                }
                for r in range(count)
            ],
        )
        conn.execute(
            insert(Nudge.__table__),
            [
                {
                    "id": first_id + r,
                    "team_id": TEAM,
                    "user_id": f"U1NEW{r:04d}",
                    "kind": "followup",
                    "lead_id": first_id + r,
                    "attempt": 2,
                    "due_at": NOW - dt.timedelta(minutes=1),
                    "status": "pending",
                    "tries": 0,
                    "dedupe_key": f"followup:{first_id + r}:2",
                    "payload": {},
                    "created_at": created,
                }
                for r in range(count)
            ],
        )
    fix_sequences(db)


def remove_first_contacts(db: Any, first_id: int) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM nudges WHERE id >= :f"), {"f": first_id})
        conn.execute(text("DELETE FROM leads WHERE id >= :f"), {"f": first_id})
        conn.execute(text("DELETE FROM reps WHERE user_id LIKE 'U1NEW%'"))


def reset_sent(db: Any, limit: int | None = None) -> int:
    """Put the swept rows (or the first `limit` of them) back to pending, as they were before the sweep."""
    from sqlalchemy import select, update

    from bot.storage.models import Nudge

    swept = select(Nudge.id).where(Nudge.status == "sent", Nudge.sent_at == NOW).order_by(Nudge.id)
    if limit is not None:
        swept = swept.limit(limit)
    with db.transaction() as session:
        return session.execute(
            update(Nudge)
            .where(Nudge.id.in_(swept.scalar_subquery()))
            .values(status="pending", lease_until=None, claimed_by=None, sent_at=None, sent_channel=None, sent_ts=None)
        ).rowcount


def add_history(db: Any, per_rep: int, reps: int, seed: int = 7) -> None:
    """`per_rep` logged activities per rep over the past year (calls mostly, some work, focus blocks and breaks),
    all ended before the sweep instant."""
    from sqlalchemy import insert

    from bot.storage.models import Activity

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
            if len(batch) >= 20_000:
                conn.execute(insert(Activity.__table__), batch)
                batch = []
        if batch:
            conn.execute(insert(Activity.__table__), batch)


def remove_history(db: Any) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM activities WHERE team_id = :t"), {"t": TEAM})


# -- one backend ---------------------------------------------------------------------------------------------------


@dataclass
class BackendResult:
    name: str
    detail: str
    build_s: float = 0.0
    queries: list[QueryRow] = field(default_factory=list)
    explains: list[tuple[str, str]] = field(default_factory=list)
    sweeps: list[SweepResult] = field(default_factory=list)
    bare_s: float = 0.0
    bare_n: int = 0
    plan: dict[str, int] = field(default_factory=dict)


def run_backend(name: str, url: str, detail: str, fake: StandInProcess, plan: dict[str, int]) -> BackendResult:
    from bot.storage.database import Database

    res = BackendResult(name, detail, plan=plan)
    total, due, scale, reps = plan["total"], plan["due"], plan["scale"], plan["reps"]
    db = Database(url)
    try:
        print(f"\n== {name}: {detail}", flush=True)
        db.migrate()
        t0 = time.perf_counter()
        build_data(db, total=total, due=due, reps=reps)
        analyze(db)
        res.build_s = time.perf_counter() - t0
        print(f"  built {total:,} cadences ({due:,} due) in {res.build_s:.1f} s", flush=True)
        assert count_due(db) == due, "the due rows are not what was built"

        # The due-row query at N rows.
        res.queries += time_queries(db, label_rows=total, label_due=due, runs=plan["runs"], no_index_runs=3)
        res.explains.append(
            (
                f"claim's inner SELECT with one OR (the claim before), {total:,} rows, {due:,} due",
                explain(db, pick_or(NOW, db.dialect)),
            )
        )
        res.explains.append(
            (
                f"the whole claim UPDATE ... RETURNING (UNION ALL, as the bot writes it), {total:,} rows, {due:,} due",
                explain(db, claim_update(pick_or, NOW, db.dialect)),
            )
        )
        res.explains.append(
            (
                f"alternative: UNION ALL of the two index-backed selects, {total:,} rows",
                explain(db, pick_union(NOW, db.dialect)),
            )
        )
        res.explains.append(
            (
                f"alternative inside the claim UPDATE, {total:,} rows",
                explain(db, claim_update(pick_union, NOW, db.dialect)),
            )
        )

        # The sweep.
        res.sweeps.append(run_sweep(db, fake, f"{due:,} due of {total:,}", due, profile=ARGS.profile))
        message = res.sweeps[-1].message or {"text": "bench", "blocks": []}
        res.bare_n = due
        res.bare_s = bare_posts(fake, message, due)
        print(f"  baseline: {due} bare chat.postMessage calls in {res.bare_s:.2f} s", flush=True)
        first_id = scale + 1_000_000
        add_first_contacts(db, plan["first_contacts"], first_id)
        res.sweeps.append(
            run_sweep(
                db, fake, f"first contact: {plan['first_contacts']} reps without a DM channel", plan["first_contacts"]
            )
        )
        remove_first_contacts(db, first_id)

        # The same sweep when every rep has a year of logged work (decide() asks whether a focus block or break
        # is running, per nudge).
        if plan["history"]:
            t0 = time.perf_counter()
            add_history(db, plan["history"], reps)
            analyze(db)
            n = reset_sent(db, plan["history_due"])
            print(f"  added {plan['history'] * reps:,} activities in {time.perf_counter() - t0:.1f} s", flush=True)
            res.sweeps.append(run_sweep(db, fake, f"{n:,} due, reps with {plan['history']:,} activities each", n))
            remove_history(db)

        # Scaling: the same due rows among many more.
        restored = reset_sent(db)
        assert restored == due, f"restored {restored} of {due}"
        t0 = time.perf_counter()
        grow(db, total + 1, scale)
        analyze(db)
        print(f"  grew to {count_rows(db):,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
        assert count_due(db) == due, "growing the table changed the due rows"
        res.queries += time_queries(db, label_rows=scale, label_due=due, runs=plan["runs"], no_index_runs=3)
        res.explains.append(
            (
                f"claim's inner SELECT with one OR (the claim before), {scale:,} rows, {due:,} due",
                explain(db, pick_or(NOW, db.dialect)),
            )
        )

        # A backlog: ten times as many due rows in the same table.
        backlog = plan["backlog"]
        make_backlog(db, backlog - due)
        analyze(db)
        assert count_due(db) == backlog, "the backlog is not what was asked"
        res.queries += time_queries(db, label_rows=scale, label_due=backlog, runs=plan["runs"], no_index_runs=3)
        res.explains.append(
            (
                f"claim's inner SELECT with one OR (the claim before), {scale:,} rows, {backlog:,} due",
                explain(db, pick_or(NOW, db.dialect)),
            )
        )
        res.explains.append(
            (
                f"alternative: UNION ALL, {scale:,} rows, {backlog:,} due",
                explain(db, pick_union(NOW, db.dialect)),
            )
        )
    finally:
        db.dispose()
    return res


# -- report --------------------------------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def backend_markdown(res: BackendResult) -> list[str]:
    lines = [f"## {res.name}", "", res.detail, "", *verdicts(res), ""]
    main = res.sweeps[0]
    n = max(main.sent, 1)
    own = main.own_ms
    verdict = "met" if own < TARGET_OWN_MS else "MISSED"
    lines += [
        f"### One sweep: {main.label}",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| nudges sent / due | {main.sent:,} / {main.nudges:,} ({main.other}) |",
        f"| rows marked sent in the table by this sweep | {main.sent_rows:,} |",
        f"| wall time of `Sweeper.sweep(now)` | {main.wall_s:.2f} s |",
        f"| time per nudge, total | {fmt_ms(main.per_nudge_ms)} ms |",
        f"| inside Slack HTTP calls (slack_sdk `api_call`), per nudge | {fmt_ms(main.http.seconds * 1000 / n)} ms |",
        f"| inside the sweeper's `post` + `open_dm` callables, per nudge | "
        f"{fmt_ms((main.post.seconds + main.open_dm.seconds) * 1000 / n)} ms |",
        f"| **our own time per nudge** (total - Slack HTTP) | **{fmt_ms(own)} ms** "
        f"(target < {TARGET_OWN_MS:g} ms: {verdict}) |",
        f"| our own time per nudge (total - `post`/`open_dm` callables) | {fmt_ms(main.own_callables_ms)} ms |",
        f"| CPU time of this process per nudge, outside Slack HTTP calls | {fmt_ms(main.own_cpu_ms)} ms |",
        f"| `claim()` calls in the sweep x mean time | {main.claim.calls} x "
        f"{fmt_ms(main.claim.seconds * 1000 / max(main.claim.calls, 1))} ms = "
        f"{fmt_ms(main.claim.seconds * 1000 / n)} ms per nudge |",
        f"| SQL statements per nudge | {main.statements / n:.1f} |",
        f"| Slack calls the stand-in saw | {', '.join(f'{k} {v:,}' for k, v in sorted(main.slack_calls.items()))} |",
        f"| baseline: {res.bare_n:,} bare `chat.postMessage` calls with WebClient, same message | "
        f"{res.bare_s:.2f} s = {fmt_ms(res.bare_s * 1000 / max(res.bare_n, 1))} ms per call |",
        f"| our own time per nudge vs one bare Slack call | {own / (res.bare_s * 1000 / max(res.bare_n, 1)):.2f}x |",
        "",
    ]
    if len(res.sweeps) > 1:
        lines += [
            "Other sweeps in the same run (per nudge, ms):",
            "",
            "| sweep | sent | total | Slack HTTP | own (total - HTTP) | own CPU | SQL statements | Slack calls |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for sw in res.sweeps:
            m = max(sw.sent, 1)
            lines.append(
                f"| {sw.label} | {sw.sent:,} | {fmt_ms(sw.per_nudge_ms)} | {fmt_ms(sw.http.seconds * 1000 / m)} | "
                f"{fmt_ms(sw.own_ms)} | {fmt_ms(sw.own_cpu_ms)} | {sw.statements / m:.1f} | "
                f"{', '.join(f'{k} {v:,}' for k, v in sorted(sw.slack_calls.items()))} |"
            )
        lines.append("")
    if main.claim_sql_matches is False:
        lines += ["**Note:** the claim SQL the sweep sent differs from this script's mirror of `bot.outbox.claim`.", ""]
    lines += [
        "### The due-row query",
        "",
        "Median of repeated runs. `SELECT` is the claim's inner query (LIMIT 200); `claim` is the whole "
        "`UPDATE ... RETURNING` (rolled back each time). Without index: both partial indexes dropped inside a "
        "rolled-back transaction.",
        "",
        "| rows | due | query | partial indexes | SELECT ms | claim ms | plan on nudges |",
        "| ---: | ---: | --- | --- | ---: | ---: | --- |",
    ]
    for q in res.queries:
        lines.append(
            f"| {q.rows:,} | {q.due:,} | {q.variant} | {'yes' if q.index else 'dropped'} | {fmt_ms(q.select_ms)} | "
            f"{fmt_ms(q.claim_ms)} | {q.plan.replace('|', '/')} |"
        )
    lines.append("")
    for title, plan in res.explains:
        lines += [f"{'EXPLAIN ANALYZE' if res.name.startswith('PostgreSQL') else 'EXPLAIN QUERY PLAN'}: {title}", ""]
        lines += ["```", plan, "```", ""]
    if main.profile:
        lines += [
            "Profile of the sweep (our code by cumulative time, then everything by own time):",
            "",
            "```",
            main.profile.strip(),
            "```",
            "",
        ]
    return lines


def verdicts(res: BackendResult) -> list[str]:
    """What the numbers say, in a few lines."""
    p = res.plan
    q = {(r.rows, r.due, r.variant, r.index): r for r in res.queries}
    main = res.sweeps[0]
    own = main.own_ms
    out = [
        f"- Our own time per nudge: **{fmt_ms(own)} ms** wall, {fmt_ms(main.own_cpu_ms)} ms CPU "
        f"(target < {TARGET_OWN_MS:g} ms: {'met' if own < TARGET_OWN_MS else 'MISSED'}); one bare Slack call "
        f"costs {fmt_ms(res.bare_s * 1000 / max(res.bare_n, 1))} ms.",
    ]
    try:
        small, big = q[(p["total"], p["due"], "OR (before)", True)], q[(p["scale"], p["due"], "OR (before)", True)]
        s_no, b_no = q[(p["total"], p["due"], "OR (before)", False)], q[(p["scale"], p["due"], "OR (before)", False)]
        back = q[(p["scale"], p["backlog"], "OR (before)", True)]
        u_small = q[(p["scale"], p["due"], "UNION ALL (current)", True)]
        u_back = q[(p["scale"], p["backlog"], "UNION ALL (current)", True)]
    except KeyError:
        return out
    out += [
        f"- Due-row query with one OR (before), {p['due']:,} due: SELECT {fmt_ms(small.select_ms)} ms at "
        f"{p['total']:,} rows, "
        f"{fmt_ms(big.select_ms)} ms at {p['scale']:,} rows (x{big.select_ms / small.select_ms:.1f} for "
        f"x{p['scale'] / p['total']:.0f} rows); without the partial indexes {fmt_ms(s_no.select_ms)} -> "
        f"{fmt_ms(b_no.select_ms)} ms (x{b_no.select_ms / s_no.select_ms:.1f}). Plan: {small.plan}.",
        f"- With {p['backlog']:,} due of {p['scale']:,}: SELECT with one OR (before) {fmt_ms(back.select_ms)} ms "
        f"(x{back.select_ms / big.select_ms:.1f} for x{p['backlog'] / p['due']:.0f} due rows: it reads every due row "
        f"and sorts them, for each batch of {LIMIT}), claim {fmt_ms(back.claim_ms)} ms; UNION ALL of the two "
        f"index-backed selects {fmt_ms(u_small.select_ms)} -> {fmt_ms(u_back.select_ms)} ms, claim "
        f"{fmt_ms(u_small.claim_ms)} -> {fmt_ms(u_back.claim_ms)} ms (reads {LIMIT} rows per arm).",
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 cadences, 2,000 due, scaling to 100,000")
    parser.add_argument("--cadences", type=int, help="open cadences (default 100,000)")
    parser.add_argument("--due", type=int, help="due at the sweep instant (default 10,000)")
    parser.add_argument("--scale", type=int, help="rows for the scaling check (default 1,000,000)")
    parser.add_argument("--reps", type=int, default=100, help="reps (default 100)")
    parser.add_argument(
        "--history", type=int, help="activities per rep for the history sweep (default 2,500; 0 skips it)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_PG_ADMIN_URL", PG_ADMIN_URL),
        metavar="ADMIN_URL",
        help=f"PostgreSQL server to make a throwaway database on (default {PG_ADMIN_URL})",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--sqlite-analyze", action="store_true", help="run ANALYZE on SQLite (the bot never does)")
    parser.add_argument("--profile", action="store_true", help="cProfile the main sweep and add the top 30")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (SQLite database)")
    args = parser.parse_args(argv)
    ARGS = args
    total = args.cadences or (20_000 if args.quick else 100_000)
    due = args.due or (2_000 if args.quick else 10_000)
    scale = args.scale or (100_000 if args.quick else 1_000_000)
    if not 0 < due <= total <= scale:
        parser.error("need 0 < due <= cadences <= scale")
    plan = {
        "total": total,
        "due": due,
        "scale": scale,
        "reps": args.reps,
        "backlog": min(10 * due, scale // 2),
        "first_contacts": 100,
        "history": args.history if args.history is not None else (1_000 if args.quick else 2_500),
        "history_due": min(due, 2_000),
        "runs": 7 if args.quick else 15,
    }

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    fake = StandInProcess()
    results: list[BackendResult] = []
    skipped: list[str] = []
    try:
        import sqlite3

        if not args.no_sqlite:
            detail = (
                f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL) in a temporary folder; "
                f"{'ANALYZE run' if args.sqlite_analyze else 'no ANALYZE (the bot never runs it)'}."
            )
            results.append(run_backend("SQLite", f"sqlite:///{tmp / 'sweep.db'}", detail, fake, plan))
        if not args.no_postgres:
            postgres = PostgresDatabase(args.postgres)
            try:
                version = postgres.version()
            except Exception as err:  # noqa: BLE001 - any failure means "no server to measure"
                reason = f"PostgreSQL skipped: no server answers at {postgres.admin_url.render_as_string()} ({err})"
                print(reason.splitlines()[0])
                skipped.append(reason.splitlines()[0])
            else:
                url = postgres.create()
                try:
                    detail = f"PostgreSQL {version} on 127.0.0.1, throwaway database; VACUUM ANALYZE after each build."
                    results.append(run_backend("PostgreSQL", url, detail, fake, plan))
                finally:
                    try:
                        postgres.drop()
                    except Exception as err:  # noqa: BLE001 - don't hide the run's own outcome
                        print(f"could not drop {postgres.name}: {err}", file=sys.stderr)
    finally:
        fake.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    elapsed = time.perf_counter() - started
    lines = [
        f"# Outbox sweep: {total:,} open cadences, {due:,} due ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}. "
        f"Sweep instant {NOW.astimezone(AMSTERDAM):%A %Y-%m-%d %H:%M} Amsterdam; {args.reps} reps (DM channel "
        f"known); batch {LIMIT}. The Slack stand-in in its own process, counting only, no rate limit; slack_sdk "
        f"WebClient opens a connection per call. Scaling: {scale:,} rows (the extra rows half pending-later, half "
        f"sent), same {due:,} due, then {plan['backlog']:,} due. Run took {elapsed:.0f} s; load average "
        f"{load_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (other work on the machine inflates wall times; CPU times less so).",
        "",
    ]
    for reason in skipped:
        lines += [f"- {reason}", ""]
    for res in results:
        lines += backend_markdown(res)
    report = "\n".join(lines).rstrip() + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report)
    print("\n" + report)
    print(f"written to {OUT.relative_to(ROOT)}")
    return 0


ARGS: argparse.Namespace = argparse.Namespace(sqlite_analyze=False, profile=False)

if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the outbox sweep: 100,000 open cadences, 10,000 of them due, one sweep against a Slack stand-in.

    .venv/bin/python bench/bench_sweep.py             # 100,000 cadences, 10,000 due, 1,000 reps; scaling to 1M rows
    .venv/bin/python bench/bench_sweep.py --quick     # 20,000 cadences, 2,000 due, 200 reps; scaling to 100,000
    .venv/bin/python bench/bench_sweep.py --no-postgres --profile

For each backend (SQLite in a temporary folder; PostgreSQL on a throwaway database, skipped with a reason when
no server answers) the script migrates, bulk-inserts one team, R reps (Europe/Amsterdam, profile cached, DM
channel known), N leads with an active cadence (one unreached attempt) and N pending follow-ups (attempt 2), of
which D are due at the sweep instant (a weekday, 10:00 Amsterdam) and the rest later, and, as the app writes them
since issue 11, each rep's list of every day a follow-up falls due on (building is not measured). A due follow-up
is no DM of its own: the sweep sends each rep's list of today once, with every follow-up due today in it
(`listed`), and updates it in place when one joins later. Then the scenarios below run in order, each on what the
one before left:

1. the due-row query: the claim's inner SELECT ... LIMIT 200, and the whole claim UPDATE ... RETURNING in a
   rolled-back transaction, as `bot.outbox.sweep.claim` writes it (a UNION ALL of the two index-backed selects), beside
   the one OR of the two partial-index conditions it used before, and that OR with both partial indexes dropped;
   EXPLAIN QUERY PLAN (SQLite) / EXPLAIN ANALYZE (PostgreSQL).
2. one `Sweeper.sweep(now)` (wired by `bot.runtime.build`) over the due rows against the Slack stand-in
   (`python -m bot.slack.standin --count-only`: no rate limit, its own process and CPU), timing the Slack HTTP
   calls inside it, per follow-up listed and per list message, split by the kind of row delivered; beside it, in
   the same run, bare `chat.postMessage` calls of the same list message made with slack_sdk's WebClient.
3. updates: one follow-up per rep falls due after its list went out: it joins, and the list is updated in place.
4. first contact: a sweep of 100 reps seen for the first time (no DM channel yet: one `conversations.open` each).
5. history: the main sweep again once every rep has a year of logged activities (--history, default 2,500).
6. scaling: the due rows back to pending, the table grown to M rows with the same D due, the query timed again;
   then a backlog: 10x as many rows due, to show what the query's cost follows.

The pieces live beside this file: sweep_data (the rows), sweep_sql (the query and its plans), sweep_timing (one
timed sweep), sweep_report (the markdown), standin_process and throwaway_postgres.

The tables are printed and written to bench/results/sweep.md. Target (issue 14): under 2 ms of our own time per
nudge, the follow-up list included (total minus the time inside Slack HTTP calls, per follow-up listed); finding due
rows grows with the due rows, not all rows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: `bench` and `bot` import from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import sweep_data as data  # noqa: E402
from bench.common import publish  # noqa: E402
from bench.standin_process import StandInProcess  # noqa: E402
from bench.sweep_data import NOW, Plan, Seeded  # noqa: E402
from bench.sweep_report import BackendResult, report  # noqa: E402
from bench.sweep_sql import (  # noqa: E402
    OR_CLAIM,
    OR_SELECT,
    STATEMENTS,
    UNION_CLAIM,
    UNION_SELECT,
    explain,
    time_queries,
)
from bench.sweep_timing import bare_posts, run_sweep  # noqa: E402
from bench.throwaway_postgres import PG_ADMIN_URL, server_version, shown, throwaway_database  # noqa: E402
from bot.storage.database import Database  # noqa: E402


def due_row_query(db: Database, res: BackendResult, *, rows: int, due: int, plans: list[str]) -> None:
    """Time the due-row query's variants at `rows` rows with `due` due; keep the plans of the `plans` named."""
    res.queries += time_queries(db, NOW, rows=rows, due=due, runs=res.plan.runs)
    res.explains += [
        (f"{what}, {rows:,} rows, {due:,} due", explain(db, STATEMENTS[what](NOW, db.dialect))) for what in plans
    ]


# -- the scenarios, in the order they run: each starts from what the one before left ----------------------------


def due_rows(db: Database, res: BackendResult, seeded: Seeded) -> None:
    due_row_query(db, res, rows=seeded.built, due=seeded.due, plans=[OR_SELECT, OR_CLAIM, UNION_SELECT, UNION_CLAIM])


def sweep_beside_bare_posts(db: Database, fake: StandInProcess, res: BackendResult, seeded: Seeded) -> None:
    """The due rows in one sweep; then bare chat.postMessage calls of the list message it sent last."""
    p = res.plan
    label = f"{seeded.followups_due:,} follow-ups and {seeded.lists_due:,} lists due of {seeded.built:,} rows"
    res.sweeps.append(run_sweep(db, fake, label, seeded.listed, seeded.lists_due, profile=p.profile))
    message = res.sweeps[-1].message or {"text": "bench", "blocks": []}
    res.bare_n = max(seeded.lists_due, 500)  # enough calls for a steady figure
    res.bare_s = bare_posts(fake, message, res.bare_n)
    print(f"  baseline: {res.bare_n} bare chat.postMessage calls in {res.bare_s:.2f} s", flush=True)


def updates(db: Database, fake: StandInProcess, res: BackendResult) -> None:
    """A follow-up per rep falls due once its list was sent: each joins, and each list is updated in place."""
    p = res.plan
    first_id = p.scale + 2_000_000  # ids clear of all the others
    n = data.add_joiners(db, p.reps, first_id)
    res.sweeps.append(run_sweep(db, fake, f"updates: {n:,} follow-ups join lists already sent", n, p.reps))
    data.remove_joiners(db, first_id)


def first_contact(db: Database, fake: StandInProcess, res: BackendResult) -> None:
    """Reps the bot never messaged: each list opens a DM first."""
    count, first_id = res.plan.first_contacts, res.plan.scale + 1_000_000  # ids clear of all the others
    data.add_first_contacts(db, count, first_id)
    res.sweeps.append(run_sweep(db, fake, f"first contact: {count} reps without a DM channel", count, count))
    data.remove_first_contacts(db, first_id)


def history(db: Database, fake: StandInProcess, res: BackendResult, seeded: Seeded) -> None:
    """The main sweep again when every rep has a year of logged work: decide() asks, per row, whether a focus
    block or break is running."""
    p = res.plan
    t0 = time.perf_counter()
    data.reset_swept(db, seeded.built)
    data.remove_sweep_writes(db, seeded.built)
    data.add_history(db, p.history, p.reps)
    data.analyze(db, p)
    print(f"  added {p.history * p.reps:,} activities in {time.perf_counter() - t0:.1f} s", flush=True)
    label = f"reps with {p.history:,} activities each"
    res.sweeps.append(run_sweep(db, fake, label, seeded.listed, seeded.lists_due))
    data.remove_history(db)


def scaling(db: Database, res: BackendResult, seeded: Seeded) -> None:
    """The same due rows among many more rows; then ten times as many due rows (a backlog) in that table."""
    p = res.plan
    data.reset_swept(db, seeded.built)
    data.remove_sweep_writes(db, seeded.built)
    assert data.count_due(db) == seeded.due, "the due rows were not restored"
    t0 = time.perf_counter()
    data.grow(db, seeded.built + 1, p.scale)
    data.analyze(db, p)
    print(f"  grew to {data.count_nudges(db):,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    assert data.count_due(db) == seeded.due, "growing the table changed the due rows"
    due_row_query(db, res, rows=p.scale, due=seeded.due, plans=[OR_SELECT])

    data.make_backlog(db, p.backlog - seeded.due)
    data.analyze(db, p)
    assert data.count_due(db) == p.backlog, "the backlog is not what was asked"
    due_row_query(db, res, rows=p.scale, due=p.backlog, plans=[OR_SELECT, UNION_SELECT])


def run_backend(name: str, url: str, detail: str, fake: StandInProcess, plan: Plan) -> BackendResult:
    res = BackendResult(name, detail, plan)
    db = Database(url)
    try:
        print(f"\n== {name}: {detail}", flush=True)
        db.migrate()
        t0 = time.perf_counter()
        seeded = res.seeded = data.build_data(db, plan)
        data.analyze(db, plan)
        res.build_s = time.perf_counter() - t0
        print(
            f"  built {plan.total:,} cadences ({plan.due:,} due) and {seeded.built - plan.total:,} day lists "
            f"({seeded.lists_due:,} due) in {res.build_s:.1f} s",
            flush=True,
        )
        assert data.count_due(db) == seeded.due, "the due rows are not what was built"
        due_rows(db, res, seeded)
        sweep_beside_bare_posts(db, fake, res, seeded)
        updates(db, fake, res)
        first_contact(db, fake, res)
        if plan.history:
            history(db, fake, res, seeded)
        scaling(db, res, seeded)
    finally:
        db.dispose()
    return res


def parse_plan(argv: list[str] | None) -> tuple[Plan, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 cadences, 2,000 due, scaling to 100,000")
    parser.add_argument("--cadences", type=int, help="open cadences (default 100,000)")
    parser.add_argument("--due", type=int, help="due at the sweep instant (default 10,000)")
    parser.add_argument("--scale", type=int, help="rows for the scaling check (default 1,000,000)")
    parser.add_argument("--reps", type=int, help="reps (default 1,000; --quick 200): about 10 follow-ups due each")
    parser.add_argument(
        "--history", type=int, help="activities per rep for the history sweep (default 2,500; 0 skips it)"
    )
    parser.add_argument(
        "--postgres",
        default=PG_ADMIN_URL,
        metavar="ADMIN_URL",
        help=f"PostgreSQL server to make a throwaway database on (default {PG_ADMIN_URL})",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--sqlite-analyze", action="store_true", help="run ANALYZE on SQLite (the bot never does)")
    parser.add_argument("--profile", action="store_true", help="cProfile the main sweep and add the top 30")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (SQLite database)")
    args = parser.parse_args(argv)
    total = args.cadences or (20_000 if args.quick else 100_000)
    due = args.due or (2_000 if args.quick else 10_000)
    scale = args.scale or (100_000 if args.quick else 1_000_000)
    reps = args.reps or (200 if args.quick else 1_000)
    if not 0 < due <= total <= scale:
        parser.error("need 0 < due <= cadences <= scale")
    if not 100 <= reps <= 9_999:
        parser.error("need 100 <= reps <= 9,999 (the grown rows name reps 0 to 99)")
    plan = Plan(
        total=total,
        due=due,
        scale=scale,
        reps=reps,
        backlog=min(10 * due, scale // 2),
        first_contacts=100,
        history=args.history if args.history is not None else (1_000 if args.quick else 2_500),
        runs=7 if args.quick else 15,
        sqlite_analyze=args.sqlite_analyze,
        profile=args.profile,
    )
    return plan, args


def main(argv: list[str] | None = None) -> int:
    plan, args = parse_plan(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # through the finally below: the stand-in stops
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    fake = StandInProcess(data.TOKEN)
    results: list[BackendResult] = []
    skipped: list[str] = []
    try:
        if not args.no_sqlite:
            detail = (
                f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL) in a temporary folder; "
                f"{'ANALYZE run' if args.sqlite_analyze else 'no ANALYZE (the bot never runs it)'}."
            )
            results.append(run_backend("SQLite", f"sqlite:///{tmp / 'sweep.db'}", detail, fake, plan))
        if not args.no_postgres:
            try:
                version = server_version(args.postgres)
            except Exception as err:  # noqa: BLE001 - any failure means "no server to measure"
                why = (str(err).splitlines() or [type(err).__name__])[0]
                skipped.append(f"PostgreSQL skipped: no server answers at {shown(args.postgres)} ({why})")
                print(skipped[-1])
            else:
                with throwaway_database(args.postgres) as url:
                    detail = f"PostgreSQL {version} on 127.0.0.1, throwaway database; VACUUM ANALYZE after each build."
                    results.append(run_backend("PostgreSQL", url, detail, fake, plan))
    finally:
        fake.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    publish(report(plan, results, skipped, time.perf_counter() - started, load_start), "sweep.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

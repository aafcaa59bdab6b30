"""Where a `/call` spends its time, in-process: SQL statements and the database's time beside Python's.

    .venv/bin/python bench/bench_call_cost.py                  # SQLite, 50 warm-up calls, 500 measured
    .venv/bin/python bench/bench_call_cost.py --postgres       # on a throwaway PostgreSQL database
    .venv/bin/python bench/bench_call_cost.py --profile 30     # and cProfile's top 30 over a separate pass

The real Runtime (`bot.runtime.build`) on a migrated database runs the `/call` use case (`bot.usecases.calls.call`,
what the `/call` listener calls) for the same mix of reps, leads and outcomes as bench/bench_call.py; the Slack
stand-in answers `users.info` for the reps' first calls (the warm-up). SQLAlchemy's `before_cursor_execute`
and `after_cursor_execute` events time every statement; commits, rollbacks and pool pings (which bypass those
events) are timed by wrapping the dialect's own methods. Per call: statements, SQL ms (the driver's execute: the
database's work plus the round trip; a SQLite row fetched after the execute counts as Python), total ms, and
Python ms = total - SQL (the meter's own bookkeeping is taken off the total). Then the statements by count and by
time, normalised, each with the bot function that issued it. With `--history N` the database first holds N
activities of a year's work (bench/call_history.py, as bench_call.py's history phase) and the calls are by reps
on their own leads with past attempts.

The report is printed and written to bench/results/call_cost.md (call_cost_postgresql.md on PostgreSQL). Exit code
1 when a call is refused or raises.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from bench import call_history  # noqa: E402
from bench.bench_call import DEFAULT_REPS, TEMPLATES, call_mix, code_fingerprint, lead_names, rep_ids  # noqa: E402
from bench.common import BOT_TOKEN, ROOT, SECRET, TEAM, load_average, publish  # noqa: E402
from bench.throwaway_postgres import PG_ADMIN_URL, throwaway_database  # noqa: E402
from bot import runtime as runtime_module  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.slack.standin import SlackStandIn, Workspace  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.usecases import calls  # noqa: E402

BOT_DIR = str(ROOT / "bot") + os.sep
HANDLERS_DIR = str(ROOT / "handlers") + os.sep
PLUMBING = (str(ROOT / "bot" / "storage" / "database.py"),)


@dataclass
class Statement:
    """One normalised statement's totals over the measured calls."""

    sql: str
    origin: str
    count: int = 0
    seconds: float = 0.0


@dataclass
class CostMeter:
    """Counts and times what a database engine executes, on the thread that measures (others are ignored)."""

    thread: int = field(default_factory=threading.get_ident)
    active: bool = False
    statements: int = 0
    control: int = 0  # of the statements: BEGIN, COMMIT, ROLLBACK and pool pings
    seconds: float = 0.0
    overhead: float = 0.0  # the meter's own bookkeeping, taken off the call's total
    by_sql: dict[tuple[str, str], Statement] = field(default_factory=dict)

    def reset(self) -> tuple[int, int, float, float]:
        """Start a new call; returns the previous call's (statements, control statements, SQL seconds, bookkeeping
        seconds)."""
        done = (self.statements, self.control, self.seconds, self.overhead)
        self.statements, self.control, self.seconds, self.overhead = 0, 0, 0.0, 0.0
        return done

    def add(self, sql: str, seconds: float) -> None:
        if not self.active or threading.get_ident() != self.thread:
            return
        t0 = time.perf_counter()
        self.statements += 1
        self.seconds += seconds
        origin = caller()
        key = (normalise(sql), origin)
        self.control += key[0] in CONTROL
        entry = self.by_sql.get(key)
        if entry is None:
            entry = self.by_sql[key] = Statement(key[0], origin)
        entry.count += 1
        entry.seconds += seconds
        self.overhead += time.perf_counter() - t0

    def attach(self, db: Database) -> None:
        """Listen on `db`'s engine (its read-only variant shares the listeners) and wrap its dialect's methods."""
        started: list[float] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def before(*_: Any) -> None:
            started.append(time.perf_counter())

        @event.listens_for(db.engine, "after_cursor_execute")
        def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            self.add(statement, time.perf_counter() - started.pop())

        dialect = db.engine.dialect
        for name, label in (("do_commit", "COMMIT"), ("do_rollback", "ROLLBACK"), ("do_ping", "(pool pre-ping)")):
            setattr(dialect, name, self._timed(getattr(dialect, name), label))

    def _timed(self, method: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - t0)

        return timed


CONTROL = frozenset(("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "(pool pre-ping)"))
_SPACE = re.compile(r"\s+")
_IN_LIST = re.compile(r"\((?:\s*(?:\?|%\([a-z_0-9]+\)s|\$\d+)\s*,)+\s*(?:\?|%\([a-z_0-9]+\)s|\$\d+)\s*\)")
_NUMBERED = re.compile(r"(%\([a-z_]+)_\d+(\)s)")


def normalise(sql: str) -> str:
    """One line; an expanded IN list as `(...)`; numbered bind names (`param_1`) without their number."""
    sql = _SPACE.sub(" ", sql).strip()
    sql = _IN_LIST.sub("(...)", sql)
    return _NUMBERED.sub(r"\1\2", sql)


def caller() -> str:
    """The innermost function of bot/ or handlers/ on the stack (not the database plumbing): who asked."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if (name.startswith(BOT_DIR) or name.startswith(HANDLERS_DIR)) and name not in PLUMBING:
            return f"{os.path.relpath(name, ROOT)}:{frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


@dataclass
class Measured:
    """Per call: statements, SQL seconds and total seconds."""

    statements: list[int] = field(default_factory=list)
    control: list[int] = field(default_factory=list)
    sql_s: list[float] = field(default_factory=list)
    total_s: list[float] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def line(self, name: str, values: list[float], scale: float = 1000.0, digits: int = 2) -> str:
        med, mean = statistics.median(values) * scale, statistics.fmean(values) * scale
        return f"| {name} | {med:.{digits}f} | {mean:.{digits}f} |"


def run_calls(rt: runtime_module.Runtime, mix: list[tuple[str, str, str]], meter: CostMeter | None) -> Measured:
    """Run `/call` for each (rep, lead, text), timing each call and what it executed."""
    out = Measured()
    for rep, lead, text in mix:
        if meter:
            meter.reset()
            meter.active = True
        t0 = time.perf_counter()
        try:
            reply = calls.call(rt, TEAM, rep, text)
        except Exception as err:  # noqa: BLE001 - reported, and the run fails
            out.refused.append(f"{text!r}: {type(err).__name__}: {err}")
            continue
        finally:
            total = time.perf_counter() - t0
            if meter:
                meter.active = False
        if not reply.ok or lead not in reply.text:
            out.refused.append(f"{text!r}: {reply.text[:200]!r}")
        if meter:
            statements, control, seconds, overhead = meter.reset()
            out.statements.append(statements)
            out.control.append(control)
            out.sql_s.append(seconds)
            total -= overhead
        out.total_s.append(total)
    return out


def statement_tables(meter: CostMeter, calls_measured: int, top: int) -> list[str]:
    entries = list(meter.by_sql.values())
    lines: list[str] = []
    for title, key in (("count", lambda s: (s.count, s.seconds)), ("time", lambda s: s.seconds)):
        lines += [
            f"Top {top} statements by {title} (per call: how many, ms; the function in bot/ that issued it):",
            "",
            "| per call | ms per call | ms each | issued by | statement |",
            "| ---: | ---: | ---: | --- | --- |",
        ]
        for s in sorted(entries, key=key, reverse=True)[:top]:
            sql = (s.sql if len(s.sql) <= 220 else s.sql[:217] + "...").replace("|", "\\|")
            lines.append(
                f"| {s.count / calls_measured:.2f} | {s.seconds * 1000 / calls_measured:.3f} | "
                f"{s.seconds * 1000 / s.count:.3f} | `{s.origin}` | `{sql}` |"
            )
        lines.append("")
    return lines


def profile_text(rt: runtime_module.Runtime, mix: list[tuple[str, str, str]], top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run_calls(rt, mix, None)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


@contextlib.contextmanager
def database(postgres: str | None, folder: Path) -> Iterator[Database]:
    """A migrated database: SQLite in `folder`, or a throwaway one on the PostgreSQL server `postgres`."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(throwaway_database(postgres)) if postgres else f"sqlite:///{folder / 'cost.db'}"
        db = Database(url)
        stack.callback(db.dispose)
        db.migrate()
        yield db


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="measured calls (default 500)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up calls, every rep first (default 50)")
    parser.add_argument("--reps", type=int, default=DEFAULT_REPS, help=f"reps (default {DEFAULT_REPS})")
    parser.add_argument("--top", type=int, default=15, help="statements listed by count and by time (default 15)")
    parser.add_argument("--profile", type=int, metavar="N", help="also cProfile the calls; print the top N functions")
    parser.add_argument("--history", type=int, metavar="ACTIVITIES", help="a year's history stored first (1000000)")
    parser.add_argument("--history-reps", type=int, help="reps in the history (default ACTIVITIES / 1000)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=os.environ.get("TEST_PG_ADMIN_URL", PG_ADMIN_URL),
        metavar="ADMIN_URL",
        help=f"run on a throwaway PostgreSQL database instead of SQLite (default server {PG_ADMIN_URL})",
    )
    args = parser.parse_args(argv)

    loads = [load_average()]
    slack = SlackStandIn(Workspace(team_id=TEAM), record=False, rate_limit=None).start()
    rng = random.Random(20261130)
    reps, leads = rep_ids(args.reps), lead_names(1000)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-call-cost-") as folder, database(args.postgres, Path(folder)) as db:
        dialect = db.dialect
        config = Config(
            bot_token=BOT_TOKEN,
            signing_secret=SECRET,
            app_token=None,
            slack_api_url=slack.api_url,
            database_url=db.url,
            port=0,
        )
        history = None
        if args.history:
            reps_in_history = args.history_reps or max(1, args.history // 1000)
            history = call_history.store(db, reps_in_history, args.history, dt.datetime.now(dt.UTC))
            loads.append(load_average())

        def mix(count: int, reps_first: bool = False) -> list[tuple[str, str, str]]:
            if history:
                return call_history.call_mix(history, count, args.reps, rng, TEMPLATES)
            return call_mix(count, rng, reps, leads, reps_first=reps_first)

        rt = runtime_module.build(config, db=db)
        try:
            meter = CostMeter()
            meter.attach(db)
            warm = run_calls(rt, mix(args.warmup, reps_first=True), None)
            problems += warm.refused
            meter.by_sql.clear()
            measured = run_calls(rt, mix(args.calls), meter)
            problems += measured.refused
            loads.append(load_average())
            profile = profile_text(rt, mix(args.calls), args.profile) if args.profile else ""
        finally:
            rt.close()
            slack.stop()

    n = len(measured.total_s)
    python_s = [total - sql for total, sql in zip(measured.total_s, measured.sql_s, strict=True)]
    now = dt.datetime.now(dt.UTC)
    kind = "PostgreSQL (throwaway database)" if dialect == "postgresql" else "SQLite (WAL) in a temporary folder"
    report = [
        f"# The cost of one `/call`, in-process ({now:%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}; load average "
        f"(1, 5, 15 min) at the start and after each step: {' / '.join(loads)}. {kind}; {args.reps} reps, "
        f"{'each on leads of their own with history' if history else '1000 leads'}; "
        f"{args.warmup} warm-up calls, {n} measured. Bot code measured: {code_fingerprint()}.",
        "",
        *([f"History: {history.summary()}.", ""] if history else []),
        "| per call | median | mean |",
        "| --- | ---: | ---: |",
        measured.line("SQL statements", [float(s) for s in measured.statements], 1.0, 1),
        measured.line("of which BEGIN, COMMIT, ROLLBACK, pre-ping", [float(s) for s in measured.control], 1.0, 1),
        measured.line("SQL ms (execute, commit, ping)", measured.sql_s),
        measured.line("Python ms (total - SQL)", python_s),
        measured.line("total ms", measured.total_s),
        "",
        f"SQL share of the total: {sum(measured.sql_s) / sum(measured.total_s):.0%}. "
        f"The Slack stand-in saw: {', '.join(f'{k} {v}' for k, v in sorted(slack.counts.items())) or 'nothing'}.",
        "",
        *statement_tables(meter, n, args.top),
        *(f"- refused or failed: {p}" for p in problems[:10]),
    ]
    if profile:
        report += ["", f"cProfile of {args.calls} further calls (top {args.profile}, by own time, then cumulative):"]
        report += ["", "```", profile.strip(), "```"]
    suffix = ("_postgresql" if dialect == "postgresql" else "") + ("_history" if args.history else "")
    publish("\n".join(report) + "\n", f"call_cost{suffix}.md")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

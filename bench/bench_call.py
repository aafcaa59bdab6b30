"""Benchmark `/call` over signed HTTP: the real `salescoach serve` beside a bare Bolt app that only acks.

    .venv/bin/python bench/bench_call.py                      # 50 warm-up, 500 requests at concurrency 1, 2000 at 16
    .venv/bin/python bench/bench_call.py --quick              # a short run
    .venv/bin/python bench/bench_call.py --history 1000000    # and the same calls on a year of stored history
    .venv/bin/python bench/bench_call.py --rss                # and a worker's memory after 10,000 more calls
    .venv/bin/python bench/bench_call.py --postgres ...       # the bot on a throwaway PostgreSQL database

Both apps run as gunicorn subprocesses with the same settings (bot.server.Server: gevent, WORKER_CONNECTIONS
connections per worker, and the same number of workers: WEB_CONCURRENCY, else the bot's default for its database);
the bot uses SQLite in a temporary folder (or a throwaway PostgreSQL database) and the Slack stand-in
(bot.slack.standin, counting calls only) served from this process. Requests are signed as Slack signs them.

With `--history N`, a second bot server runs on a second database that holds N activities of a year's work by
N/1000 reps, stored as the app would have them (bench/call_history.py: leads, cadences, follow-ups, day lists,
rep_days). Its calls are by reps on their own leads with past attempts. It is measured at concurrency 16 (after
as many calls as the empty bot had before its own, so that both bots' reps have a day of the same size), and then
the sequential phase runs again on both bots in alternating blocks of 50 requests (the same moments, the same
noise): the ratio of the two medians is the history target's.

Every call's tip reads the rep's day so far, so a call costs a little more as the day fills. The bot's sequential
phase therefore runs twice, before and after concurrency 16, and the throughput target compares concurrency 16
with the two together (as full a day on average), not with the emptier first phase alone.

With `--rss [N]`, each server's workers' resident memory (VmRSS, and its peak VmHWM, from /proc/<pid>/status of
every child of the gunicorn master) is read after the warm-up and again after N more calls (default 10,000) sent
to the bot at concurrency 16 at the end of the run.

Targets (issue 14): sequential p50 at most 3x the bare app's; at concurrency 16 p99 under 100 ms and throughput at
least the sequential throughput; with the history, sequential p50 within 1.2x of the empty database's; a worker
under 150 MB after 10,000 calls. The report is printed and written to bench/results/call.md (call_postgresql.md
on PostgreSQL). Exit code: 1 on any failed request, warm-up included (or, with --strict, on a missed target),
else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import platform
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import call_history  # noqa: E402
from bench.common import (  # noqa: E402
    BOT_TOKEN,
    ROOT,
    SECRET,
    TEAM,
    Request,
    RunResult,
    ServerProcess,
    free_port,
    http_probe,
    load_average,
    publish,
    python_env,
    run_load,
    slash_body,
    venv_script,
)
from bench.throwaway_postgres import PG_ADMIN_URL, throwaway_database  # noqa: E402
from bot.server import default_workers  # noqa: E402
from bot.slack.standin import SlackStandIn, Workspace  # noqa: E402
from bot.storage.database import Database  # noqa: E402

P50_RATIO_TARGET = 3.0  # sequential: the bot's p50 over the bare app's
P99_TARGET_MS = 100.0
P99_TARGET_CONCURRENCY = 16  # also where throughput must hold up to the sequential throughput
HISTORY_RATIO_TARGET = 1.2  # sequential p50 on the history over the empty database's, same run
RSS_TARGET_MB = 150.0
RSS_CALLS = 10_000
HISTORY_BLOCK = 50  # sequential requests per alternating block of the history comparison

BOT, BARE = "salescoach", "bare bolt"
EMPTY_BESIDE = "salescoach, empty database (alternating)"
#: The bot's sequential phase again after concurrency 16: each call's tip reads the rep's day so far, so the
#: sequential phases before and after, together, see days as full as the concurrency 16 phase between them does.
BOT_AGAIN = "salescoach, c=1 again after c=16"

DEFAULT_REPS = 25  # with the default request counts, about 100 calls per rep: a busy rep's day
COMPANIES = [
    "Initech",
    "Globex Corp",
    "Acme BV",
    "Hooli NV",
    "Umbrella Holding",
    "Stark Industries",
    "Wayne Enterprises",
    "Vandelay Imports",
    "Soylent Foods",
    "Tyrell Systems",
]
# (text after the lead, weight): mostly unreached outcomes, so most calls also schedule a follow-up nudge.
TEMPLATES = [
    ("no-answer", 40),
    ("voicemail", 12),
    ("busy", 8),
    ("gatekeeper +research asked for the sales director", 10),
    ("no-answer +research +dm tried the direct line", 10),
    ("meeting +research +dm demo Tuesday", 8),
    ("connected +dm wants a proposal", 6),
    ("callback after the board meeting", 3),
    ("not-interested", 3),
]


def lead_names(count: int) -> list[str]:
    names = [f"Lead {n} BV" for n in range(count - len(COMPANIES) * 20)]
    names += [f"{company} {n}" for company in COMPANIES for n in range(20)]
    names[: len(COMPANIES)] = COMPANIES
    return names


def rep_ids(count: int) -> list[str]:
    return [f"U0BENCH{n:03d}" for n in range(1, count + 1)]


def call_mix(
    count: int, rng: random.Random, reps: list[str], leads: list[str], reps_first: bool = False
) -> list[tuple[str, str, str]]:
    """`count` calls as (rep, lead, the `/call` text): random reps and leads, outcomes weighted as TEMPLATES."""
    texts, weights = zip(*TEMPLATES, strict=True)
    out: list[tuple[str, str, str]] = []
    for i in range(count):
        rep = reps[i] if reps_first and i < len(reps) else rng.choice(reps)
        lead = rng.choice(leads)
        out.append((rep, lead, f"{lead} {rng.choices(texts, weights)[0]}"))
    return out


def make_requests(
    count: int,
    rng: random.Random,
    reps: list[str],
    leads: list[str],
    response_url: str,
    seq0: int,
    reps_first: bool = False,
) -> list[Request]:
    """Signed-ready `/call` bodies, each expecting its lead's name in the answer."""
    return [
        (slash_body("/call", text, rep, response_url=response_url, seq=seq0 + i), lead)
        for i, (rep, lead, text) in enumerate(call_mix(count, rng, reps, leads, reps_first))
    ]


def without_check(requests: list[Request]) -> list[Request]:
    return [(body, None) for body, _ in requests]


def history_app(activities: int) -> str:
    return f"salescoach, {activities:,} activities stored"


def markdown_table(results: list[RunResult]) -> str:
    lines = [
        "| app | concurrency | requests | p50 ms | p99 ms | req/s | failures |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.app} | {r.concurrency} | {r.requests} | {r.p50:.1f} | {r.p99:.1f} | {r.rps:.0f} | {r.failures} |"
        )
    return "\n".join(lines)


def merged(app: str, runs: list[RunResult]) -> RunResult:
    """Several runs of one app at one concurrency as one: their latencies together, their wall times added."""
    return RunResult(
        app=app,
        concurrency=runs[0].concurrency,
        requests=sum(r.requests for r in runs),
        latencies_ms=[ms for r in runs for ms in r.latencies_ms],
        elapsed_s=sum(r.elapsed_s for r in runs),
        failures=sum(r.failures for r in runs),
        failure_samples=[s for r in runs for s in r.failure_samples][:5],
    )


# -- memory -------------------------------------------------------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children: its workers."""
    try:
        return sorted(int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split())
    except OSError:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:  # the field after the state: the parent
                    pids.append(int(entry.name))
        return sorted(pids)


def memory_mb(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MB (MiB)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("VmHWM", float("nan"))


def workers_memory(server: ServerProcess) -> dict[int, tuple[float, float]]:
    """Each worker of `server`: (RSS, peak RSS) in MB."""
    assert server.proc is not None
    out = {}
    for pid in worker_pids(server.proc.pid):
        with contextlib.suppress(OSError):
            out[pid] = memory_mb(pid)
    return out


@dataclass
class MemoryReport:
    """Workers' memory per server, after the warm-up and after the memory phase."""

    calls: int  # the memory phase's calls to the bot
    bot_calls: int  # every call the bot answered in the run
    before: dict[str, dict[int, tuple[float, float]]]
    after: dict[str, dict[int, tuple[float, float]]]

    @property
    def largest_bot_worker(self) -> float:
        return max((rss for rss, _ in self.after.get(BOT, {}).values()), default=float("nan"))

    def table(self) -> list[str]:
        lines = [
            "| server | worker pid | RSS after warm-up MB | RSS after MB | peak RSS MB |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name, workers in self.after.items():
            for pid, (rss, peak) in sorted(workers.items()):
                first = self.before.get(name, {}).get(pid)
                shown = f"{first[0]:.1f}" if first else "(new worker)"
                lines.append(f"| {name} | {pid} | {shown} | {rss:.1f} | {peak:.1f} |")
        return lines


# -- verdicts -----------------------------------------------------------------------------------------------------


def verdicts(
    results: list[RunResult], history: tuple[RunResult, RunResult] | None, memory: MemoryReport | None
) -> tuple[list[str], bool]:
    lines: list[str] = []
    met = True

    def verdict(ok: bool, text: str) -> None:
        nonlocal met
        met &= ok
        lines.append(f"- {text}: {'met' if ok else 'MISSED'}")

    by = {(r.app, r.concurrency): r for r in results}
    bot1, bare1 = by.get((BOT, 1)), by.get((BARE, 1))
    bot16, bare16 = by.get((BOT, P99_TARGET_CONCURRENCY)), by.get((BARE, P99_TARGET_CONCURRENCY))
    if bot1 and bare1:
        ratio = bot1.p50 / bare1.p50
        verdict(
            ratio <= P50_RATIO_TARGET,
            f"sequential: bot p50 / bare p50 = {bot1.p50:.1f} / {bare1.p50:.1f} ms = **{ratio:.2f}x** "
            f"(target <= {P50_RATIO_TARGET:g}x)",
        )
    if bot16:
        verdict(
            bot16.p99 < P99_TARGET_MS,
            f"concurrency {P99_TARGET_CONCURRENCY}: bot p99 = **{bot16.p99:.1f} ms** (target < {P99_TARGET_MS:.0f} ms)",
        )
    again = by.get((BOT_AGAIN, 1))
    if bot16 and bot1:
        # Sequential throughput for days as full as concurrency 16's: the phases before and after it together.
        sequential = merged("sequential", [bot1, again]) if again else bot1
        ratio = bot16.rps / sequential.rps
        phases = f"c=1 before and after it: {bot1.rps:.0f} and {again.rps:.0f}" if again else "c=1 before it"
        verdict(
            ratio >= 1.0,
            f"concurrency {P99_TARGET_CONCURRENCY}: bot throughput / sequential throughput = {bot16.rps:.0f} / "
            f"{sequential.rps:.0f} req/s = **{ratio:.2f}x** ({phases} req/s; target >= 1x: no collapse under "
            "concurrency)",
        )
    if history:
        empty, full = history
        ratio = full.p50 / empty.p50
        verdict(
            ratio <= HISTORY_RATIO_TARGET,
            f"history: sequential p50 with the history / on the empty database, alternating blocks = "
            f"{full.p50:.1f} / {empty.p50:.1f} ms = **{ratio:.2f}x** (target <= {HISTORY_RATIO_TARGET}x)",
        )
    if memory:
        verdict(
            memory.largest_bot_worker < RSS_TARGET_MB,
            f"memory: the bot's largest worker after {memory.calls:,} calls ({memory.bot_calls:,} in the run) = "
            f"**{memory.largest_bot_worker:.1f} MB** RSS (target < {RSS_TARGET_MB:.0f} MB)",
        )
    if bot16 and bare16:
        lines.append(
            f"- concurrency {P99_TARGET_CONCURRENCY} (no target): bot p50 / bare p50 = {bot16.p50:.1f} / "
            f"{bare16.p50:.1f} ms = {bot16.p50 / bare16.p50:.2f}x; bare throughput {bare16.rps:.0f} req/s"
        )
    return lines, met


def db_stats(url: str) -> str:
    """What the bot stored: a check that the calls and their follow-up nudges were written."""
    from sqlalchemy import create_engine, text

    queries = {
        "calls": "SELECT count(*) FROM activities",
        "leads": "SELECT count(*) FROM leads",
        "reps": "SELECT count(*) FROM reps",
        "pending": "SELECT count(*) FROM nudges WHERE status = 'pending'",
        "cancelled": "SELECT count(*) FROM nudges WHERE status = 'cancelled'",
    }
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = {key: conn.execute(text(sql)).scalar_one() for key, sql in queries.items()}
        return (
            f"{n['calls']} calls on {n['leads']} leads by {n['reps']} reps; "
            f"nudges: {n['pending']} pending, {n['cancelled']} cancelled (superseded)"
        )
    except Exception as err:  # noqa: BLE001 - a report line, not a failure
        return f"(could not read the database: {type(err).__name__}: {err})"
    finally:
        engine.dispose()


def code_fingerprint() -> str:
    """A short hash of the bot's source, and when it last changed: which version of the code was measured."""
    digest = hashlib.sha256()
    newest = 0.0
    for folder in ("bot", "handlers", "coaching"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
                newest = max(newest, path.stat().st_mtime)
    changed = dt.datetime.fromtimestamp(newest, dt.UTC)
    return f"{digest.hexdigest()[:12]} (newest file {changed:%Y-%m-%d %H:%M:%S} UTC)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (20 warm-up, 100 at c=1, 400 at c=16)")
    parser.add_argument("--warmup", type=int, help="warm-up requests per app (default 50)")
    parser.add_argument("--c1", type=int, help="requests at concurrency 1 (default 500)")
    parser.add_argument("--c16", type=int, help="requests at concurrency 16 (default 2000)")
    parser.add_argument(
        "--reps", type=int, default=DEFAULT_REPS, help=f"reps making the calls (default {DEFAULT_REPS})"
    )
    parser.add_argument(
        "--history",
        type=int,
        metavar="ACTIVITIES",
        help="also measure a bot whose database holds this many activities of a year's work (issue: 1000000)",
    )
    parser.add_argument("--history-reps", type=int, help="reps in the history (default ACTIVITIES / 1000)")
    parser.add_argument(
        "--rss",
        type=int,
        nargs="?",
        const=RSS_CALLS,
        metavar="CALLS",
        help=f"read the workers' memory before and after this many more calls (default {RSS_CALLS:,})",
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=os.environ.get("TEST_PG_ADMIN_URL", PG_ADMIN_URL),
        metavar="ADMIN_URL",
        help=f"run the bot on a throwaway PostgreSQL database instead of SQLite (default server {PG_ADMIN_URL})",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, server logs)")
    args = parser.parse_args(argv)
    warmup = args.warmup or (20 if args.quick else 50)
    plan = [(1, args.c1 or (100 if args.quick else 500)), (16, args.c16 or (400 if args.quick else 2000))]

    # SIGTERM ends the run like Ctrl-C does: through the finally below, which stops the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    timings: list[str] = []
    loads = [f"start {load_average()}"]

    def phase_done(name: str, t0: float) -> None:
        timings.append(f"{name} {time.perf_counter() - t0:.0f} s")
        loads.append(f"after {name} {load_average()}")

    fingerprint = code_fingerprint()
    tmp = Path(tempfile.mkdtemp(prefix="bench-call-"))
    # Count-only: a run makes thousands of calls and the report needs only how many of each. Any token goes in:
    # the bare app sends its own (bench/bare_app.py). No rate limit: this measures the bot, not Slack's pacing.
    slack = SlackStandIn(Workspace(team_id=TEAM), record=False, rate_limit=None).start()
    response_url = f"{slack.base_url}/response/"
    servers: list[ServerProcess] = []
    results: list[RunResult] = []
    failures = 0
    history: call_history.History | None = None
    history_pair: tuple[RunResult, RunResult] | None = None
    memory: MemoryReport | None = None
    database_url = f"sqlite:///{tmp / 'bench.db'}"
    history_url = f"sqlite:///{tmp / 'history.db'}"
    settings = {k: os.environ[k] for k in ("WORKER_CONNECTIONS", "LOG_LEVEL") if k in os.environ}
    # The same number of workers for both apps: the bot's default for its database (bot.server.default_workers).
    bot_url = args.postgres.replace("postgresql://", "postgresql+psycopg://") if args.postgres else database_url
    workers = os.environ.get("WEB_CONCURRENCY") or str(default_workers(bot_url))
    settings["WEB_CONCURRENCY"] = workers
    stats: list[str] = []
    # The throwaway databases are dropped when the block ends, after the run's own clean-up has read them.
    with contextlib.ExitStack() as databases:
        if args.postgres:
            database_url = databases.enter_context(throwaway_database(args.postgres))
            if args.history:
                history_url = databases.enter_context(throwaway_database(args.postgres))
        try:
            if args.history:
                # Stored before any server starts: the load must not share the machine with a measurement.
                t0 = time.perf_counter()
                db = Database(history_url)
                try:
                    db.migrate()
                    history_reps = args.history_reps or max(1, args.history // 1000)
                    history = call_history.store(db, history_reps, args.history, dt.datetime.now(dt.UTC))
                finally:
                    db.dispose()
                phase_done("storing the history", t0)

            common = dict(SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url, **settings)

            def bot_server(name: str, url: str, log: str) -> ServerProcess:
                port = free_port()
                env = python_env(**common, SLACK_BOT_TOKEN=BOT_TOKEN, DATABASE_URL=url, PORT=str(port))
                # cwd: no stray .env from the repo is read
                return ServerProcess(name, [venv_script("salescoach"), "serve"], env, port, cwd=tmp, log_path=tmp / log)

            bot = bot_server(BOT, database_url, "salescoach.log")
            bare_port = free_port()
            bare = ServerProcess(
                BARE,
                [sys.executable, "-m", "bench.bare_app"],
                python_env(**common, PORT=str(bare_port), PYTHONPATH=str(ROOT)),
                bare_port,
                cwd=tmp,
                log_path=tmp / "bare.log",
            )
            full = bot_server(history_app(args.history), history_url, "history.log") if history else None
            for server in (bot, bare, full):
                if server:
                    servers.append(server.start())
            for server in servers:
                server.wait_ready(http_probe("/healthz"))
            print(
                f"servers up: {', '.join(f'{s.name} on :{s.port}' for s in servers)}; WEB_CONCURRENCY={workers}, "
                f"WORKER_CONNECTIONS={os.environ.get('WORKER_CONNECTIONS', '1000 (default)')}",
                flush=True,
            )

            def measure(server: ServerProcess, batch: list[Request], conc: int, app: str | None = None) -> RunResult:
                nonlocal failures
                r = run_load(server.name, server.port, batch, conc)
                if app:
                    r.app = app
                failures += r.failures
                for sample in r.failure_samples:
                    print(f"    {r.app} failure: {sample}", flush=True)
                return r

            def shown(r: RunResult) -> None:
                print(
                    f"{r.app:>44} c={r.concurrency:<2} n={r.requests}: p50 {r.p50:.1f} ms, p99 {r.p99:.1f} ms, "
                    f"{r.rps:.0f} req/s, {r.failures} failures",
                    flush=True,
                )

            reps = rep_ids(args.reps)
            rng = random.Random(20261126)
            leads = lead_names(1000)
            seq = 0

            def history_requests(count: int) -> list[Request]:
                nonlocal seq
                assert history is not None
                mix = call_history.call_mix(history, count, args.reps, rng, TEMPLATES)
                out = [
                    (slash_body("/call", text, rep, response_url=response_url, seq=seq + i), lead)
                    for i, (rep, lead, text) in enumerate(mix)
                ]
                seq += count
                return out

            # Warm-up: the first requests create the reps (users.info) and fill the workers' pools and caches.
            t0 = time.perf_counter()
            warm = make_requests(warmup, rng, reps, leads, response_url, seq, reps_first=True)
            seq += warmup
            warm_batches = [(bare, without_check(warm)), (bot, warm)]
            if full:
                warm_batches.append((full, history_requests(warmup)))
            for server, reqs in warm_batches:
                for conc in (1, 16):
                    part = reqs[: args.reps] if conc == 1 else reqs[args.reps :]
                    if part:
                        measure(server, part, conc)
            print(f"warm-up done ({warmup} requests per app)", flush=True)
            memory_before = {s.name: workers_memory(s) for s in servers} if args.rss else {}
            bot_calls = warmup
            phase_done("warm-up", t0)

            t0 = time.perf_counter()
            for conc, count in plan:
                reqs = make_requests(count, rng, reps, leads, response_url, seq)
                seq += count
                bot_calls += count
                for server, batch in ((bare, without_check(reqs)), (bot, reqs)):
                    results.append(measure(server, batch, conc))
                    shown(results[-1])
            reqs = make_requests(plan[0][1], rng, reps, leads, response_url, seq)
            seq += plan[0][1]
            bot_calls += plan[0][1]
            results.append(measure(bot, reqs, 1, BOT_AGAIN))
            shown(results[-1])
            phase_done("bare and bot, c=1 and c=16, the bot's c=1 again", t0)

            if full:
                t0 = time.perf_counter()
                # First as many calls as the empty bot had, c=16's measured: both bots' reps then have a day
                # of the same size, which every call's tip reads.
                measure(full, history_requests(plan[0][1]), plan[1][0])
                results.append(measure(full, history_requests(plan[1][1]), plan[1][0]))
                shown(results[-1])
                measure(full, history_requests(plan[0][1]), plan[1][0])  # as the empty bot's c=1 again
                count = plan[0][1]
                empty_runs, full_runs = [], []
                for start in range(0, count, HISTORY_BLOCK):
                    size = min(HISTORY_BLOCK, count - start)
                    reqs = make_requests(size, rng, reps, leads, response_url, seq)
                    seq += size
                    bot_calls += size
                    empty_runs.append(measure(bot, reqs, 1, EMPTY_BESIDE))
                    full_runs.append(measure(full, history_requests(size), 1))
                history_pair = (merged(EMPTY_BESIDE, empty_runs), merged(full.name, full_runs))
                results.extend(history_pair)
                for r in history_pair:
                    shown(r)
                phase_done("the history bot, c=16 then alternating with the empty one at c=1", t0)

            if args.rss:
                t0 = time.perf_counter()
                # A busy day of about 100 calls for each of as many reps as it takes (new ones: users.info first).
                many = rep_ids(max(args.reps, args.rss // 100))
                measure(bot, make_requests(args.rss, rng, many, leads, response_url, seq), 16)
                seq += args.rss
                bot_calls += args.rss
                after = {s.name: workers_memory(s) for s in servers}
                memory = MemoryReport(args.rss, bot_calls, memory_before, after)
                for line in memory.table():
                    print(line, flush=True)
                phase_done(f"memory ({args.rss:,} calls)", t0)
        except BaseException:
            print(f"benchmark stopped; server logs are in {tmp}", file=sys.stderr)
            args.keep = True
            raise
        finally:
            for server in reversed(servers):
                server.stop()
            slack.stop()
            stats.append(f"empty at the start: {db_stats(database_url)}")
            if history:
                stats.append(f"with the history: {db_stats(history_url)}")

    database_kind = "PostgreSQL (throwaway database)" if args.postgres else "SQLite (WAL) in a temporary folder"
    verdict_lines, met = verdicts(results, history_pair, memory)
    calls = ", ".join(f"{k} {v}" for k, v in sorted(slack.counts.items()))
    timings.append(f"in all {time.perf_counter() - started:.0f} s")
    report = [
        f"# /call over signed HTTP: salescoach vs a bare Bolt app ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}. "
        f"gunicorn gevent, WEB_CONCURRENCY={workers} for both apps, "
        f"WORKER_CONNECTIONS={os.environ.get('WORKER_CONNECTIONS', '1000')}; {database_kind}; "
        f"{warmup} warm-up requests per app; keep-alive client connections, one per client thread; "
        f"{args.reps} reps, 1000 leads. Bot code measured: {fingerprint}.",
        "",
        f"Load average (1, 5, 15 min): {'; '.join(loads)}. Phases: {'; '.join(timings)}.",
        "",
        markdown_table(results),
        "",
        *verdict_lines,
        "",
    ]
    if history:
        report += [
            f"History: {history.summary()}. Its calls: {args.reps} of its reps (those with the most leads in their "
            "cadence), each on a lead of their own with past attempts (three in four in its cadence). Before the "
            "sequential blocks, which alternate with the empty database's in blocks of "
            f"{HISTORY_BLOCK}, it had as many calls as the empty bot (its concurrency 16 row among them).",
            "",
        ]
    if memory:
        report += [
            f"Workers' memory (VmRSS; peak VmHWM), after the warm-up and after {memory.calls:,} more calls to the bot "
            "at concurrency 16 (the other servers were idle meanwhile):",
            "",
            *memory.table(),
            "",
        ]
    report += [f"Bot databases afterwards: {'; '.join(stats)}. The Slack stand-in saw: {calls or 'nothing'}.", ""]
    publish("\n".join(report), "call_postgresql.md" if args.postgres else "call.md")
    if failures:
        print(f"{failures} failed requests: the run fails", file=sys.stderr)
    if args.keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        return 1
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())

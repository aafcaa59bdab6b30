"""Benchmark `/call` over signed HTTP: the real `salescoach serve` beside a bare Bolt app that only acks.

    .venv/bin/python bench/bench_call.py            # 50 warm-up, 500 requests at concurrency 1, 2000 at 16
    .venv/bin/python bench/bench_call.py --quick    # a short run

Both apps run as gunicorn subprocesses with the same settings (bot.server.Server: gevent, WEB_CONCURRENCY
workers, WORKER_CONNECTIONS connections each); the bot uses SQLite in a temporary folder and the Slack stand-in
(bot.slack.standin, counting calls only) served from this process. Requests are signed as Slack signs them. The
table is printed and written to bench/results/call.md. Targets (issue): the bot's p50 at most 1.5x the bare
app's, and p99 under 100 ms at concurrency 16. Exit code: 1 on any failed request (or, with --strict, on a missed
target), else 0.
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
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
    publish,
    python_env,
    run_load,
    slash_body,
    venv_script,
)
from bench.throwaway_postgres import PG_ADMIN_URL, throwaway_database  # noqa: E402
from bot.slack.standin import SlackStandIn, Workspace  # noqa: E402

P50_RATIO_TARGET = 1.5
P99_TARGET_MS = 100.0
P99_TARGET_CONCURRENCY = 16

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


def verdicts(results: list[RunResult]) -> tuple[list[str], bool]:
    lines, met = [], True
    by = {(r.app, r.concurrency): r for r in results}
    for c in sorted({r.concurrency for r in results}):
        bot, bare = by.get(("salescoach", c)), by.get(("bare bolt", c))
        if bot and bare:
            ratio = bot.p50 / bare.p50
            ok = ratio <= P50_RATIO_TARGET
            met &= ok
            lines.append(
                f"- concurrency {c}: bot p50 / bare p50 = {bot.p50:.1f} / {bare.p50:.1f} ms = "
                f"**{ratio:.2f}x** (target <= {P50_RATIO_TARGET}x: {'met' if ok else 'MISSED'})"
            )
    bot = by.get(("salescoach", P99_TARGET_CONCURRENCY))
    if bot:
        ok = bot.p99 < P99_TARGET_MS
        met &= ok
        lines.append(
            f"- concurrency {P99_TARGET_CONCURRENCY}: bot p99 = **{bot.p99:.1f} ms** "
            f"(target < {P99_TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'})"
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
    parser.add_argument("--reps", type=int, default=DEFAULT_REPS, help="distinct rep user ids (default 5)")
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
    fingerprint = code_fingerprint()
    tmp = Path(tempfile.mkdtemp(prefix="bench-call-"))
    # Count-only: a run makes thousands of calls and the report needs only how many of each. Any token goes in:
    # the bare app sends its own (bench/bare_app.py). No rate limit: this measures the bot, not Slack's pacing.
    slack = SlackStandIn(Workspace(team_id=TEAM), record=False, rate_limit=None).start()
    response_url = f"{slack.base_url}/response/"
    servers: list[ServerProcess] = []
    results: list[RunResult] = []
    database_url = f"sqlite:///{tmp / 'bench.db'}"
    settings = {k: os.environ[k] for k in ("WEB_CONCURRENCY", "WORKER_CONNECTIONS", "LOG_LEVEL") if k in os.environ}
    # The throwaway database is dropped when the block ends, after the run's own clean-up has read it.
    with contextlib.ExitStack() as databases:
        if args.postgres:
            database_url = databases.enter_context(throwaway_database(args.postgres))
        try:
            common = dict(SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.api_url, **settings)
            bot_port, bare_port = free_port(), free_port()
            bot = ServerProcess(
                "salescoach",
                [venv_script("salescoach"), "serve"],
                python_env(**common, SLACK_BOT_TOKEN=BOT_TOKEN, DATABASE_URL=database_url, PORT=str(bot_port)),
                bot_port,
                cwd=tmp,  # no stray .env from the repo is read
                log_path=tmp / "salescoach.log",
            )
            bare = ServerProcess(
                "bare bolt",
                [sys.executable, "-m", "bench.bare_app"],
                python_env(**common, PORT=str(bare_port), PYTHONPATH=str(ROOT)),
                bare_port,
                cwd=tmp,
                log_path=tmp / "bare.log",
            )
            for server in (bot, bare):
                servers.append(server.start())
            for server in servers:
                server.wait_ready(http_probe("/healthz"))
            print(
                f"servers up: salescoach on :{bot_port}, bare bolt on :{bare_port}; "
                f"WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', '2 (default)')}, "
                f"WORKER_CONNECTIONS={os.environ.get('WORKER_CONNECTIONS', '1000 (default)')}",
                flush=True,
            )

            reps = rep_ids(args.reps)
            rng = random.Random(20261126)
            leads = lead_names(1000)
            seq = 0
            # Warm-up: the first requests create the reps (users.info) and fill both workers' pools and caches.
            warm = make_requests(warmup, rng, reps, leads, response_url, seq, reps_first=True)
            seq += warmup
            for server, reqs in ((bare, without_check(warm)), (bot, warm)):
                for conc in (1, 16):
                    part = reqs[: len(reps)] if conc == 1 else reqs[len(reps) :]
                    if part:
                        r = run_load(server.name, server.port, part, conc)
                        if r.failures:
                            print(f"warm-up {server.name}: {r.failures} failures, e.g. {r.failure_samples[:2]}")
            print(f"warm-up done ({warmup} requests per app)", flush=True)

            for conc, count in plan:
                reqs = make_requests(count, rng, reps, leads, response_url, seq)
                seq += count
                for server, batch in ((bare, without_check(reqs)), (bot, reqs)):
                    r = run_load(server.name, server.port, batch, conc)
                    results.append(r)
                    print(
                        f"{server.name:>10} c={conc:<2} n={count}: p50 {r.p50:.1f} ms, p99 {r.p99:.1f} ms, "
                        f"{r.rps:.0f} req/s, {r.failures} failures",
                        flush=True,
                    )
                    for sample in r.failure_samples:
                        print(f"    failure: {sample}")
        except BaseException:
            print(f"benchmark stopped; server logs are in {tmp}", file=sys.stderr)
            args.keep = True
            raise
        finally:
            for server in reversed(servers):
                server.stop()
            slack.stop()
            stats = db_stats(database_url)

    database_kind = "PostgreSQL (throwaway database)" if args.postgres else "SQLite (WAL) in a temporary folder"
    table = markdown_table(results)
    verdict_lines, met = verdicts(results)
    calls = ", ".join(f"{k} {v}" for k, v in sorted(slack.counts.items()))
    failures = sum(r.failures for r in results)
    report = "\n".join(
        [
            f"# /call over signed HTTP: salescoach vs a bare Bolt app ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}. "
            f"gunicorn gevent, WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', '2')}, "
            f"WORKER_CONNECTIONS={os.environ.get('WORKER_CONNECTIONS', '1000')}; {database_kind}; "
            f"{warmup} warm-up requests per app; keep-alive client connections, one per client thread; "
            f"{args.reps} reps, 1000 leads. Bot code measured: {fingerprint}.",
            "",
            table,
            "",
            *verdict_lines,
            "",
            f"Bot database afterwards: {stats}. The Slack stand-in saw: {calls or 'nothing'}.",
            "",
        ]
    )
    publish(report, "call.md")
    if args.keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        return 1
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())

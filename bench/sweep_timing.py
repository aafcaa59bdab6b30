"""One `Sweeper.sweep(now)` as bot.runtime.build wires it, with its Slack calls, claims and SQL counted and timed;
and the bare chat.postMessage calls it is measured against."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import event

import bot.outbox.sweep
from bench.standin_process import StandInProcess
from bench.sweep_data import NOW, TEAM, TOKEN, count_sent
from bench.sweep_sql import claim_update, driver_sql, pick_union, rolled_back
from bot.config import Config
from bot.runtime import build
from bot.storage.database import Database


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

    def per_nudge_ms(self, seconds: float) -> float:
        return seconds * 1000 / max(self.sent, 1)

    @property
    def total_ms(self) -> float:
        return self.per_nudge_ms(self.wall_s)

    @property
    def http_ms(self) -> float:
        return self.per_nudge_ms(self.http.seconds)

    @property
    def own_ms(self) -> float:
        """Total minus the Slack HTTP calls (slack_sdk's api_call: JSON, urllib, the stand-in's answer)."""
        return self.per_nudge_ms(self.wall_s - self.http.seconds)

    @property
    def own_cpu_ms(self) -> float:
        """CPU time of this process outside the Slack HTTP calls (slack_sdk's own CPU excluded)."""
        return self.per_nudge_ms(self.cpu_s - self.http.cpu)

    @property
    def own_callables_ms(self) -> float:
        """Total minus the time inside the sweeper's post/open_dm callables (open_dm's DB look-up included)."""
        return self.per_nudge_ms(self.wall_s - self.post.seconds - self.open_dm.seconds)


def run_sweep(db: Database, fake: StandInProcess, label: str, expected: int, *, profile: bool = False) -> SweepResult:
    """One Sweeper.sweep(NOW) as bot.runtime.build wires it, with its Slack calls and claims timed."""
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
        last["message"] = message  # for the bare posts: the same message
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
    slack_calls = fake.counts() - before
    sent_rows = count_sent(db) - sent_before
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
        slack_calls=slack_calls,
        sent_rows=sent_rows,
        message=last.get("message"),
        claim_sql_matches=same_claim_sql(db, claim_sql[0], sweeper.worker) if claim_sql else None,
        profile=profile_text(profiler) if profiler else "",
    )
    print(
        f"  sweep ({label}): sent {report.sent}/{expected} in {wall:.2f} s = {result.total_ms:.3f} ms/nudge; "
        f"Slack HTTP {result.http_ms:.3f} ms/nudge; own {result.own_ms:.3f} ms/nudge; "
        f"claims {claim.calls} x {claim.seconds * 1000 / max(claim.calls, 1):.2f} ms; "
        f"{statements / max(report.sent, 1):.1f} SQL statements/nudge; Slack saw {dict(slack_calls)}",
        flush=True,
    )
    if report.sent != expected or sent_rows != expected:
        print(f"  WARNING: expected {expected} sent, report says {report.sent}, table says {sent_rows} ({report})")
    return result


def same_claim_sql(db: Database, sent: str, worker: str) -> bool:
    """Whether the claim the sweep sent is sweep_sql's mirror of bot.outbox.sweep.claim, but for white space."""
    with rolled_back(db) as conn:
        mine, _ = driver_sql(conn, claim_update(pick_union, NOW, db.dialect, worker=worker))
    return " ".join(mine.split()) == " ".join(sent.split())


def profile_text(profiler: cProfile.Profile) -> str:
    """Our code by cumulative time, then everything by own time."""
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.sort_stats("cumulative").print_stats(r"/(bot|coaching)/", 30)
    stats.sort_stats("tottime").print_stats(20)
    return buf.getvalue()


def bare_posts(fake: StandInProcess, message: dict[str, Any], n: int) -> float:
    """Seconds for n chat.postMessage calls made directly with a WebClient like the bot's: the Slack-call cost."""
    client = WebClient(token=TOKEN, base_url=fake.api_url, timeout=10, retry_handlers=[])
    client.chat_postMessage(channel="D0REP0000", **message)  # warm
    t0 = time.perf_counter()
    for i in range(n):
        client.chat_postMessage(channel=f"D0REP{i % 100:04d}", **message)
    return time.perf_counter() - t0

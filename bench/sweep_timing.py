"""One `Sweeper.sweep(now)` as bot.runtime.build wires it, with its Slack calls, claims and SQL counted and timed;
and the bare chat.postMessage calls it is measured against.

Since issue 11 a due follow-up is not a message: it is listed in the rep's list of the day, whose one message is
sent once and then updated in place. So a sweep is measured per follow-up listed (all its own time, the lists'
included) and per list message (sent or updated); its time and SQL statements are split by the kind of outbox
row being delivered (follow-up, list), the rest being claims.
"""

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
from bench.sweep_data import NOW, TEAM, TOKEN, count_listed
from bench.sweep_sql import claim_update, driver_sql, pick_union, rolled_back
from bot.config import Config
from bot.runtime import build
from bot.storage.database import Database
from bot.usecases.daylist import LIST


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
    listed: int  # follow-ups put in a list by this sweep (from the table)
    expected_listed: int
    sent: int  # list messages posted
    updated: int  # list messages changed in place (chat.update)
    expected_messages: int
    other: str
    wall_s: float
    cpu_s: float
    post: Timer
    open_dm: Timer
    http: Timer
    claim: Timer
    deliver: dict[str, Timer]  # Sweeper._deliver by the kind of row: "followup", LIST
    http_by_kind: dict[str, float]  # seconds inside Slack HTTP calls while delivering that kind
    statements: Counter[str]  # by the kind of row being delivered, "claim and other" outside a delivery
    slack_calls: Counter[str]
    message: dict[str, Any] | None = None
    claim_sql_matches: bool | None = None
    profile: str = ""

    @property
    def messages(self) -> int:
        return self.sent + self.updated

    @property
    def own_s(self) -> float:
        """Total minus the Slack HTTP calls (slack_sdk's api_call: JSON, urllib, the stand-in's answer)."""
        return self.wall_s - self.http.seconds

    def per(self, seconds: float, n: int) -> float:
        return seconds * 1000 / max(n, 1)

    @property
    def total_ms(self) -> float:
        return self.per(self.wall_s, self.listed)

    @property
    def http_ms(self) -> float:
        return self.per(self.http.seconds, self.listed)

    @property
    def own_ms(self) -> float:
        """Our own time per follow-up listed, the lists' messages included: issue 14's "per nudge"."""
        return self.per(self.own_s, self.listed)

    @property
    def own_cpu_ms(self) -> float:
        """CPU time of this process outside the Slack HTTP calls (slack_sdk's own CPU excluded), per follow-up."""
        return self.per(self.cpu_s - self.http.cpu, self.listed)

    @property
    def own_per_message_ms(self) -> float:
        """All our own time per list message sent or updated."""
        return self.per(self.own_s, self.messages)

    def kind_own_s(self, kind: str) -> float:
        """Own time spent delivering rows of `kind` (their Slack HTTP calls excluded)."""
        timer = self.deliver.get(kind)
        return (timer.seconds if timer else 0.0) - self.http_by_kind.get(kind, 0.0)

    @property
    def rest_s(self) -> float:
        """Own time outside any delivery: claims, the sweep's loop."""
        return self.own_s - sum(self.kind_own_s(k) for k in self.deliver)

    @property
    def statements_total(self) -> int:
        return sum(self.statements.values())


def run_sweep(
    db: Database, fake: StandInProcess, label: str, listed: int, messages: int, *, profile: bool = False
) -> SweepResult:
    """One Sweeper.sweep(NOW) as bot.runtime.build wires it, with its Slack calls, claims and deliveries timed.

    `listed` and `messages` are the follow-ups it should list and the list messages it should send or update.
    """
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
    deliver: dict[str, Timer] = {"followup": Timer(), LIST: Timer()}
    http_by_kind: Counter[str] = Counter()
    statements: Counter[str] = Counter()
    current = {"kind": "claim and other"}
    api_call = http.wrap(client.api_call)

    def timed_api_call(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return api_call(*args, **kwargs)
        finally:
            http_by_kind[current["kind"]] += time.perf_counter() - t0

    client.api_call = timed_api_call  # type: ignore[method-assign]
    original_deliver = sweeper._deliver

    def by_kind(nudge_id: int, kind: str, now: Any, report: Any) -> None:
        current["kind"] = kind
        try:
            deliver.setdefault(kind, Timer()).wrap(original_deliver)(nudge_id, kind, now, report)
        finally:
            current["kind"] = "claim and other"

    sweeper._deliver = by_kind  # type: ignore[method-assign]
    last: dict[str, Any] = {}

    def remember(team_id: str, channel: str, message: dict[str, Any]) -> Any:
        last["message"] = message  # for the bare posts: the same message
        return original_post(team_id, channel, message)

    original_post = sweeper.post
    sweeper.post = post.wrap(remember)
    sweeper.open_dm = open_dm.wrap(sweeper.open_dm)
    if sweeper.update is not None:
        sweeper.update = post.wrap(sweeper.update)  # a list's chat.update counts with the posts
    original_claim = bot.outbox.sweep.claim
    bot.outbox.sweep.claim = claim.wrap(original_claim)  # type: ignore[assignment]
    claim_sql: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements[current["kind"]] += 1
        if statement.startswith("UPDATE nudges SET status") and "RETURNING" in statement and not claim_sql:
            claim_sql.append(statement)

    listed_before = count_listed(db)
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
    result = SweepResult(
        label=label,
        listed=count_listed(db) - listed_before,
        expected_listed=listed,
        sent=report.sent,
        updated=report.updated,
        expected_messages=messages,
        other=f"deferred {report.deferred}, retried {report.retried}, cancelled {report.cancelled}, "
        f"failed {report.failed}",
        wall_s=wall,
        cpu_s=cpu,
        post=post,
        open_dm=open_dm,
        http=http,
        claim=claim,
        deliver=deliver,
        http_by_kind=dict(http_by_kind),
        statements=statements,
        slack_calls=slack_calls,
        message=last.get("message"),
        claim_sql_matches=same_claim_sql(db, claim_sql[0], sweeper.worker) if claim_sql else None,
        profile=profile_text(profiler) if profiler else "",
    )
    print(
        f"  sweep ({label}): listed {result.listed}/{listed} follow-ups, lists sent {report.sent} + updated "
        f"{report.updated} / {messages} in {wall:.2f} s; Slack HTTP {http.seconds:.2f} s; own "
        f"{result.own_ms:.3f} ms per follow-up, {result.own_per_message_ms:.3f} ms per list message; "
        f"claims {claim.calls} x {claim.seconds * 1000 / max(claim.calls, 1):.2f} ms; "
        f"SQL statements {dict(statements)}; Slack saw {dict(slack_calls)}",
        flush=True,
    )
    if result.listed != listed or result.messages != messages:
        print(f"  WARNING: expected {listed} listed and {messages} list messages ({report})")
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

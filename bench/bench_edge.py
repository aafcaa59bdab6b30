"""The edge under attack: signed /call latency with 500 idle connections held and 200 unsigned requests a second.

    .venv/bin/python -m bench.bench_edge [--requests 1000] [--concurrency 4] [--quick]

One run, one `salescoach serve` (gunicorn, gevent workers; SQLite in a temporary folder; the Slack stand-in in
this process, count-only), two phases measured the same way:

1. baseline: `--requests` signed /call requests from `--concurrency` keep-alive clients, nothing else going on;
2. under attack: the same load while an attacker holds `--held` connections open (half send headers that never
   end, half announce a 1000-byte body and send 10 bytes; every one the server drops is opened again at once) and
   sends `--junk` unsigned requests a second (random bodies of about 1 KB, a wrong signature).

It prints and writes bench/results/edge.md: p50/p99 of each phase, failures, and what the attack managed (junk
sent and how it was answered, held connections the server dropped and the attacker reopened). Everything talks to
127.0.0.1 only; each loop stops when the measured load is done, or after `--max-seconds`.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.client
import os
import platform
import random
import selectors
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_call import lead_names, make_requests, rep_ids
from bench.common import (
    BOT_TOKEN,
    EVENTS_PATH,
    SECRET,
    TEAM,
    RunResult,
    ServerProcess,
    free_port,
    http_probe,
    publish,
    python_env,
    run_load,
    venv_script,
)
from bot.slack.standin import SlackStandIn, Workspace

JUNK_SENDERS = 25
SLOW_HEADERS = b"POST /slack/events HTTP/1.1\r\nHost: bench\r\nX-Slack-Signature: v0="
SLOW_BODY = b"POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Length: 1000\r\n\r\n0123456789"


class Holder(threading.Thread):
    """Keeps `count` connections open that never finish their request; reopens each one the server drops."""

    def __init__(self, port: int, count: int, stop: threading.Event) -> None:
        super().__init__(name="holder", daemon=True)
        self.port, self.count, self.stop = port, count, stop
        self.opened = self.dropped = self.refused = 0
        self.ready = threading.Event()

    def _open(self, selector: selectors.BaseSelector, n: int) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(SLOW_HEADERS if n % 2 else SLOW_BODY)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, n)
            self.opened += 1
        except OSError:
            self.refused += 1

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        for n in range(self.count):
            self._open(selector, n)
        self.ready.set()
        while not self.stop.is_set():
            for key, _ in selector.select(timeout=0.2):
                sock = key.fileobj
                selector.unregister(sock)
                sock.close()  # the server answered (408) or closed it: open another in its place
                self.dropped += 1
                self._open(selector, key.data)
            missing = self.count - len(selector.get_map())
            for n in range(missing):
                self._open(selector, n)
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        selector.close()


class Junk(threading.Thread):
    """Sends unsigned requests at `rate` a second, paced by the wall clock, until stopped."""

    def __init__(self, port: int, rate: float, stop: threading.Event, seed: int) -> None:
        super().__init__(name=f"junk-{seed}", daemon=True)
        self.port, self.rate, self.stop = port, rate, stop
        self.rng = random.Random(seed)
        self.sent = 0
        self.answers: collections.Counter[str] = collections.Counter()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        start = time.monotonic()
        while not self.stop.is_set():
            due = start + self.sent / self.rate
            wait = due - time.monotonic()
            if wait > 0:
                self.stop.wait(wait)
                continue
            body = self.rng.randbytes(self.rng.randint(500, 1500)).hex()[:1000]
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=" + "0" * 64,
            }
            self.sent += 1
            try:
                conn.request("POST", EVENTS_PATH, body=body.encode(), headers=headers)
                response = conn.getresponse()
                response.read()
                self.answers[str(response.status)] += 1
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as err:
                self.answers[type(err).__name__] += 1
                conn.close()
        conn.close()


def row(phase: str, result: RunResult) -> str:
    return (
        f"| {phase} | {result.concurrency} | {result.requests} | {result.p50:.1f} | {result.p99:.1f} | "
        f"{max(result.latencies_ms, default=float('nan')):.1f} | {result.rps:.0f} | {result.failures} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="signed /call requests per phase")
    parser.add_argument("--concurrency", type=int, default=4, help="keep-alive clients sending them")
    parser.add_argument("--held", type=int, default=500, help="connections the attacker holds open")
    parser.add_argument("--junk", type=float, default=200.0, help="unsigned requests a second")
    parser.add_argument("--reps", type=int, default=25)
    parser.add_argument("--max-seconds", type=float, default=300.0, help="the attack stops after this long anyway")
    parser.add_argument("--quick", action="store_true", help="300 requests per phase")
    args = parser.parse_args(argv)
    count = 300 if args.quick else args.requests
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    tmp = Path(tempfile.mkdtemp(prefix="bench-edge-"))
    slack = SlackStandIn(Workspace(team_id=TEAM), record=False, rate_limit=None).start()
    response_url = f"{slack.base_url}/response/"
    port = free_port()
    server = ServerProcess(
        "salescoach",
        [venv_script("salescoach"), "serve"],
        python_env(
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}",
            PORT=str(port),
            LOG_LEVEL="warning",  # 200 refusals a second are logged as one line each: kept out of the timing
        ),
        port,
        cwd=tmp,
        log_path=tmp / "salescoach.log",
    )
    results: list[tuple[str, RunResult]] = []
    attack: dict[str, object] = {}
    try:
        server.start().wait_ready(http_probe("/healthz"))
        reps, rng, leads = rep_ids(args.reps), random.Random(20261130), lead_names(1000)
        warm = make_requests(len(reps) * 2, rng, reps, leads, response_url, 0, reps_first=True)
        run_load("warm-up", port, warm, 1)
        seq = len(warm)
        baseline = make_requests(count, rng, reps, leads, response_url, seq)
        seq += count
        results.append(("baseline: nothing else", run_load("salescoach", port, baseline, args.concurrency)))
        print(f"baseline: p50 {results[-1][1].p50:.1f} ms, p99 {results[-1][1].p99:.1f} ms", flush=True)

        stop = threading.Event()
        holder = Holder(port, args.held, stop)
        # Enough senders that the rate holds while each waits for its 401 (an open loop, not one request at a time).
        junk = [Junk(port, args.junk / JUNK_SENDERS, stop, seed) for seed in range(JUNK_SENDERS)]
        holder.start()
        holder.ready.wait(60)
        for thread in junk:
            thread.start()
        watchdog = threading.Timer(args.max_seconds, stop.set)
        watchdog.start()
        time.sleep(1.0)  # let the junk reach its rate before measuring
        attacked = make_requests(count, rng, reps, leads, response_url, seq)
        started = time.monotonic()
        results.append(
            (
                f"under attack: {args.held} held, {args.junk:.0f} unsigned/s",
                run_load("salescoach", port, attacked, args.concurrency),
            )
        )
        seconds = time.monotonic() - started
        stop.set()
        watchdog.cancel()
        holder.join(10)
        for thread in junk:
            thread.join(10)
        answers: collections.Counter[str] = collections.Counter()
        for thread in junk:
            answers.update(thread.answers)
        sent = sum(thread.sent for thread in junk)
        attack = {
            "junk sent": sent,
            "junk rate": sent / (seconds + 1.0),
            "junk answers": dict(answers),
            "held opened": holder.opened,
            "held dropped by the server": holder.dropped,
            "held refused": holder.refused,
        }
        print(f"under attack: p50 {results[-1][1].p50:.1f} ms, p99 {results[-1][1].p99:.1f} ms; {attack}", flush=True)
        log_lines = (tmp / "salescoach.log").read_text(errors="replace").splitlines()
    finally:
        server.stop()
        slack.stop()

    refusals = sum(1 for line in log_lines if "refused POST /slack/events" in line)
    report = "\n".join(
        [
            f"# The edge under attack ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end (other work shares "
            f"it: compare the phases, not runs), Python {platform.python_version()}. `salescoach serve` (gunicorn, "
            f"gevent workers, WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', '1 (SQLite default)')}), SQLite; "
            f"signed /call from {args.concurrency} keep-alive clients, {args.reps} reps; the attacker and the "
            "clients on the same machine.",
            "",
            "| phase | clients | requests | p50 ms | p99 ms | max ms | req/s | failures |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *(row(phase, result) for phase, result in results),
            "",
            f"The attack: {attack.get('junk sent')} unsigned requests ({attack.get('junk rate', 0):.0f}/s), "
            f"answered {attack.get('junk answers')}; {attack.get('held opened')} held connections opened, "
            f"{attack.get('held dropped by the server')} of them dropped by the server (408 or closed) and reopened, "
            f"{attack.get('held refused')} refused. The server logged {refusals} refusals (one line each; at "
            "LOG_LEVEL=warning).",
            "",
        ]
    )
    publish(report, "edge.md")
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if any(result.failures for _, result in results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""What the HTTP benchmarks share: Slack's request signing, server subprocesses, a load loop.

The Slack Web API they point the bot at is the stand-in the tests and the demo use (`bot.slack.standin`).

Everything here talks to 127.0.0.1 only, and every loop is bounded by a request count.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def publish(report: str, name: str) -> Path:
    """Print a benchmark's report and write it to bench/results/`name`; returns the file."""
    print("\n" + report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(report)
    print(f"written to {path.relative_to(ROOT)}")
    return path


SECRET = "bench0signing0secret0000deadbeef"
BOT_TOKEN = "xoxb-bench"
TEAM = "T0BENCH01"
EVENTS_PATH = "/slack/events"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, for a report: the machine is shared, so its timings are noisy."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# -- Slack's side of a request ------------------------------------------------------------------------------------


def sign(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers for `body`, exactly as Slack computes them."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def slash_body(command: str, text: str, user_id: str, *, team_id: str = TEAM, response_url: str, seq: int) -> str:
    """A slash command's form-encoded body, with the fields Slack sends."""
    return urllib.parse.urlencode(
        {
            "token": "bench-verification-token",
            "team_id": team_id,
            "team_domain": "bench",
            "channel_id": "C0BENCH01",
            "channel_name": "sales",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0BENCH01",
            "is_enterprise_install": "false",
            "response_url": f"{response_url}{seq}",
            "trigger_id": f"{seq}.1234567890.{hashlib.md5(str(seq).encode()).hexdigest()}",
        }
    )


# -- servers under test -------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """A server started as a subprocess in its own process group; `stop()` ends that group and nothing else."""

    name: str
    argv: Sequence[str]
    env: dict[str, str]
    port: int
    cwd: Path
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            list(self.argv),
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's workers go down with it
        )
        return self

    def wait_ready(self, probe: Callable[[int], bool], timeout: float = 60.0) -> None:
        """Poll `probe(port)` until it answers True; fail with the server's log if it dies or never does."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if probe(self.port):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become ready in {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the group this process leads: its gunicorn workers
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        else:
            # The master is gone; make sure no orphaned worker of its group lingers.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


def http_probe(path: str) -> Callable[[int], bool]:
    """A readiness probe: GET `path` answers 200."""

    def probe(port: int) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path)
            return conn.getresponse().status == 200
        finally:
            conn.close()

    return probe


# -- load ---------------------------------------------------------------------------------------------------------

# One request: (body, what the response body must contain or None).
Request = tuple[str, str | None]


@dataclass
class RunResult:
    """The latencies and failures of one measured run."""

    app: str
    concurrency: int
    requests: int
    latencies_ms: list[float]
    elapsed_s: float
    failures: int = 0
    failure_samples: list[str] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        """The p-th percentile (nearest rank) of the latencies, in ms."""
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        rank = max(1, min(len(data), int(-(-p * len(data) // 100))))  # ceil(p/100 * n)
        return data[rank - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else float("nan")


def run_load(
    app: str,
    port: int,
    requests: Sequence[Request],
    concurrency: int,
    *,
    path: str = EVENTS_PATH,
    secret: str = SECRET,
    timeout: float = 30.0,
) -> RunResult:
    """Send `requests` with `concurrency` client threads, each with its own keep-alive connection.

    Each request is signed just before it is sent (the signing is outside the timed span, inside the wall time).
    A response counts as a success when it is 200 and, where an expected string is given, its body contains it;
    the latencies are those of every answered request (a request that got no answer has none, and is a failure).
    """
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    next_index = iter(range(len(requests)))
    start_gate = threading.Barrier(concurrency + 1)

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        mine: list[float] = []
        bad: list[str] = []
        try:
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # request() connects (and reports) on its own
        start_gate.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            body, expect = requests[i]
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret)}
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body.encode(), headers=headers)
                response = conn.getresponse()
                data = response.read()
                # Every answered request counts in the latencies, failed or not: a slow failure is slow too.
                mine.append((time.perf_counter() - t0) * 1000)
                if response.status != 200:
                    bad.append(f"HTTP {response.status}: {data[:200]!r}")
                elif expect is not None and expect.encode() not in data:
                    bad.append(f"no {expect!r} in {data[:200]!r}")
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as err:
                bad.append(f"{type(err).__name__}: {err}")
                conn.close()  # the next request reconnects
        conn.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=worker, name=f"client-{n}", daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    return RunResult(
        app=app,
        concurrency=concurrency,
        requests=len(requests),
        latencies_ms=latencies,
        elapsed_s=elapsed,
        failures=len(failures),
        failure_samples=failures[:5],
    )


def python_env(**extra: str) -> dict[str, str]:
    """The environment for a server subprocess: ours, minus Slack/DB settings we did not choose, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SLACK_") and k not in ("DATABASE_URL", "PORT", "PYTHONPATH")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def venv_script(name: str) -> str:
    """A console script beside the running interpreter (the venv's)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{path} not found: run `.venv/bin/pip install -q -e '.[dev]'` first")
    return str(path)

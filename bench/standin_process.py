"""The project's Slack stand-in (`python -m bot.slack.standin --count-only`) in a child process of its own.

The stand-in answers chat.postMessage with channel and ts, conversations.open with channel "D" + user[1:] and
users.info for any user, with no rate limit, and counts the calls. In its own process its CPU and GIL are not the
benchmark's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
STANDIN = ("-m", "bot.slack.standin", "--count-only")


def _drain(stream: IO[bytes]) -> None:
    for _ in stream:
        pass


class StandInProcess:
    """The stand-in in a child process (its own session); stop() ends that process only."""

    def __init__(self, token: str | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *STANDIN, *(("--token", token) if token else ())],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()  # its port, alone on the first line
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"python {' '.join(STANDIN)} did not start (said {line!r})")
        self.port = int(line)
        # Whatever it prints later must not fill the pipe and stall it.
        threading.Thread(target=_drain, args=(self.proc.stdout,), daemon=True).start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def counts(self) -> Counter[str]:
        """The Web API calls it has answered so far, by method."""
        url = f"http://127.0.0.1:{self.port}/_standin/counts"
        with urllib.request.urlopen(url, data=b"", timeout=10) as response:
            return Counter(json.loads(response.read())["counts"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the stand-in exits 0
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

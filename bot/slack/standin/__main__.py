"""`python -m bot.slack.standin`: the stand-in in a process of its own (benchmarks), until SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from bot.slack.standin.rules import RATE_LIMIT
from bot.slack.standin.server import SlackStandIn
from bot.slack.standin.workspace import Workspace


def main(argv: Sequence[str] | None = None) -> int:
    """Serve an open workspace until SIGTERM; the port goes alone on stdout's first line."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.slack.standin", description="A local Slack stand-in, in a process of its own."
    )
    parser.add_argument("--token", action="append", help="a bot token to let in (repeatable; default: any token)")
    parser.add_argument(
        "--count-only",
        action="store_true",
        help="keep a count per method, not every call, and play Slack without chat.postMessage's rate limit",
    )
    args = parser.parse_args(argv)
    workspace = Workspace(tokens=frozenset(args.token) if args.token else None)
    # A benchmark measures the bot, not Slack's pacing: counting only, the stand-in doesn't rate-limit.
    standin = SlackStandIn(workspace, record=not args.count_only, rate_limit=None if args.count_only else RATE_LIMIT)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    standin.start()
    print(standin.port, flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

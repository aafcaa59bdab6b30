"""Benchmark: what finding a workspace's token costs with OAuth installs, beside single-workspace mode.

Run: .venv/bin/python bench/bench_tokens.py [--workspaces N]

Every Slack call asks `Installations.client_for(team_id)` for a client with that workspace's token. In
single-workspace mode that is SLACK_BOT_TOKEN (the baseline, measured in the same run); with OAuth it is a query of
slack_sdk's installation store (the workspace's latest installation) and a check of its expiry, which a process then
reuses for a minute (bot.slack.installs.CACHE_FOR). N workspaces are installed (as the OAuth callback saves them),
then client_for is asked for each of them in random order (the first lookup: a read of the store), and again
(within the minute: from memory), on SQLite (a temporary file) and on a throwaway PostgreSQL database when one
answers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_sdk.oauth.installation_store import Installation  # noqa: E402

from bench.throwaway_postgres import PG_ADMIN_URL, shown, throwaway_database  # noqa: E402
from bot.slack.clients import Installations  # noqa: E402
from bot.slack.installs import Rotation, Store  # noqa: E402
from bot.storage.database import Database  # noqa: E402

API = "http://127.0.0.1:9/api/"  # never called: no token is expiring


def run(url: str, workspaces: int) -> tuple[float, float, float]:
    """Median µs per client_for: single-workspace mode, OAuth's first lookup, OAuth's lookup within the minute."""
    db = Database(url)
    db.migrate()
    store = Store("1.2", db)
    for n in range(workspaces):
        store.save(Installation(app_id="A1", team_id=f"T{n:06d}", user_id="U1", bot_token=f"xoxb-{n}", bot_id="B1"))
    clock = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    single = Installations("xoxb-single", API)
    oauth = Installations(None, API, oauth=Rotation(store, "1.2", "secret", API, clock), db=db, clock=clock)
    teams = [f"T{n:06d}" for n in range(workspaces)]
    random.Random(7).shuffle(teams)
    single.client_for(teams[0])
    results = []
    for installations in (single, oauth, oauth):
        times = []
        for team in teams:
            start = time.perf_counter()
            client = installations.client_for(team)
            times.append(time.perf_counter() - start)
            assert client.token == ("xoxb-single" if installations is single else f"xoxb-{int(team[1:])}")
        results.append(statistics.median(times) * 1e6)
    db.dispose()
    return results[0], results[1], results[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    args = parser.parse_args()
    print(f"{args.workspaces} workspaces installed; median µs per client_for")
    print("| database | single workspace (SLACK_BOT_TOKEN) | OAuth, first lookup | OAuth, within the minute |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        single, cold, warm = run(f"sqlite:///{folder}/tokens.db", args.workspaces)
        print(f"| SQLite | {single:.1f} | {cold:.1f} | {warm:.1f} |")
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_database(PG_ADMIN_URL))
        except Exception as err:  # noqa: BLE001 - no server: say so and stop
            print(f"PostgreSQL skipped: {shown(PG_ADMIN_URL)} ({type(err).__name__})")
            return
        single, cold, warm = run(url, args.workspaces)
        print(f"| PostgreSQL | {single:.1f} | {cold:.1f} | {warm:.1f} |")


if __name__ == "__main__":
    main()

"""Pulling 10,000 calls from HubSpot: one `salescoach sync-crm` pass, time and HubSpot requests per call.

A HubSpot stand-in (bot.crm.standin) holds 10,000 calls logged by 10 reps on 100 companies over a week, one a
minute; the bot's workspace is connected to it and its reps matched to their HubSpot users. One pass
(`bot.usecases.crm.sync`) reads them, page by page, and records each as `/call` would (SQLite, a fresh file).

Beside it, in the same run, the baseline: the least the API allows, the same calls read page by page through the
same client with the same filter and nothing else (50 search pages of 200; HubSpot's search pages hold at most 200).

    .venv/bin/python bench/bench_sync.py [--calls 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet  # noqa: E402

from bench.common import publish  # noqa: E402
from bot import runtime as runtime_module  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.crm.hubspot import PAGE, HubSpot  # noqa: E402
from bot.crm.standin import STANDARD_DISPOSITIONS, HubSpotStandIn  # noqa: E402
from bot.slack.standin import SlackStandIn, Workspace  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.usecases import crm  # noqa: E402

TOKEN = "pat-eu1-bench"
TEAM = "T0BENCH01"
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
REPS = 10
COMPANIES = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    calls = parser.parse_args().calls

    moment = [START]
    hubspot = HubSpotStandIn({TOKEN}, clock=lambda: moment[0]).start()
    users = {
        f"U0REP{n:02d}": {
            "name": f"rep{n}",
            "real_name": f"Rep {n}",
            "tz": "Europe/Amsterdam",
            "email": f"rep{n}@x.example",
        }
        for n in range(REPS)
    }
    slack = SlackStandIn(Workspace(team_id=TEAM, users=users), rate_limit=None, record=False).start()
    owners = [hubspot.portal.add_owner(f"rep{n}@x.example", "Rep", str(n)) for n in range(REPS)]
    companies = [hubspot.portal.add_company(f"Company {n:03d}") for n in range(COMPANIES)]
    dispositions = list(STANDARD_DISPOSITIONS)
    for n in range(calls):
        moment[0] = START + dt.timedelta(minutes=n)
        hubspot.portal.log_call(
            owners[n % REPS], dispositions[n % len(dispositions)], moment[0], associate=companies[n % COMPANIES]
        )
    moment[0] = START + dt.timedelta(days=8)

    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        db.migrate()
        config = Config(
            bot_token="xoxb-bench",
            signing_secret="bench",
            app_token=None,
            slack_api_url=slack.api_url,
            database_url=db.url,
            port=0,
            hubspot_api_url=hubspot.api_url,
            secret_key=Fernet.generate_key().decode(),
        )
        rt = runtime_module.build(config, clock=lambda: moment[0], db=db)
        for user in users:
            rt.reps.profile(TEAM, user)
        assert crm.connect(rt, TEAM, "U0REP00", TOKEN) is None

        # Baseline: the bare paging the API allows, through the same client and filter.
        client = HubSpot(TOKEN, hubspot.api_url)
        hubspot.reset_counts()
        began = time.perf_counter()
        cursor, after, read = START - dt.timedelta(minutes=1), None, 0
        while True:
            page = client.calls_changed(cursor, after)
            read += len(page.calls)
            if page.after is None:
                break
            cursor, after = max(crm._moment(c["properties"]["hs_lastmodifieddate"]) for c in page.calls), None
        bare_seconds, bare_requests = time.perf_counter() - began, sum(hubspot.counts.values())
        assert read >= calls

        hubspot.reset_counts()
        began = time.perf_counter()
        report = crm.sync(rt, TEAM, since=START - dt.timedelta(minutes=1))
        seconds = time.perf_counter() - began
        requests = dict(hubspot.counts)
        rt.close()
        db.dispose()
    hubspot.stop()
    slack.stop()

    assert report.recorded == calls, report
    total = sum(requests.values())
    minimum = math.ceil(calls / PAGE)
    rows = [
        "| pass | calls | time | per call | HubSpot requests | requests per call |",
        "|---|---:|---:|---:|---:|---:|",
        f"| sync (`salescoach sync-crm`) | {calls} | {seconds:.2f} s | {seconds / calls * 1000:.2f} ms | {total} | "
        f"{total / calls:.4f} |",
        f"| bare paging (baseline) | {read} | {bare_seconds:.2f} s | {bare_seconds / read * 1000:.2f} ms | "
        f"{bare_requests} | {bare_requests / read:.4f} |",
        f"| the least HubSpot's paging allows | {calls} | | | {minimum} | {minimum / calls:.4f} |",
    ]
    detail = ", ".join(f"{name} {n}" for name, n in sorted(requests.items()))
    text = "\n".join(rows) + f"\n\nThe sync's requests by endpoint: {detail}.\nReport: {report}\n"
    publish(text, "sync.md")


if __name__ == "__main__":
    main()

"""Benchmark `/lead <name>`: finding a lead among a team's 10,000 and drawing its card of 300 calls.

    .venv/bin/python bench/bench_leadcard.py            # SQLite, and PostgreSQL when a server answers
    .venv/bin/python bench/bench_leadcard.py --quick    # fewer leads and repetitions

The use case (`bot.usecases.leadcard.lead`) runs in this process on a real database and a real runtime, its Slack
calls going to the stand-in. The team has 10,000 leads (two- and three-word company names with legal forms) and
one lead with 300 calls by 5 reps. Three queries: an exact name with another legal form (the card of 300 calls),
a part of a name with a typo (the card), and a name nothing matches (the "none" answer). The baseline, measured
in the same run on the same database, is the least any search by name must do: read the team's lead names (their
keys). Each figure is the median of the repetitions, after one warm-up. The report is printed and written to
bench/results/leadcard.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from bench.common import BOT_TOKEN, SECRET, TEAM, publish  # noqa: E402
from bench.throwaway_postgres import PG_ADMIN_URL, server_version, shown, throwaway_database  # noqa: E402
from bot import runtime as runtime_module  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.slack.standin import SlackStandIn, Workspace  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import Activity, Lead, Rep, Team  # noqa: E402
from bot.usecases import leadcard  # noqa: E402
from coaching.parser import normalize_lead  # noqa: E402

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
REPS = [f"U0REP{i:04d}" for i in range(5)]
USERS = {user: {"name": user.lower(), "real_name": f"Rep {i}", "tz": "Europe/Amsterdam"} for i, user in enumerate(REPS)}
WORDS = (
    "acme globex initech umbrella stark wayne hooli vandelay bakkerij drukkerij hotel tandarts fietsen bloemen "
    "noord zuid oost west holland brabant delta polder haven molen kaas tulp dijk gracht water licht stad "
    "systems logistics foods partners health tools labs aviation dental print traders homes media legal"
).split()
FORMS = ("BV", "B.V.", "Ltd", "GmbH", "NV", "", "")
OUTCOMES = ("no-answer", "voicemail", "busy", "gatekeeper", "connected", "callback")
TARGET = "Hoogendijk Installatietechniek BV"
QUERIES = (
    ("exact name, other legal form: card of 300 calls", "hoogendijk installatietechniek b.v."),
    ("part of a name with a typo: card", "hoogendyk"),
    ("nothing matches: how to ask", "zzyzx quux"),
)


def populate(db: Database, leads: int, rng: random.Random) -> None:
    """The team, its reps, `leads` leads and 300 calls on the target lead, in a few bulk inserts."""
    with db.transaction() as session:
        session.add(Team(id=TEAM, name="bench", settings={}, created_at=NOW))
        session.flush()
        for user in REPS:
            session.add(Rep(team_id=TEAM, user_id=user, name=USERS[user]["real_name"], tz="Europe/Amsterdam",
                            locale="en-GB", profile_fetched_at=NOW, created_at=NOW))  # fmt: skip
        names = {TARGET}
        while len(names) < leads:
            words = rng.sample(WORDS, rng.choice((2, 2, 3)))
            names.add(" ".join(w.capitalize() for w in words) + (" " + rng.choice(FORMS)).rstrip() + f" {len(names)}")
        session.execute(
            insert(Lead),
            [
                {"team_id": TEAM, "key": normalize_lead(n), "name": n, "owner_id": REPS[0], "attempts": 1,
                 "unreached_attempts": 1, "cadence": "active", "last_outcome": "no-answer",
                 "last_attempt_at": NOW - dt.timedelta(days=1), "created_at": NOW}
                for n in sorted(names)
            ],
        )  # fmt: skip
        target = session.scalar(select(Lead.id).where(Lead.name == TARGET))
        start = NOW - dt.timedelta(days=300)
        session.execute(
            insert(Activity),
            [
                {"team_id": TEAM, "user_id": REPS[i % len(REPS)], "kind": "call",
                 "started_at": start + dt.timedelta(days=i), "ended_at": start + dt.timedelta(days=i),
                 "outcome": rng.choice(OUTCOMES), "lead_id": target, "attempt": i + 1, "researched": i % 3 == 0,
                 "decision_maker": i % 50 == 0, "note": f"note {i}: " + "spoke to reception " * rng.randint(0, 20),
                 "source": "command", "created_at": NOW}
                for i in range(300)
            ],
        )  # fmt: skip


def median_ms(run, repeat: int) -> float:
    """The median wall time of `run` in milliseconds, after one warm-up."""
    run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(url: str, label: str, leads: int, repeat: int, slack: SlackStandIn) -> list[str]:
    """The table rows of one database."""
    db = Database(url)
    db.migrate()
    populate(db, leads, random.Random(7))
    config = Config(BOT_TOKEN, SECRET, None, slack.api_url, url, 0)
    rt = runtime_module.build(config, clock=lambda: NOW, db=db)
    try:

        def names() -> None:
            with db.read() as session:
                session.connection().execute(select(Lead.id, Lead.key).where(Lead.team_id == TEAM)).all()

        baseline = median_ms(names, repeat)
        rows = [f"| {label} | read the team's {leads:,} lead names (baseline) | {baseline:.1f} | 1.0 |"]
        for what, query in QUERIES:
            reply = leadcard.lead(rt, TEAM, REPS[0], query)
            blocks = len(reply.blocks or [])
            took = median_ms(lambda q=query: leadcard.lead(rt, TEAM, REPS[0], q), repeat)
            rows.append(f"| {label} | `/lead {query}`: {what} ({blocks} blocks) | {took:.1f} | {took / baseline:.1f} |")
        return rows
    finally:
        rt.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 leads, 5 repetitions")
    args = parser.parse_args()
    leads, repeat = (1_000, 5) if args.quick else (10_000, 21)
    slack = SlackStandIn(Workspace(team_id=TEAM, users=USERS)).start()
    rows: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            rows += measure(f"sqlite:///{folder}/bench.db", "SQLite", leads, repeat, slack)
        try:
            version = server_version()
        except Exception as err:  # noqa: BLE001 - no server: SQLite alone, said so
            rows.append(f"| PostgreSQL | not measured: no server at {shown(PG_ADMIN_URL)} ({type(err).__name__}) | | |")
        else:
            with throwaway_database() as url:
                rows += measure(url, f"PostgreSQL {version.split()[0]}", leads, repeat, slack)
    finally:
        slack.stop()
    report = "\n".join(
        [
            f"# /lead: {leads:,} leads, a card of 300 calls (median of {repeat}, ms)",
            "",
            f"Python {platform.python_version()}, {platform.machine()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            "",
            "| database | what | ms | × baseline |",
            "|---|---|---:|---:|",
            *rows,
        ]
    )
    publish(report, "leadcard.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: evaluate a day for 10,000 reps with ~100 activities each.

Run: .venv/bin/python bench/bench_evaluate.py [--reps N] [--seed S]

The data is seeded random but shaped like a rep's day (mostly calls, logged work, a few breaks and a focus block)
and handed over shuffled, the worst case for the engine's sort. The baseline, measured in the same run, is the time
merely to build the input records, so the ratio says what evaluating costs relative to creating the data at all.
Both are timed with the garbage collector on; the built inputs are frozen (gc.freeze) before evaluating.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coaching.domain import Activity, ActivityKind, LeadSummary, Outcome, WorkType  # noqa: E402
from coaching.engine import evaluate  # noqa: E402
from coaching.settings import CoachSettings  # noqa: E402

DAY = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
NOW = DAY + dt.timedelta(hours=17)
OUTCOMES = list(Outcome)
# Roughly the mix of a cold-calling day: most dials go unanswered.
OUTCOME_WEIGHTS = [50, 20, 5, 8, 3, 6, 2, 4, 2]
WORK = [WorkType.EMAIL, WorkType.RESEARCH, WorkType.ADMIN, WorkType.MEETING, WorkType.PREP]
TARGET_ACTIVITIES = 100


def plan_rep(rng: random.Random, rep: int) -> tuple[list[tuple], list[tuple]]:
    """The raw numbers of one rep's day (drawn before timing, so the baseline doesn't time the random generator)."""
    rows: list[tuple] = []
    minute = rng.randint(7 * 60, 9 * 60)
    next_id = rep * 1000
    while len(rows) < TARGET_ACTIVITIES - 4:
        next_id += 1
        roll = rng.random()
        if roll < 0.72:
            outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
            rows.append((next_id, ActivityKind.CALL, minute, 0, outcome, None, rng.random() < 0.5))
            minute += rng.randint(1, 6)
        elif roll < 0.95:
            length = rng.randint(3, 40)
            rows.append((next_id, ActivityKind.WORK, minute, length, None, rng.choice(WORK), False))
            minute += length + rng.randint(0, 5)
        else:
            length = rng.randint(5, 15)
            rows.append((next_id, ActivityKind.BREAK, minute, length, None, None, False))
            minute += length
    for _ in range(rng.randint(1, 2)):
        next_id += 1
        rows.append((next_id, ActivityKind.FOCUS, rng.randint(9 * 60, 15 * 60), 60, None, rng.choice(WORK), False))
    rng.shuffle(rows)
    leads = [(f"lead-{rep}-{i}", rng.randint(1, 8), rng.random() < 0.3, rng.random() < 0.4) for i in range(20)]
    return rows, leads


def build(plans: list[tuple[list[tuple], list[tuple]]]) -> list[tuple[list[Activity], list[LeadSummary]]]:
    """The input records: what the caller has to create before any coaching happens."""
    inputs = []
    last = NOW - dt.timedelta(days=2)
    for rows, lead_rows in plans:
        activities = [
            Activity(
                id=ident,
                kind=kind,
                started_at=DAY + dt.timedelta(minutes=start),
                ended_at=DAY + dt.timedelta(minutes=start + length),
                outcome=outcome,
                work=work,
                researched=flag,
                first_attempt=flag,
                decision_maker=outcome is Outcome.CONNECTED,
            )
            for ident, kind, start, length, outcome, work, flag in rows
        ]
        leads = [
            LeadSummary(key, key, attempts, reached, pending, None, last)
            for key, attempts, reached, pending in lead_rows
        ]
        inputs.append((activities, leads))
    return inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    plans = [plan_rep(rng, rep) for rep in range(args.reps)]
    settings = CoachSettings()
    gc.collect()

    started = time.perf_counter()
    inputs = build(plans)
    build_s = time.perf_counter() - started

    # The inputs stay alive for the whole run, which a real caller (one rep at a time) never does; freeze them so
    # the collector doesn't re-scan a million live records on every collection and bill that to evaluate.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    findings = 0
    for activities, leads in inputs:
        findings += len(evaluate(activities, leads, settings, NOW))
    evaluate_s = time.perf_counter() - started

    activities = sum(len(a) for a, _ in inputs)
    ratio = evaluate_s / build_s
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"reps: {args.reps:,}, activities: {activities:,} ({activities / args.reps:.0f} per rep), seed {args.seed}")
    print(f"build input (baseline): {build_s:.3f} s")
    print(f"evaluate:               {evaluate_s:.3f} s ({evaluate_s / args.reps * 1e6:.0f} µs per rep, target < 2 s)")
    print(f"ratio evaluate/build:   {ratio:.2f}")
    print(f"findings: {findings:,} ({findings / args.reps:.1f} per rep)")
    print()
    print("| reps | activities/rep | build input | evaluate | per rep | ratio | python |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.reps:,} | {activities / args.reps:.0f} | {build_s:.2f} s | {evaluate_s:.2f} s"
        f" | {evaluate_s / args.reps * 1e6:.0f} µs | {ratio:.2f}× | {python} |"
    )


if __name__ == "__main__":
    main()

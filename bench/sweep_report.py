"""The sweep benchmark's report: what each backend measured, as markdown, with a few lines on what it says."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass, field

from bench.sweep_data import AMSTERDAM, NOW, Plan
from bench.sweep_sql import QueryRow
from bench.sweep_timing import SweepResult
from bot.outbox.sweep import BATCH

TARGET_OWN_MS = 2.0


@dataclass
class BackendResult:
    name: str
    detail: str
    plan: Plan
    build_s: float = 0.0
    queries: list[QueryRow] = field(default_factory=list)
    explains: list[tuple[str, str]] = field(default_factory=list)
    sweeps: list[SweepResult] = field(default_factory=list)
    bare_s: float = 0.0
    bare_n: int = 0

    @property
    def bare_ms(self) -> float:
        """One bare chat.postMessage call."""
        return self.bare_s * 1000 / max(self.bare_n, 1)


def fmt_ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def met(own_ms: float) -> str:
    return "met" if own_ms < TARGET_OWN_MS else "MISSED"


def slack_calls(sweep: SweepResult) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(sweep.slack_calls.items()))


def report(plan: Plan, results: list[BackendResult], skipped: list[str], elapsed: float, load_start: float) -> str:
    when = dt.datetime.now(dt.UTC)
    lines = [
        f"# Outbox sweep: {plan.total:,} open cadences, {plan.due:,} due ({when:%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}. "
        f"Sweep instant {NOW.astimezone(AMSTERDAM):%A %Y-%m-%d %H:%M} Amsterdam; {plan.reps} reps (DM channel "
        f"known); batch {BATCH}. Slack stand-in (bot.slack.standin) in its own process, no rate limit; slack_sdk "
        f"WebClient opens a connection per call. Scaling: {plan.scale:,} rows (the extra rows half pending-later, "
        f"half sent), same {plan.due:,} due, then {plan.backlog:,} due. Run took {elapsed:.0f} s; load average "
        f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (other work on the machine inflates "
        "wall times; CPU times less so).",
        "",
    ]
    for reason in skipped:
        lines += [f"- {reason}", ""]
    for res in results:
        lines += backend_markdown(res)
    return "\n".join(lines).rstrip() + "\n"


def backend_markdown(res: BackendResult) -> list[str]:
    main = res.sweeps[0]
    n = max(main.sent, 1)
    lines = [f"## {res.name}", "", res.detail, "", *verdicts(res), ""]
    lines += [
        f"### One sweep: {main.label}",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| nudges sent / due | {main.sent:,} / {main.nudges:,} ({main.other}) |",
        f"| rows marked sent in the table by this sweep | {main.sent_rows:,} |",
        f"| wall time of `Sweeper.sweep(now)` | {main.wall_s:.2f} s |",
        f"| time per nudge, total | {fmt_ms(main.total_ms)} ms |",
        f"| inside Slack HTTP calls (slack_sdk `api_call`), per nudge | {fmt_ms(main.http_ms)} ms |",
        f"| inside the sweeper's `post` + `open_dm` callables, per nudge | "
        f"{fmt_ms(main.per_nudge_ms(main.post.seconds + main.open_dm.seconds))} ms |",
        f"| **our own time per nudge** (total - Slack HTTP) | **{fmt_ms(main.own_ms)} ms** "
        f"(target < {TARGET_OWN_MS:g} ms: {met(main.own_ms)}) |",
        f"| our own time per nudge (total - `post`/`open_dm` callables) | {fmt_ms(main.own_callables_ms)} ms |",
        f"| CPU time of this process per nudge, outside Slack HTTP calls | {fmt_ms(main.own_cpu_ms)} ms |",
        f"| `claim()` calls in the sweep x mean time | {main.claim.calls} x "
        f"{fmt_ms(main.claim.seconds * 1000 / max(main.claim.calls, 1))} ms = "
        f"{fmt_ms(main.per_nudge_ms(main.claim.seconds))} ms per nudge |",
        f"| SQL statements per nudge | {main.statements / n:.1f} |",
        f"| Slack calls the stand-in saw | {slack_calls(main)} |",
        f"| baseline: {res.bare_n:,} bare `chat.postMessage` calls with WebClient, same message | "
        f"{res.bare_s:.2f} s = {fmt_ms(res.bare_ms)} ms per call |",
        f"| our own time per nudge vs one bare Slack call | {main.own_ms / res.bare_ms:.2f}x |",
        "",
    ]
    if len(res.sweeps) > 1:
        lines += [
            "Other sweeps in the same run (per nudge, ms):",
            "",
            "| sweep | sent | total | Slack HTTP | own (total - HTTP) | own CPU | SQL statements | Slack calls |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for sw in res.sweeps:
            lines.append(
                f"| {sw.label} | {sw.sent:,} | {fmt_ms(sw.total_ms)} | {fmt_ms(sw.http_ms)} | {fmt_ms(sw.own_ms)} | "
                f"{fmt_ms(sw.own_cpu_ms)} | {sw.statements / max(sw.sent, 1):.1f} | {slack_calls(sw)} |"
            )
        lines.append("")
    if main.claim_sql_matches is False:
        lines += [
            "**Note:** the claim SQL the sweep sent differs from this script's mirror of `bot.outbox.sweep.claim`.",
            "",
        ]
    lines += [
        "### The due-row query",
        "",
        f"Median of repeated runs. `SELECT` is the claim's inner query (LIMIT {BATCH}); `claim` is the whole "
        "`UPDATE ... RETURNING` (rolled back each time). Without index: both partial indexes dropped inside a "
        "rolled-back transaction.",
        "",
        "| rows | due | query | partial indexes | SELECT ms | claim ms | plan on nudges |",
        "| ---: | ---: | --- | --- | ---: | ---: | --- |",
    ]
    for q in res.queries:
        lines.append(
            f"| {q.rows:,} | {q.due:,} | {q.variant} | {'yes' if q.index else 'dropped'} | {fmt_ms(q.select_ms)} | "
            f"{fmt_ms(q.claim_ms)} | {q.plan.replace('|', '/')} |"
        )
    lines.append("")
    explain = "EXPLAIN ANALYZE" if res.name.startswith("PostgreSQL") else "EXPLAIN QUERY PLAN"
    for title, plan in res.explains:
        lines += [f"{explain}: {title}", "", "```", plan, "```", ""]
    if main.profile:
        lines += [
            "Profile of the sweep (our code by cumulative time, then everything by own time):",
            "",
            "```",
            main.profile.strip(),
            "```",
            "",
        ]
    return lines


def verdicts(res: BackendResult) -> list[str]:
    """What the numbers say, in a few lines."""
    p = res.plan
    main = res.sweeps[0]
    out = [
        f"- Our own time per nudge: **{fmt_ms(main.own_ms)} ms** wall, {fmt_ms(main.own_cpu_ms)} ms CPU "
        f"(target < {TARGET_OWN_MS:g} ms: {met(main.own_ms)}); one bare Slack call costs {fmt_ms(res.bare_ms)} ms.",
    ]
    q = {(r.rows, r.due, r.variant, r.index): r for r in res.queries}
    try:
        small, big = q[(p.total, p.due, "OR (before)", True)], q[(p.scale, p.due, "OR (before)", True)]
        s_no, b_no = q[(p.total, p.due, "OR (before)", False)], q[(p.scale, p.due, "OR (before)", False)]
        back = q[(p.scale, p.backlog, "OR (before)", True)]
        u_small = q[(p.scale, p.due, "UNION ALL (current)", True)]
        u_back = q[(p.scale, p.backlog, "UNION ALL (current)", True)]
    except KeyError:
        return out
    out += [
        f"- Due-row query with one OR (before), {p.due:,} due: SELECT {fmt_ms(small.select_ms)} ms at "
        f"{p.total:,} rows, {fmt_ms(big.select_ms)} ms at {p.scale:,} rows (x{big.select_ms / small.select_ms:.1f} "
        f"for x{p.scale / p.total:.0f} rows); without the partial indexes {fmt_ms(s_no.select_ms)} -> "
        f"{fmt_ms(b_no.select_ms)} ms (x{b_no.select_ms / s_no.select_ms:.1f}). Plan: {small.plan}.",
        f"- With {p.backlog:,} due of {p.scale:,}: SELECT with one OR (before) {fmt_ms(back.select_ms)} ms "
        f"(x{back.select_ms / big.select_ms:.1f} for x{p.backlog / p.due:.0f} due rows: it reads every due row "
        f"and sorts them, for each batch of {BATCH}), claim {fmt_ms(back.claim_ms)} ms; UNION ALL of the two "
        f"index-backed selects {fmt_ms(u_small.select_ms)} -> {fmt_ms(u_back.select_ms)} ms, claim "
        f"{fmt_ms(u_small.claim_ms)} -> {fmt_ms(u_back.claim_ms)} ms (reads {BATCH} rows per arm).",
    ]
    return out

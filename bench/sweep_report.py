"""The sweep benchmark's report: what each backend measured, as markdown, with a few lines on what it says."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass, field

from bench.sweep_data import AMSTERDAM, NOW, Plan, Seeded
from bench.sweep_sql import QueryRow
from bench.sweep_timing import SweepResult
from bot.outbox.sweep import BATCH
from bot.usecases.daylist import LIST

TARGET_OWN_MS = 2.0


@dataclass
class BackendResult:
    name: str
    detail: str
    plan: Plan
    seeded: Seeded | None = None
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
    ratio = f"{own_ms / TARGET_OWN_MS:.2f}x the target"
    return f"met, {ratio}" if own_ms < TARGET_OWN_MS else f"MISSED, {ratio}"


def statements(sweep: SweepResult) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(sweep.statements.items()))


def slack_calls(sweep: SweepResult) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(sweep.slack_calls.items()))


def report(plan: Plan, results: list[BackendResult], skipped: list[str], elapsed: float, load_start: float) -> str:
    when = dt.datetime.now(dt.UTC)
    lines = [
        f"# Outbox sweep: {plan.total:,} open cadences, {plan.due:,} due, {plan.reps:,} reps' day lists "
        f"({when:%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}. "
        f"Sweep instant {NOW.astimezone(AMSTERDAM):%A %Y-%m-%d %H:%M} Amsterdam; {plan.reps:,} reps (DM channel "
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
    followups, lists = max(main.listed, 1), max(main.messages, 1)
    lines = [f"## {res.name}", "", res.detail, "", *verdicts(res), ""]
    lines += [
        f"### One sweep: {main.label}",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| follow-ups listed / expected (every one due before the rep's day ends) | {main.listed:,} / "
        f"{main.expected_listed:,} |",
        f"| list messages sent + updated / expected | {main.sent:,} + {main.updated:,} / "
        f"{main.expected_messages:,} ({main.other}) |",
        f"| wall time of `Sweeper.sweep(now)` | {main.wall_s:.2f} s |",
        f"| inside Slack HTTP calls (slack_sdk `api_call`) | {main.http.seconds:.2f} s = "
        f"{fmt_ms(main.per(main.http.seconds, main.messages))} ms per list message |",
        f"| **our own time per follow-up listed** (total - Slack HTTP, lists included) | "
        f"**{fmt_ms(main.own_ms)} ms** (target < {TARGET_OWN_MS:g} ms: {met(main.own_ms)}) |",
        f"| **our own time per list message** (total - Slack HTTP) | **{fmt_ms(main.own_per_message_ms)} ms** |",
        f"| CPU time of this process per follow-up listed, outside Slack HTTP calls | {fmt_ms(main.own_cpu_ms)} ms |",
        f"| own time delivering follow-up rows (joins) | {main.kind_own_s('followup'):.2f} s |",
        f"| own time delivering list rows (gather, render, mark) | {main.kind_own_s(LIST):.2f} s = "
        f"{fmt_ms(main.per(main.kind_own_s(LIST), lists))} ms per list |",
        f"| own time outside deliveries (claims, the loop) | {main.rest_s:.2f} s; `claim()` {main.claim.calls} x "
        f"{fmt_ms(main.claim.seconds * 1000 / max(main.claim.calls, 1))} ms |",
        f"| SQL statements | {main.statements_total:,}: {statements(main)} |",
        f"| SQL statements per follow-up listed / per list message | {main.statements_total / followups:.1f} / "
        f"{main.statements[LIST] / lists:.1f} (the list's own) |",
        f"| Slack calls the stand-in saw | {slack_calls(main)} |",
        f"| baseline: {res.bare_n:,} bare `chat.postMessage` calls with WebClient, the same list message | "
        f"{res.bare_s:.2f} s = {fmt_ms(res.bare_ms)} ms per call |",
        f"| our own time per list message vs one bare Slack call | {main.own_per_message_ms / res.bare_ms:.2f}x |",
        "",
    ]
    if len(res.sweeps) > 1:
        lines += [
            "Every sweep in the same run (own = total - Slack HTTP):",
            "",
            "| sweep | listed | lists sent + updated | wall s | own ms per follow-up | own ms per list message "
            "| own CPU ms per follow-up | SQL statements | Slack calls |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for sw in res.sweeps:
            lines.append(
                f"| {sw.label} | {sw.listed:,} | {sw.sent:,} + {sw.updated:,} | {sw.wall_s:.2f} | "
                f"{fmt_ms(sw.own_ms)} | {fmt_ms(sw.own_per_message_ms)} | {fmt_ms(sw.own_cpu_ms)} | "
                f"{statements(sw)} | {slack_calls(sw)} |"
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
        f"- Our own time per follow-up listed, its list included: **{fmt_ms(main.own_ms)} ms** wall, "
        f"{fmt_ms(main.own_cpu_ms)} ms CPU (target < {TARGET_OWN_MS:g} ms: {met(main.own_ms)}); per list message "
        f"{fmt_ms(main.own_per_message_ms)} ms; one bare Slack call costs {fmt_ms(res.bare_ms)} ms.",
    ]
    seeded = res.seeded
    if seeded is None:
        return out
    q = {(r.rows, r.due, r.variant, r.index): r for r in res.queries}
    try:
        due, built = seeded.due, seeded.built
        small, big = q[(built, due, "OR (before)", True)], q[(p.scale, due, "OR (before)", True)]
        s_no, b_no = q[(built, due, "OR (before)", False)], q[(p.scale, due, "OR (before)", False)]
        back = q[(p.scale, p.backlog, "OR (before)", True)]
        u_small = q[(p.scale, due, "UNION ALL (current)", True)]
        u_back = q[(p.scale, p.backlog, "UNION ALL (current)", True)]
    except KeyError:
        return out
    out += [
        f"- Due-row query with one OR (before), {due:,} due: SELECT {fmt_ms(small.select_ms)} ms at "
        f"{built:,} rows, {fmt_ms(big.select_ms)} ms at {p.scale:,} rows (x{big.select_ms / small.select_ms:.1f} "
        f"for x{p.scale / built:.0f} rows); without the partial indexes {fmt_ms(s_no.select_ms)} -> "
        f"{fmt_ms(b_no.select_ms)} ms (x{b_no.select_ms / s_no.select_ms:.1f}). Plan: {small.plan}.",
        f"- With {p.backlog:,} due of {p.scale:,}: SELECT with one OR (before) {fmt_ms(back.select_ms)} ms "
        f"(x{back.select_ms / big.select_ms:.1f} for x{p.backlog / due:.0f} due rows: it reads every due row "
        f"and sorts them, for each batch of {BATCH}), claim {fmt_ms(back.claim_ms)} ms; UNION ALL of the two "
        f"index-backed selects {fmt_ms(u_small.select_ms)} -> {fmt_ms(u_back.select_ms)} ms, claim "
        f"{fmt_ms(u_small.claim_ms)} -> {fmt_ms(u_back.claim_ms)} ms (reads {BATCH} rows per arm).",
    ]
    return out

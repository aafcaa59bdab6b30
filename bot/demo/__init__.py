"""`salescoach demo`: the whole coach working through a scripted week, offline, on this machine.

The real stack runs: the app over HTTP with signed requests, a fresh SQLite database, the real sweep job driven by
a simulated clock, and a local Slack stand-in (`bot.slack.standin`) that answers the Web API and records what the
bot sends. The demo prints a transcript, writes an HTML one, and fails (exit 1, naming what didn't arrive) when
an expected message is missing.

- `week`: the scripted week, step by step. `harness`: the real bot served over HTTP with a simulated clock.
- `workspace`: the demo's people and channel, played by the stand-in. `observed`: what was seen and expected.
- `terminal` and `page`: the transcripts, in the terminal and as HTML.
- `crm`: the team's HubSpot (the HubSpot stand-in) checked against what the coach recorded.

It drives the whole bot from outside, as the wiring does; nothing in the bot imports it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.demo.observed import Event, Expect, apology_failures, messages, quiet_hours_failures

DEFAULT_OUT = "salescoach-demo"


@dataclass
class DemoResult:
    """What a demo run did."""

    failures: list[str]
    events: list[Event]
    expectations: list[Expect]
    out: Path
    html: Path
    seconds: float
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every expected message arrived and nothing went wrong, 1 otherwise."""
        return 1 if self.failures else 0


def run(out: str | os.PathLike[str] | None = None, *, quiet: bool = False, stream: TextIO | None = None) -> DemoResult:
    """Play the week; write transcript.html, transcript.txt and demo.db into `out` (default ./salescoach-demo).

    The transcript goes to `stream` (default stdout) as it happens; `quiet` prints only the outcome.
    """
    from bot.demo.crm import hubspot_failures
    from bot.demo.harness import DemoBot
    from bot.demo.page import Page
    from bot.demo.terminal import Printer
    from bot.demo.week import START, Week, play

    started = time.monotonic()
    stream = stream if stream is not None else sys.stdout
    folder = Path(out or DEFAULT_OUT).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "demo.db"
    for stale in (database, folder / "demo.db-wal", folder / "demo.db-shm"):
        stale.unlink(missing_ok=True)  # a fresh database each run
    printer = Printer(None if quiet else stream)
    title = "Sales Coach demo: a week of a small sales team, played offline against the real bot."
    printer.line(title, styled=printer.style.bold(title))
    bot = DemoBot(f"sqlite:///{database}", START)
    printer.line(
        f"The app answers signed requests at {bot.url}/slack/events; the Slack stand-in at {bot.slack.api_url}"
    )
    printer.line(
        "Team: Anouk de Vries (rep, Amsterdam, Dutch), Sam Carter (rep, London, English), "
        "Petra Jansen (manager, Amsterdam, Dutch). Times are each person's own local time."
    )
    week = Week(bot, printer)
    try:
        play(week)
        hubspot = hubspot_failures(bot)
    finally:
        bot.close()
    events = bot.events
    invariants = {
        "no DM outside the rep's working hours (Mon-Fri 09:00-17:00 in their zone)": quiet_hours_failures(events),
        "no apology for an internal error": apology_failures(events),
        "the stand-in refused no Web API call": list(bot.refused),
        "no text Slack would render wrongly (a stray <, > or &)": list(bot.slack.findings),
        "every App Home chart is a PNG the bot uploaded": chart_failures(events, bot.slack.files),
        "every scripted click found its message": list(week.failures),
        "HubSpot has every call logged in Slack once (owner, company), and the one logged there came in": hubspot,
    }
    failures = [f for f in (x.failure(events) for x in week.expectations) if f]
    failures += [f for found in invariants.values() for f in found]
    seconds = time.monotonic() - started
    html = Page(events, bot.slack.files, week.expectations, invariants, seconds).write(folder / "transcript.html")
    result = DemoResult(failures, events, week.expectations, folder, html, seconds, dict(bot.slack.files))
    _report(result, printer, stream, week.sweeps)
    (folder / "transcript.txt").write_text("\n".join(printer.lines) + "\n", encoding="utf-8")
    return result


def chart_failures(events: list[Event], files: dict[str, bytes]) -> list[str]:
    """Every image an App Home shows must be a PNG the bot uploaded."""
    failures = []
    for event in events:
        for block in event.blocks if event.kind == "home" else []:
            if block.get("type") != "image":
                continue
            file_id = (block.get("slack_file") or {}).get("id")
            if not files.get(file_id or "", b"").startswith(b"\x89PNG"):
                failures.append(f"the chart on an App Home names file {file_id!r}, which was never uploaded as a PNG")
    return failures


def _report(result: DemoResult, printer: object, stream: TextIO, sweeps: int) -> None:
    from bot.demo.terminal import Printer

    assert isinstance(printer, Printer)
    count, expected = messages(result.events), len(result.expectations)
    printer.line()
    if result.failures:
        head = f"✗ FAILED: {len(result.failures)} problem(s):"
        printer.line(head, styled=printer.style.bad(head))
        for failure in result.failures:
            printer.line(f"  - {failure}", styled=printer.style.bad(f"  - {failure}"))
    else:
        line = f"✓ All {expected} expected messages arrived; no DM outside working hours; no errors."
        printer.line(line, styled=printer.style.good(line))
    printer.line(f"{count} messages from the bot, {sweeps} sweeps of the outbox, in {result.seconds:.1f} s.")
    printer.line(f"HTML transcript (open it in a browser): {result.html}")
    if printer.out is None:  # --quiet: the outcome and where to look
        status = f"FAILED, {len(result.failures)} problem(s)" if result.failures else "ok"
        print(
            f"salescoach demo: {status}: {count} messages, {expected} expectations, {result.seconds:.1f} s", file=stream
        )
        for failure in result.failures:
            print(f"  - {failure}", file=stream)
        print(f"HTML transcript: {result.html}", file=stream)


def quiet_logging() -> None:
    """Only warnings: the sweep logs each delivery at INFO, which would drown the transcript."""
    logging.getLogger().setLevel(logging.WARNING)


__all__ = ["DEFAULT_OUT", "DemoResult", "chart_failures", "quiet_logging", "run"]

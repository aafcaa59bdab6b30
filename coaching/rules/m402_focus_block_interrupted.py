"""M402: other work logged inside a focus block."""

from __future__ import annotations

from bisect import bisect_left

from coaching.domain import Activity, WorkType
from coaching.findings import Count, Finding
from coaching.rules.base import Rule, RuleContext


class FocusBlockInterrupted(Rule):
    """Other work logged inside a focus block.

    ## What it checks
    Each focus block today reserves its time for one kind of work. A call (kind "calls") or logged work of another
    kind that falls inside the block's time (a call between its start and end, work overlapping it) is an
    interruption. It fires on any interruption. A focus block without a work type is not judged.

    ## Why it matters
    A block only protects deep work while it holds one kind of work. Email or admin slipped into a calling block
    brings back the switch costs the block was meant to remove.

    ## What to do
    Park other work until the block ends (note it down), or plan a block of its own for it.

    ## Evidence
    - Rubinstein, Meyer & Evans 2001: task-switching costs grow with complexity. Grade A.
    - Mark, Gudith & Klocke 2008 (CHI, "The cost of interrupted work"): interrupted work is done faster, with more
      stress and frustration. Grade A.
    - Mark, Gonzalez & Harris 2005 (CHI, "No task left behind?"): 57% of working spheres were interrupted, and an
      interrupted sphere was resumed after about 25 minutes on average (field observation). Grade A-. The popular
      "23 minutes 15 seconds" comes from a 2008 interview with Mark, not from a paper: the coach doesn't quote it.
    """

    code = "M402"
    slug = "focus-block-interrupted"
    evidence = "Rubinstein, Meyer & Evans 2001 (A); Mark, Gudith & Klocke 2008 (A); Mark, Gonzalez & Harris 2005 (A-)"
    uses = {}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        blocks = [block for block in ctx.focus if block.work is not None and block.ended_at > block.started_at]
        if not blocks:
            return ()
        call_times = [call.started_at for call in ctx.calls]
        interruptions = interrupted = 0
        for block in blocks:
            found = 0
            if block.work is not WorkType.CALLS:
                # Calls are instants in order: those inside [start, end) are one slice of the list.
                found += bisect_left(call_times, block.ended_at) - bisect_left(call_times, block.started_at)
            for work in ctx.work:
                if work.started_at >= block.ended_at:
                    break
                if work.work is not None and work.work is not block.work and _overlaps(work, block):
                    found += 1
            interruptions += found
            interrupted += found > 0
        if not interruptions:
            return ()
        return self.advise(
            {"interruptions": Count(interruptions, "activity"), "blocks": Count(interrupted, "focus_block")}
        )


def _overlaps(work: Activity, block: Activity) -> bool:
    """Work overlapping the block for some time; work of no duration counts when it starts inside it."""
    start, end = work.started_at, work.ended_at
    if end <= start:
        return block.started_at <= start < block.ended_at
    return start < block.ended_at and end > block.started_at


RULE = FocusBlockInterrupted()

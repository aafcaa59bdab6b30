"""M102: first calls to new leads made without research."""

from __future__ import annotations

from coaching.findings import Finding
from coaching.rules.base import Rule, RuleContext, judged


class FirstCallsWithoutResearch(Rule):
    """First calls to new leads made without research.

    ## What it checks
    The rep's first calls to new leads today (`first_attempt`) and how many were logged without `+research`.
    It fires when more than `unresearched_share_max` (half) of them were unresearched, once there are at least
    `research_min_first_calls` (3) first calls. Both numbers are our defaults: no study gives a threshold.

    ## Why it matters
    A first call is the one chance to make a first impression. The top quartile of reps connect far more often
    because they work better lists, and successful cold calls are longer conversations: the rep had a reason to
    call. Two minutes on the company and the person supplies that reason and the right name to ask for.

    ## What to do
    Spend a couple of minutes per new lead before dialling (company, role, a trigger event) and log it with
    `+research`, or batch the research for the next block of first calls.

    ## Evidence
    - Gong/30MPC 2024: top-quartile connect rates come from better lists, not more dials. Grade B.
    - Gong Labs, 90,380 connected cold calls: successful calls run about twice as long. Grade B.
    - Hebert Research survey: 62% of reps prepare less than 20 minutes. Grade C.
    - The threshold is a default ("flag first calls with no research", surveys, a guess), and the tip says so.
    """

    code = "M102"
    slug = "first-calls-without-research"
    evidence = "Gong/30MPC 2024 (B); Gong Labs (B); Hebert Research (C)"
    uses = {"research_min_first_calls": "min_first_calls", "unresearched_share_max": "max_share_pct"}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        stats, settings = ctx.call_stats, ctx.settings
        share = judged(stats.unresearched_share, stats.first_calls, settings.research_min_first_calls)
        if share is None or share <= settings.unresearched_share_max:
            return ()
        return self.advise(
            {
                "first_calls": stats.first_calls,
                "unresearched": stats.unresearched_first_calls,
                "share_pct": share,
                "max_share_pct": settings.unresearched_share_max,
            }
        )


RULE = FirstCallsWithoutResearch()

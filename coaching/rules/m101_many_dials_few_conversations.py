"""M101: many dials, few conversations."""

from __future__ import annotations

from coaching.benchmarks import CONNECT_RATE_AVERAGE, CONNECT_RATE_TOP_QUARTILE
from coaching.findings import Finding
from coaching.rules.base import Rule, RuleContext, judged


class ManyDialsFewConversations(Rule):
    """Many dials, few conversations.

    ## What it checks
    The connect rate of the rep's day: calls that became a conversation (connected, meeting, not interested,
    call back, wrong person) divided by all dials. It fires when the rate is under `connect_rate_floor` (5%)
    after at least `connect_rate_min_dials` (20) dials, so a slow morning isn't judged on three calls.

    ## Why it matters
    More dials is not more selling. The average connect rate is 5.4% (about 19 dials per conversation) and the
    top quartile reaches 13.3%, and they get there with better lists, not more dials. A day far below average
    means the list, the timing or the numbers are wrong, and dialling harder only burns leads.

    ## What to do
    Before the next call block, trim the list to leads that fit and look up direct numbers.

    ## Evidence
    - Gong/30MPC 2024, 300M+ cold calls: average connect 5.4% of dials, top quartile 13.3%, from better lists
      rather than more dials. Grade B.
    - The 5% trigger is the evidence notes' default table ("flag <5% of dials"), just under the average.
    """

    code = "M101"
    slug = "many-dials-few-conversations"
    evidence = "Gong/30MPC 2024 (B)"
    uses = {"connect_rate_min_dials": "min_dials", "connect_rate_floor": "floor_pct"}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        stats, settings = ctx.call_stats, ctx.settings
        rate = judged(stats.connect_rate, stats.dials, settings.connect_rate_min_dials)
        if rate is None or rate >= settings.connect_rate_floor:
            return ()
        return self.advise(
            {
                "dials": stats.dials,
                "conversations": stats.conversations,
                "rate_pct": rate,
                "floor_pct": settings.connect_rate_floor,
                "average_pct": CONNECT_RATE_AVERAGE,
                "top_pct": CONNECT_RATE_TOP_QUARTILE,
            }
        )


RULE = ManyDialsFewConversations()

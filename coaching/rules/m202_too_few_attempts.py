"""M202: too few attempts, on average, before giving up on unreached leads."""

from __future__ import annotations

import math

from coaching.benchmarks import WIDELY_CITED_ATTEMPTS
from coaching.findings import Count, Finding
from coaching.metrics import average_attempts
from coaching.rules.base import Rule, RuleContext, judged


class TooFewAttempts(Rule):
    """Too few attempts, on average, before giving up on unreached leads.

    ## What it checks
    The rep's persistence as a habit: the average number of attempts on leads they stopped following up without
    ever reaching (not reached, nothing pending), last attempted within `lead_lookback_days` (14). It fires when
    the average is under `persistence_average_floor` (3) over at least `persistence_min_leads` (3) such leads.
    Both numbers are our defaults; M201 names the individual leads.

    ## Why it matters
    The widely cited figure is that reps stop after 1.3 attempts, while 93% of converted leads are reached by the
    sixth call. An average near 1 or 2 means most of the pipeline is abandoned before the calls that convert.

    ## What to do
    Run every new lead through a cadence of about 6 attempts over about two weeks, with widening gaps, before
    moving it to nurture.

    ## Evidence
    - Velocify, 3.5M leads: 93% of converted leads reached by the 6th call; more than 7 calls made conversion 45%
      less likely. Grade B.
    - 1.3 attempts: widely cited (InsideSales audits, ~2012). Grade C. Not HubSpot's research.
    - InsideSales cadence study: gaps between touches widen from ~17 h to ~7 days by attempt 8. Grade B.
    - The floor of 3 and the minimum of 3 leads are our defaults.
    """

    code = "M202"
    slug = "too-few-attempts"
    evidence = "Velocify (B); InsideSales audits (C)"
    uses = {
        "persistence_average_floor": "floor",
        "persistence_min_leads": "min_leads",
        "target_attempts": "target",
        "lead_lookback_days": None,
    }

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        settings, given_up = ctx.settings, ctx.given_up
        average = judged(average_attempts(given_up), len(given_up), settings.persistence_min_leads)
        if average is None or average >= settings.persistence_average_floor:
            return ()
        return self.advise(
            {
                "average": math.floor(average * 10) / 10,  # truncated: a rounded 2.96 would read "3, under 3"
                "leads": Count(len(given_up), "lead"),
                "widely_cited": WIDELY_CITED_ATTEMPTS,
                "floor": settings.persistence_average_floor,
                "target": Count(settings.target_attempts, "attempt"),
            }
        )


RULE = TooFewAttempts()

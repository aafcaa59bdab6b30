"""M201: a never-reached lead dropped after too few attempts."""

from __future__ import annotations

from coaching.findings import Count, Finding
from coaching.rules.base import Rule, RuleContext


class LeadDroppedEarly(Rule):
    """A never-reached lead dropped after too few attempts.

    ## What it checks
    Leads the rep never reached, with no next attempt pending, and fewer than `early_drop_attempts` (3) attempts:
    the follow-up stopped before it had a fair chance. Only leads last attempted within `lead_lookback_days` (14,
    about one cadence) count, so an old lead isn't raised every day; a lead without a last-attempt time counts.
    The finding names the leads, sorted by name.

    ## Why it matters
    Most reps give up on a lead after one or two attempts, yet nearly all converted leads are reached by the
    sixth call. A lead dropped after two unanswered calls is a lead handed to a competitor.

    ## What to do
    Put the lead back into the follow-up cadence and aim for the target number of attempts (6) before moving it
    to nurture, spreading them over about two weeks with widening gaps.

    ## Evidence
    - Velocify, 3.5M leads: 93% of converted leads were reached by the 6th call. Grade B.
    - Reps stop after about 1.3 attempts: widely cited (InsideSales secret-shopper audits, ~2012; Velocify audits
      found 1.6). Grade C. Often attributed to HubSpot, which is not its source.
    - "Flag <3 attempts; target 6 then nurture" is the evidence notes' default table.
    """

    code = "M201"
    slug = "lead-dropped-early"
    evidence = "Velocify (B); InsideSales audits (C)"
    uses = {"early_drop_attempts": "min_attempts", "target_attempts": None, "lead_lookback_days": None}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        settings = ctx.settings
        dropped = [lead for lead in ctx.given_up if lead.attempts < settings.early_drop_attempts]
        if not dropped:
            return ()
        return self.advise(
            {
                "leads": tuple(lead.name for lead in dropped),
                "count": len(dropped),
                "min_attempts": settings.early_drop_attempts,
                "target": Count(settings.target_attempts, "attempt"),
            }
        )


RULE = LeadDroppedEarly()

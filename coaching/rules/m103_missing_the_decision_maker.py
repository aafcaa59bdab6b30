"""M103: contacts that end at the gatekeeper or with the wrong person."""

from __future__ import annotations

from coaching.findings import Finding
from coaching.rules.base import Rule, RuleContext, judged


class MissingTheDecisionMaker(Rule):
    """Contacts that end at the gatekeeper or with the wrong person.

    ## What it checks
    Among today's contacts (conversations plus calls that stopped at the gatekeeper), the share that ended at
    the gatekeeper or with the wrong person. A call marked `+dm` (decision maker) never counts as a miss. It fires
    when the share is above `missed_decision_maker_share_max` (half) over at least `decision_maker_min_contacts`
    (5) contacts; both are our defaults.

    The `+dm` flag alone is not used to fire: it is optional, so a conversation without it is no evidence that the
    rep missed the decision maker.

    ## Why it matters
    A conversation counts only if it is with someone who can say yes. Getting through to a switchboard or the
    wrong department feels like progress while the deal stays where it was; the reps who connect best work lists
    where they know who decides.

    ## What to do
    Find out who decides before dialling: look up the name and the direct line, and ask the gatekeeper for that
    person by name.

    ## Evidence
    - Gong/30MPC 2024: top-quartile connect rates come from better lists, not more dials. Grade B.
    - No study gives a share of misses to flag: the thresholds are our defaults, and the tip says so.
    """

    code = "M103"
    slug = "missing-the-decision-maker"
    evidence = "Gong/30MPC 2024 (B)"
    uses = {"decision_maker_min_contacts": "min_contacts", "missed_decision_maker_share_max": "max_share_pct"}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        stats, settings = ctx.call_stats, ctx.settings
        share = judged(stats.missed_share, stats.contacts, settings.decision_maker_min_contacts)
        if share is None or share <= settings.missed_decision_maker_share_max:
            return ()
        return self.advise(
            {
                "contacts": stats.contacts,
                "missed": stats.missed_decision_maker,
                "share_pct": share,
                "max_share_pct": settings.missed_decision_maker_share_max,
            }
        )


RULE = MissingTheDecisionMaker()

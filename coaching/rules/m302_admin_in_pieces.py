"""M302: admin done in many separate pieces."""

from __future__ import annotations

from coaching.findings import Count, Finding, Severity
from coaching.metrics import admin_pieces
from coaching.rules.base import Rule, RuleContext


class AdminInPieces(Rule):
    """Admin done in many separate pieces.

    ## What it checks
    How many separate pieces of admin the rep logged today; logs that touch or overlap (within 5 minutes) are one
    piece. It fires above `admin_max_pieces` (4), our default.

    ## Why it matters
    Admin scattered through the day interrupts selling time again and again, and every restart costs attention.
    Done in one block it takes less time and leaves the rest of the day for selling.

    ## What to do
    Batch admin into one block, for example 30 minutes at the end of the day (`/focus admin 30`), and note what
    to log during the day instead of stopping to log it.

    ## Evidence
    - Proudfoot 2005, observed: 27% of time on admin against 11% active selling. Grade B.
    - The evidence notes' default table: suggest batching above 4 fragments a day (Proudfoot; the number a guess),
      so the tip calls it our default.
    """

    code = "M302"
    slug = "admin-in-pieces"
    evidence = "Proudfoot 2005 (B)"
    uses = {"admin_max_pieces": "max_pieces"}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        pieces = admin_pieces(ctx.admin)
        if pieces <= ctx.settings.admin_max_pieces:
            return ()
        params = {"pieces": Count(pieces, "piece"), "max_pieces": ctx.settings.admin_max_pieces}
        return (self.finding(Severity.INFO, params),)


RULE = AdminInPieces()

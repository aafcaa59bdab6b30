"""M401: constant switching between kinds of work."""

from __future__ import annotations

from coaching.findings import Count, Finding
from coaching.metrics import most_in_window
from coaching.rules.base import Rule, RuleContext


class ConstantSwitching(Rule):
    """Constant switching between kinds of work.

    ## What it checks
    Switches between kinds of work: a call is the kind "calls", logged work is its work type (email, research,
    admin, meeting, prep); breaks and focus blocks are no kind. A switch happens when an activity's kind differs
    from the one before it. It fires when more than `switch_max_per_window` (6) switches fall inside any window of
    `switch_window_minutes` (60). The number is our default: the research shows the cost, not a count.

    ## Why it matters
    Switching feels productive but every switch costs time, and the cost grows with the complexity of the tasks.
    Interrupted work gets done faster, but at the price of more stress and frustration.

    ## What to do
    Block the day: calls in one block, email in another, admin in a third, one kind of work at a time
    (`/focus calls 60`).

    ## Evidence
    - Rubinstein, Meyer & Evans 2001: task-switching costs grow with complexity (the popular "up to 40%" is
      Meyer's extrapolation, not a measurement). Grade A.
    - Mark, Gudith & Klocke 2008 (CHI): interrupted work is done faster but with more stress. Grade A. (How long
      resuming takes is a different study, Mark, Gonzalez & Harris 2005, cited by M402; not the "23 minutes".)
    - "Flag >6 switches/hour" is the evidence notes' default; the number is a guess, so the tip says our default.
    """

    code = "M401"
    slug = "constant-switching"
    evidence = "Rubinstein, Meyer & Evans 2001 (A); Mark, Gudith & Klocke 2008 (A)"
    uses = {"switch_max_per_window": "max_switches", "switch_window_minutes": "window_minutes"}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        settings = ctx.settings
        kinds = ctx.kinds
        # A switch is where the kind differs from the one before; zip pairs each activity with its predecessor.
        pairs = zip(ctx.doing[1:], kinds[1:], kinds[:-1], strict=True)
        times = [activity.started_at for activity, kind, before in pairs if kind is not before]
        switches = most_in_window(times, settings.switch_window_minutes)
        if switches <= settings.switch_max_per_window:
            return ()
        return self.advise(
            {
                "switches": Count(switches, "time"),
                "window_minutes": settings.switch_window_minutes,
                "max_switches": settings.switch_max_per_window,
            }
        )


RULE = ConstantSwitching()

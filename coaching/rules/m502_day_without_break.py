"""M502: a long working day with no break at all."""

from __future__ import annotations

from coaching.findings import Count, Finding
from coaching.rules.base import Rule, RuleContext
from coaching.settings import CoachSettings


class DayWithoutBreak(Rule):
    """A long working day with no break at all.

    ## What it checks
    Today's working day, from the first call or logged work to the end of the last, when no break was logged
    today. It fires when that day is `no_break_day_minutes` (240, four hours) or longer; our default.

    ## Why it matters
    Gaps between activities are not rest when they are filled with unlogged work, and a morning or afternoon
    without a single break wears down energy and attention by the end of the day.

    ## What to do
    Plan short breaks into the day (5 to 10 minutes every 75 to 90 minutes) and a proper lunch, and log them with
    `/break` so the coach knows you took them.

    ## Evidence
    - Albulescu et al. 2022, PLOS ONE meta-analysis: micro-breaks raise vigour and reduce fatigue. Grade A.
    - Biwer 2023 (fixed breaks helped) and Smits 2025 (pomodoro breaks did worse) disagree on break schedules, with
      small samples (A-): the coach suggests breaks, not a fixed rhythm.
    - The four hours are our default.
    """

    code = "M502"
    slug = "day-without-break"
    evidence = "Albulescu et al. 2022 (A)"
    uses = {"no_break_day_minutes": None}

    def summary_params(self, settings: CoachSettings) -> dict[str, object]:
        """The limit in hours, as the summary reads it (the setting is in minutes)."""
        return {"hours": Count(settings.no_break_day_minutes / 60, "hour")}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        if ctx.breaks:
            return ()
        doing = ctx.calls + ctx.work  # focus blocks are plans, breaks there are none
        if not doing:
            return ()
        first = min(a.started_at for a in doing)
        last = max(max(a.ended_at, a.started_at) for a in doing)
        minutes = (last - first).total_seconds() / 60
        limit = ctx.settings.no_break_day_minutes
        if minutes < limit:
            return ()
        return self.advise(
            {
                "hours": Count(int(minutes / 6) / 10, "hour"),  # truncated to 0.1 h: never more than worked
                "max_hours": Count(limit / 60, "hour"),
            }
        )


RULE = DayWithoutBreak()

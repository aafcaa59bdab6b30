"""M502: a long day of logged work with no break at all."""

from __future__ import annotations

from coaching.findings import Count, Finding
from coaching.rules.base import Rule, RuleContext
from coaching.settings import CoachSettings
from coaching.streaks import logged_minutes


class DayWithoutBreak(Rule):
    """A long day of logged work with no break at all.

    ## What it checks
    Today's logged work when no break was logged today (`coaching.streaks.logged_minutes`): the streaks of calls
    and logged work (the measure M501 uses: entries at most `streak_gap_minutes`, 20, apart) and the focus blocks
    up to now, each minute counted once. Time nothing was logged in isn't counted as work: a call at 10:00 and
    another at 17:40 are two moments of work, not a day of it. It fires when that logged work reaches
    `no_break_day_minutes` (240, four hours); our default.

    ## Why it matters
    Hours of work without a single break wear down energy and attention by the end of the day. Only logged work
    counts, so the rule never takes a quiet afternoon for a marathon.

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
    uses = {"no_break_day_minutes": None, "streak_gap_minutes": None}

    def summary_params(self, settings: CoachSettings) -> dict[str, object]:
        """The limit in hours, as the summary reads it (the setting is in minutes)."""
        return {"hours": Count(settings.no_break_day_minutes / 60, "hour")}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        if ctx.breaks:
            return ()
        minutes = logged_minutes(ctx.streaks, ctx.focus, ctx.now)
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

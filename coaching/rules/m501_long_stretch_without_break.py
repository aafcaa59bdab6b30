"""M501: a long stretch of work without a break."""

from __future__ import annotations

import datetime as dt

from coaching.findings import Count, Finding, Severity
from coaching.rules.base import Rule, RuleContext
from coaching.settings import CoachSettings


class LongStretchWithoutBreak(Rule):
    """A long stretch of work without a break.

    ## What it checks
    Streaks of continuous activity today (see `coaching.streaks`: calls and logged work chained while the gaps
    are at most `streak_gap_minutes`, 20, ended by a break or a longer gap). It fires when a streak lasts
    `streak_max_minutes` (90) or more. If the streak is still going at `now` the finding is a WARNING
    (`rule.M501.tip_now`: take a break now); otherwise it is advice about the longest streak of the day.

    ## Why it matters
    Skipping breaks feels like getting more done, but short breaks restore energy and reduce fatigue, and
    performance does not suffer for them. A rep two hours into a calling block sounds like it.

    ## What to do
    Take a 5 to 10 minute break after 75 to 90 minutes: stand up, drink water, look away from the screen, and log
    it with `/break`.

    ## Evidence
    - Albulescu et al. 2022, PLOS ONE meta-analysis (22 samples, N=2,335): micro-breaks of 10 minutes or less
      raise vigour (d=.36) and reduce fatigue (d=.35); the effect on performance was not significant overall.
      Grade A.
    - 90 minutes (the "ultradian" rhythm) is a weak heuristic for waking work, and the 20-minute gap a guess:
      both are our defaults, and the tip says so.
    """

    code = "M501"
    slug = "long-stretch-without-break"
    evidence = "Albulescu et al. 2022 (A)"
    uses = {"streak_max_minutes": "max_minutes", "streak_gap_minutes": None}

    def check(self, ctx: RuleContext) -> tuple[Finding, ...]:
        """See `Rule.check`."""
        settings = ctx.settings
        found, open_ended = ctx.streaks, ctx.streak_open
        if not found:
            return ()
        last = found[-1]
        gap = dt.timedelta(minutes=settings.streak_gap_minutes)
        if open_ended and ctx.now - last.end <= gap and last.minutes >= settings.streak_max_minutes:
            return (self._finding(Severity.WARNING, last.minutes, settings, "tip_now"),)
        longest = max(streak.minutes for streak in found)
        if longest < settings.streak_max_minutes:
            return ()
        return (self._finding(Severity.ADVICE, longest, settings, "tip"),)

    def _finding(self, severity: Severity, minutes: float, settings: CoachSettings, variant: str) -> Finding:
        params = {"minutes": Count(int(minutes), "minute"), "max_minutes": settings.streak_max_minutes}
        return self.finding(severity, params, variant)


RULE = LongStretchWithoutBreak()

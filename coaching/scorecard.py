"""The scorecard: the rep's own figures for today and this week beside the thresholds and benchmarks.

One line per misconception, then the single most useful tip. The numbers come from `coaching.metrics`, the same
functions the rules use, so the card and the tips never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from coaching.benchmarks import CONNECT_RATE_AVERAGE, CONNECT_RATE_TOP_QUARTILE, WIDELY_CITED_ATTEMPTS
from coaching.domain import Activity, ActivityKind, LeadSummary
from coaching.engine import evaluate, pick_tip
from coaching.findings import Count, Finding
from coaching.i18n import t
from coaching.metrics import (
    LeadAttempts,
    admin_minutes,
    breaks_taken,
    call_stats,
    lead_attempts,
    max_switches,
    working_minutes,
)
from coaching.numbers import fmt_num, fmt_pct
from coaching.render import count, render_finding
from coaching.settings import CoachSettings
from coaching.streaks import chain, in_order


@dataclass(frozen=True, slots=True)
class Period:
    """The rep's figures over one period (today, or this week so far). None: nothing to measure yet."""

    dials: int
    conversations: int
    connect_rate: float | None
    first_calls: int
    researched_first_calls: int
    research_share: float | None
    #: Attempts per lead (`coaching.metrics.LeadAttempts`): the leads called and not reached, and their attempts.
    lead_attempts: LeadAttempts
    admin_minutes: float
    admin_share: float | None
    max_switches: int
    longest_streak_minutes: float
    breaks: int
    #: Everything logged in the period: calls, work, breaks, focus blocks.
    logged: int = 0
    calls_automatic: int = 0  # calls logged for the rep from HubSpot (misconception 3: admin automated)

    @property
    def attempts_per_lead(self) -> float | None:
        """Mean attempts so far on the leads called and not reached in the period."""
        return self.lead_attempts.per_lead


@dataclass(frozen=True, slots=True)
class Scorecard:
    """Today and this week side by side, the settings they are judged by, and the tip of the day (if any)."""

    today: Period
    week: Period
    settings: CoachSettings
    tip: Finding | None


def period(ordered: Sequence[Activity], settings: CoachSettings, start: dt.datetime, end: dt.datetime) -> Period:
    """The figures of activities (in `ACTIVITY_ORDER`) that started in [start, end)."""
    inside = [a for a in ordered if start <= a.started_at < end]
    stats = call_stats(inside)
    admin = admin_minutes(inside)
    working = working_minutes(inside, start)
    found, _ = chain(inside, settings.streak_gap_minutes)
    return Period(
        dials=stats.dials,
        conversations=stats.conversations,
        connect_rate=stats.connect_rate,
        first_calls=stats.first_calls,
        researched_first_calls=stats.researched_first_calls,
        research_share=stats.research_share,
        lead_attempts=lead_attempts(inside),
        admin_minutes=admin,
        admin_share=min(admin / working, 1.0) if working > 0 else None,
        max_switches=max_switches(inside, settings.switch_window_minutes),
        longest_streak_minutes=max((s.minutes for s in found), default=0.0),
        breaks=breaks_taken(inside),
        logged=len(inside),
        calls_automatic=sum(1 for a in inside if a.kind == ActivityKind.CALL and a.automatic),
    )


def scorecard(
    activities: Iterable[Activity],
    leads: Iterable[LeadSummary],
    settings: CoachSettings,
    now: dt.datetime,
    *,
    day_start: dt.datetime,
    day_end: dt.datetime,
    week_start: dt.datetime,
    already_sent: Collection[str] = (),
) -> Scorecard:
    """The rep's scorecard for the day [day_start, day_end) and the week [week_start, day_end).

    The tip is `pick_tip` over today's findings, skipping codes in `already_sent`.
    """
    ordered = in_order(activities)
    leads = tuple(leads)
    findings = evaluate(ordered, leads, settings, now, day_start=day_start, day_end=day_end)
    return Scorecard(
        today=period(ordered, settings, day_start, day_end),
        week=period(ordered, settings, min(week_start, day_start), day_end),
        settings=settings,
        tip=pick_tip(findings, already_sent),
    )


def render_scorecard(card: Scorecard, language: str) -> str:
    """The scorecard as Slack mrkdwn: a title, one bullet per misconception, then the tip."""
    today, week, s, lang = card.today, card.week, card.settings, language

    def num(value: float | None) -> str:
        return fmt_num(value, lang)

    def pct(value: float | None) -> str:
        return fmt_pct(value, lang)

    def minutes(value: float | None) -> str:
        return fmt_num(value, lang, 0)

    def both(name: str, show: Callable[[float | None], str], figure: str) -> dict[str, str]:
        """A `Period` figure for today and the week, as the placeholders `<name>_today` and `<name>_week`."""
        return {f"{name}_today": show(getattr(today, figure)), f"{name}_week": show(getattr(week, figure))}

    lines = {
        1: dict(
            **both("rate", pct, "connect_rate"),
            **both("research", pct, "research_share"),
            floor=pct(s.connect_rate_floor),
            average=pct(CONNECT_RATE_AVERAGE),
            top=pct(CONNECT_RATE_TOP_QUARTILE),
        ),
        2: dict(
            **both("avg", num, "attempts_per_lead"),
            widely_cited=num(WIDELY_CITED_ATTEMPTS),
            target=count(Count(s.target_attempts, "attempt"), lang),
        ),
        3: dict(
            **both("admin", minutes, "admin_minutes"),
            **both("share", pct, "admin_share"),
            limit=num(s.admin_max_minutes),
            limit_share=pct(s.admin_max_share),
        ),
        4: dict(
            **both("switches", num, "max_switches"),
            window=num(s.switch_window_minutes),
            limit=num(s.switch_max_per_window),
        ),
        5: dict(
            **both("streak", minutes, "longest_streak_minutes"),
            **both("breaks", num, "breaks"),
            limit=num(s.streak_max_minutes),
        ),
    }
    out = [t(lang, "scorecard.title")]
    for number, params in lines.items():
        out.append(t(lang, f"scorecard.m{number}", title=t(lang, f"misconception.m{number}"), **params))
        if number == 3 and week.calls_automatic:
            # The admin the CRM sync removed: calls nobody had to type (only shown once there are any).
            out[-1] += " " + t(
                lang,
                "scorecard.m3_automatic",
                auto_today=num(today.calls_automatic),
                auto_week=num(week.calls_automatic),
                hand_today=num(today.dials - today.calls_automatic),
                hand_week=num(week.dials - week.calls_automatic),
            )
    out.append("")
    if card.tip is None:
        # "On track" only means something about a week with something in it.
        out.append(t(lang, "scorecard.all_clear" if week.logged else "scorecard.nothing_yet"))
    else:
        out.append(t(lang, "scorecard.tip", tip=render_finding(card.tip, lang)))
    return "\n".join(out)

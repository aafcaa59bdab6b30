"""What every rule shares: the context it reads and the base class that turns its numbers into findings."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from coaching.domain import Activity, ActivityKind, LeadSummary, WorkType
from coaching.findings import Finding, Severity
from coaching.metrics import CallStats, call_stats, closed_unreached
from coaching.settings import CoachSettings
from coaching.streaks import Streak, chain, in_order


@dataclass(frozen=True, slots=True)
class RuleContext:
    """One rep's day as the rules see it.

    `activities` holds only the activities that started inside [day_start, day_end), in `ACTIVITY_ORDER`;
    the per-kind tuples and call figures are split out once so each rule reads only what it needs.
    Lead-based rules read `leads`, which aren't limited to the day, and `given_up`: the leads closed without ever
    being reached and last attempted within `lead_lookback_days` of `now` (or never dated), sorted by name.
    """

    activities: tuple[Activity, ...]
    leads: tuple[LeadSummary, ...]
    settings: CoachSettings
    now: dt.datetime
    day_start: dt.datetime
    day_end: dt.datetime
    calls: tuple[Activity, ...]
    work: tuple[Activity, ...]
    breaks: tuple[Activity, ...]
    focus: tuple[Activity, ...]
    #: Logged admin, a subset of `work`.
    admin: tuple[Activity, ...]
    #: Calls and logged work of a known type, in order, with their kind of work beside them (`kinds[i]` is the kind
    #: of `doing[i]`): what switching is measured on.
    doing: tuple[Activity, ...]
    kinds: tuple[WorkType, ...]
    call_stats: CallStats
    given_up: tuple[LeadSummary, ...]
    #: The day's streaks of work (`coaching.streaks.chain`), read by both break rules, and whether the last is open.
    streaks: tuple[Streak, ...]
    streak_open: bool

    @classmethod
    def build(
        cls,
        activities: Iterable[Activity],
        leads: Iterable[LeadSummary],
        settings: CoachSettings,
        now: dt.datetime,
        window: tuple[dt.datetime, dt.datetime],
    ) -> RuleContext:
        """Sort once, keep the day [start, end) of `window`, and split it by kind in a single pass."""
        day_start, day_end = window
        day: list[Activity] = []
        calls: list[Activity] = []
        work: list[Activity] = []
        breaks: list[Activity] = []
        focus: list[Activity] = []
        admin: list[Activity] = []
        doing: list[Activity] = []
        kinds: list[WorkType] = []
        for activity in in_order(activities):
            if not day_start <= activity.started_at < day_end:
                continue
            day.append(activity)
            kind = activity.kind
            if kind is ActivityKind.CALL:
                calls.append(activity)
                doing.append(activity)
                kinds.append(WorkType.CALLS)
            elif kind is ActivityKind.WORK:
                work.append(activity)
                if activity.work is not None:
                    doing.append(activity)
                    kinds.append(activity.work)
                    if activity.work is WorkType.ADMIN:
                        admin.append(activity)
            elif kind is ActivityKind.BREAK:
                breaks.append(activity)
            else:
                focus.append(activity)
        leads = tuple(leads)
        since = now - dt.timedelta(days=settings.lead_lookback_days)
        found, open_ended = chain(day, settings.streak_gap_minutes)
        return cls(
            activities=tuple(day),
            leads=leads,
            settings=settings,
            now=now,
            day_start=day_start,
            day_end=day_end,
            calls=tuple(calls),
            work=tuple(work),
            breaks=tuple(breaks),
            focus=tuple(focus),
            admin=tuple(admin),
            doing=tuple(doing),
            kinds=tuple(kinds),
            call_stats=call_stats(calls),
            given_up=tuple(closed_unreached(leads, since, undated=True)),
            streaks=tuple(found),
            streak_open=open_ended,
        )


class Rule(ABC):
    """A coaching rule: a stable code, a slug, the misconception it addresses, and a check.

    Subclasses set the class attributes and implement `check`. The class docstring documents the rule under the
    headings What it checks / Why it matters / What to do / Evidence; `python -m coaching.rules` prints them.
    Catalog keys follow the code: `rule.<code>.name`, `rule.<code>.summary`, `rule.<code>.tip[_variant]`.
    """

    code: ClassVar[str]
    slug: ClassVar[str]
    #: Sources with their grades, shown under a tip.
    evidence: ClassVar[str]
    #: The settings this rule reads, each with the summary placeholder it fills (None: not in the summary), so the
    #: docs list them, help shows a team's own thresholds, and a test checks that every setting is used.
    uses: ClassVar[Mapping[str, str | None]]

    @property
    def misconception(self) -> int:
        """The misconception the rule addresses: the first digit of its code (M201 -> 2)."""
        return int(self.code[1])

    @property
    def name(self) -> str:
        """Catalog key of the rule's short name."""
        return f"rule.{self.code}.name"

    @property
    def summary(self) -> str:
        """Catalog key of the one-line description in `/coach rules`."""
        return f"rule.{self.code}.summary"

    def summary_params(self, settings: CoachSettings) -> Mapping[str, object]:
        """Thresholds that fill the summary, so help shows a team's own overrides."""
        return {param: getattr(settings, name) for name, param in self.uses.items() if param}

    @abstractmethod
    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        """The findings this rule makes about the rep's day (usually none or one)."""

    def finding(self, severity: Severity, params: Mapping[str, object], variant: str = "tip") -> Finding:
        """A finding of this rule, its text under `rule.<code>.<variant>`."""
        return Finding(
            code=self.code,
            slug=self.slug,
            misconception=self.misconception,
            severity=severity,
            key=f"rule.{self.code}.{variant}",
            params=params,  # type: ignore[arg-type]
            evidence=self.evidence,
        )

    def advise(self, params: Mapping[str, object]) -> tuple[Finding]:
        """What `check` returns when the rule fires: one piece of advice about a habit."""
        return (self.finding(Severity.ADVICE, params),)

    def __repr__(self) -> str:
        return f"<rule {self.code} {self.slug}>"


def judged(figure: float | None, sample: int, minimum: int) -> float | None:
    """`figure` once `sample` reaches `minimum`, else None: a slow morning isn't judged on three calls."""
    return figure if sample >= minimum else None

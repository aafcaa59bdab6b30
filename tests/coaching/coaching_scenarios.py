"""Builders for a rep's day in the coaching tests: fixed UTC datetimes, never the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from coaching.domain import Activity, ActivityKind, LeadSummary, Outcome, WorkType
from coaching.engine import evaluate
from coaching.findings import Finding
from coaching.settings import CoachSettings

#: Monday 10 March 2025, midnight UTC: the day every scenario happens on.
DAY = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
#: A moment late on that day, well after any scenario's activity, so nothing is "current".
EVENING = DAY + dt.timedelta(hours=22)
DEFAULTS = CoachSettings()


def at(hour: int, minute: int = 0, *, day: int = 0) -> dt.datetime:
    """A time on the scenario day (or `day` days later)."""
    return DAY + dt.timedelta(days=day, hours=hour, minutes=minute)


class Day:
    """Activities of a rep, with ids handed out in the order they are added."""

    def __init__(self) -> None:
        self.activities: list[Activity] = []

    def _add(self, kind: ActivityKind, start: dt.datetime, minutes: float = 0, **fields: object) -> Day:
        end = start + dt.timedelta(minutes=minutes)
        self.activities.append(Activity(len(self.activities) + 1, kind, start, end, **fields))  # type: ignore[arg-type]
        return self

    def call(
        self,
        start: dt.datetime,
        outcome: Outcome | None = Outcome.NO_ANSWER,
        *,
        first: bool = False,
        researched: bool = False,
        dm: bool = False,
        lead: str | None = None,
        attempt: int | None = None,
    ) -> Day:
        return self._add(
            ActivityKind.CALL,
            start,
            outcome=outcome,
            first_attempt=first,
            researched=researched,
            decision_maker=dm,
            lead_key=lead,
            attempt=attempt,
        )

    def calls(self, start: dt.datetime, count: int, every: float, outcome: Outcome = Outcome.NO_ANSWER) -> Day:
        for i in range(count):
            self.call(start + dt.timedelta(minutes=i * every), outcome)
        return self

    def work(self, start: dt.datetime, minutes: float, work: WorkType | None = WorkType.EMAIL) -> Day:
        return self._add(ActivityKind.WORK, start, minutes, work=work)

    def pause(self, start: dt.datetime, minutes: float = 10) -> Day:
        return self._add(ActivityKind.BREAK, start, minutes)

    def focus(self, start: dt.datetime, minutes: float, work: WorkType | None = WorkType.CALLS) -> Day:
        return self._add(ActivityKind.FOCUS, start, minutes, work=work)


def lead(
    name: str,
    attempts: int,
    *,
    reached: bool = False,
    pending: bool = False,
    last: dt.datetime | None = DAY + dt.timedelta(hours=11),
) -> LeadSummary:
    return LeadSummary(
        key=name.casefold(), name=name, attempts=attempts, reached=reached, pending=pending, last_attempt_at=last
    )


def run(
    activities: Iterable[Activity] | Day = (),
    leads: Iterable[LeadSummary] = (),
    settings: CoachSettings = DEFAULTS,
    now: dt.datetime = EVENING,
) -> list[Finding]:
    if isinstance(activities, Day):
        activities = activities.activities
    return evaluate(activities, leads, settings, now)


def found(code: str, findings: Iterable[Finding]) -> Finding | None:
    """The finding of `code`, or None; fails if the rule reported twice."""
    matches = [f for f in findings if f.code == code]
    assert len(matches) <= 1, matches
    return matches[0] if matches else None

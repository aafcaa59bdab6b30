"""Streaks: stretches of continuous work without a break, the measure behind the break nudges (M5).

Calls are instants and logged work has a duration. Activities chain into one streak while the gap from the end of
one to the start of the next is at most `streak_gap_minutes`; a longer gap or a logged break ends it. Focus blocks
are plans, not work done, so only what is logged inside them counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from coaching.domain import Activity, ActivityKind
from coaching.settings import CoachSettings

#: The one order every part of the engine reads activities in; `id` breaks ties so the order never depends on
#: the order activities arrived in.
ACTIVITY_ORDER = attrgetter("started_at", "ended_at", "id")
_STARTED = attrgetter("started_at")

_BREAK = ActivityKind.BREAK
_FOCUS = ActivityKind.FOCUS


@dataclass(frozen=True, slots=True)
class Streak:
    """Continuous activity from `start` (first activity's start) to `end` (last activity's end)."""

    start: dt.datetime
    end: dt.datetime

    @property
    def minutes(self) -> float:
        """Length in minutes."""
        return (self.end - self.start).total_seconds() / 60


def in_order(activities: Iterable[Activity]) -> list[Activity]:
    """`activities` sorted by `ACTIVITY_ORDER`.

    Sorting on the start alone is about twice as fast, and starts rarely tie; only when two do is the full key
    needed. The result is the same either way.
    """
    ordered = sorted(activities, key=_STARTED)
    previous = None
    for activity in ordered:
        if activity.started_at == previous:
            ordered.sort(key=ACTIVITY_ORDER)
            break
        previous = activity.started_at
    return ordered


def streaks(activities: Iterable[Activity], settings: CoachSettings) -> list[Streak]:
    """Every streak in `activities` (any order), earliest first."""
    return chain(in_order(activities), settings.streak_gap_minutes)[0]


def current_streak(activities: Iterable[Activity], now: dt.datetime, settings: CoachSettings) -> Streak | None:
    """The streak the rep is in at `now`, if any.

    A streak is current when no break followed it and it ended within `streak_gap_minutes` of `now`. Activities
    that start after `now` are ignored: they haven't happened yet.
    """
    done = in_order(a for a in activities if a.started_at <= now)
    found, open_ended = chain(done, settings.streak_gap_minutes)
    if not found or not open_ended:
        return None
    last = found[-1]
    return last if now - last.end <= dt.timedelta(minutes=settings.streak_gap_minutes) else None


def chain(ordered: Sequence[Activity], gap_minutes: float) -> tuple[list[Streak], bool]:
    """The streaks of activities already in `ACTIVITY_ORDER`, and whether the last one is still open.

    The last streak is open unless a break came after it.
    """
    gap = dt.timedelta(minutes=gap_minutes)
    found: list[Streak] = []
    start = end = limit = None
    # Hot loop (every activity of every rep): compare against a precomputed limit, not a subtraction per activity.
    for activity in ordered:
        kind = activity.kind
        if kind is _BREAK:
            if start is not None:
                found.append(Streak(start, end))  # type: ignore[arg-type]
                start = None
            continue
        if kind is _FOCUS:
            continue
        began = activity.started_at
        # A record whose end precedes its start is bad data; treat it as an instant rather than going backwards.
        finished = activity.ended_at
        if finished < began:
            finished = began
        if start is None:
            start, end, limit = began, finished, finished + gap
        elif began <= limit:  # type: ignore[operator]
            if finished > end:  # type: ignore[operator]
                end, limit = finished, finished + gap
        else:
            found.append(Streak(start, end))  # type: ignore[arg-type]
            start, end, limit = began, finished, finished + gap
    if start is not None:
        found.append(Streak(start, end))  # type: ignore[arg-type]
        return found, True
    return found, False


def extend(streak: Streak | None, start: dt.datetime, end: dt.datetime, gap_minutes: float) -> Streak:
    """The streak after one more piece of work from `start` to `end`: the same definition as `chain`, one step.

    Work that starts within `gap_minutes` of the streak (before its end, or overlapping its start when logged
    after the fact) extends it; anything else starts a new streak. A break resets the streak to None elsewhere.
    """
    end = max(end, start)
    gap = dt.timedelta(minutes=gap_minutes)
    if streak is None or start - streak.end > gap or end < streak.start - gap:
        return Streak(start, end)
    return Streak(min(streak.start, start), max(streak.end, end))


def logged_minutes(found: Iterable[Streak], focus: Iterable[Activity], now: dt.datetime) -> float:
    """Logged work time: the streaks of calls and logged work (`chain`), and focus blocks up to `now`, overlaps once.

    What nobody logged isn't work: a call at 10:00 and another at 17:40 are two moments, not a day.
    """
    spans = [(streak.start, streak.end) for streak in found]
    spans += [(block.started_at, min(block.ended_at, now)) for block in focus if block.started_at < now]
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is not None and start < reach:
            start = reach  # the part already counted
        if end > start:
            total += (end - start).total_seconds() / 60
            reach = end
    return total

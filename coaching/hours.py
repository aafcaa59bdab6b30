"""Working hours: when a rep may be nudged, in their own time zone.

Pure arithmetic on aware datetimes and `zoneinfo` zones (daylight saving included). Nothing here reads a clock:
`now` is always given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coaching.settings import from_stored
from coaching.workdays import NO_HOLIDAYS, HolidayCalendar

WEEKDAYS = frozenset(range(5))  # Monday to Friday


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """A rep's working day: from `start` to `end` local time on `days` (0 = Monday), except public `holidays`."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)
    days: frozenset[int] = field(default=WEEKDAYS)
    holidays: HolidayCalendar = NO_HOLIDAYS

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("working hours must start before they end, within one day")
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("working days must be a non-empty set of weekday numbers 0-6")

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None, base: WorkingHours | None = None) -> WorkingHours:
        """Hours from stored settings, e.g. `{"start": "08:30", "end": "17:00", "days": [0, 1, 2, 3]}`."""
        return from_stored(base or cls(), data, start=clock, end=clock, days=lambda ds: frozenset(int(d) for d in ds))

    def to_dict(self) -> dict[str, object]:
        """The stored form of these hours (the holiday calendar is stored as a country of its own)."""
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M"), "days": sorted(self.days)}

    def working_day(self, day: dt.date) -> bool:
        """Whether `day` is a working day: one of `days` and not a public holiday. The one working-day test."""
        return day.weekday() in self.days and not self.holidays.is_holiday(day)


def clock(stored: object) -> dt.time:
    """A wall-clock time as team settings store it, e.g. "08:30"."""
    return dt.time.fromisoformat(str(stored))


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name`, or UTC when Slack gave none or one this system doesn't know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_datetime(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall-clock `at` on `day` in `tz`; a time skipped by a DST change moves forward."""
    # PEP 495: with fold=0 a wall time inside the spring-forward gap maps past the gap, and an ambiguous one
    # in the autumn overlap maps to its first occurrence.
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(dt.UTC)


def is_away(day: dt.date, away_until: dt.date | None) -> bool:
    """Whether the rep is away on `day` (`away_until` is the last day away)."""
    return away_until is not None and day <= away_until


def is_working(at: dt.datetime, tz: ZoneInfo, hours: WorkingHours, away_until: dt.date | None = None) -> bool:
    """Whether `at` falls inside the rep's working hours, on a working day they are not away."""
    local = at.astimezone(tz)
    return (
        hours.working_day(local.date())
        and not is_away(local.date(), away_until)
        and hours.start <= local.time().replace(tzinfo=None) < hours.end
    )


def next_working_moment(
    at: dt.datetime, tz: ZoneInfo, hours: WorkingHours, away_until: dt.date | None = None
) -> dt.datetime:
    """`at` itself when the rep is working then, else the start of their next working period (UTC)."""
    if is_working(at, tz, hours, away_until):
        return at
    local = at.astimezone(tz)
    day = local.date()
    if local.time().replace(tzinfo=None) < hours.start and _working_day(day, hours, away_until):
        return local_datetime(day, hours.start, tz)
    for _ in range(3660):  # at most ten years ahead: an away date beyond that is a typo, not a vacation
        day += dt.timedelta(days=1)
        if _working_day(day, hours, away_until):
            return local_datetime(day, hours.start, tz)
    raise ValueError("no working day within ten years")


def _working_day(day: dt.date, hours: WorkingHours, away_until: dt.date | None) -> bool:
    return hours.working_day(day) and not is_away(day, away_until)


def add_working_days(day: dt.date, n: int, hours: WorkingHours) -> dt.date:
    """The date `n` working days after `day` (weekends, public holidays and other non-working days skipped)."""
    while n > 0:
        day += dt.timedelta(days=1)
        if hours.working_day(day):
            n -= 1
    return day


def working_days_before(day: dt.date, n: int, hours: WorkingHours) -> dt.date:
    """The date `n` working days before `day`: what "within the last n business days" counts back to."""
    for _ in range(3660):
        if n <= 0:
            return day
        day -= dt.timedelta(days=1)
        if hours.working_day(day):
            n -= 1
    return day


def local_day_bounds(now: dt.datetime, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which the rep's local day containing `now` starts and ends."""
    day = now.astimezone(tz).date()
    return local_datetime(day, dt.time(0), tz), local_datetime(day + dt.timedelta(days=1), dt.time(0), tz)


def local_week_start(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant at which the rep's local week (from Monday) containing `now` starts."""
    day = now.astimezone(tz).date()
    return local_datetime(day - dt.timedelta(days=day.weekday()), dt.time(0), tz)

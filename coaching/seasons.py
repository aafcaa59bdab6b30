"""When leaderboards are posted and which window each post ranks (pure calendar arithmetic).

A channel subscribes `daily` (every working day) or `weekly` (one weekday), at one local time, by default Friday
16:00 in the team's time zone. A season is the window a post ranks, from its start up to the post: a `week` (from
Monday) or a `month` (from the 1st). The last post of a season is its final post; the next season starts from zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from coaching.hours import WorkingHours, clock, local_datetime
from coaching.settings import from_stored

FREQUENCIES = ("daily", "weekly")
SEASONS = ("week", "month")


@dataclass(frozen=True, slots=True)
class PostSchedule:
    """The team's posting moment: `weekday` (0 = Monday; weekly posts) at local `time`."""

    weekday: int = 4
    time: dt.time = dt.time(16, 0)

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("the posting weekday is 0 (Monday) to 6 (Sunday)")

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> PostSchedule:
        """A schedule from stored team settings, e.g. `{"weekday": 4, "time": "16:00"}`."""
        return from_stored(cls(), data, weekday=int, time=clock)

    def to_dict(self) -> dict[str, object]:
        """The stored form."""
        return {"weekday": self.weekday, "time": self.time.strftime("%H:%M")}


@dataclass(frozen=True, slots=True)
class Post:
    """One scheduled leaderboard post: when, the season window it ranks, and whether it closes the season."""

    at: dt.datetime
    season_start: dt.datetime
    final: bool

    @property
    def key(self) -> str:
        """Names the post's period, for its dedupe key."""
        return self.at.strftime("%Y-%m-%dT%H:%M")


def _posting_days(frequency: str, schedule: PostSchedule, hours: WorkingHours) -> frozenset[int]:
    return hours.days if frequency == "daily" else frozenset({schedule.weekday})


def latest_post(
    now: dt.datetime, tz: ZoneInfo, frequency: str, season: str, schedule: PostSchedule, hours: WorkingHours
) -> Post:
    """The most recent scheduled post at or before `now`."""
    days = _posting_days(frequency, schedule, hours)
    day = now.astimezone(tz).date()
    for _ in range(8):
        at = local_datetime(day, schedule.time, tz)
        if day.weekday() in days and at <= now:
            return _post(at, tz, frequency, season, schedule, hours)
        day -= dt.timedelta(days=1)
    raise ValueError("no posting day in a week")


def _post(
    at: dt.datetime, tz: ZoneInfo, frequency: str, season: str, schedule: PostSchedule, hours: WorkingHours
) -> Post:
    local = at.astimezone(tz).date()
    start_day = local.replace(day=1) if season == "month" else local - dt.timedelta(days=local.weekday())
    days = _posting_days(frequency, schedule, hours)
    # Final when no later posting day falls in the same season.
    following = local + dt.timedelta(days=1)
    while following.weekday() not in days:
        following += dt.timedelta(days=1)
    same_season = (
        following.month == local.month
        if season == "month"
        else following.isocalendar()[:2] == (local.isocalendar()[:2])
    )
    return Post(at=at, season_start=local_datetime(start_day, dt.time(0), tz), final=not same_season)


def previous_window(season: str, post: Post, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The same stretch of the season before, to measure improvement against."""
    elapsed = post.at - post.season_start
    if season == "week":
        start = post.season_start - dt.timedelta(days=7)
    else:
        first = post.season_start.astimezone(tz).date()
        last_month = (first - dt.timedelta(days=1)).replace(day=1)
        start = local_datetime(last_month, dt.time(0), tz)
    return start, min(start + elapsed, post.season_start)

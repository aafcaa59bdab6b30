"""Leaderboard posting times and seasons (pure)."""

import datetime as dt

from coaching.hours import WorkingHours, zone
from coaching.seasons import PostSchedule, latest_post, previous_window

AMS = zone("Europe/Amsterdam")


def at(*args):
    return dt.datetime(*args, tzinfo=AMS).astimezone(dt.UTC)


def test_weekly_posts_land_on_friday_at_four_and_each_closes_its_week():
    post = latest_post(at(2026, 11, 30, 10, 0), AMS, "weekly", "week", PostSchedule(), WorkingHours())
    assert post.at == at(2026, 11, 27, 16, 0) and post.final
    assert post.season_start == at(2026, 11, 23, 0, 0)
    assert latest_post(at(2026, 11, 27, 15, 59), AMS, "weekly", "week", PostSchedule(), WorkingHours()).at == at(
        2026, 11, 20, 16, 0
    )


def test_daily_posts_with_a_monthly_season_close_on_the_last_working_day_of_the_month():
    hours = WorkingHours()
    thursday = latest_post(at(2026, 12, 31, 17, 0), AMS, "daily", "month", PostSchedule(), hours)
    assert thursday.at == at(2026, 12, 31, 16, 0) and thursday.final
    assert thursday.season_start == at(2026, 12, 1, 0, 0)
    wednesday = latest_post(at(2026, 12, 30, 17, 0), AMS, "daily", "month", PostSchedule(), hours)
    assert not wednesday.final
    friday_nov = latest_post(at(2026, 11, 28, 12, 0), AMS, "daily", "month", PostSchedule(), hours)
    assert friday_nov.at == at(2026, 11, 27, 16, 0) and not friday_nov.final  # Monday 30 November still to come


def test_a_custom_schedule_and_the_previous_window():
    schedule = PostSchedule.from_dict({"weekday": 0, "time": "09:30"})
    assert PostSchedule.from_dict(schedule.to_dict()) == schedule
    post = latest_post(at(2026, 11, 30, 9, 30), AMS, "weekly", "week", schedule, WorkingHours())
    assert post.at == at(2026, 11, 30, 9, 30)
    start, end = previous_window("week", post, AMS)
    assert (start, end) == (at(2026, 11, 23, 0, 0), at(2026, 11, 23, 9, 30))
    month = latest_post(at(2026, 12, 4, 17, 0), AMS, "weekly", "month", PostSchedule(), WorkingHours())
    assert previous_window("month", month, AMS) == (at(2026, 11, 1, 0, 0), at(2026, 11, 4, 16, 0))

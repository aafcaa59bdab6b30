"""Cadence and working-hours arithmetic (pure): business days, time zones, daylight saving, absences."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coaching.cadence import CadenceSettings, next_attempt_at, shift_for_absence
from coaching.domain import Outcome
from coaching.hours import (
    WorkingHours,
    add_working_days,
    is_working,
    local_datetime,
    next_working_moment,
    zone,
)

AMS, NYC = zone("Europe/Amsterdam"), zone("America/New_York")
HOURS = WorkingHours()


def at(tz, *args):
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


def local(moment, tz):
    return moment.astimezone(tz).replace(tzinfo=None)


def test_default_cadence_is_six_attempts_over_about_ten_business_days_never_more_than_eight():
    cadence = CadenceSettings()
    assert cadence.target == 6 and cadence.max_attempts == 8
    assert sum(cadence.gap_after(n) for n in range(1, 6)) == 9  # attempt 6 lands on business day 10
    assert [cadence.gap_after(n) for n in range(1, 8)] == [1, 1, 2, 2, 3, 3, 3]


def test_a_whole_cadence_from_a_thursday_skips_weekends_and_stops_at_the_cap():
    moment = at(AMS, 2026, 11, 26, 14, 30)  # Thursday
    schedule = []
    for attempts in range(1, 10):
        nxt = next_attempt_at(moment, attempts, CadenceSettings(), AMS, HOURS)
        if nxt is None:
            break
        schedule.append(local(nxt, AMS))
        moment = nxt
    assert [d.strftime("%a %d %H:%M") for d in schedule] == [
        "Fri 27 14:30",
        "Mon 30 14:30",
        "Wed 02 14:30",
        "Fri 04 14:30",
        "Wed 09 14:30",
        "Mon 14 14:30",
        "Thu 17 14:30",
    ]
    assert len(schedule) + 1 == 8  # the first call plus seven follow-ups: the cap


def test_a_call_after_hours_is_followed_up_at_the_start_of_a_day():
    nxt = next_attempt_at(at(AMS, 2026, 11, 27, 18, 45), 1, CadenceSettings(), AMS, HOURS)  # Friday evening
    assert local(nxt, AMS) == dt.datetime(2026, 11, 30, 9, 0)


@pytest.mark.parametrize(
    ("tz", "when", "expected"),
    [
        (AMS, (2026, 11, 28, 11, 0), (2026, 11, 30, 9, 0)),  # Saturday -> Monday 09:00
        (AMS, (2026, 11, 26, 7, 0), (2026, 11, 26, 9, 0)),  # before hours -> same day 09:00
        (AMS, (2026, 11, 26, 17, 0), (2026, 11, 27, 9, 0)),  # 17:00 is after hours
        (NYC, (2026, 11, 26, 16, 59), (2026, 11, 26, 16, 59)),  # inside hours: unchanged
        (NYC, (2026, 11, 27, 23, 0), (2026, 11, 30, 9, 0)),  # Friday night -> Monday
    ],
)
def test_next_working_moment(tz, when, expected):
    assert local(next_working_moment(at(tz, *when), tz, HOURS), tz) == dt.datetime(*expected)


def test_never_at_night_or_on_a_weekend_for_amsterdam_and_new_york():
    moment = at(AMS, 2026, 11, 26, 23, 30)
    assert local(next_working_moment(moment, AMS, HOURS), AMS) == dt.datetime(2026, 11, 27, 9, 0)
    # The same instant is 17:30 in New York: after hours there too, so 09:00 New York time next day.
    assert local(next_working_moment(moment, NYC, HOURS), NYC) == dt.datetime(2026, 11, 27, 9, 0)


def test_daylight_saving_boundaries_keep_the_local_time():
    # Amsterdam springs forward on Sunday 29 March 2026; the Friday 09:30 call is followed up Monday 09:30 CEST.
    nxt = next_attempt_at(at(AMS, 2026, 3, 27, 9, 30), 1, CadenceSettings(), AMS, HOURS)
    assert local(nxt, AMS) == dt.datetime(2026, 3, 30, 9, 30)
    assert nxt.astimezone(dt.UTC).hour == 7  # UTC+2 now, UTC+1 before
    # New York falls back on Sunday 1 November 2026.
    nxt = next_attempt_at(at(NYC, 2026, 10, 30, 16, 0), 1, CadenceSettings(), NYC, HOURS)
    assert local(nxt, NYC) == dt.datetime(2026, 11, 2, 16, 0)
    # A wall time inside the spring-forward gap maps past it.
    assert local(local_datetime(dt.date(2026, 3, 29), dt.time(2, 30), AMS), AMS) == dt.datetime(2026, 3, 29, 3, 30)


def test_team_and_rep_hours_are_configurable():
    four_day = WorkingHours.from_dict({"start": "08:00", "end": "16:00", "days": [0, 1, 2, 3]})
    assert not is_working(at(AMS, 2026, 11, 27, 10, 0), AMS, four_day)  # Friday off
    assert local(next_working_moment(at(AMS, 2026, 11, 27, 10, 0), AMS, four_day), AMS) == dt.datetime(
        2026, 11, 30, 8, 0
    )
    assert WorkingHours.from_dict(four_day.to_dict()) == four_day
    with pytest.raises(ValueError):
        WorkingHours.from_dict({"start": "18:00", "end": "09:00"})
    assert CadenceSettings.from_dict({"gaps": [1, 2], "target": 5, "max_attempts": 10}).gap_after(4) == 2
    with pytest.raises(ValueError):
        CadenceSettings.from_dict({"max_attempts": 12})


def test_away_pauses_and_the_cadence_resumes_after_the_absence():
    today = at(AMS, 2026, 11, 26, 10, 0)  # Thursday
    away_until = dt.date(2026, 12, 4)  # back Monday 7 December
    assert not is_working(at(AMS, 2026, 12, 1, 10, 0), AMS, HOURS, away_until)
    due_friday = at(AMS, 2026, 11, 27, 11, 0)  # the 2nd working day from today
    due_tuesday = at(AMS, 2026, 12, 1, 11, 0)  # the 4th
    assert local(shift_for_absence(due_friday, today, AMS, HOURS, away_until), AMS) == dt.datetime(2026, 12, 8, 11, 0)
    assert local(shift_for_absence(due_tuesday, today, AMS, HOURS, away_until), AMS) == dt.datetime(2026, 12, 10, 11, 0)
    later = at(AMS, 2026, 12, 9, 11, 0)
    assert shift_for_absence(later, today, AMS, HOURS, away_until) == later


def test_unreached_outcomes_continue_the_cadence_and_reached_ones_end_it():
    assert {o for o in Outcome if not o.reached} == {
        Outcome.NO_ANSWER,
        Outcome.VOICEMAIL,
        Outcome.BUSY,
        Outcome.GATEKEEPER,
    }


@given(
    st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(dt.UTC)),
    st.sampled_from(["Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]),
    st.integers(min_value=1, max_value=8),
)
def test_a_follow_up_always_lands_inside_working_hours(moment, tz_name, attempts):
    tz = zone(tz_name)
    nxt = next_attempt_at(moment, attempts, CadenceSettings(), tz, HOURS)
    if attempts >= 8:
        assert nxt is None
        return
    assert nxt > moment
    assert is_working(nxt, tz, HOURS)
    assert add_working_days(moment.astimezone(tz).date(), 1, HOURS) <= nxt.astimezone(tz).date()

"""The incremental streak kept on the rep row agrees with the streak the rules compute from history."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from coaching.domain import Activity, ActivityKind
from coaching.settings import CoachSettings
from coaching.streaks import Streak, extend, streaks

T0 = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


@given(st.lists(st.tuples(st.integers(0, 600), st.integers(0, 120)), min_size=1, max_size=40))
def test_extending_entry_by_entry_in_time_order_matches_the_full_computation(entries):
    settings = CoachSettings()
    entries = sorted(entries)
    activities = [
        Activity(
            id=i,
            kind=ActivityKind.WORK if length else ActivityKind.CALL,
            started_at=T0 + dt.timedelta(minutes=start),
            ended_at=T0 + dt.timedelta(minutes=start + length),
        )
        for i, (start, length) in enumerate(entries)
    ]
    current = None
    for activity in activities:
        current = extend(current, activity.started_at, activity.ended_at, settings.streak_gap_minutes)
    assert current == streaks(activities, settings)[-1]


def test_a_late_entry_for_earlier_work_extends_the_streak_backwards():
    streak = Streak(T0 + dt.timedelta(minutes=60), T0 + dt.timedelta(minutes=90))
    logged_late = extend(streak, T0 + dt.timedelta(minutes=10), T0 + dt.timedelta(minutes=50), 20)
    assert logged_late == Streak(T0 + dt.timedelta(minutes=10), T0 + dt.timedelta(minutes=90))
    far_apart = extend(streak, T0 + dt.timedelta(minutes=200), T0 + dt.timedelta(minutes=200), 20)
    assert far_apart.start == T0 + dt.timedelta(minutes=200)

"""The day list's arithmetic: the budget, the order of the lines, what fits in one message."""

import datetime as dt
from zoneinfo import ZoneInfo

from coaching.daylist import (
    LIST_FRAME_BLOCKS,
    MESSAGE_BLOCKS,
    ListItem,
    fit,
    is_afternoon,
    open_since,
    ordered,
    within_budget,
)

LON = ZoneInfo("Europe/London")
T = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def item(n, hours, done=False, lead=None):
    return ListItem(n, lead or f"Lead {n}", T + dt.timedelta(hours=hours), done)


def test_the_budget_counts_what_was_sent_today():
    assert within_budget(3, 4) and not within_budget(4, 4) and not within_budget(5, 4)


def test_most_overdue_first_then_by_lead_and_a_done_line_keeps_its_place():
    items = [item(1, 5), item(2, -24, done=True), item(3, 0, lead="b"), item(4, 0, lead="A")]
    assert [i.nudge_id for i in ordered(items)] == [2, 4, 3, 1]


def test_what_fits_in_one_message():
    room = MESSAGE_BLOCKS - LIST_FRAME_BLOCKS
    open_lines = [item(n, n) for n in range(40)]
    assert fit(open_lines, 2, 1) == room // 2
    done_lines = [item(n, n, done=True) for n in range(60)]
    assert fit(done_lines, 2, 1) == room
    assert fit(open_lines, 2, 1, limit=MESSAGE_BLOCKS - 3) == (room - 3) // 2  # held messages take room too


def test_open_since_names_an_earlier_day_only():
    now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)  # Monday
    assert open_since(T, now, LON) == dt.date(2026, 11, 27)
    assert open_since(now - dt.timedelta(hours=1), now, LON) is None


def test_afternoon_is_local():
    assert not is_afternoon(dt.datetime(2026, 11, 27, 11, 59, tzinfo=LON), LON)
    assert is_afternoon(dt.datetime(2026, 11, 27, 12, 0, tzinfo=LON), LON)

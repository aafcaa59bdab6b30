import datetime as dt
import random

from coaching_scenarios import DEFAULTS, Day, at

from coaching.domain import WorkType
from coaching.streaks import ACTIVITY_ORDER, Streak, current_streak, in_order, streaks


def test_calls_chain_while_gaps_are_at_most_twenty_minutes():
    day = Day().call(at(9)).call(at(9, 20)).work(at(9, 30), 30).call(at(10, 21))
    assert streaks(day.activities, DEFAULTS) == [Streak(at(9), at(10)), Streak(at(10, 21), at(10, 21))]


def test_a_break_ends_a_streak_and_focus_blocks_are_not_work():
    day = Day().call(at(9)).call(at(9, 10)).pause(at(9, 12), 5).call(at(9, 20)).focus(at(9, 20), 120)
    assert streaks(day.activities, DEFAULTS) == [Streak(at(9), at(9, 10)), Streak(at(9, 20), at(9, 20))]


def test_minutes_and_input_order_do_not_matter():
    day = Day().work(at(9), 45, WorkType.ADMIN).call(at(9, 50)).call(at(10, 5))
    shuffled = day.activities[:]
    random.Random(4).shuffle(shuffled)
    assert streaks(shuffled, DEFAULTS) == streaks(day.activities, DEFAULTS)
    assert streaks(day.activities, DEFAULTS)[0].minutes == 65


def test_current_streak_is_the_open_one_near_now():
    day = Day().calls(at(9), 10, 10)  # 09:00-10:30
    assert current_streak(day.activities, at(10, 50), DEFAULTS) == Streak(at(9), at(10, 30))
    assert current_streak(day.activities, at(10, 51), DEFAULTS) is None
    assert current_streak([], at(10), DEFAULTS) is None


def test_no_current_streak_after_a_break():
    day = Day().calls(at(9), 10, 10).pause(at(10, 35), 10)
    assert current_streak(day.activities, at(10, 40), DEFAULTS) is None


def test_current_streak_ignores_what_starts_after_now():
    day = Day().calls(at(9), 10, 10).pause(at(10, 45), 10)
    assert current_streak(day.activities, at(10, 40), DEFAULTS) == Streak(at(9), at(10, 30))


def test_work_running_backwards_is_an_instant():
    day = Day().work(at(9), -30).call(at(9, 10))
    assert streaks(day.activities, DEFAULTS) == [Streak(at(9), at(9, 10))]
    assert current_streak(day.activities, at(9, 10) + dt.timedelta(minutes=1), DEFAULTS).minutes == 10


def test_in_order_breaks_ties_on_start_by_end_then_id():
    day = Day().call(at(9)).work(at(9), 10).call(at(9)).focus(at(8), 60).call(at(10))
    for seed in range(5):
        shuffled = day.activities[:]
        random.Random(seed).shuffle(shuffled)
        assert in_order(shuffled) == sorted(day.activities, key=ACTIVITY_ORDER)

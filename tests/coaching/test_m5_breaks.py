"""M5 breaks: M501 a long stretch without a break, M502 a long day without any break."""

import pytest
from coaching_scenarios import Day, at, found, run

from coaching.findings import Severity
from coaching.settings import CoachSettings


def stretch(minutes: int, every: int = 10) -> Day:
    """Calls from 09:00 every `every` minutes, the last one exactly `minutes` after the first."""
    day = Day().calls(at(9), minutes // every + 1, every)
    if minutes % every:
        day.call(at(9, minutes))
    return day


@pytest.mark.parametrize("minutes", [90, 91, 150])
def test_m501_fires_after_a_past_stretch_of_ninety_minutes(minutes):
    finding = found("M501", run(stretch(minutes)))
    assert finding is not None
    assert finding.severity is Severity.ADVICE
    assert finding.key == "rule.M501.tip"
    assert finding.params["minutes"].n == minutes
    assert finding.params["max_minutes"] == 90


def test_m501_warns_now_while_the_stretch_is_still_going():
    finding = found("M501", run(stretch(100), now=at(11)))  # 20 minutes after the last call, at 10:40
    assert finding.severity is Severity.WARNING
    assert finding.key == "rule.M501.tip_now"
    assert finding.params["minutes"].n == 100


def test_m501_is_advice_once_the_rep_has_stopped():
    assert found("M501", run(stretch(100), now=at(11, 1))).severity is Severity.ADVICE


@pytest.mark.parametrize(
    "day",
    [
        stretch(89),
        Day().calls(at(9), 5, 10).calls(at(10, 1), 5, 10),  # a 21-minute gap splits it
        stretch(150).pause(at(10), 5),  # a break at 10:00: 60 and 80 minutes
        Day().focus(at(9), 180).call(at(9)).call(at(11, 30)),  # a focus block is a plan, not work
    ],
    ids=["89-minutes", "gap", "break", "focus-block"],
)
def test_m501_quiet(day):
    assert found("M501", run(day)) is None


def test_m501_work_durations_count_and_a_twenty_minute_gap_still_chains():
    day = Day().work(at(9), 50, None).call(at(10, 10)).work(at(10, 10), 20)  # 09:00-10:30, gap exactly 20
    assert found("M501", run(day)).params["minutes"].n == 90


def test_m501_gap_is_a_setting():
    day = Day().calls(at(9), 5, 10).calls(at(10, 1), 5, 10)
    settings = CoachSettings().with_overrides({"streak_gap_minutes": 30})
    assert found("M501", run(day, settings=settings)) is not None


def test_m502_fires_for_four_hours_of_logged_work_without_a_break():
    # 08:00-10:00 and 11:00-13:10, calls every 10 minutes: 4 h 10 min logged, an hour between not counted.
    day = Day().calls(at(8), 13, 10).calls(at(11), 14, 10)
    finding = found("M502", run(day))
    assert finding is not None
    assert finding.params["hours"].n == 4.1
    assert finding.params["max_hours"].n == 4


@pytest.mark.parametrize(
    "day",
    [
        Day().call(at(8)).call(at(11, 59)),
        Day().call(at(10)).call(at(17, 40)),  # nothing logged in between: two moments of work, not a day
        Day().calls(at(8), 11, 30).work(at(13, 30), 30, None),  # 08:00-14:00 with 30-minute gaps: 30 min logged
        Day().calls(at(8), 30, 10).pause(at(10), 5),
        Day().focus(at(8), 120).call(at(9)).calls(at(10, 30), 7, 10),  # 2 h blocked, 1 h of calls after it
        Day(),
    ],
    ids=["two-calls", "the-issue-day", "sparse", "one-break", "focus-block", "empty"],
)
def test_m502_quiet(day):
    assert found("M502", run(day)) is None


def test_m502_counts_focus_blocks_as_logged_work_up_to_now_and_each_minute_once():
    # A 3-hour calling block with calls inside it, then an hour and a half of calls: 4 h 30 min, no break.
    day = Day().focus(at(8), 180).calls(at(8), 10, 15).calls(at(11, 30), 10, 10)
    assert found("M502", run(day)).params["hours"].n == 4.5
    # At 10:00 the block has run for two hours only: not yet four.
    assert found("M502", run(Day().focus(at(8), 300), now=at(10))) is None
    assert found("M502", run(Day().focus(at(8), 300), now=at(12))).params["hours"].n == 4.0


def test_m502_boundary_is_inclusive():
    assert found("M502", run(Day().calls(at(8), 25, 10))) is not None  # 08:00-12:00 logged: four hours

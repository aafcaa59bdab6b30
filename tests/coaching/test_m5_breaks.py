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


def test_m502_fires_for_four_hours_without_a_break():
    day = Day().calls(at(8), 9, 30).work(at(12, 30), 30, None)  # 08:00-13:00, gaps of 30 minutes
    finding = found("M502", run(day))
    assert finding is not None
    assert finding.params["hours"].n == 5
    assert finding.params["max_hours"].n == 4
    assert found("M501", run(day)) is None  # no single stretch: the gaps are longer than 20 minutes


@pytest.mark.parametrize(
    "day",
    [
        Day().call(at(8)).call(at(11, 59)),
        Day().call(at(8)).pause(at(10), 5).call(at(16)),
        Day().focus(at(8), 300).call(at(9)),
        Day(),
    ],
    ids=["3h59", "one-break", "focus-block", "empty"],
)
def test_m502_quiet(day):
    assert found("M502", run(day)) is None


def test_m502_boundary_is_inclusive():
    assert found("M502", run(Day().call(at(8)).call(at(12)))) is not None

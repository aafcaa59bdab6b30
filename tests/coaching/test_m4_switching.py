"""M4 one thing at a time: M401 switching between kinds of work, M402 other work inside a focus block."""

import datetime as dt

import pytest
from coaching_scenarios import Day, at, found, run

from coaching.domain import Outcome, WorkType


def alternating(switches: int, every: float, start: dt.datetime | None = None) -> Day:
    """A call, then email, then a call... : `switches` switches, one every `every` minutes."""
    day = Day()
    start = start or at(9)
    for i in range(switches + 1):
        moment = start + dt.timedelta(minutes=i * every)
        if i % 2:
            day.work(moment, 1, WorkType.EMAIL)
        else:
            day.call(moment)
    return day


@pytest.mark.parametrize(("switches", "every"), [(7, 8), (7, 9.9), (12, 5)])
def test_m401_fires_over_six_switches_in_an_hour(switches, every):
    finding = found("M401", run(alternating(switches, every)))
    assert finding is not None
    assert finding.params["switches"].n > 6
    assert finding.params["window_minutes"] == 60
    assert finding.params["max_switches"] == 6


@pytest.mark.parametrize(("switches", "every"), [(6, 5), (7, 10), (20, 12)], ids=["six", "spread", "slow"])
def test_m401_quiet(switches, every):
    # 7 switches 10 minutes apart span exactly 60 minutes: the first and last don't share a window.
    assert found("M401", run(alternating(switches, every))) is None


def test_m401_same_kind_breaks_and_focus_are_not_switches():
    day = Day().focus(at(9), 60, WorkType.CALLS)
    for i in range(10):
        day.call(at(9, i * 5), Outcome.CONNECTED)
        day.pause(at(9, i * 5 + 1), 1)
    assert found("M401", run(day)) is None


def test_m401_each_work_type_is_its_own_kind():
    day = Day()
    kinds = [WorkType.EMAIL, WorkType.ADMIN, WorkType.RESEARCH, WorkType.PREP, WorkType.MEETING]
    for i in range(8):
        day.work(at(14, i * 5), 2, kinds[i % len(kinds)])
    assert found("M401", run(day)).params["switches"].n == 7


def test_m402_fires_for_other_work_inside_a_focus_block():
    day = Day().focus(at(10), 60, WorkType.CALLS).call(at(10, 5)).work(at(10, 20), 10, WorkType.EMAIL)
    finding = found("M402", run(day))
    assert finding is not None
    assert finding.params["interruptions"].n == 1
    assert finding.params["blocks"].n == 1


def test_m402_a_call_inside_a_non_calls_block_interrupts_it():
    day = Day().focus(at(10), 60, WorkType.ADMIN).work(at(10), 30, WorkType.ADMIN).call(at(10, 59))
    assert found("M402", run(day)) is not None


def test_m402_work_overlapping_the_start_interrupts_it():
    day = Day().work(at(9, 50), 20, WorkType.EMAIL).focus(at(10), 60, WorkType.CALLS)
    assert found("M402", run(day)) is not None


@pytest.mark.parametrize(
    "day",
    [
        Day().focus(at(10), 60, WorkType.CALLS).calls(at(10), 12, 5),
        Day().focus(at(10), 60, WorkType.CALLS).call(at(11)).work(at(11), 30, WorkType.EMAIL),
        Day().focus(at(10), 60, WorkType.CALLS).work(at(9, 30), 30, WorkType.EMAIL),
        Day().focus(at(10), 60, None).work(at(10, 10), 30, WorkType.EMAIL),
        Day().focus(at(10), 60, WorkType.CALLS).pause(at(10, 30), 10),
        Day().work(at(10, 10), 30, WorkType.EMAIL),
    ],
    ids=["only-calls", "after-the-block", "before-the-block", "no-work-type", "a-break", "no-block"],
)
def test_m402_quiet(day):
    assert found("M402", run(day)) is None


def test_m402_counts_interruptions_across_blocks():
    day = (
        Day()
        .focus(at(9), 30, WorkType.CALLS)
        .work(at(9, 10), 5, WorkType.EMAIL)
        .work(at(9, 20), 5, WorkType.ADMIN)
        .focus(at(14), 30, WorkType.EMAIL)
        .call(at(14, 15))
    )
    finding = found("M402", run(day))
    assert (finding.params["interruptions"].n, finding.params["blocks"].n) == (3, 2)

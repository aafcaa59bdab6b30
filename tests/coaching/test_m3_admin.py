"""M3 admin: M301 too much admin, M302 admin in many pieces."""

import datetime as dt

import pytest
from coaching_scenarios import Day, at, found, run

from coaching.domain import WorkType

ADMIN = WorkType.ADMIN


def test_m301_fires_over_two_hours():
    day = Day().work(at(8), 121, ADMIN).calls(at(10, 5), 40, 10)
    finding = found("M301", run(day))
    assert finding is not None
    assert finding.params["admin_minutes"].n == 121
    assert finding.params["max_minutes"] == 120


def test_m301_quiet_at_two_hours_when_share_is_small():
    day = Day().work(at(8), 120, ADMIN).calls(at(10, 5), 60, 8)  # 120 of ~590 working minutes
    assert found("M301", run(day)) is None


@pytest.mark.parametrize(("admin", "fires"), [(70, True), (61, True), (60, False), (30, False)])
def test_m301_share_of_working_time(admin, fires):
    # Working time 09:00-12:20 = 200 minutes; 30% of it is 60 minutes.
    day = Day().calls(at(9), 10, 10).work(at(11), admin, ADMIN).call(at(12, 20))
    finding = found("M301", run(day))
    assert (finding is not None) is fires
    if fires:
        assert finding.params["share_pct"] == pytest.approx(admin / 200)


def test_m301_share_needs_enough_working_time():
    day = Day().call(at(9)).work(at(9, 10), 50, ADMIN).call(at(10, 40))  # 100 working minutes, half admin
    assert found("M301", run(day)) is None


def test_m301_breaks_are_not_working_time():
    # 09:00-12:20 with a 20-minute break: 180 working minutes; 58 admin minutes is 32%.
    day = Day().calls(at(9), 10, 10).pause(at(10, 40), 20).work(at(11), 58, ADMIN).call(at(12, 20))
    assert found("M301", run(day)) is not None
    assert found("M301", run(Day().calls(at(9), 10, 10).work(at(11), 58, ADMIN).call(at(12, 20)))) is None


def test_m301_other_work_is_not_admin():
    assert found("M301", run(Day().work(at(8), 300, WorkType.EMAIL))) is None


def admin_pieces(count: int, gap: float) -> Day:
    day = Day()
    for i in range(count):
        day.work(at(9) + dt.timedelta(minutes=i * (10 + gap)), 10, ADMIN)
    return day


@pytest.mark.parametrize("count", [5, 8])
def test_m302_fires_above_four_pieces(count):
    finding = found("M302", run(admin_pieces(count, 60)))
    assert finding is not None
    assert finding.params["pieces"].n == count
    assert finding.params["max_pieces"] == 4


@pytest.mark.parametrize(("count", "gap"), [(4, 60), (1, 0), (8, 0), (8, 5)], ids=["four", "one", "touching", "close"])
def test_m302_quiet(count, gap):
    assert found("M302", run(admin_pieces(count, gap))) is None


def test_m302_just_over_the_join_is_a_new_piece():
    assert found("M302", run(admin_pieces(5, 5.5))) is not None

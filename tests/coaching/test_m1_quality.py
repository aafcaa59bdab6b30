"""M1 quality over quantity: M101 connect rate, M102 research before first calls, M103 decision maker."""

import datetime as dt

import pytest
from coaching_scenarios import DAY, Day, at, found, run

from coaching.domain import Outcome
from coaching.findings import Severity
from coaching.settings import CoachSettings


def dials(total: int, conversations: int, outcome: Outcome = Outcome.CONNECTED) -> Day:
    day = Day()
    for i in range(total):
        day.call(at(9, i * 3), outcome if i < conversations else Outcome.NO_ANSWER)
    return day


@pytest.mark.parametrize(("total", "conversations"), [(20, 0), (21, 1), (40, 1), (100, 4)])
def test_m101_fires_under_five_percent(total, conversations):
    finding = found("M101", run(dials(total, conversations)))
    assert finding is not None
    assert finding.severity is Severity.ADVICE
    assert finding.key == "rule.M101.tip"
    assert finding.params["dials"] == total
    assert finding.params["conversations"] == conversations
    assert finding.params["rate_pct"] == pytest.approx(conversations / total)
    assert (finding.params["average_pct"], finding.params["top_pct"]) == (0.054, 0.133)


@pytest.mark.parametrize(("total", "conversations"), [(20, 1), (19, 0), (0, 0), (1, 0), (100, 5), (40, 30)])
def test_m101_quiet_at_or_above_five_percent_or_too_few_dials(total, conversations):
    assert found("M101", run(dials(total, conversations))) is None


def test_m101_counts_every_conversation_outcome_but_not_gatekeeper():
    day = dials(20, 0)
    for outcome in (Outcome.MEETING, Outcome.NOT_INTERESTED, Outcome.CALLBACK, Outcome.WRONG_PERSON):
        day.call(at(15), outcome)
    assert found("M101", run(day)) is None  # 4 of 24
    assert found("M101", run(dials(30, 30, Outcome.GATEKEEPER))) is not None


def test_m101_judges_only_the_day():
    yesterday = Day()
    for i in range(30):
        yesterday.call(DAY - dt.timedelta(hours=3, minutes=i))
    assert found("M101", run(yesterday)) is None


def test_m101_threshold_is_a_setting():
    strict = CoachSettings().with_overrides({"connect_rate_floor": 0.2, "connect_rate_min_dials": 5})
    assert found("M101", run(dials(10, 1), settings=strict)) is not None
    assert found("M101", run(dials(10, 2), settings=strict)) is None


def first_calls(total: int, researched: int) -> Day:
    day = Day()
    for i in range(total):
        day.call(at(10, i * 5), first=True, researched=i < researched)
    return day


@pytest.mark.parametrize(("total", "researched"), [(3, 1), (3, 0), (5, 2), (10, 4)])
def test_m102_fires_when_most_first_calls_unresearched(total, researched):
    finding = found("M102", run(first_calls(total, researched)))
    assert finding is not None
    assert finding.params["first_calls"] == total
    assert finding.params["unresearched"] == total - researched
    assert finding.params["max_share_pct"] == 0.5


@pytest.mark.parametrize(("total", "researched"), [(4, 2), (3, 2), (2, 0), (10, 5), (0, 0)])
def test_m102_quiet_at_half_or_with_few_first_calls(total, researched):
    assert found("M102", run(first_calls(total, researched))) is None


def test_m102_ignores_follow_up_calls():
    day = first_calls(1, 1)
    for i in range(10):
        day.call(at(13, i), first=False, researched=False)
    assert found("M102", run(day)) is None


def contacts(gatekeeper: int, wrong: int, right: int, *, dm_on_wrong: bool = False) -> Day:
    day = Day()
    for i in range(gatekeeper):
        day.call(at(11, i), Outcome.GATEKEEPER)
    for i in range(wrong):
        day.call(at(12, i), Outcome.WRONG_PERSON, dm=dm_on_wrong)
    for i in range(right):
        day.call(at(13, i), Outcome.CONNECTED)
    return day


@pytest.mark.parametrize(("gatekeeper", "wrong", "right"), [(2, 1, 2), (5, 0, 0), (0, 4, 1), (3, 3, 5)])
def test_m103_fires_when_most_contacts_miss_the_decision_maker(gatekeeper, wrong, right):
    finding = found("M103", run(contacts(gatekeeper, wrong, right)))
    assert finding is not None
    assert finding.params["contacts"] == gatekeeper + wrong + right
    assert finding.params["missed"] == gatekeeper + wrong


@pytest.mark.parametrize(("gatekeeper", "wrong", "right"), [(2, 1, 3), (4, 0, 0), (0, 0, 9), (1, 1, 2)])
def test_m103_quiet_at_half_or_with_few_contacts(gatekeeper, wrong, right):
    assert found("M103", run(contacts(gatekeeper, wrong, right))) is None


def test_m103_decision_maker_flag_is_not_a_miss_and_no_answers_are_not_contacts():
    assert found("M103", run(contacts(1, 4, 0, dm_on_wrong=True))) is None
    day = contacts(1, 1, 3)
    for i in range(30):
        day.call(at(15, i), Outcome.NO_ANSWER)
    assert found("M103", run(day)) is None

"""M2 follow-up: M201 a lead dropped early, M202 average persistence on never-reached leads."""

import datetime as dt

import pytest
from coaching_scenarios import DAY, EVENING, found, lead, run

from coaching.settings import CoachSettings


@pytest.mark.parametrize("attempts", [1, 2])
def test_m201_fires_for_a_lead_dropped_after_few_attempts(attempts):
    finding = found("M201", run(leads=[lead("Acme BV", attempts)]))
    assert finding is not None
    assert finding.params["leads"] == ("Acme BV",)
    assert finding.params["count"] == 1
    assert finding.params["min_attempts"] == 3


@pytest.mark.parametrize(
    "summary",
    [
        lead("Acme BV", 3),
        lead("Acme BV", 8),
        lead("Acme BV", 0),
        lead("Acme BV", 2, pending=True),
        lead("Acme BV", 1, reached=True),
        lead("Acme BV", 2, last=EVENING - dt.timedelta(days=15)),
    ],
    ids=["three-attempts", "eight-attempts", "never-called", "pending", "reached", "long-ago"],
)
def test_m201_quiet(summary):
    assert found("M201", run(leads=[summary])) is None


def test_m201_names_every_dropped_lead_sorted_and_counts_undated_ones():
    leads = [lead("Zeeman", 1), lead("Initech", 2, last=None), lead("Acme", 2), lead("Bakker", 5)]
    finding = found("M201", run(leads=leads))
    assert finding.params["leads"] == ("Acme", "Initech", "Zeeman")
    assert finding.params["count"] == 3


def test_m201_lookback_boundary():
    now = EVENING
    inside = lead("Acme", 1, last=now - dt.timedelta(days=14))
    outside = lead("Acme", 1, last=now - dt.timedelta(days=14, seconds=1))
    assert found("M201", run(leads=[inside], now=now)) is not None
    assert found("M201", run(leads=[outside], now=now)) is None


@pytest.mark.parametrize(
    ("attempts", "average"),
    [((1, 1, 1), 1.0), ((2, 3, 3), 2.6), ((1, 2, 5, 3), 2.7), ((2, 2, 2, 2, 2, 2), 2.0)],
)
def test_m202_fires_when_average_under_three(attempts, average):
    leads = [lead(f"Lead {i}", n) for i, n in enumerate(attempts)]
    finding = found("M202", run(leads=leads))
    assert finding is not None
    assert finding.params["average"] == pytest.approx(average)
    assert finding.params["widely_cited"] == 1.3
    assert finding.params["leads"].n == len(attempts)
    assert finding.params["target"].n == 6


@pytest.mark.parametrize(
    "attempts",
    [(3, 3, 3), (1, 1), (2, 4, 3), (6, 6, 1)],
    ids=["exactly-three", "too-few-leads", "average-three", "above"],
)
def test_m202_quiet(attempts):
    leads = [lead(f"Lead {i}", n) for i, n in enumerate(attempts)]
    assert found("M202", run(leads=leads)) is None


def test_m202_ignores_pending_reached_and_old_leads():
    leads = [
        lead("A", 1, pending=True),
        lead("B", 1, reached=True),
        lead("C", 1, last=DAY - dt.timedelta(days=30)),
        lead("D", 1),
        lead("E", 1),
    ]
    assert found("M202", run(leads=leads)) is None
    assert found("M202", run(leads=[*leads, lead("F", 2)])) is not None


def test_m202_floor_is_a_setting():
    leads = [lead(f"Lead {i}", 4) for i in range(3)]
    assert found("M202", run(leads=leads)) is None
    settings = CoachSettings().with_overrides({"persistence_average_floor": 5})
    assert found("M202", run(leads=leads, settings=settings)) is not None

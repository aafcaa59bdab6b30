"""Properties of the engine over arbitrary days: it never raises, and the order activities arrive in is moot."""

import datetime as dt

from coaching_scenarios import DAY
from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.domain import Activity, ActivityKind, LeadSummary, Outcome, WorkType
from coaching.engine import evaluate, pick_tip
from coaching.render import render_finding
from coaching.scorecard import render_scorecard, scorecard
from coaching.settings import CoachSettings

WEEK_START = DAY
TODAY = (DAY + dt.timedelta(days=2), DAY + dt.timedelta(days=3))
NOW = TODAY[0] + dt.timedelta(hours=15)

SETTINGS = st.sampled_from(
    [
        CoachSettings(),
        CoachSettings().with_overrides(
            {
                "connect_rate_min_dials": 1,
                "research_min_first_calls": 1,
                "decision_maker_min_contacts": 0,
                "persistence_min_leads": 1,
                "streak_gap_minutes": 0,
                "streak_max_minutes": 1,
                "no_break_day_minutes": 1,
                "admin_max_minutes": 0,
                "admin_share_min_working_minutes": 0,
                "admin_max_pieces": 0,
                "switch_max_per_window": 0,
                "switch_window_minutes": 1,
            }
        ),
        CoachSettings().with_overrides({"connect_rate_floor": 1, "unresearched_share_max": 0, "admin_max_share": 0}),
    ]
)

activity_fields = st.tuples(
    st.sampled_from(ActivityKind),
    st.integers(min_value=-24 * 60, max_value=4 * 24 * 60),  # start, minutes from the week's start
    st.one_of(st.just(0), st.integers(min_value=-30, max_value=12 * 60)),  # duration, often zero, sometimes bad
    st.one_of(st.none(), st.sampled_from(Outcome)),
    st.one_of(st.none(), st.sampled_from(WorkType)),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


def build(fields: list[tuple]) -> list[Activity]:
    activities = []
    for i, (kind, start, minutes, outcome, work, researched, dm, first) in enumerate(fields):
        began = TODAY[0] + dt.timedelta(minutes=start)
        activities.append(
            Activity(
                id=i + 1,
                kind=kind,
                started_at=began,
                ended_at=began + dt.timedelta(minutes=minutes),
                outcome=outcome,
                work=work,
                researched=researched,
                decision_maker=dm,
                first_attempt=first,
            )
        )
    return activities


leads = st.lists(
    st.builds(
        LeadSummary,
        key=st.text(min_size=1, max_size=8),
        name=st.text(max_size=30),
        attempts=st.integers(min_value=-1, max_value=12),
        reached=st.booleans(),
        pending=st.booleans(),
        last_attempt_at=st.one_of(
            st.none(), st.integers(min_value=-40, max_value=5).map(lambda d: NOW + dt.timedelta(days=d))
        ),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(fields=st.lists(activity_fields, max_size=60), leads=leads, config=SETTINGS, data=st.data())
def test_evaluate_never_raises_and_ignores_arrival_order(fields, leads, config, data):
    activities = build(fields)
    window = {"day_start": TODAY[0], "day_end": TODAY[1]}
    findings = evaluate(activities, leads, config, NOW, **window)
    shuffled = data.draw(st.permutations(activities))
    assert evaluate(shuffled, data.draw(st.permutations(leads)), config, NOW, **window) == findings
    assert findings == sorted(findings)
    assert len(set(findings)) == len(findings)
    for finding in findings:
        for language in ("en", "nl"):
            assert render_finding(finding, language)
    tip = pick_tip(findings, ())
    assert tip is None or tip == findings[0]


@settings(max_examples=100, deadline=None)
@given(fields=st.lists(activity_fields, max_size=40), leads=leads, config=SETTINGS)
def test_scorecard_never_raises(fields, leads, config):
    card = scorecard(build(fields), leads, config, NOW, day_start=TODAY[0], day_end=TODAY[1], week_start=WEEK_START)
    for language in ("en", "nl"):
        assert render_scorecard(card, language).count("\n• ") == 5

"""The quality score: results first, effort only as far as results go, dials never on their own."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coaching.quality import Points, QualitySettings, RepFigures, points, rank, score

DEFAULTS = QualitySettings()


def rep(user_id="U1", **counts):
    return RepFigures(user_id, **counts)


def test_result_points_meeting_is_a_conversation_too():
    # 1 meeting with the decision maker (10 + 5), 1 other conversation with the DM (5), 2 other conversations (2 each)
    figures = rep(dials=4, capped_dials=4, conversations=4, dm_conversations=2, meetings=1)
    assert points(figures, DEFAULTS).results == 10 + 5 + 5 + 2 + 2


def test_effort_points_add_research_follow_ups_and_capped_dials():
    figures = rep(
        dials=50, capped_dials=40, conversations=10, dm_conversations=10, researched_calls=6, followup_attempts=4
    )
    assert points(figures, DEFAULTS) == Points(results=50, effort=0.5 * 6 + 4 + 0.1 * 40, counted_effort=11)
    assert score(figures, DEFAULTS) == 61


def test_only_the_capped_dials_count():
    many = rep(dials=300, capped_dials=40, conversations=10)
    same_capped = rep(dials=40, capped_dials=40, conversations=10)
    assert score(many, DEFAULTS) == score(same_capped, DEFAULTS) == 20 + 4


def test_dials_never_count_on_their_own():
    assert score(rep(dials=200, capped_dials=120), DEFAULTS) == 0
    # Even where a team lets effort count without results, dials alone still earn nothing.
    generous = DEFAULTS.with_overrides({"effort_cap": 1000})
    assert points(rep(dials=200, capped_dials=120), generous).effort == 0
    assert points(rep(dials=200, capped_dials=120, conversations=1), generous).effort == 12


def test_effort_is_capped_at_the_results():
    # One conversation doesn't carry a week of dials, research ticks and follow-ups up the board.
    busy = rep(dials=200, capped_dials=200, conversations=1, researched_calls=200, followup_attempts=150)
    assert points(busy, DEFAULTS).counted_effort == 2
    assert score(busy, DEFAULTS) == 4
    assert score(busy, DEFAULTS.with_overrides({"effort_cap": 0})) == 2


def test_two_meetings_from_ten_researched_calls_beat_sixty_unanswered_dials():
    quality = rep("U0QUALITY", dials=10, capped_dials=10, conversations=2, meetings=2, researched_calls=10)
    volume = rep("U0VOLUME", dials=60, capped_dials=40)
    # The same 60 unanswered dials as a full cadence on 10 leads: 50 follow-ups, every call ticked "+research".
    persistent = rep("U0PERSIST", dials=60, capped_dials=40, researched_calls=60, followup_attempts=50)
    assert score(quality, DEFAULTS) == 24 + 5 + 1
    board = rank([volume, persistent, quality], DEFAULTS)
    assert [r.figures.user_id for r in board] == ["U0QUALITY", "U0PERSIST", "U0VOLUME"]
    assert [r.position for r in board] == [1, 2, 2]
    assert board[1].score == board[2].score == 0


@given(
    dials=st.integers(0, 10_000),
    researched=st.integers(0, 10_000),
    followups=st.integers(0, 10_000),
)
def test_no_volume_of_unanswered_dialing_beats_two_meetings(dials, researched, followups):
    researched, followups = min(researched, dials), min(followups, dials)
    volume = rep("U0A", dials=dials, capped_dials=min(dials, 40 * 30), researched_calls=researched,
                 followup_attempts=followups)  # fmt: skip
    quality = rep("U0Z", dials=10, capped_dials=10, conversations=2, meetings=2, researched_calls=10)
    assert score(volume, DEFAULTS) == 0
    assert rank([volume, quality], DEFAULTS)[0].figures.user_id == "U0Z"


@given(
    counts=st.lists(st.integers(0, 500), min_size=7, max_size=7),
    cap=st.floats(0, 5),
)
def test_score_stays_between_the_results_and_the_capped_effort(counts, cap):
    dials, *rest = counts
    conversations = min(rest[0], dials)
    figures = rep(
        dials=dials,
        capped_dials=min(rest[1], dials),
        conversations=conversations,
        dm_conversations=min(rest[2], conversations),
        meetings=min(rest[3], conversations),
        researched_calls=min(rest[4], dials),
        followup_attempts=min(rest[5], dials),
    )
    settings = DEFAULTS.with_overrides({"effort_cap": cap})
    got = points(figures, settings)
    assert got.results <= got.score <= got.results * (1 + cap) + 1e-6
    if conversations == 0:
        assert got.score == 0


def test_ties_share_a_position_and_list_by_user_id():
    figures = [
        rep("U0C", dials=1, capped_dials=1, conversations=1),
        rep("U0A", dials=1, capped_dials=1, conversations=1),
        rep("U0D", dials=3, capped_dials=3, conversations=1, meetings=1),
        rep("U0B", dials=1, capped_dials=1, conversations=1),
        rep("U0E"),
    ]
    board = rank(figures, DEFAULTS)
    assert [(r.position, r.figures.user_id, r.score) for r in board] == [
        (1, "U0D", 12.3),
        (2, "U0A", 2.1),
        (2, "U0B", 2.1),
        (2, "U0C", 2.1),
        (5, "U0E", 0),
    ]
    assert rank(reversed(figures), DEFAULTS) == board
    assert rank([], DEFAULTS) == []


def test_equal_work_ties_despite_float_rounding():
    # 8 dials at 0.1 are 0.8, while 0.7 + 0.1 is 0.7999999999999999 in floating point: both must score 1.8.
    settings = DEFAULTS.with_overrides({"conversation_points": 1, "researched_call_points": 0.7})
    dialer = rep("U0A", dials=8, capped_dials=8, conversations=1)
    researcher = rep("U0B", dials=1, capped_dials=1, conversations=1, researched_calls=1)
    assert score(dialer, settings) == score(researcher, settings) == 1.8
    assert [r.position for r in rank([dialer, researcher], settings)] == [1, 1]


def test_weights_can_be_tuned():
    figures = rep(dials=10, capped_dials=10, conversations=2, meetings=1, dm_conversations=1)
    assert score(figures, DEFAULTS.with_overrides({"meeting_points": 20, "effort_cap": 0})) == 20 + 5 + 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"dials": 1, "capped_dials": 2}, "capped_dials"),
        ({"dials": 1, "researched_calls": 2}, "researched_calls"),
        ({"dials": 1, "followup_attempts": 2}, "followup_attempts"),
        ({"dials": 1, "conversations": 1, "meetings": 2}, "meetings"),
        ({"dials": -1}, "negative"),
    ],
)
def test_impossible_figures_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        rep(**bad)


def test_settings_defaults_and_json_round_trip():
    assert DEFAULTS.to_dict() == {
        "meeting_points": 10.0,
        "decision_maker_points": 5.0,
        "conversation_points": 2.0,
        "researched_call_points": 0.5,
        "followup_points": 1.0,
        "dial_points": 0.1,
        "daily_dial_cap": 40,
        "effort_cap": 1.0,
    }
    tuned = DEFAULTS.with_overrides({"daily_dial_cap": 60.0, "meeting_points": 12})
    assert tuned.daily_dial_cap == 60 and isinstance(tuned.daily_dial_cap, int)
    assert tuned.meeting_points == 12.0 and isinstance(tuned.meeting_points, float)
    assert DEFAULTS.with_overrides(json.loads(json.dumps(tuned.to_dict()))) == tuned
    assert DEFAULTS.with_overrides({}) == DEFAULTS


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"meeting": 10}, "meeting"),
        ({"meeting_points": "10"}, "meeting_points"),
        ({"meeting_points": -1}, "meeting_points"),
        ({"daily_dial_cap": 0}, "daily_dial_cap"),
        ({"daily_dial_cap": 40.5}, "daily_dial_cap"),
        ({"daily_dial_cap": True}, "daily_dial_cap"),
        ({"dial_points": float("inf")}, "dial_points"),
        ({"effort_cap": None}, "effort_cap"),
    ],
)
def test_bad_overrides_name_the_key(overrides, key):
    with pytest.raises(ValueError, match=repr(key)):
        DEFAULTS.with_overrides(overrides)


def test_settings_are_checked_and_frozen():
    with pytest.raises(ValueError, match="daily_dial_cap"):
        QualitySettings(daily_dial_cap=0)
    with pytest.raises(AttributeError):
        DEFAULTS.daily_dial_cap = 10  # type: ignore[misc]

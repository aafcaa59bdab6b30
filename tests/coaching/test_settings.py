import json

import pytest

from coaching.settings import CoachSettings


def test_defaults_match_the_evidence_table():
    s = CoachSettings()
    assert (s.connect_rate_floor, s.connect_rate_min_dials) == (0.05, 20)
    assert (s.early_drop_attempts, s.target_attempts) == (3, 6)
    assert (s.admin_max_minutes, s.admin_max_pieces) == (120, 4)
    assert (s.switch_max_per_window, s.switch_window_minutes) == (6, 60)
    assert (s.streak_max_minutes, s.streak_gap_minutes, s.no_break_day_minutes) == (90, 20, 240)


def test_round_trips_through_json():
    s = CoachSettings().with_overrides({"admin_max_minutes": 90, "connect_rate_floor": 0.04})
    assert CoachSettings().with_overrides(json.loads(json.dumps(s.to_dict()))) == s
    assert s.to_dict()["admin_max_minutes"] == 90


def test_overrides_convert_json_numbers():
    s = CoachSettings().with_overrides({"connect_rate_floor": 0, "admin_max_minutes": 90.0})
    assert s.connect_rate_floor == 0.0 and isinstance(s.connect_rate_floor, float)
    assert s.admin_max_minutes == 90 and isinstance(s.admin_max_minutes, int)
    assert CoachSettings().with_overrides({}) == CoachSettings()


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"connect_rate": 0.05}, "connect_rate"),
        ({"connect_rate_floor": "5%"}, "connect_rate_floor"),
        ({"connect_rate_floor": 5}, "connect_rate_floor"),
        ({"admin_max_minutes": True}, "admin_max_minutes"),
        ({"admin_max_minutes": 90.5}, "admin_max_minutes"),
        ({"admin_max_minutes": -1}, "admin_max_minutes"),
        ({"streak_max_minutes": 0}, "streak_max_minutes"),
        ({"admin_max_share": float("nan")}, "admin_max_share"),
        ({"admin_max_pieces": None}, "admin_max_pieces"),
    ],
)
def test_bad_overrides_name_the_key(overrides, key):
    with pytest.raises(ValueError, match=repr(key)):
        CoachSettings().with_overrides(overrides)


def test_direct_construction_is_checked_and_frozen():
    with pytest.raises(ValueError, match="admin_max_share"):
        CoachSettings(admin_max_share=2)
    with pytest.raises(AttributeError):
        CoachSettings().admin_max_minutes = 10  # type: ignore[misc]

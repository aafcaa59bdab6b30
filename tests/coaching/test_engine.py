import datetime as dt

import pytest
from coaching_scenarios import DAY, DEFAULTS, Day, at, lead, run

from coaching.domain import Outcome, WorkType
from coaching.engine import day_window, evaluate, pick_tip
from coaching.findings import Finding, Severity


def busy_day() -> Day:
    """A day that trips most rules: dials without conversations, admin in pieces, switching, no breaks."""
    day = Day().calls(at(8), 30, 4)
    for i in range(6):
        day.work(at(10, i * 12), 6, WorkType.ADMIN).call(at(10, i * 12 + 7), Outcome.GATEKEEPER)
    day.work(at(11, 30), 150, WorkType.ADMIN).focus(at(14), 60, WorkType.CALLS).work(at(14, 10), 5, WorkType.EMAIL)
    return day


def test_empty_day_has_no_findings():
    assert evaluate([], [], DEFAULTS, at(12)) == []


def test_findings_are_sorted_by_severity_then_code():
    findings = run(busy_day(), [lead("Acme", 1)], now=at(14, 20))
    codes = [f.code for f in findings]
    assert {"M101", "M201", "M301", "M302", "M401", "M402", "M501", "M502"} <= set(codes)
    assert findings[0].code == "M501" and findings[0].severity is Severity.WARNING
    assert findings == sorted(findings)
    keys = [(-f.severity, f.code) for f in findings]
    assert keys == sorted(keys)
    assert findings[-1].severity is Severity.INFO


def test_findings_are_unique_and_hashable():
    findings = run(busy_day())
    assert len(set(findings)) == len(findings)


def test_pick_tip_skips_codes_already_sent_and_follows_the_order():
    findings = run(busy_day(), now=at(14, 20))
    assert pick_tip(findings, ()) == findings[0]
    assert pick_tip(list(reversed(findings)), ()) == findings[0]
    assert pick_tip(findings, {"M501"}) == findings[1]
    assert pick_tip(findings, {f.code for f in findings}) is None
    assert pick_tip([], ()) is None


def test_default_window_is_the_utc_day_of_now():
    day = Day().call(DAY - dt.timedelta(minutes=1)).call(DAY).call(DAY + dt.timedelta(hours=23, minutes=59))
    assert day_window(at(15)) == (DAY, DAY + dt.timedelta(days=1))
    amsterdam = dt.timezone(dt.timedelta(hours=1))
    assert day_window(at(15).astimezone(amsterdam)) == (DAY, DAY + dt.timedelta(days=1))
    assert day_window(at(15), day_start=at(-1)) == (at(-1), at(23))
    assert day_window(at(15), day_end=at(23)) == (at(-1), at(23))
    assert len(day.activities) == 3


def test_window_is_given_by_the_caller():
    # The rep's local day in Amsterdam (UTC+1) starts at 23:00 UTC the day before.
    dials = Day().calls(at(-1), 25, 2)  # 23:00-23:48 UTC the day before: today in Amsterdam
    local = {"day_start": at(-1), "day_end": at(23)}
    assert [f.code for f in evaluate(dials.activities, [], DEFAULTS, at(12), **local)] == ["M101"]
    assert evaluate(dials.activities, [], DEFAULTS, at(12)) == []


def test_bad_window_raises():
    with pytest.raises(ValueError, match="day_end"):
        evaluate([], [], DEFAULTS, at(12), day_start=at(12), day_end=at(12))


def test_finding_params_are_frozen_and_comparable():
    finding = run(Day().calls(at(9), 25, 1))[0]
    assert isinstance(finding, Finding)
    assert dict(finding.params)["dials"] == 25
    with pytest.raises(TypeError):
        finding.params["dials"] = 3  # type: ignore[index]
    assert hash(finding) == hash(run(Day().calls(at(9), 25, 1))[0])

import pytest

from coaching.findings import Count, Finding, Params, Severity
from coaching.numbers import fmt_num, fmt_pct


@pytest.mark.parametrize(
    ("value", "en", "nl"),
    [(0.054, "5.4%", "5,4%"), (0.05, "5%", "5%"), (0.133, "13.3%", "13,3%"), (0, "0%", "0%"), (None, "–", "–")],
)
def test_fmt_pct(value, en, nl):
    assert (fmt_pct(value, "en"), fmt_pct(value, "nl")) == (en, nl)


@pytest.mark.parametrize(
    ("value", "en", "nl"),
    [(1.3, "1.3", "1,3"), (6, "6", "6"), (2.0, "2", "2"), (1234.56, "1,234.6", "1.234,6"), (-0.01, "0", "0")],
)
def test_fmt_num(value, en, nl):
    assert (fmt_num(value, "en"), fmt_num(value, "nl")) == (en, nl)


def test_fmt_num_whole_and_unknown_language():
    assert fmt_num(89.6, "nl", 0) == "90"
    assert fmt_num(1.5, "de") == "1.5"
    assert fmt_num(float("inf"), "en") == "–"


def make(severity=Severity.ADVICE, code="M101", **params):
    return Finding(code, "slug", int(code[1]), severity, f"rule.{code}.tip", params, "source (B)")


def test_severity_order():
    assert Severity.INFO < Severity.ADVICE < Severity.WARNING


def test_params_are_a_frozen_sorted_mapping():
    params = Params({"b": [1, 2], "a": Count(2, "lead")})
    assert list(params) == ["a", "b"]
    assert params["b"] == (1, 2)
    assert params == {"a": Count(2, "lead"), "b": (1, 2)}
    assert hash(params) == hash(Params({"a": Count(2, "lead"), "b": (1, 2)}))
    with pytest.raises(KeyError):
        params["c"]


def test_findings_hash_and_order_deterministically():
    assert make(dials=3) == make(dials=3) and hash(make(dials=3)) == hash(make(dials=3))
    ordered = [
        make(Severity.WARNING, "M501"),
        make(Severity.ADVICE, "M101", dials=3),
        make(Severity.ADVICE, "M101", dials=20),
        make(Severity.ADVICE, "M101", dials="x"),
        make(Severity.ADVICE, "M201"),
        make(Severity.INFO, "M302"),
    ]
    assert sorted(reversed(ordered)) == ordered
    assert len({*ordered, *ordered}) == len(ordered)

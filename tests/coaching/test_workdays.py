"""Public holidays in the pure core: the calendar, the one working-day test, and tips that don't nag."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from coaching.cadence import CadenceSettings, next_attempt_at
from coaching.domain import LeadSummary, StopReason
from coaching.engine import pick_tip
from coaching.findings import Finding, Severity
from coaching.hours import WorkingHours, add_working_days, is_working, next_working_moment, working_days_before
from coaching.metrics import closed_unreached
from coaching.workdays import NO_HOLIDAYS, HolidayCalendar, country_of_locale

AMS = ZoneInfo("Europe/Amsterdam")
NL = HolidayCalendar.parse("NL")
DUTCH_HOURS = WorkingHours(holidays=NL)


def test_a_calendar_is_read_from_a_country_code_with_an_optional_region():
    assert NL == HolidayCalendar("NL") and NL.code == "NL"
    assert HolidayCalendar.parse(" de-by ") == HolidayCalendar("DE", "BY")
    assert HolidayCalendar.parse("gb-sct").code == "GB-SCT"
    for wrong in ("XX", "NLD", "DE-ZZ", ""):
        with pytest.raises(ValueError):
            HolidayCalendar.parse(wrong)


def test_holidays_come_from_the_holidays_package_in_the_reps_language():
    kings_day, christmas = dt.date(2026, 4, 27), dt.date(2026, 12, 25)
    assert NL.is_holiday(kings_day) and NL.is_holiday(christmas) and not NL.is_holiday(dt.date(2026, 11, 26))
    assert NL.name(kings_day, "nl") == "Koningsdag" and NL.name(kings_day, "en") == "King's Day"
    assert HolidayCalendar.parse("US").is_holiday(dt.date(2026, 11, 26))  # Thanksgiving
    # Epiphany is a holiday in Bavaria, not in Berlin.
    assert HolidayCalendar.parse("DE-BY").is_holiday(dt.date(2026, 1, 6))
    assert not HolidayCalendar.parse("DE-BE").is_holiday(dt.date(2026, 1, 6))
    assert not NO_HOLIDAYS.is_holiday(christmas) and NO_HOLIDAYS.name(christmas, "en") is None


def test_a_locale_names_a_country():
    assert country_of_locale("nl-NL") == "NL" and country_of_locale("en_GB") == "GB"
    assert country_of_locale("en") is None and country_of_locale(None) is None


def test_the_working_day_test_skips_holidays_everywhere():
    christmas_eve = dt.date(2026, 12, 24)  # a Thursday; Friday is Christmas, Saturday the second day
    assert DUTCH_HOURS.working_day(christmas_eve) and not DUTCH_HOURS.working_day(dt.date(2026, 12, 25))
    assert add_working_days(christmas_eve, 1, DUTCH_HOURS) == dt.date(2026, 12, 28)
    assert add_working_days(christmas_eve, 1, WorkingHours()) == dt.date(2026, 12, 25)
    assert working_days_before(dt.date(2026, 12, 28), 1, DUTCH_HOURS) == christmas_eve
    christmas_noon = dt.datetime(2026, 12, 25, 12, 0, tzinfo=AMS)
    assert not is_working(christmas_noon, AMS, DUTCH_HOURS) and is_working(christmas_noon, AMS, WorkingHours())
    assert next_working_moment(christmas_noon, AMS, DUTCH_HOURS) == dt.datetime(2026, 12, 28, 9, 0, tzinfo=AMS)


def test_a_cadence_counts_only_working_days():
    call = dt.datetime(2026, 12, 24, 10, 0, tzinfo=AMS)
    due = next_attempt_at(call, 1, CadenceSettings(), AMS, DUTCH_HOURS)
    assert due == dt.datetime(2026, 12, 28, 10, 0, tzinfo=AMS)


def test_a_lead_stopped_for_a_reason_was_not_given_up():
    since = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    leads = [
        LeadSummary("1", "Kestrel Aviation", 1, reached=False, pending=False, stop_reason=StopReason.BOUGHT_ELSEWHERE),
        LeadSummary("2", "Lakeside Dental", 1, reached=False, pending=False),
    ]
    assert [lead.name for lead in closed_unreached(leads, since, undated=True)] == ["Lakeside Dental"]


def dropped(*leads: str, code: str = "M201") -> Finding:
    return Finding(code, "x", 2, Severity.ADVICE, f"rule.{code}.tip", {"leads": leads, "count": len(leads)}, "")


def test_a_tip_about_the_same_leads_waits_but_a_new_lead_is_told():
    recent = [frozenset({"Kestrel Aviation"})]
    assert pick_tip([dropped("Kestrel Aviation")], (), recent) is None
    new = dropped("Kestrel Aviation", "Lakeside Dental")
    assert pick_tip([new], (), recent) == new
    assert pick_tip([new], (), [*recent, frozenset({"Lakeside Dental"})]) is None
    assert pick_tip([new], (), (), muted={"M201"}) is None
    assert pick_tip([new], {"M201"}) is None  # once a day per rule still holds


def test_the_next_holiday_is_named_in_the_reps_language_or_english():
    assert NL.next_holiday(dt.date(2026, 11, 23), "nl") == (dt.date(2026, 12, 25), "Eerste kerstdag")
    assert NL.next_holiday(dt.date(2026, 12, 25), "en") == (dt.date(2026, 12, 25), "Christmas Day")
    # holidays has no Dutch names for Bavaria: English, not German, for a Dutch reader.
    assert HolidayCalendar.parse("DE-BY").next_holiday(dt.date(2026, 12, 1), "nl")[1] == "Christmas Day"
    assert NO_HOLIDAYS.next_holiday(dt.date(2026, 12, 1), "en") is None

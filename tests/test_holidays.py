"""Public holidays through the real app: no follow-up falls due, no nudge and no scheduled post goes out on one."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.slack.standin import texts
from bot.storage.models import Nudge, Rep
from tests.conftest import TEAM

AMS, LONDON, NY = ZoneInfo("Europe/Amsterdam"), ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


def at(tz, *args):
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


def pending_followup(coachbot, user):
    with coachbot.db.read() as s:
        return s.scalar(
            select(Nudge.due_at).where(Nudge.user_id == user, Nudge.kind == "followup", Nudge.status == "pending")
        )


def sweep_hourly(coachbot, tz, day):
    for hour in range(0, 24):
        coachbot.sweep(at(tz, day.year, day.month, day.day, hour, 5))


def test_a_cadence_counts_only_working_days_of_the_reps_country(coachbot):
    # Jordan works in New York: his country defaults from his time zone, and Thanksgiving (Thu 26 Nov) is off.
    coachbot.clock.set(at(NY, 2026, 11, 25, 10, 0))
    coachbot.slash("/call", "Acme BV no-answer", user="U0JORDAN")
    assert pending_followup(coachbot, "U0JORDAN") == at(NY, 2026, 11, 27, 10, 0)
    # Sam in London works that Thursday; for Anouk in Amsterdam Christmas (Fri 25 Dec) and the weekend are off.
    coachbot.slash("/call", "Initech no-answer", user="U0SAM")
    assert pending_followup(coachbot, "U0SAM") == at(AMS, 2026, 11, 26, 16, 0)
    coachbot.clock.set(at(AMS, 2026, 12, 24, 11, 0))
    coachbot.slash("/call", "Globex no-answer", user="U0ANOUK")
    assert pending_followup(coachbot, "U0ANOUK") == at(AMS, 2026, 12, 28, 11, 0)


def test_nothing_is_sent_on_a_public_holiday_and_it_waits_for_the_next_working_morning(coachbot, slack):
    # A follow-up planned before Sam said he works from the US falls due on Thanksgiving.
    coachbot.clock.set(at(NY, 2026, 11, 25, 10, 0))
    coachbot.slash("/call", "Acme BV no-answer", user="U0SAM")
    due = pending_followup(coachbot, "U0SAM")
    assert due.astimezone(AMS).date() == dt.date(2026, 11, 26)
    reply = coachbot.slash("/coach", "hours country US", user="U0SAM").text
    assert "No nudges on public holidays in US; the next one is Thanksgiving Day, Thu 26 Nov." in reply
    with coachbot.db.read() as s:
        assert s.get(Rep, (TEAM, "U0SAM")).work_hours == {"country": "US"}
    mark = slack.mark()
    sweep_hourly(coachbot, AMS, dt.date(2026, 11, 26))
    assert coachbot.dms(mark, user="U0SAM") == []
    # Sam's hours stay on London's clock: the next working morning is Friday 09:00 there.
    assert pending_followup(coachbot, "U0SAM") == at(LONDON, 2026, 11, 27, 9, 0)
    coachbot.sweep(at(LONDON, 2026, 11, 27, 9, 0))
    [dm] = coachbot.dms(mark, user="U0SAM")
    assert "Acme BV" in texts(dm)


def test_a_rep_sets_their_own_country_with_clear_errors_in_both_languages(coachbot):
    coachbot.clock.set(at(AMS, 2026, 11, 23, 10, 0))
    wrong = coachbot.slash("/coach", "hours 08:00-16:00 country XX", user="U0SAM").text
    assert "`XX` isn't a country I know the public holidays of" in wrong and "`country DE-BY`" in wrong
    wrong_region = coachbot.slash("/coach", "uren land DE-ZZ", user="U0ANOUK").text
    assert "`DE-ZZ` is geen land waarvan ik de feestdagen ken" in wrong_region
    with coachbot.db.read() as s:
        assert s.get(Rep, (TEAM, "U0SAM")).work_hours is None  # nothing half-stored
    done = coachbot.slash("/coach", "uren 08:00-16:00 ma-do land de-by", user="U0ANOUK").text
    assert "Geen berichten op feestdagen in DE-BY; de eerstvolgende is Christmas Day, vr 25 dec." in done
    assert "08:00 tot 16:00" in done
    # Hours alone keep the country; `team` returns to the team's hours and country.
    assert "DE-BY" in coachbot.slash("/coach", "uren 09:00-17:00", user="U0ANOUK").text
    assert (
        "feestdagen in NL; de eerstvolgende is Eerste kerstdag, vr 25 dec."
        in coachbot.slash("/coach", "uren team", user="U0ANOUK").text
    )


def test_a_weekly_post_due_on_a_holiday_goes_out_the_next_working_day(coachbot):
    coachbot.clock.set(at(AMS, 2026, 12, 21, 9, 0))
    coachbot.slash("/leaderboard", "subscribe", user="U0PETRA", channel="C0SALES")
    coachbot.slash("/call", "Initech meeting +dm", user="U0ANOUK")
    # Friday 25 December is Christmas in the Netherlands: the Friday post waits.
    sweep_hourly(coachbot, AMS, dt.date(2026, 12, 25))
    assert [p for p in coachbot.dms() if p.get("channel") == "C0SALES"] == []
    coachbot.sweep(at(AMS, 2026, 12, 28, 15, 59))
    assert [p for p in coachbot.dms() if p.get("channel") == "C0SALES"] == []
    coachbot.sweep(at(AMS, 2026, 12, 28, 16, 0))
    [post] = [p for p in coachbot.dms() if p.get("channel") == "C0SALES"]
    assert "Anouk de Vries" in texts(post)


def test_the_managers_digest_waits_out_easter_monday(coachbot):
    coachbot.clock.set(at(AMS, 2027, 3, 24, 10, 0))
    coachbot.slash("/coach", "digest on", user="U0PETRA")
    coachbot.slash("/call", "Initech meeting +dm", user="U0ANOUK")
    sweep_hourly(coachbot, AMS, dt.date(2027, 3, 29))  # Easter Monday: a public holiday in the Netherlands
    assert coachbot.dms(user="U0PETRA") == []
    coachbot.sweep(at(AMS, 2027, 3, 30, 9, 0))
    [digest] = coachbot.dms(user="U0PETRA")
    assert "Je team vorige week" in texts(digest)


def test_a_daily_post_skips_kings_day(coachbot):
    coachbot.clock.set(at(AMS, 2027, 4, 26, 9, 0))  # Monday; Tuesday 27 April 2027 is King's Day
    coachbot.slash("/leaderboard", "subscribe daily", user="U0PETRA", channel="C0SALES")
    coachbot.slash("/call", "Initech meeting +dm", user="U0ANOUK")

    def posts():
        return [p for p in coachbot.dms() if p.get("channel") == "C0SALES"]

    coachbot.sweep(at(AMS, 2027, 4, 26, 16, 0))
    assert len(posts()) == 1
    sweep_hourly(coachbot, AMS, dt.date(2027, 4, 27))
    assert len(posts()) == 1
    coachbot.sweep(at(AMS, 2027, 4, 28, 16, 0))
    assert len(posts()) == 2  # Wednesday's own post, not Tuesday's as well
    with coachbot.db.read() as s:
        cancelled = s.scalar(select(Nudge.last_error).where(Nudge.status == "cancelled"))
    assert cancelled == "a public holiday: the next daily post covers it"

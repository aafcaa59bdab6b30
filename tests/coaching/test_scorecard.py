import datetime as dt

import pytest
from coaching_scenarios import DAY, DEFAULTS, Day, at, lead

from coaching.domain import Outcome, WorkType
from coaching.engine import evaluate
from coaching.i18n import t
from coaching.metrics import LeadAttempts
from coaching.scorecard import render_scorecard, scorecard

TODAY = {"day_start": at(0, day=2), "day_end": at(24, day=2), "week_start": DAY}
NOW = at(17, day=2)


def week() -> Day:
    day = Day()
    # Monday: 40 dials, 4 conversations; half of 4 first calls researched. Initech's 2nd and Globex's 1st attempt.
    monday_leads = {4: ("Initech", 2), 5: ("Globex", 1)}
    for i in range(40):
        lead, attempt = monday_leads.get(i, (None, None))
        outcome = Outcome.CONNECTED if i < 4 else Outcome.NO_ANSWER
        day.call(at(9, i * 2), outcome, first=i < 4, researched=i < 2, lead=lead, attempt=attempt)
    day.work(at(14), 30, WorkType.ADMIN)
    # Wednesday (today): 21 dials, 1 conversation (Umbrella's meeting, at attempt 6); 45 minutes of admin; a break.
    # Acme's 2nd and Initech's 3rd attempt go unanswered.
    wednesday_leads = {0: ("Umbrella", 6), 1: ("Acme", 2), 2: ("Initech", 3)}
    for i in range(21):
        lead, attempt = wednesday_leads.get(i, (None, None))
        outcome = Outcome.MEETING if i == 0 else Outcome.VOICEMAIL
        day.call(at(9, i * 3, day=2), outcome, first=True, lead=lead, attempt=attempt)
    day.pause(at(10, 5, day=2), 10).work(at(10, 15, day=2), 45, WorkType.ADMIN).call(at(11, 20, day=2))
    return day


def leads():
    return [lead("Acme", 1, last=at(11, day=2)), lead("Initech", 2, last=at(11)), lead("Umbrella", 6, reached=True)]


def card():
    return scorecard(week().activities, leads(), DEFAULTS, NOW, **TODAY)


def test_figures_for_today_and_the_week():
    today, week_ = card().today, card().week
    assert (today.dials, today.conversations) == (22, 1)
    assert today.connect_rate == pytest.approx(1 / 22)
    assert week_.dials == 62 and week_.conversations == 5
    assert today.research_share == 0 and week_.research_share == pytest.approx(2 / 25)
    # Attempts per lead: the leads called and not reached, each at its highest attempt; Umbrella was reached.
    assert today.lead_attempts == LeadAttempts(leads=2, attempts=2 + 3) and today.attempts_per_lead == 2.5
    assert week_.lead_attempts == LeadAttempts(leads=3, attempts=2 + 3 + 1) and week_.attempts_per_lead == 2.0
    assert (today.admin_minutes, week_.admin_minutes) == (45, 75)
    # Today: 09:00-11:20 is 140 minutes, less a 10-minute break.
    assert today.admin_share == pytest.approx(45 / 130)
    assert today.breaks == 1 and week_.breaks == 1
    assert today.longest_streak_minutes == 65  # 09:00-10:05, then the break
    assert week_.longest_streak_minutes == 78  # Monday 09:00-10:18
    assert today.max_switches == 1  # call -> admin at 10:15 and back at 11:20: over an hour apart


def test_tip_is_the_most_relevant_finding():
    assert card().tip.code == "M101"
    skipped = scorecard(week().activities, leads(), DEFAULTS, NOW, already_sent={"M101"}, **TODAY)
    assert skipped.tip.code != "M101"


@pytest.mark.parametrize(
    ("language", "title", "expected"),
    [
        (
            "en",
            "*Your scorecard*",
            (
                "4.5% today",  # 1/22
                "8.1% this week",  # 5/62
                "average 5.4%, top quarter 13.3%",
                "widely cited 1.3; target 6 attempts",
                "yet 2.5 today · 2 this week",
                "admin 45 min today (34.6% of working time) · 75 min this week",
                "*Your tip:* *Only 4.5% of your dials",
                "_Evidence: Gong/30MPC 2024 (B)_",
            ),
        ),
        (
            "nl",
            "*Je scorekaart*",
            (
                "4,5% vandaag",
                "8,1% deze week",
                "gemiddeld 5,4%, beste kwart 13,3%",
                "veelgenoemd 1,3; doel 6 pogingen",
                "2,5 vandaag · 2 deze week",
                "*Je tip:* *Maar 4,5% van je belpogingen",
                "_Onderbouwing: Gong/30MPC 2024 (B)_",
            ),
        ),
    ],
    ids=["english", "dutch_with_decimal_commas"],
)
def test_renders_in_the_reps_language(language, title, expected):
    text = render_scorecard(card(), language)
    assert text.startswith(title)
    for number in range(1, 6):
        assert t(language, f"misconception.m{number}") in text
    assert text.count("\n• ") == 5
    for snippet in expected:
        assert snippet in text


def test_an_empty_week_renders_dashes_and_says_there_is_nothing_to_judge_yet():
    empty = scorecard([], [], DEFAULTS, NOW, **TODAY)
    assert empty.tip is None
    for language in ("en", "nl"):
        text = render_scorecard(empty, language)
        assert "–" in text
        # Never "your numbers are on track" over a week with nothing in it.
        assert text.endswith(t(language, "scorecard.nothing_yet"))
        assert t(language, "scorecard.all_clear") not in text


def test_week_reaches_back_to_week_start_only():
    early = Day().calls(DAY - dt.timedelta(hours=2), 30, 1)
    card_ = scorecard(early.activities, [], DEFAULTS, NOW, **TODAY)
    assert card_.week.dials == 0


def test_card_and_tip_agree_on_the_admin_share():
    heavy = week().work(at(11, 30, day=2), 100, WorkType.ADMIN)
    card_ = scorecard(heavy.activities, [], DEFAULTS, NOW, **TODAY)
    window = {"day_start": TODAY["day_start"], "day_end": TODAY["day_end"]}
    finding = next(f for f in evaluate(heavy.activities, [], DEFAULTS, NOW, **window) if f.code == "M301")
    assert finding.params["share_pct"] == pytest.approx(card_.today.admin_share)

"""One definition per figure: the scorecard, the chart, the digest and the board show the same numbers.

A rep's week goes in through the real app (signed `/call`s); each figure is then read through every surface that
shows it and held equal to the one definition in `coaching.metrics`, computed from the same calls.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.slack.charts import week_data
from bot.slack.standin import texts
from bot.storage.models import Activity
from bot.storage.records import to_domain
from bot.storage.standings import figures, lead_attempts
from coaching.metrics import call_stats, connect_rate
from coaching.metrics import lead_attempts as defined_lead_attempts
from coaching.numbers import fmt_num, fmt_pct
from coaching.quality import QualitySettings
from tests.conftest import TEAM

LONDON = ZoneInfo("Europe/London")
SAM, PETRA = "U0SAM", "U0PETRA"
MONDAY = dt.date(2026, 11, 23)


def london(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour, minute), LONDON).astimezone(dt.UTC)


# Sam's week: leads called again and again, some reached, some not; research on some first calls.
WEEK = [
    (0, "Acme BV no-answer +research"),
    (0, "Initech voicemail"),
    (0, "Globex busy +research"),
    (0, "Umbrella connected +research +dm"),
    (1, "Acme BV no-answer"),
    (1, "Initech gatekeeper"),
    (1, "Hooli no-answer"),
    (2, "Acme BV voicemail"),
    (2, "Initech meeting +dm"),
    (2, "Globex no-answer"),
    (3, "Acme BV no-answer"),
    (3, "Stark Industries wrong-person +research"),
    (3, "Wayne Enterprises no-answer"),
]


@pytest.fixture
def sams_week(coachbot):
    coachbot.clock.set(london(0, 9))
    coachbot.slash("/coach", "language en", user=PETRA)  # the manager reads the digest in English
    for index, (day, text) in enumerate(WEEK):
        coachbot.clock.set(london(day, 10, index * 3))
        assert "Logged a call" in coachbot.slash("/call", text, user=SAM).text
    coachbot.clock.set(london(4, 17))  # Friday afternoon: the week is in
    return coachbot


def test_every_surface_shows_the_one_definition_of_each_figure(sams_week, slack):
    coachbot = sams_week
    start, end = london(0, 0), london(7, 0)
    with coachbot.db.read() as session:
        rows = session.scalars(select(Activity).where(Activity.team_id == TEAM, Activity.user_id == SAM))
        calls = [to_domain(row) for row in rows]
        chart = week_data(session, TEAM, SAM, start, end, LONDON)
        [board] = figures(session, TEAM, start, coachbot.clock(), settings=QualitySettings())
        board_attempts = lead_attempts(session, TEAM, start, end)[SAM]

    # The definitions, from the calls themselves.
    stats = call_stats(calls)
    attempts = defined_lead_attempts(calls)
    rate = connect_rate(stats.conversations, stats.dials)
    # Acme (attempt 4), Globex (2), Hooli (1), Wayne (1) not reached; Initech, Umbrella and Stark were.
    assert (attempts.leads, attempts.attempts) == (4, 4 + 2 + 1 + 1)
    assert (stats.dials, stats.conversations) == (13, 3)

    # The chart (SQL per local day), the board (SQL over the rollup) and the board's persistence (SQL).
    assert chart.lead_attempts == attempts and chart.attempts_per_lead == attempts.per_lead == 2.0
    assert chart.connect_rate == board.connect_rate == rate
    assert board_attempts == attempts

    # The scorecard, as the rep reads it.
    card = coachbot.slash("/coach", "", user=SAM).text
    assert f"{fmt_pct(rate, 'en')} this week" in card
    assert f"{fmt_num(attempts.per_lead, 'en')} this week (widely cited" in card
    assert f"First calls with research: – today · {fmt_pct(stats.research_share, 'en')} this week" in card

    # The manager's Home: the team's week (Sam is the team).
    mark = slack.mark()
    coachbot.event({"type": "app_home_opened", "user": PETRA, "tab": "home"}, "EvFigures1")
    [home] = slack.wait_for("views.publish", since=mark, where=lambda c: c.ok)
    assert f"13 dials, 3 conversations and 1 meeting; connect rate {fmt_pct(rate, 'en')}" in texts(home.params["view"])

    # The manager's digest, the next Monday morning.
    coachbot.sweep(london(7, 8, 30))
    [digest] = [texts(p) for p in coachbot.dms(user=PETRA)]
    assert f"connect rate {fmt_pct(rate, 'en')}" in digest
    assert f"research before first calls {fmt_pct(stats.research_share, 'en')}" in digest
    assert re.search(rf"attempts per lead not reached {re.escape(fmt_num(attempts.per_lead, 'en'))}\b", digest)

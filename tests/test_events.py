"""Events API: the App Home, and Slack's redeliveries changing nothing."""

import json

from bot.slack.standin import texts
from tests.conftest import OTHER_TEAM


def home_event(user="U0SAM"):
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": "home",
        "event_ts": "1700000000.000100",
    }


def test_opening_the_app_home_publishes_the_reps_scorecard(coachbot, slack):
    coachbot.slash("/call", "Acme BV no-answer")
    mark = slack.mark()
    assert coachbot.event(home_event(), "Ev0001").status == 200
    [published] = slack.wait_for("views.publish", since=mark)
    view = published.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert published.ok  # the stand-in took it as Slack would
    assert view["type"] == "home" and published.params["user_id"] == "U0SAM"
    shown = texts(view)
    assert "scorecard" in shown and "/call" in shown


def test_a_redelivered_event_is_handled_once(coachbot, slack):
    mark = slack.mark()
    assert coachbot.event(home_event(), "Ev0002").status == 200
    slack.wait_for("views.publish", since=mark)
    assert coachbot.event(home_event(), "Ev0002", retry=1).status == 200
    assert coachbot.event(home_event(), "Ev0002", retry=2).status == 200
    assert coachbot.event(home_event(), "Ev0003").status == 200
    slack.wait_for("views.publish", count=2, since=mark)
    assert len(slack.since(mark, "views.publish")) == 2
    # The same event id in another workspace is another event.
    assert coachbot.event(home_event(), "Ev0002", team=OTHER_TEAM).status == 200
    slack.wait_for("views.publish", count=3, since=mark)


def test_a_dutch_rep_gets_a_dutch_home(coachbot, slack):
    mark = slack.mark()
    coachbot.event(home_event("U0ANOUK"), "Ev0004")
    [published] = slack.wait_for("views.publish", since=mark)
    assert "scorekaart" in texts(published.params["view"])

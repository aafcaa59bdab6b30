"""Authorization that follows Slack, and data rights: each finding of issue 12 found by probing as an attacker.

Manager rights are asked of Slack (users.info, at most a few minutes old) for every manager-only action and before
each digest; refused commands change nothing; settings are checked field by field and a bad stored one never breaks
the form; a replayed command or form is stored once; `/coach forget` leaves the user id nowhere.
"""

import datetime as dt
import json
import urllib.parse

from sqlalchemy import func, select, text

from bot.slack.standin import texts
from bot.storage.models import Activity, Base, Manager, Nudge, Rep, Subscription, Team
from tests.conftest import TEAM, USERS, sign
from tests.test_team import MANAGER, busy_dialer, local, quality_rep, settings_state, submit_settings


def count(coachbot, model, **where) -> int:
    with coachbot.db.read() as s:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return s.scalar(query)


def opened_views(slack, mark):
    return [c.params["view"] for c in slack.since(mark, "views.open")]


def test_managers_add_by_a_non_manager_asks_slack_nothing_about_the_target_and_stores_nothing(coachbot, slack):
    coachbot.slash("/coach", "", user="U0SAM")  # Sam is known
    mark = slack.mark()
    reply = coachbot.slash("/coach", "managers add <@U0JORDAN|jordan>", user="U0SAM")
    assert "Only managers" in reply.text
    asked = [c.params.get("user") for c in slack.since(mark, "users.info")]
    assert "U0JORDAN" not in asked
    assert count(coachbot, Manager) == 0
    assert count(coachbot, Rep, user_id="U0JORDAN") == 0


def test_a_demoted_admin_loses_the_managers_rights_within_minutes_and_gets_no_digest(coachbot, slack, monkeypatch):
    coachbot.clock.set(local(2026, 11, 23, 9, 0))
    mark = slack.mark()
    coachbot.slash("/coach", "settings", user=MANAGER)
    assert len(opened_views(slack, mark)) == 1
    for day in range(3):
        coachbot.clock.set(local(2026, 11, 23 + day, 9, 0))
        busy_dialer(coachbot, n=10)
    quality_rep(coachbot)
    # Petra is demoted in Slack on Thursday afternoon.
    monkeypatch.setitem(USERS["U0PETRA"], "is_admin", False)
    coachbot.clock.set(local(2026, 11, 26, 15, 0))
    mark = slack.mark()
    assert "alleen managers" in coachbot.slash("/coach", "settings", user=MANAGER).text  # Petra reads Dutch
    assert opened_views(slack, mark) == []
    assert "alleen managers" in coachbot.slash("/coach", "export team", user=MANAGER).text
    # The Monday digest is planned for her, but Slack is asked before it goes, and it doesn't.
    for hour in range(0, 48, 2):
        coachbot.clock.set(local(2026, 11, 29, 12, 0) + dt.timedelta(hours=hour))
        coachbot.sweep()
    assert coachbot.dms(user=MANAGER) == []


def test_the_digest_is_checked_with_slack_before_it_is_sent_and_waits_while_slack_cant_say(coachbot, slack):
    coachbot.clock.set(local(2026, 11, 23, 9, 0))
    coachbot.slash("/coach", "", user=MANAGER)
    busy_dialer(coachbot, n=5)
    coachbot.clock.set(local(2026, 11, 30, 9, 0))
    slack.fail("users.info", 500, times=1)
    coachbot.sweep()
    assert coachbot.dms(user=MANAGER) == []  # fails closed: no answer from Slack, no digest
    with coachbot.db.read() as s:
        [digest] = s.scalars(select(Nudge).where(Nudge.kind == "digest"))
    assert digest.status == "pending" and digest.due_at > coachbot.clock()
    coachbot.clock.advance(minutes=11)
    coachbot.sweep()
    [sent] = coachbot.dms(user=MANAGER)
    assert "Je team vorige week" in texts(sent)


def test_when_slack_cant_be_asked_manager_actions_are_refused_with_a_clear_message(coachbot, slack):
    coachbot.slash("/coach", "", user=MANAGER)
    coachbot.clock.advance(minutes=6)  # what Slack said is too old to act on
    slack.fail("users.info", 503, times=5)
    mark = slack.mark()
    reply = coachbot.slash("/coach", "managers add <@U0JORDAN|jordan>", user=MANAGER)
    assert "kon je managerrechten nu niet bij Slack nagaan" in reply.text  # Petra reads Dutch
    assert count(coachbot, Manager) == 0
    assert "Slack" in coachbot.slash("/coach", "settings", user=MANAGER).text
    assert opened_views(slack, mark) == []
    assert "Slack" in coachbot.slash("/leaderboard", "subscribe", user=MANAGER).text
    assert count(coachbot, Subscription) == 0


def test_a_bad_language_is_refused_on_save_and_a_bad_stored_value_shows_its_default(coachbot, slack):
    bad = submit_settings(coachbot, MANAGER, settings_state(language="xx"))
    assert bad.json["response_action"] == "errors" and set(bad.json["errors"]) == {"language"}
    with coachbot.db.read() as s:
        assert "language" not in s.get(Team, TEAM).settings
    # The database edited by hand (or by an older bot): the form still opens, with defaults, and says which.
    with coachbot.db.transaction() as s:
        s.get(Team, TEAM).settings = {"language": "xx", "work_hours": {"start": "25:00"}, "cadence": {"gaps": "x"}}
    mark = slack.mark()
    reply = coachbot.slash("/coach", "settings", user=MANAGER)
    assert reply.status == 200
    [view] = opened_views(slack, mark)
    view = json.loads(view) if isinstance(view, str) else view
    notice = texts(view["blocks"][0])
    assert "standaardwaarde" in notice and "Werkdagen" in notice and "Standaardtaal" in notice
    language = next(b for b in view["blocks"] if b.get("block_id") == "language")
    assert language["element"]["initial_option"]["value"] == "auto"


def test_a_replayed_slash_command_is_stored_once(coachbot):
    body = coachbot.slash_body("/call", "Acme BV no-answer", "U0SAM", TEAM, "C0SALES")
    form = "application/x-www-form-urlencoded"
    first = coachbot.post(body, sign(body), form)
    assert first.status == 200 and "Acme BV" in first.text
    assert coachbot.post(body, sign(body), form).status == 200
    assert count(coachbot, Activity) == 1
    assert count(coachbot, Nudge, kind="followup") == 1


def test_a_replayed_form_submission_is_stored_once_but_a_corrected_one_is_not_taken_for_a_replay(coachbot):
    def submit(lead, outcome):
        state = {
            "values": {
                "lead": {"lead": {"type": "plain_text_input", "value": lead}},
                "outcome": {"outcome": {"type": "static_select", "selected_option": {"value": outcome}}},
                "flags": {"flags": {"type": "checkboxes", "selected_options": []}},
                "note": {"note": {"type": "plain_text_input", "value": ""}},
            }
        }
        view = {"id": "V0CALL", "hash": "1712.abc", "team_id": TEAM, "type": "modal", "callback_id": "call_form"}
        payload = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U0SAM", "team_id": TEAM}}
        payload |= {"api_app_id": "A0COACH", "token": "legacy", "trigger_id": "1.2.3"}
        body = urllib.parse.urlencode({"payload": json.dumps({**payload, "view": {**view, "state": state}})})
        return coachbot.post(body, sign(body), "application/x-www-form-urlencoded")

    assert submit("", "meeting").json["response_action"] == "errors"
    assert submit("", "meeting").json["response_action"] == "errors"  # the same mistake again: still answered
    assert submit("Initech", "meeting").json["response_action"] == "update"
    assert submit("Initech", "meeting").status == 200
    assert count(coachbot, Activity) == 1


def test_forget_leaves_the_user_id_in_no_table_and_no_column(coachbot, slack):
    coachbot.clock.set(local(2026, 11, 23, 9, 0))
    coachbot.slash("/coach", "managers add <@U0SAM|sam>", user=MANAGER)
    coachbot.slash("/call", "Shared Lead no-answer", user="U0ANOUK")
    coachbot.clock.advance(minutes=5)
    coachbot.slash("/call", "Shared Lead busy", user="U0SAM")  # Sam owns its cadence now
    coachbot.slash("/call", "Sams Own no-answer +research", user="U0SAM")
    coachbot.slash("/coach", "managers add <@U0JORDAN|jordan>", user="U0SAM")  # Sam grants a role
    coachbot.slash("/leaderboard", "subscribe daily", user="U0SAM", channel="C0SALES")
    coachbot.slash("/break", "10", user="U0SAM")
    coachbot.clock.set(local(2026, 11, 23, 17, 0))
    coachbot.sweep()  # posts planned from Sam's subscription
    coachbot.click("coach_forget", "U0SAM")
    with coachbot.db.read() as s:
        found = []
        for table in Base.metadata.sorted_tables:
            for row in s.execute(table.select()).mappings():
                for column, value in row.items():
                    if "U0SAM" in json.dumps(value, default=str):
                        found.append(f"{table.name}.{column}")
        assert found == []
        lead_owner = s.execute(text("SELECT owner_id FROM leads WHERE name = 'Shared Lead'")).scalar_one()
        assert lead_owner == "U0ANOUK"  # the lead a teammate also called stays, under the teammate
        assert s.scalar(select(func.count()).select_from(Subscription)) == 1  # the channel keeps its posts
        assert s.get(Manager, (TEAM, "U0JORDAN")).granted_by is None  # and Jordan the role Sam granted


def test_handled_deliveries_are_remembered_a_day_then_pruned(coachbot):
    from bot.storage.models import ProcessedEvent

    coachbot.slash("/call", "Acme BV no-answer")
    assert count(coachbot, ProcessedEvent) == 1  # the command's trigger_id, against a replay
    coachbot.sweep(coachbot.clock() + dt.timedelta(hours=23))
    assert count(coachbot, ProcessedEvent) == 1
    coachbot.sweep(coachbot.clock() + dt.timedelta(hours=25))
    assert count(coachbot, ProcessedEvent) == 0

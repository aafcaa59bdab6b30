"""HubSpot both ways, through the real app (signed HTTP) against the HubSpot and Slack stand-ins.

Sam (a rep, sam@salescoach-demo.example) and Petra (an admin, so a manager) from the demo's people; Anouk is a rep
who logs her calls in HubSpot.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.request
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.crm.records import lead_record
from bot.crm.standin import STANDARD_DISPOSITIONS, HubSpotStandIn
from bot.storage.models import Activity, CrmCall, CrmConnection, CrmLead, Lead, Nudge
from bot.usecases import crm
from tests.conftest import TEAM, CoachBot

TOKEN = "pat-eu1-0a1b2c3d-test"
KEY = Fernet.generate_key().decode()
NO_ANSWER, CONNECTED = (
    next(k for k, v in STANDARD_DISPOSITIONS.items() if v == label) for label in ("No answer", "Connected")
)


@pytest.fixture
def hubspot(clock) -> Iterator[HubSpotStandIn]:
    standin = HubSpotStandIn({TOKEN}, clock=clock).start()
    standin.owner = {
        "U0SAM": standin.portal.add_owner("sam@salescoach-demo.example", "Sam", "Carter"),
        "U0ANOUK": standin.portal.add_owner("anouk@salescoach-demo.example", "Anouk", "de Vries"),
    }
    yield standin
    standin.stop()


@pytest.fixture
def bot(slack, db, clock, hubspot) -> Iterator[CoachBot]:
    coach = CoachBot(slack, db, clock, hubspot_api_url=hubspot.api_url, secret_key=KEY)
    yield coach
    coach.close()


def settings_submission(bot: CoachBot, user: str, token: str):
    """Petra opens /coach settings and submits it with a HubSpot token (the form as Slack sends it back)."""
    opened = bot.slash("/coach", "settings", user=user)
    assert opened.status == 200
    view = bot.slack.of("views.open")[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {}
    for block in view["blocks"]:
        element = block["element"]
        kind = element["type"]
        if kind == "plain_text_input":
            value = {"type": kind, "value": element.get("initial_value") or ""}
        elif kind == "timepicker":
            value = {"type": kind, "selected_time": element["initial_time"]}
        elif kind == "checkboxes":
            value = {"type": kind, "selected_options": element["initial_options"]}
        else:
            value = {"type": kind, "selected_option": element["initial_option"]}
        values[block["block_id"]] = {element["action_id"]: value}
    values["hubspot_token"] = {"hubspot_token": {"type": "plain_text_input", "value": token}}
    # Each views.open makes a view of its own, with an id Slack's submission carries (replays share it).
    view_id = f"V{uuid.uuid4().hex[:10].upper()}"
    return bot.interact_as("view_submission", user, view={**view, "id": view_id, "state": {"values": values}})


def connect(bot: CoachBot) -> None:
    bot.slash("/call", "Warmup BV connected", user="U0SAM")  # Sam is known to the bot before the connection
    answer = settings_submission(bot, "U0PETRA", TOKEN)
    assert answer.status == 200 and "HubSpot is" in answer.text, answer.body


def calls_in_hubspot(hubspot: HubSpotStandIn) -> list:
    return [r for r in hubspot.portal.objects["calls"].values() if r.archived_at is None]


# -- the stand-in is as strict as HubSpot -------------------------------------------------------------------------


def _http(hubspot: HubSpotStandIn, verb: str, path: str, body=None, token: str | None = TOKEN):
    request = urllib.request.Request(
        hubspot.api_url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=verb,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read() or b"null"), dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null"), dict(err.headers)


def test_the_standin_refuses_as_hubspot_does(hubspot):
    status, body, _ = _http(hubspot, "GET", "/crm/v3/owners", token=None)
    assert status == 401 and body["category"] == "INVALID_AUTHENTICATION"
    status, body, _ = _http(hubspot, "POST", "/crm/v3/objects/calls", {"properties": {"hs_call_body": "x"}})
    assert status == 400 and body["category"] == "VALIDATION_ERROR" and "hs_timestamp" in body["message"]
    status, body, _ = _http(
        hubspot, "POST", "/crm/v3/objects/calls", {"properties": {"hs_timestamp": "1", "hs_call_direction": "SIDEWAYS"}}
    )
    assert status == 400 and body["errors"][0]["error"] == "INVALID_OPTION"
    status, body, _ = _http(hubspot, "POST", "/crm/v3/objects/calls/search", {"limit": 201})
    assert status == 400 and body["category"] == "VALIDATION_ERROR"
    status, body, _ = _http(hubspot, "POST", "/crm/v3/objects/calls/search", {"limit": 200, "after": "9900"})
    assert status == 400 and "10000" in body["message"]
    hubspot.fail("/crm/v3/owners", 429)
    status, body, headers = _http(hubspot, "GET", "/crm/v3/owners")
    assert status == 429 and body["errorType"] == "RATE_LIMIT"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    status, body, _ = _http(hubspot, "GET", "/calling/v1/dispositions")
    assert status == 200 and {d["label"] for d in body} >= {"No answer", "Connected", "Left voicemail"}


def test_search_pages_by_after_and_filters_on_the_last_change(hubspot, clock):
    for _ in range(5):
        clock.advance(minutes=1)
        hubspot.portal.log_call(hubspot.owner["U0SAM"], NO_ANSWER, clock())
    since = str(int((clock() - dt.timedelta(minutes=2, seconds=30)).timestamp() * 1000))
    query = {
        "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since}]}],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "limit": 2,
    }
    status, first, _ = _http(hubspot, "POST", "/crm/v3/objects/calls/search", query)
    assert status == 200 and first["total"] == 3 and len(first["results"]) == 2
    status, second, _ = _http(
        hubspot, "POST", "/crm/v3/objects/calls/search", {**query, "after": first["paging"]["next"]["after"]}
    )
    assert len(second["results"]) == 1 and "paging" not in second


# -- connecting ----------------------------------------------------------------------------------------------------


def test_a_manager_connects_hubspot_in_settings_and_the_token_is_kept_encrypted(bot, hubspot):
    connect(bot)
    with bot.db.read() as session:
        row = session.get(CrmConnection, TEAM)
        assert row.status == "active" and row.portal_id == str(hubspot.portal.portal_id)
        assert TOKEN not in row.token and Fernet(KEY.encode()).decrypt(row.token.encode()).decode() == TOKEN
        assert row.outcomes["no-answer"] == NO_ANSWER and row.outcomes["meeting"] == CONNECTED
    assert "salescoach_id" in hubspot.portal.custom["calls"]


def test_a_wrong_token_is_refused_on_save_and_nothing_is_stored(bot, hubspot):
    answer = settings_submission(bot, "U0PETRA", "pat-eu1-not-a-real-one")
    assert answer.json["response_action"] == "errors" and "weigerde" in answer.json["errors"]["hubspot_token"]
    with bot.db.read() as session:
        assert session.get(CrmConnection, TEAM) is None


def test_without_a_secret_key_there_is_no_hubspot_and_the_manager_is_told(slack, db, clock, hubspot):
    keyless = CoachBot(slack, db, clock, hubspot_api_url=hubspot.api_url)
    try:
        answer = keyless.slash("/coach", "hubspot", user="U0PETRA")
        assert "SALESCOACH_SECRET_KEY" in answer.text
    finally:
        keyless.close()


# -- push ----------------------------------------------------------------------------------------------------------


def test_a_call_logged_in_slack_is_in_hubspot_once_with_owner_outcome_and_company(bot, hubspot):
    acme = hubspot.portal.add_company("Acme BV", domain="acme.example")
    connect(bot)
    bot.slash("/call", "Acme BV no-answer +research asked for Jan", user="U0SAM")
    bot.sweep()
    bot.sweep()
    calls = [c for c in calls_in_hubspot(hubspot) if "Acme" in (c.properties.get("hs_call_title") or "")]
    assert len(calls) == 1
    call = calls[0]
    assert call.properties["hubspot_owner_id"] == hubspot.owner["U0SAM"]
    assert call.properties["hs_call_disposition"] == NO_ANSWER
    assert call.properties["hs_call_direction"] == "OUTBOUND"
    assert "asked for Jan" in call.properties["hs_call_body"] and "researched" in call.properties["hs_call_body"]
    assert call.associations == {"companies": {acme}}
    with bot.db.read() as session:
        assert session.scalar(select(CrmCall.hubspot_id).where(CrmCall.origin == "pushed").limit(1)) is not None
        lead_id = session.scalar(select(Lead.id).where(Lead.name == "Acme BV"))
    record = lead_record(bot.runtime.crm, bot.db, TEAM, lead_id)  # what the lead card shows
    assert record.name == "Acme BV" and record.fields == {"name": "Acme BV", "domain": "acme.example"}
    assert record.url.endswith(f"/record/0-2/{acme}")
    card = bot.slash("/lead", "acme", user="U0SAM").text  # the lead card, with HubSpot's record
    assert "In HubSpot" in card and "Company: Acme BV" in card and "Website: acme.example" in card
    assert f"/record/0-2/{acme}|Open in HubSpot>" in card


def test_an_ambiguous_lead_is_picked_by_the_rep_and_remembered(bot, hubspot, slack):
    hubspot.portal.add_company("Acme Holding")
    acme = hubspot.portal.add_company("Acme Logistics")
    connect(bot)
    mark = slack.mark()
    bot.slash("/call", "Acme voicemail", user="U0SAM")
    bot.sweep()
    bot.sweep()
    assert not [c for c in calls_in_hubspot(hubspot) if "Acme" in (c.properties.get("hs_call_title") or "")]
    ask = [p for p in bot.dms(mark, user="U0SAM") if "Which HubSpot record" in p.get("text", "")]
    assert len(ask) == 1
    buttons = (
        json.loads(ask[0]["blocks"])[1]["elements"]
        if isinstance(ask[0]["blocks"], str)
        else ask[0]["blocks"][1]["elements"]
    )
    chosen = next(b for b in buttons if b["value"].endswith(acme))
    answer = bot.click(crm.CHOOSE_ACTION, chosen["value"], user="U0SAM")
    assert answer.status == 200
    bot.sweep()
    pushed = [c for c in calls_in_hubspot(hubspot) if "Acme" in (c.properties.get("hs_call_title") or "")]
    assert len(pushed) == 1 and pushed[0].associations == {"companies": {acme}}
    bot.slash("/call", "Acme no-answer", user="U0SAM")  # remembered: no second question
    bot.sweep()
    assert len([c for c in calls_in_hubspot(hubspot) if "Acme" in (c.properties.get("hs_call_title") or "")]) == 2
    assert len([p for p in bot.dms(mark, user="U0SAM") if "Which HubSpot record" in p.get("text", "")]) == 1


def test_429s_and_an_unclear_failure_never_lose_or_duplicate_a_call(bot, hubspot, clock):
    hubspot.portal.add_company("Initech")
    connect(bot)
    bot.slash("/call", "Initech meeting +dm", user="U0SAM")
    hubspot.fail("/crm/v3/objects/calls", 429, retry_after=30)
    bot.sweep()
    with bot.db.read() as session:
        row = session.scalar(select(Nudge).where(Nudge.kind == crm.PUSH, Nudge.status == "pending"))
        assert row is not None and row.due_at == clock() + dt.timedelta(seconds=30)
    clock.advance(seconds=31)
    hubspot.fail("/crm/v3/objects/calls", 502, after=True)  # HubSpot made the call; its answer was lost
    bot.sweep()
    clock.advance(minutes=5)
    bot.sweep()
    initech = [c for c in calls_in_hubspot(hubspot) if "Initech" in (c.properties.get("hs_call_title") or "")]
    assert len(initech) == 1
    with bot.db.read() as session:
        assert session.scalar(select(func.count()).select_from(CrmCall)) == 1  # Warmup BV came before HubSpot
        assert session.scalar(select(Nudge.status).where(Nudge.kind == crm.PUSH).order_by(Nudge.id.desc())) == "sent"


def test_a_push_survives_a_restart(bot, hubspot, slack, db, clock):
    connect(bot)
    bot.slash("/call", "Umbrella busy", user="U0SAM")
    hubspot.fail("/crm/v3/objects/calls", 503)
    bot.sweep()
    bot.close()
    clock.advance(minutes=2)
    restarted = CoachBot(slack, db, clock, hubspot_api_url=hubspot.api_url, secret_key=KEY)
    try:
        restarted.sweep()
    finally:
        restarted.close()
    umbrella = [c for c in calls_in_hubspot(hubspot) if "Umbrella" in (c.properties.get("hs_call_title") or "")]
    assert len(umbrella) == 1


def test_a_revoked_token_stops_the_sync_tells_the_managers_once_and_loses_nothing(bot, hubspot, clock):
    connect(bot)
    bot.sweep()
    hubspot.revoke(TOKEN)
    bot.slash("/call", "Globex no-answer", user="U0SAM")
    mark = bot.slack.mark()
    bot.sweep()
    report = crm.sync(bot.runtime, TEAM)
    assert report.recorded == 0
    bot.sweep()
    told = [p for p in bot.dms(mark, user="U0PETRA") if "weigerde" in p.get("text", "")]
    assert len(told) == 1
    with bot.db.read() as session:
        assert session.get(CrmConnection, TEAM).status == "revoked"
    hubspot.tokens.add("pat-eu1-fresh-token")
    answer = settings_submission(bot, "U0PETRA", "pat-eu1-fresh-token")
    assert answer.status == 200
    bot.sweep()
    globex = [c for c in calls_in_hubspot(hubspot) if "Globex" in (c.properties.get("hs_call_title") or "")]
    assert len(globex) == 1


# -- pull ----------------------------------------------------------------------------------------------------------


def test_a_call_logged_in_hubspot_is_coached_like_a_call_once(bot, hubspot, clock):
    connect(bot)
    bot.slash("/call", "Acme BV no-answer", user="U0ANOUK")  # Anouk is known
    crm.sync(bot.runtime, TEAM)  # matches Anouk to her HubSpot user
    hooli = hubspot.portal.add_company("Hooli")
    clock.advance(minutes=3)
    hubspot.portal.log_call(
        hubspot.owner["U0ANOUK"], NO_ANSWER, clock(), associate=hooli, hs_call_body="<p>Line busy</p>"
    )
    report = crm.sync(bot.runtime, TEAM)
    assert report.recorded == 1, report
    again = crm.sync(bot.runtime, TEAM)
    assert again.recorded == 0
    with bot.db.read() as session:
        lead = session.scalar(select(Lead).where(Lead.name == "Hooli"))
        assert lead.owner_id == "U0ANOUK" and lead.cadence == "active"
        activity = session.scalar(select(Activity).where(Activity.lead_id == lead.id))
        assert activity.source == "hubspot" and activity.outcome == "no-answer" and activity.note == "Line busy"
        followup = session.scalar(select(Nudge).where(Nudge.lead_id == lead.id, Nudge.kind == "followup"))
        assert followup is not None and followup.status == "pending"
        assert session.get(CrmLead, lead.id).object_id == hooli
    assert not [c for c in calls_in_hubspot(hubspot) if "Hooli" in (c.properties.get("hs_call_title") or "")]
    card = bot.slash("/coach", "", user="U0ANOUK").text  # Anouk reads Dutch
    assert "Belpogingen die uit HubSpot voor je zijn gelogd: 1 vandaag · 1 deze week; met de hand: 1 · 1." in card


def test_pushed_then_pulled_is_one_call(bot, hubspot, clock):
    hubspot.portal.add_company("Acme BV")
    connect(bot)
    bot.slash("/call", "Acme BV connected", user="U0SAM")
    bot.sweep()
    report = crm.sync(bot.runtime, TEAM)
    assert report.recorded == 0 and report.seen >= 1
    with bot.db.read() as session:
        lead = session.scalar(select(Lead).where(Lead.name == "Acme BV"))
        assert session.scalar(select(func.count()).select_from(Activity).where(Activity.lead_id == lead.id)) == 1


def test_an_outcome_corrected_in_hubspot_updates_ours_and_a_deleted_call_goes(bot, hubspot, clock):
    connect(bot)
    bot.slash("/call", "Warm BV no-answer", user="U0ANOUK")
    crm.sync(bot.runtime, TEAM)
    hooli = hubspot.portal.add_company("Hooli")
    pied = hubspot.portal.add_company("Pied Piper")
    first = hubspot.portal.log_call(hubspot.owner["U0ANOUK"], NO_ANSWER, clock(), associate=hooli)
    second = hubspot.portal.log_call(hubspot.owner["U0ANOUK"], NO_ANSWER, clock(), associate=pied)
    crm.sync(bot.runtime, TEAM)
    clock.advance(minutes=5)
    hubspot.portal.edit("calls", first, hs_call_disposition=CONNECTED)
    hubspot.portal.archive("calls", second)
    report = crm.sync(bot.runtime, TEAM)
    assert report.corrected == 1 and report.removed == 1, report
    with bot.db.read() as session:
        hooli_lead = session.scalar(select(Lead).where(Lead.name == "Hooli"))
        assert hooli_lead.cadence == "reached" and hooli_lead.last_outcome == "connected"
        pied_lead = session.scalar(select(Lead).where(Lead.name == "Pied Piper"))
        assert session.scalar(select(func.count()).select_from(Activity).where(Activity.lead_id == pied_lead.id)) == 0


def test_an_interrupted_sync_resumes_without_duplicates(bot, hubspot, clock):
    connect(bot)
    bot.slash("/call", "Warm BV no-answer", user="U0ANOUK")
    crm.sync(bot.runtime, TEAM)
    company = hubspot.portal.add_company("Massive Dynamic")
    for n in range(450):
        clock.advance(seconds=1)
        hubspot.portal.log_call(hubspot.owner["U0ANOUK"], NO_ANSWER if n % 3 else CONNECTED, clock(), associate=company)
    hubspot.fail("/crm/v3/objects/calls/search", 503, skip=1)  # the second page fails: the first is done
    first = crm.sync(bot.runtime, TEAM)
    assert first.stopped and first.recorded == 200
    second = crm.sync(bot.runtime, TEAM)
    assert second.recorded == 250 and not second.stopped
    with bot.db.read() as session:
        lead = session.scalar(select(Lead).where(Lead.name == "Massive Dynamic"))
        assert session.scalar(select(func.count()).select_from(Activity).where(Activity.lead_id == lead.id)) == 450
        assert session.scalar(select(func.count()).select_from(CrmCall).where(CrmCall.origin == "pulled")) == 450


# -- salescoach sync-crm -------------------------------------------------------------------------------------------


def test_sync_crm_connects_from_the_environment_and_pulls_one_pass(tmp_path, slack, hubspot, clock):
    from tests.test_cli import run

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HUBSPOT_", "SALESCOACH_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-0000",
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/coach.db",
            "HUBSPOT_API_URL": hubspot.api_url,
        }
    )
    refused = run(["sync-crm"], env, tmp_path)
    assert refused.returncode == 2 and "SALESCOACH_SECRET_KEY" in refused.stderr and "Traceback" not in refused.stderr
    env.update({"SALESCOACH_SECRET_KEY": KEY, "HUBSPOT_ACCESS_TOKEN": TOKEN})
    first = run(["sync-crm", "--since", "2026-11-01T00:00:00+00:00"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "sync-crm T0STANDIN" in first.stdout or "sync-crm T0TEAM001" in first.stdout
    assert "pat-eu1" not in first.stdout + first.stderr  # the token is never printed


# -- /coach hubspot ------------------------------------------------------------------------------------------------


def test_a_manager_sets_a_reps_owner_and_an_outcomes_disposition(bot, hubspot):
    booked = hubspot.portal.add_disposition("Demo gepland")
    other = hubspot.portal.add_owner("s.carter@elsewhere.example", "Sam", "Carter (sales)")
    connect(bot)
    assert "manager" in bot.slash("/coach", "hubspot", user="U0SAM").text.casefold()  # Sam is no manager
    bot.slash("/coach", "language en", user="U0PETRA")
    answer = bot.slash("/coach", "hubspot owner <@U0SAM|sam> s.carter@elsewhere.example", user="U0PETRA")
    assert "Sam Carter (sales)" in answer.text
    answer = bot.slash("/coach", "hubspot outcome meeting Demo gepland", user="U0PETRA")
    assert "Demo gepland" in answer.text
    wrong = bot.slash("/coach", "hubspot outcome meeting Lunch", user="U0PETRA")
    assert "no call outcome called Lunch" in wrong.text and "Left voicemail" in wrong.text
    status = bot.slash("/coach", "hubspot", user="U0PETRA").text
    assert "is connected" in status and "Demo gepland" in status
    assert "Not matched to a HubSpot user" in status and "<@U0PETRA>" in status  # Petra has no HubSpot user here
    bot.slash("/call", "Initech meeting", user="U0SAM")
    bot.sweep()
    [call] = [c for c in calls_in_hubspot(hubspot) if "Initech" in (c.properties.get("hs_call_title") or "")]
    assert call.properties["hubspot_owner_id"] == other and call.properties["hs_call_disposition"] == booked


def test_the_clock_pulls_from_hubspot_every_few_minutes_when_it_can(bot, slack, db, clock):
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot import scheduler

    with_hubspot, without = BackgroundScheduler(), BackgroundScheduler()
    scheduler.install_jobs(with_hubspot, bot.runtime)
    keyless = CoachBot(slack, db, clock)
    try:
        scheduler.install_jobs(without, keyless.runtime)
    finally:
        keyless.close()
    assert with_hubspot.get_job(scheduler.CRM_JOB) is not None and scheduler.CRM_SECONDS <= 300
    assert without.get_job(scheduler.CRM_JOB) is None


def test_calls_wait_a_day_at_most_for_the_reps_choice(bot, hubspot, clock):
    hubspot.portal.add_company("Acme Holding")
    hubspot.portal.add_company("Acme Logistics")
    connect(bot)
    bot.slash("/call", "Acme voicemail", user="U0SAM")
    bot.sweep()
    clock.advance(hours=1)
    bot.slash("/call", "Acme no-answer", user="U0SAM")
    bot.sweep()
    assert not [c for c in calls_in_hubspot(hubspot) if "Acme" in (c.properties.get("hs_call_title") or "")]
    clock.advance(days=1, hours=1)  # nobody picked a record
    bot.sweep()
    acme = [c for c in calls_in_hubspot(hubspot) if "Acme" in (c.properties.get("hs_call_title") or "")]
    assert len(acme) == 2 and all(not c.associations for c in acme)


def test_a_new_environment_token_connects_again_after_the_old_one_was_refused(slack, db, clock, hubspot):
    first = CoachBot(slack, db, clock, hubspot_api_url=hubspot.api_url, secret_key=KEY, hubspot_access_token=TOKEN)
    try:
        crm.sync_all(first.runtime)
        hubspot.revoke(TOKEN)
        crm.sync_all(first.runtime)
        with first.db.read() as session:
            assert session.get(CrmConnection, TEAM).status == "revoked"
    finally:
        first.close()
    hubspot.tokens.add("pat-eu1-rotated")
    rotated = CoachBot(
        slack, db, clock, hubspot_api_url=hubspot.api_url, secret_key=KEY, hubspot_access_token="pat-eu1-rotated"
    )
    try:
        crm.sync_all(rotated.runtime)
        with rotated.db.read() as session:
            row = session.get(CrmConnection, TEAM)
            assert row.status == "active" and row.source == "environment"
    finally:
        rotated.close()


def test_forget_leaves_no_trace_of_the_rep_or_the_manager_who_connected_hubspot(bot, hubspot):
    from bot.storage.models import Base

    connect(bot)
    bot.sweep()  # Sam's call goes to HubSpot, as Sam's owner
    bot.click("coach_forget", "U0SAM", user="U0SAM")
    bot.click("coach_forget", "U0PETRA", user="U0PETRA")
    with bot.db.read() as session:
        found = [
            f"{table.name}.{column}"
            for table in Base.metadata.sorted_tables
            for row in session.execute(table.select()).mappings()
            for column, value in row.items()
            if any(user in json.dumps(value, default=str) for user in ("U0SAM", "U0PETRA"))
        ]
        assert found == []
        assert session.get(CrmConnection, TEAM).status == "active"  # HubSpot stays connected for the team


def test_calls_pulled_corrected_and_removed_behind_the_fold_are_in_the_posts_figures(bot, hubspot, clock):
    from bot.storage import persistence
    from bot.storage.models import PersistenceChange, PersistenceStep, Subscription
    from bot.storage.standings import lead_attempts

    connect(bot)
    bot.slash("/call", "Warm BV no-answer", user="U0ANOUK")
    crm.sync(bot.runtime, TEAM)
    with bot.db.transaction() as session:
        session.add(Subscription(team_id=TEAM, channel_id="C0SALES", frequency="daily", season="week",
                                 created_by="U0PETRA", created_at=clock()))  # fmt: skip
    start = persistence.season_bounds("week", clock(), ZoneInfo("Europe/Amsterdam"))[0]

    def held_to_the_count() -> None:
        with bot.db.read() as session:
            end = clock() - dt.timedelta(seconds=1)
            assert persistence.figures(session, TEAM, start, end) == lead_attempts(session, TEAM, start, end)

    hooli = hubspot.portal.add_company("Hooli")
    pied = hubspot.portal.add_company("Pied Piper")
    clock.advance(hours=2)
    bot.sweep()  # the clock folds the week so far
    # Calls Anouk logged in HubSpot an hour ago, pulled now: behind the fold's horizon.
    hour_ago, anouk = clock() - dt.timedelta(hours=1), hubspot.owner["U0ANOUK"]
    first = hubspot.portal.log_call(anouk, NO_ANSWER, hour_ago, associate=hooli)
    second = hubspot.portal.log_call(anouk, NO_ANSWER, hour_ago, associate=pied)
    assert crm.sync(bot.runtime, TEAM).recorded == 2
    with bot.db.read() as session:
        assert session.scalar(select(func.count()).select_from(PersistenceChange)) == 2
    held_to_the_count()
    bot.sweep()
    with bot.db.read() as session:
        assert session.scalar(select(func.count()).select_from(PersistenceChange)) == 0
        folded = set(session.scalars(select(PersistenceStep.lead_id)))
        hooli_lead = session.scalar(select(Lead.id).where(Lead.name == "Hooli"))
        assert hooli_lead in folded
    held_to_the_count()
    clock.advance(minutes=5)
    hubspot.portal.edit("calls", first, hs_call_disposition=CONNECTED)
    hubspot.portal.archive("calls", second)
    report = crm.sync(bot.runtime, TEAM)
    assert report.corrected == 1 and report.removed == 1, report
    held_to_the_count()
    bot.sweep()
    held_to_the_count()
    with bot.db.read() as session:
        assert hooli_lead not in set(session.scalars(select(PersistenceStep.lead_id).where(PersistenceStep.leads > 0)))

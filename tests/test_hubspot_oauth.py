"""HubSpot through a public app's OAuth, through the real app (HTTP) against the HubSpot and Slack stand-ins.

A browser is played by following redirects by hand: the manager's "Connect HubSpot" link (our /hubspot/install),
HubSpot's authorize page (the stand-in's), and back to our /hubspot/oauth_redirect. Petra is a manager (an admin),
Sam a rep.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.crm.standin import HubSpotStandIn
from bot.storage.models import CrmConnection, CrmOAuthState
from bot.usecases import crm
from tests.conftest import TEAM, CoachBot

KEY = Fernet.generate_key().decode()
CLIENT_ID, CLIENT_SECRET = "5f0c1d2e-app-client", "app-secret-0123456789"


@pytest.fixture
def hubspot(clock) -> Iterator[HubSpotStandIn]:
    # No private-app token works here: every call the bot makes must carry an OAuth access token.
    standin = HubSpotStandIn({"pat-eu1-nobody-has-this"}, clock=clock).start()
    standin.owner = {"U0SAM": standin.portal.add_owner("sam@salescoach-demo.example", "Sam", "Carter")}
    yield standin
    standin.stop()


@pytest.fixture
def bot(slack, db, clock, hubspot) -> Iterator[CoachBot]:
    coach = CoachBot(
        slack,
        db,
        clock,
        hubspot_api_url=hubspot.api_url,
        secret_key=KEY,
        hubspot_client_id=CLIENT_ID,
        hubspot_client_secret=CLIENT_SECRET,
        hubspot_redirect_url="http://coach.invalid/hubspot/oauth_redirect",
        hubspot_authorize_url=hubspot.oauth_authorize_url,
    )
    # The app's public address is known once it listens (port 0): HubSpot's app lists that redirect URL.
    redirect = f"{coach.url}/hubspot/oauth_redirect"
    coach.runtime.crm.app = dataclasses.replace(coach.runtime.crm.app, redirect_url=redirect)
    hubspot.oauth.register(CLIENT_ID, CLIENT_SECRET, redirect)
    yield coach
    coach.close()


def connect_link(bot: CoachBot, user: str = "U0PETRA") -> str | None:
    """The "Connect HubSpot" button's link in the settings form `user` opens, if the form has one."""
    bot.slash("/coach", "settings", user=user)
    opened = bot.slack.of("views.open")
    if not opened:
        return None
    view = opened[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == "hubspot_connect":
                return element["url"]
    return None


def browse(url: str, lang: str = "en") -> list[requests.Response]:
    """A browser opening `url` and following redirects: every answer on the way."""
    answers = []
    for _ in range(5):
        answer = requests.get(url, allow_redirects=False, timeout=10, headers={"Accept-Language": lang})
        answers.append(answer)
        if answer.status_code != 302:
            return answers
        url = answer.headers["Location"]
    raise AssertionError("too many redirects")


def stored(bot: CoachBot) -> CrmConnection | None:
    with bot.db.read() as session:
        return session.get(CrmConnection, TEAM)


def oauth_connect(bot: CoachBot, lang: str = "en") -> requests.Response:
    bot.slash("/call", "Warmup BV connected", user="U0SAM")  # Sam is known before the connection
    link = connect_link(bot)
    assert link and link.startswith(bot.url + "/hubspot/install?state=")
    *_, page = browse(link, lang)
    return page


def pushed(hubspot: HubSpotStandIn, lead: str) -> list:
    return [
        c
        for c in hubspot.portal.objects["calls"].values()
        if c.archived_at is None and lead in (c.properties.get("hs_call_title") or "")
    ]


def test_a_manager_connects_through_hubspots_consent_and_calls_go_with_the_oauth_token(bot, hubspot):
    acme = hubspot.portal.add_company("Acme BV")
    page = oauth_connect(bot)
    assert page.status_code == 200 and "HubSpot is connected" in page.text
    assert str(hubspot.portal.portal_id) in page.text and page.headers["Content-Type"].startswith("text/html")
    row = stored(bot)
    assert row.status == "active" and row.source == "oauth" and row.portal_id == str(hubspot.portal.portal_id)
    fernet = Fernet(KEY.encode())
    access, refresh = (fernet.decrypt(v.encode()).decode() for v in (row.token, row.refresh_token))
    assert access in hubspot.oauth.expires and refresh in hubspot.oauth.refresh_tokens  # encrypted at rest
    assert access not in row.token and refresh not in row.refresh_token
    assert row.expires_at == bot.clock() + crm.dt.timedelta(seconds=1800)
    assert "salescoach_id" in hubspot.portal.custom["calls"]  # checked and set up as a private-app token is
    bot.slash("/call", "Acme BV no-answer", user="U0SAM")
    bot.sweep()
    bot.sweep()
    calls = pushed(hubspot, "Acme")
    assert len(calls) == 1 and calls[0].associations == {"companies": {acme}}
    assert calls[0].properties["hubspot_owner_id"] == hubspot.owner["U0SAM"]  # owners matched on connect
    status = bot.slash("/coach", "hubspot", user="U0PETRA").text
    assert f"HubSpot-account {hubspot.portal.portal_id} is gekoppeld" in status  # Petra reads Dutch
    assert f"<{bot.url}/hubspot/install?state=" in status  # and a fresh link to connect again
    with bot.db.read() as session:  # the link was used up
        assert session.scalar(select(func.count()).select_from(CrmOAuthState)) == 1  # only /coach hubspot's new one


def test_a_rep_gets_no_link_and_forged_expired_or_reused_states_store_nothing(bot, hubspot, clock):
    assert connect_link(bot, user="U0SAM") is None
    assert "Connect HubSpot" not in bot.slash("/coach", "hubspot", user="U0SAM").text
    for path in ("/hubspot/install?state=forged", "/hubspot/oauth_redirect?code=abc&state=forged", "/hubspot/install"):
        answer = bot.get(path)
        assert answer.status == 401 and "expired or was already used" in answer.body
    # Expired: the link is older than 30 minutes.
    link = connect_link(bot)
    clock.advance(minutes=31)
    assert browse(link)[-1].status_code == 401
    # Reused: the whole flow once, then HubSpot's redirect again (a code and state seen before).
    clock.advance(minutes=1)
    link = connect_link(bot)
    answers = browse(link)
    assert answers[-1].status_code == 200
    replay = requests.get(answers[-1].url, timeout=10)
    assert replay.status_code == 401 and "already used" in replay.text
    assert browse(link)[-1].status_code == 401  # the link itself is used up too
    with bot.db.transaction() as session:
        session.delete(session.get(CrmConnection, TEAM))
    # A state bound to another workspace's manager can't be stretched to this one, and a forged code fails too.
    link = connect_link(bot)
    state = re.search(r"state=([^&]+)", link).group(1)
    answer = requests.get(f"{bot.url}/hubspot/oauth_redirect?code=made-up&state={state}", timeout=10)
    assert answer.status_code == 400 and "BAD_AUTH_CODE" in answer.text
    assert stored(bot) is None


def test_a_denied_consent_stores_nothing_and_says_so_in_both_languages(bot, hubspot):
    hubspot.oauth.deny = True
    link = connect_link(bot)
    page = browse(link, "nl-NL,nl;q=0.9")[-1]
    assert page.status_code == 200 and "geen toegang tot HubSpot gegeven" in page.text and 'lang="nl"' in page.text
    page = browse(connect_link(bot), "en-GB")[-1]
    assert "allow Sales Coach into HubSpot" in page.text and 'lang="en"' in page.text
    assert stored(bot) is None


def test_the_connected_page_in_dutch(bot, hubspot):
    page = oauth_connect(bot, "nl")
    assert page.status_code == 200 and "HubSpot is gekoppeld" in page.text


def test_an_expiring_token_is_renewed_before_a_push(bot, hubspot, clock):
    oauth_connect(bot)
    first = stored(bot)
    clock.advance(minutes=27)  # 3 minutes left: renewed before the call that would have met the expiry
    bot.slash("/call", "Globex no-answer", user="U0SAM")
    bot.sweep()
    bot.sweep()
    assert len(pushed(hubspot, "Globex")) == 1
    renewed = stored(bot)
    fernet = Fernet(KEY.encode())
    old, new = (fernet.decrypt(r.token.encode()).decode() for r in (first, renewed))
    assert old != new and renewed.expires_at == clock() + crm.dt.timedelta(seconds=1800)
    assert fernet.decrypt(renewed.refresh_token.encode()) == fernet.decrypt(first.refresh_token.encode())
    clock.advance(minutes=45)  # long past the expiry: renewed again, nothing refused
    bot.slash("/call", "Initech connected", user="U0SAM")
    bot.sweep()
    bot.sweep()
    assert len(pushed(hubspot, "Initech")) == 1
    assert not [r for r in hubspot.requests if r[2] == 401]
    assert stored(bot).status == "active"


def test_a_refused_refresh_stops_the_sync_and_tells_the_managers_once(bot, hubspot, clock):
    oauth_connect(bot)
    fernet = Fernet(KEY.encode())
    hubspot.oauth.revoke_refresh(fernet.decrypt(stored(bot).refresh_token.encode()).decode())  # app uninstalled
    clock.advance(minutes=40)
    bot.slash("/call", "Globex no-answer", user="U0SAM")
    mark = bot.slack.mark()
    bot.sweep()
    assert crm.sync(bot.runtime, TEAM).recorded == 0
    bot.sweep()
    bot.sweep()
    told = [p for p in bot.dms(mark, user="U0PETRA") if "laat de bot niet meer toe" in p.get("text", "")]
    assert len(told) == 1
    assert stored(bot).status == "revoked" and not pushed(hubspot, "Globex")
    # Connecting again sends what waited.
    oauth_connect(bot)
    bot.sweep()
    assert len(pushed(hubspot, "Globex")) == 1


def test_the_standin_refuses_bad_token_requests_as_hubspot_does(bot, hubspot):
    url = hubspot.api_url + "/oauth/v1/token"
    base = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": bot.runtime.crm.app.redirect_url}
    cases = [
        ({**base, "client_secret": "wrong", "grant_type": "authorization_code", "code": "x"}, "BAD_CLIENT_SECRET"),
        ({**base, "client_id": "nope", "grant_type": "authorization_code", "code": "x"}, "BAD_CLIENT_ID"),
        ({**base, "grant_type": "authorization_code", "code": "unknown"}, "BAD_AUTH_CODE"),
        ({**base, "grant_type": "refresh_token", "refresh_token": "unknown"}, "BAD_REFRESH_TOKEN"),
        ({**base, "grant_type": "password"}, "BAD_GRANT_TYPE"),
    ]
    for form, status in cases:
        answer = requests.post(url, data=form, timeout=10)
        assert answer.status_code == 400 and answer.json()["status"] == status, (status, answer.text)
    authorize = browse(
        f"{hubspot.oauth_authorize_url}?client_id={CLIENT_ID}&scope=oauth&redirect_uri=http://elsewhere/&state=s"
    )
    assert authorize[0].status_code == 400 and authorize[0].json()["status"] == "BAD_REDIRECT_URI"


def test_the_public_apps_settings_are_checked_at_start_up():
    from bot.config import ConfigError, load

    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SALESCOACH_SECRET_KEY": KEY, "HUBSPOT_CLIENT_ID": CLIENT_ID}
    redirect = "https://coach.example.com/hubspot/oauth_redirect"
    for environ, named in (
        (base, "HUBSPOT_CLIENT_SECRET is not set"),
        ({**base, "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET}, "HUBSPOT_REDIRECT_URL is not set"),
        (
            {**base, "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET, "HUBSPOT_REDIRECT_URL": "https://coach.example.com/"},
            "HUBSPOT_REDIRECT_URL is not valid",
        ),
        (
            {
                **base,
                "SALESCOACH_SECRET_KEY": "",
                "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET,
                "HUBSPOT_REDIRECT_URL": redirect,
            },
            "SALESCOACH_SECRET_KEY is not",
        ),
    ):
        with pytest.raises(ConfigError, match=named):
            load(environ, dotenv=False)
    config = load({**base, "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET, "HUBSPOT_REDIRECT_URL": redirect}, dotenv=False)
    assert config.hubspot_oauth and CLIENT_SECRET not in repr(config)
    assert not load({"SLACK_BOT_TOKEN": "xoxb-1"}, dotenv=False).hubspot_oauth

"""Installing into many workspaces through OAuth, against the Slack stand-in, on SQLite and PostgreSQL.

Two workspaces (Bravo, and Charlie in an Enterprise Grid org) install the bot the way an admin does: the "Add to
Slack" page, Slack's authorize page (the stand-in's), back to /slack/oauth_redirect with a code and the state. Each
then uses the bot with its own token and sees only its own data; an uninstall stops all sending at once and its
data goes after the grace period; an expiring token is refreshed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, func, inspect, select, text

from bot import config as config_module
from bot.config import DEFAULT_SCOPES, ConfigError
from bot.slack.standin import SlackStandIn, Workspace
from bot.storage.database import Database
from bot.storage.models import SLACK_INSTALLATIONS, Nudge, Team
from tests.conftest import TEAM, CoachBot, make_config

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "c0ffee-secret"
HOME, BRAVO, CHARLIE = "T0HOME", "T0BRAVO", "T0CHARLIE"
# Closed workspaces: only their own people exist, and no token goes in that wasn't issued to them by an install.
WORKSPACES = [
    Workspace(
        team_id=BRAVO,
        team_name="Bravo Sales",
        users={
            "U0BEA": {"name": "bea", "real_name": "Bea Bakker", "tz": "Europe/Amsterdam", "locale": "nl-NL"},
            "U0BOB": {
                "name": "bob",
                "real_name": "Bob Brown",
                "tz": "Europe/London",
                "locale": "en-GB",
                "is_admin": True,
            },
        },
        channels={"C0BRAVO": "sales"},
        tokens=frozenset(),
        unknown_users="user_not_found",
        bot_user_id="U0BOTB",
        bot_id="B0BOTB",
    ),
    Workspace(
        team_id=CHARLIE,
        team_name="Charlie Corp",
        users={
            "U0CAT": {
                "name": "cat",
                "real_name": "Cat Clark",
                "tz": "Europe/London",
                "locale": "en-GB",
                "is_admin": True,
            }
        },
        channels={"C0CHARLIE": "sales"},
        tokens=frozenset(),
        unknown_users="user_not_found",
        bot_user_id="U0BOTC",
        bot_id="B0BOTC",
        enterprise_id="E0GRID",
    ),
]
# Thursday 26 November 2026, 10:00 in Amsterdam and 09:00 in London.
THURSDAY = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


class OAuthBot(CoachBot):
    """The bot with OAuth on (no SLACK_BOT_TOKEN), and an installer's browser."""

    def __init__(self, slack: SlackStandIn, db: Database, clock: Any) -> None:
        config = dataclasses.replace(
            make_config(slack, db.url), bot_token=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        )
        super().__init__(slack, db, clock, config)

    def install(self, team: str, *, org: bool = False, state: str | None = None) -> tuple[int, str]:
        """Install the bot as `team`'s admin does; the status and page /slack/oauth_redirect answers."""
        return install(self.url, team, org=org, state=state)


def install(url: str, team: str, *, org: bool = False, state: str | None = None) -> tuple[int, str]:
    """An admin of `team` installs the bot served at `url`: the Add to Slack page, Slack's authorize page, back."""
    page = _get(url + "/slack/install")
    assert page.status == 200, page.body
    cookie = page.headers["Set-Cookie"].split(";")[0]  # the state cookie Bolt sets (Secure: sent by hand)
    link = html.unescape(re.search(r'href="([^"]+oauth/v2/authorize[^"]*)"', page.body).group(1))
    back = _get(link + f"&team={team}" + ("&install=org" if org else ""))
    assert back.status == 302, back.body
    location = back.headers["Location"]
    if state is not None:
        location = re.sub(r"state=[^&]+", f"state={state}", location)
    answer = _get(location, {"Cookie": cookie})
    return answer.status, answer.body


@dataclasses.dataclass
class _Answer:
    status: int
    body: str
    headers: Any


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def _get(url: str, headers: dict[str, str] | None = None) -> _Answer:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as answer:
            return _Answer(answer.status, answer.read().decode(), answer.headers)
    except urllib.error.HTTPError as err:
        return _Answer(err.code, err.read().decode(), err.headers)


@pytest.fixture
def standin(clock: Any) -> Iterator[SlackStandIn]:
    """A stand-in of these tests' own, whose home workspace lets no token in: every token comes from an install."""
    slack = SlackStandIn(Workspace(team_id=HOME, tokens=frozenset(), unknown_users="user_not_found"), clock=clock)
    for workspace in WORKSPACES:
        slack.add_workspace(workspace)
    slack.start()
    yield slack
    slack.stop()
    assert slack.findings == []


@pytest.fixture
def bot(standin: SlackStandIn, db: Database, clock: Any) -> Iterator[OAuthBot]:
    clock.set(THURSDAY)
    oauth_bot = OAuthBot(standin, db, clock)
    standin.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri=oauth_bot.url + "/slack/oauth_redirect")
    yield oauth_bot
    oauth_bot.close()


def _rotating(standin: SlackStandIn, bot: OAuthBot) -> None:
    standin.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri=bot.url + "/slack/oauth_redirect", rotation=True)


def _team_calls(standin: SlackStandIn, since: int, team: str) -> list[Any]:
    return [
        c for c in standin.since(since) if c.method not in ("oauth.v2.access",) and standin.team_of(c.token) == team
    ]


def _rows(db: Database, team: str) -> dict[str, int]:
    """How many rows of each table belong to `team`."""
    found = {}
    with db.read() as session:
        for name in inspect(db.engine).get_table_names():
            columns = {c["name"] for c in inspect(db.engine).get_columns(name)}
            column = "team_id" if "team_id" in columns else "id" if name == "teams" else None
            if column:
                found[name] = session.execute(
                    text(f"SELECT count(*) FROM {name} WHERE {column} = :t"), {"t": team}
                ).scalar()
    return {name: n for name, n in found.items() if n}


# -- installing ------------------------------------------------------------------------------------------------


def test_two_workspaces_install_and_each_sees_only_its_own_data(bot: OAuthBot, standin: SlackStandIn):
    page = _get(bot.url + "/slack/install")
    assert page.status == 200 and "Add to Slack" in page.body
    link = html.unescape(re.search(r'href="([^"]+)"', page.body).group(1))
    query = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)
    assert query["client_id"] == [CLIENT_ID] and query["state"][0]
    assert query["scope"] == [",".join(DEFAULT_SCOPES)]
    assert "Toevoegen aan Slack" in _get(bot.url + "/slack/install", {"Accept-Language": "nl-NL,nl;q=0.9"}).body

    status, done = bot.install(BRAVO)
    assert status == 200 and "Bravo Sales" in done
    assert bot.install(CHARLIE)[0] == 200  # a workspace of a Grid org installs like any other
    with bot.db.read() as session:
        rows = session.execute(select(SLACK_INSTALLATIONS.c.team_id, SLACK_INSTALLATIONS.c.enterprise_id)).all()
        assert sorted(rows) == [(BRAVO, None), (CHARLIE, "E0GRID")]
        assert session.get(Team, BRAVO).name == "Bravo Sales"

    mark = standin.mark()
    assert "Acme BV" in bot.slash("/call", "Acme BV geen-gehoor", user="U0BEA", team=BRAVO, channel="C0BRAVO").text
    assert "Initech" in bot.slash("/call", "Initech afspraak", user="U0BEA", team=BRAVO, channel="C0BRAVO").text
    assert "Globex" in bot.slash("/call", "Globex meeting +dm", user="U0CAT", team=CHARLIE, channel="C0CHARLIE").text
    # Each rep's users.info went with their own workspace's token (the stand-in knows no one across workspaces).
    for call in standin.since(mark, "users.info"):
        assert call.ok and standin.team_of(call.token) == {"U0BEA": BRAVO, "U0CAT": CHARLIE}[call.params["user"]]

    bot.clock.advance(minutes=5)
    bravo_board = bot.slash("/leaderboard", "week", user="U0BEA", team=BRAVO, channel="C0BRAVO").text
    charlie_board = bot.slash("/leaderboard", "week", user="U0CAT", team=CHARLIE, channel="C0CHARLIE").text
    assert "Bea" in bravo_board and "Cat" not in bravo_board
    assert "Cat" in charlie_board and "Bea" not in charlie_board

    mark = standin.mark()
    assert bot.event({"type": "app_home_opened", "user": "U0CAT", "tab": "home"}, "EvC1", team=CHARLIE).status == 200
    [home] = standin.wait_for("views.publish", since=mark, timeout=30)  # a chart is drawn first
    assert home.ok and standin.team_of(home.token) == CHARLIE

    # The follow-up for Bravo's unreached call goes out in Bravo, with Bravo's token.
    mark = standin.mark()
    assert bot.sweep(THURSDAY + dt.timedelta(days=1, hours=1)).sent == 1
    [dm] = standin.since(mark, "chat.postMessage")
    assert dm.ok and dm.params["channel"] == "D0BEA" and standin.team_of(dm.token) == BRAVO


def test_slash_commands_from_a_workspace_that_never_installed_are_refused(bot: OAuthBot, standin: SlackStandIn):
    bot.install(BRAVO)
    mark = standin.mark()
    answer = bot.slash("/call", "Acme BV no-answer", user="U0CAT", team=CHARLIE, channel="C0CHARLIE")
    assert answer.status == 200 and "Acme" not in answer.text
    [told] = standin.since(mark, "response_url")  # Bolt answers through the command's response_url
    assert "reinstall" in told.params["text"]
    with bot.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Nudge)) == 0


def test_a_forged_state_or_a_reused_code_installs_nothing(bot: OAuthBot, standin: SlackStandIn):
    status, page = bot.install(BRAVO, state="forged-state")
    assert status in (400, 401) and "not installed" in page
    assert "Traceback" not in page
    with bot.db.read() as session:
        assert session.scalar(select(func.count()).select_from(SLACK_INSTALLATIONS)) == 0


def test_an_install_nobody_finishes_leaves_no_state_behind(bot: OAuthBot):
    from bot.storage.models import SLACK_OAUTH_STATES

    assert _get(bot.url + "/slack/install").status == 200  # the admin never clicks
    bot.sweep()
    with bot.db.read() as session:
        assert session.scalar(select(func.count()).select_from(SLACK_OAUTH_STATES)) == 1  # valid for 10 minutes
    bot.clock.set(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11))
    bot.sweep()
    with bot.db.read() as session:
        assert session.scalar(select(func.count()).select_from(SLACK_OAUTH_STATES)) == 0


def test_an_org_wide_install_is_refused_with_a_page_and_its_token_revoked(bot: OAuthBot, standin: SlackStandIn):
    mark = standin.mark()
    status, page = bot.install(CHARLIE, org=True)
    assert status == 403 and "each workspace" in page and "Nothing was installed" in page
    [revoke] = standin.since(mark, "auth.revoke")
    assert revoke.ok and standin.token_workspace(revoke.token) == (None, "token_revoked")
    with bot.db.read() as session:
        assert session.scalar(select(func.count()).select_from(SLACK_INSTALLATIONS)) == 0


def test_without_client_credentials_there_is_no_install_page(coachbot: CoachBot):
    assert coachbot.get("/slack/install").status == 404
    assert coachbot.get("/slack/oauth_redirect?code=x&state=y").status == 404


# -- leaving -----------------------------------------------------------------------------------------------------


def _uninstall(bot: OAuthBot, standin: SlackStandIn, team: str, event_id: str) -> None:
    standin.uninstall(team)  # Slack revokes the workspace's tokens, then tells the app
    assert bot.event({"type": "app_uninstalled"}, event_id, team=team).status == 200


def test_an_uninstall_stops_all_sending_to_that_workspace_at_once(bot: OAuthBot, standin: SlackStandIn):
    bot.install(BRAVO)
    bot.install(CHARLIE)
    bot.slash("/call", "Acme BV geen-gehoor", user="U0BEA", team=BRAVO, channel="C0BRAVO")
    bot.slash("/call", "Globex no-answer", user="U0CAT", team=CHARLIE, channel="C0CHARLIE")
    _uninstall(bot, standin, BRAVO, "EvU1")
    with bot.db.read() as session:
        statuses = dict(session.execute(select(Nudge.team_id, Nudge.status)).all())
        assert statuses == {BRAVO: "cancelled", CHARLIE: "pending"}
        assert session.get(Team, BRAVO).uninstalled_at == THURSDAY
    mark = standin.mark()
    report = bot.sweep(THURSDAY + dt.timedelta(days=1, hours=1))
    assert report.sent == 1 and report.retried == 0
    [dm] = standin.since(mark, "chat.postMessage")
    assert standin.team_of(dm.token) == CHARLIE
    assert _team_calls(standin, mark, BRAVO) == []


def test_scheduled_posts_go_out_with_each_workspaces_token_and_not_after_an_uninstall(
    bot: OAuthBot, standin: SlackStandIn
):
    bot.install(BRAVO)
    bot.install(CHARLIE)
    assert "C0BRAVO" in bot.slash("/leaderboard", "subscribe", user="U0BOB", team=BRAVO, channel="C0BRAVO").text
    assert "C0CHARLIE" in bot.slash("/leaderboard", "subscribe", user="U0CAT", team=CHARLIE, channel="C0CHARLIE").text
    bot.slash("/call", "Acme BV meeting", user="U0BOB", team=BRAVO, channel="C0BRAVO")
    _uninstall(bot, standin, CHARLIE, "EvU4")
    mark = standin.mark()
    bot.sweep(dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC))  # Friday 16:00 in London (Bob subscribed): the post
    posts = standin.since(mark, "chat.postMessage")
    assert [(p.params["channel"], standin.team_of(p.token), p.ok) for p in posts] == [("C0BRAVO", BRAVO, True)]
    with bot.db.read() as session:
        assert session.scalars(select(Nudge.team_id).where(Nudge.kind == "leaderboard_post")).all() == [BRAVO]


def test_in_single_workspace_mode_an_uninstall_stops_sending_and_the_next_request_resumes(coachbot: CoachBot):
    coachbot.slash("/call", "Acme BV no-answer")
    assert coachbot.event({"type": "app_uninstalled"}, "EvSingle1").status == 200
    with coachbot.db.read() as session:
        # The follow-up and the list of its day, written with it: both cancelled.
        assert session.scalars(select(Nudge.status)).all() == ["cancelled", "cancelled"]
        assert session.get(Team, TEAM).uninstalled_at is not None
    # Reinstalled (a new SLACK_BOT_TOKEN): Slack sends requests again, and the first one clears the mark.
    coachbot.slash("/call", "Globex no-answer")
    with coachbot.db.read() as session:
        assert session.get(Team, TEAM).uninstalled_at is None
        assert sorted(session.scalars(select(Nudge.status).where(Nudge.kind == "followup")).all()) == [
            "cancelled",
            "pending",
        ]


def test_before_the_uninstall_event_arrives_a_refused_token_fails_the_nudge_without_retries(
    bot: OAuthBot, standin: SlackStandIn
):
    _rotating(standin, bot)
    bot.install(BRAVO)
    bot.install(CHARLIE)
    bot.slash("/call", "Acme BV geen-gehoor", user="U0BEA", team=BRAVO, channel="C0BRAVO")
    bot.slash("/call", "Globex no-answer", user="U0CAT", team=CHARLIE, channel="C0CHARLIE")
    standin.uninstall(BRAVO)  # Slack revoked the tokens; its event hasn't reached us yet
    with bot.db.transaction() as session:  # and Charlie's installation is gone from the store
        session.execute(SLACK_INSTALLATIONS.delete().where(SLACK_INSTALLATIONS.c.team_id == CHARLIE))
        session.execute(text("DELETE FROM slack_bots WHERE team_id = :t"), {"t": CHARLIE})
    bot.runtime.installations.uninstalled(CHARLIE)
    bot.clock.set(THURSDAY + dt.timedelta(days=1, hours=1))  # Bravo's token has expired: its refresh is refused
    report = bot.sweep()
    assert (report.sent, report.retried, report.failed) == (0, 0, 2)
    with bot.db.read() as session:
        # Each workspace's list of the day (the follow-ups joined it first) failed for good.
        failed = select(Nudge.team_id, Nudge.kind, Nudge.last_error).where(Nudge.status == "failed")
        assert sorted(session.execute(failed).all()) == [
            (BRAVO, "followup_list", "not installed"),
            (CHARLIE, "followup_list", "not installed"),
        ]
    [refresh] = standin.since(0, "oauth.v2.access")[-1:]
    assert refresh.answer == {"ok": False, "error": "invalid_refresh_token"}


def test_a_revoked_bot_token_stops_sending_as_an_uninstall_does(bot: OAuthBot, standin: SlackStandIn):
    bot.install(BRAVO)
    bot.slash("/call", "Acme BV geen-gehoor", user="U0BEA", team=BRAVO, channel="C0BRAVO")
    standin.uninstall(BRAVO)
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOTB"]}}
    assert bot.event(revoked, "EvR1", team=BRAVO).status == 200
    mark = standin.mark()
    assert bot.sweep(THURSDAY + dt.timedelta(days=1, hours=1)).sent == 0
    assert standin.since(mark) == []


def test_the_data_goes_after_the_grace_period_and_a_reinstall_within_it_keeps_it(bot: OAuthBot, standin: SlackStandIn):
    bot.install(BRAVO)
    bot.install(CHARLIE)
    bot.slash("/call", "Acme BV geen-gehoor", user="U0BEA", team=BRAVO, channel="C0BRAVO")
    bot.slash("/call", "Globex no-answer", user="U0CAT", team=CHARLIE, channel="C0CHARLIE")
    before = _rows(bot.db, BRAVO)
    assert before["activities"] == 1 and before["slack_installations"] == 1

    _uninstall(bot, standin, CHARLIE, "EvU2")
    bot.clock.advance(days=20)
    bot.sweep()
    assert _rows(bot.db, CHARLIE)["activities"] == 1  # inside the grace period: kept
    assert bot.install(CHARLIE)[0] == 200  # back within it: everything as it was
    with bot.db.read() as session:
        assert session.get(Team, CHARLIE).uninstalled_at is None
    bot.clock.advance(days=40)
    bot.sweep()
    assert _rows(bot.db, CHARLIE)["activities"] == 1

    _uninstall(bot, standin, BRAVO, "EvU3")
    bot.clock.advance(days=29, hours=23)
    bot.sweep()
    assert _rows(bot.db, BRAVO)["activities"] == 1
    bot.clock.advance(hours=1)  # 30 days after the uninstall
    bot.sweep()
    assert _rows(bot.db, BRAVO) == {}  # every row of every table, the installation store's too
    assert _rows(bot.db, CHARLIE)["activities"] == 1


# -- token rotation ----------------------------------------------------------------------------------------------


def test_an_expiring_token_is_refreshed_and_the_expired_one_is_refused(bot: OAuthBot, standin: SlackStandIn):
    _rotating(standin, bot)
    bot.install(BRAVO)
    with bot.db.read() as session:
        first = session.execute(select(SLACK_INSTALLATIONS.c.bot_token)).scalar_one()
    assert first.startswith("xoxe.xoxb-")
    bot.slash("/call", "Acme BV geen-gehoor", user="U0BEA", team=BRAVO, channel="C0BRAVO")
    assert standin.since(0, "oauth.v2.access")[-1].params.get("grant_type") is None  # no refresh yet

    bot.clock.advance(hours=11)  # 1 hour before Slack's 12 hours are up: inside the 2 hours we refresh ahead
    mark = standin.mark()
    assert "Acme BV" in bot.slash("/call", "Acme BV no-answer", user="U0BEA", team=BRAVO, channel="C0BRAVO").text
    [refresh] = standin.since(mark, "oauth.v2.access")
    assert refresh.ok and refresh.params["grant_type"] == "refresh_token"
    current = refresh.answer["access_token"]
    assert current != first
    bot.clock.advance(hours=2)  # the first token has now expired
    assert standin.token_workspace(first) == (None, "token_expired")
    assert standin.token_workspace(current)[0].team_id == BRAVO
    mark = standin.mark()
    assert "Acme BV" in bot.slash("/call", "Acme BV busy", user="U0BEA", team=BRAVO, channel="C0BRAVO").text
    assert standin.since(mark, "oauth.v2.access") == []  # the refreshed token is good for hours yet
    # The next follow-up goes out on Monday: by then that token has expired in turn, and the sweep refreshes it first.
    bot.clock.set(THURSDAY + dt.timedelta(days=4, hours=2))
    mark = standin.mark()
    assert bot.sweep().sent == 1
    [again] = standin.since(mark, "oauth.v2.access")
    [dm] = standin.since(mark, "chat.postMessage")
    assert dm.ok and dm.token == again.answer["access_token"] != current


# -- the stand-in's OAuth side, as strict as Slack -------------------------------------------------------------------


@pytest.fixture
def registered(standin: SlackStandIn) -> SlackStandIn:
    standin.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri="http://127.0.0.1:1/back", rotation=True)
    return standin


def _code(standin: SlackStandIn, team: str = BRAVO) -> str:
    status, location = standin.authorize_redirect(f"client_id={CLIENT_ID}&scope=commands&state=s1&team={team}")
    assert status == 302 and location.startswith("http://127.0.0.1:1/back?")
    return re.search(r"code=([^&]+)", location).group(1)


def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as err:
        call()
    return err.value.response["error"]


def test_the_standin_exchanges_a_code_once_with_the_apps_own_credentials(registered: SlackStandIn):
    client = WebClient(base_url=registered.api_url)
    code = _code(registered)
    assert _error(lambda: client.oauth_v2_access(client_id="9.9", client_secret=CLIENT_SECRET, code=code)) == (
        "invalid_client_id"
    )
    assert _error(lambda: client.oauth_v2_access(client_id=CLIENT_ID, client_secret="wrong", code=code)) == (
        "bad_client_secret"
    )
    answer = client.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)
    assert answer["team"] == {"id": BRAVO, "name": "Bravo Sales"} and answer["enterprise"] is None
    assert answer["token_type"] == "bot" and answer["bot_user_id"] == "U0BOTB" and answer["expires_in"] == 43200
    assert answer["refresh_token"].startswith("xoxe-1-") and answer["is_enterprise_install"] is False
    assert _error(lambda: client.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)) == (
        "invalid_code"
    )
    assert (
        _error(
            lambda: client.oauth_v2_access(
                client_id=CLIENT_ID, client_secret=CLIENT_SECRET, grant_type="refresh_token", refresh_token="xoxe-1-x"
            )
        )
        == "invalid_refresh_token"
    )
    assert registered.authorize_redirect("client_id=9.9&scope=commands&state=s") == (400, "invalid_client_id")
    bad = f"client_id={CLIENT_ID}&scope=commands&state=s&redirect_uri=http://evil.example/"
    assert registered.authorize_redirect(bad) == (400, "bad_redirect_uri")


def test_a_standin_token_speaks_for_its_own_workspace_only(registered: SlackStandIn, clock: Any):
    client = WebClient(base_url=registered.api_url)
    tokens = {}
    for team in (BRAVO, CHARLIE):
        answer = client.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=_code(registered, team))
        tokens[team] = answer["access_token"]
    bravo = WebClient(base_url=registered.api_url, token=tokens[BRAVO])
    assert bravo.auth_test()["team_id"] == BRAVO
    assert bravo.users_info(user="U0BEA")["user"]["team_id"] == BRAVO
    assert _error(lambda: bravo.users_info(user="U0CAT")) == "user_not_found"  # Charlie's rep, Bravo's token
    assert _error(lambda: bravo.chat_postMessage(channel="C0CHARLIE", text="hi")) == "channel_not_found"
    assert _error(lambda: WebClient(base_url=registered.api_url, token="xoxb-made-up").auth_test()) == "invalid_auth"
    clock.advance(hours=12)
    assert _error(bravo.auth_test) == "token_expired"
    registered.uninstall(CHARLIE)
    charlie = WebClient(base_url=registered.api_url, token=tokens[CHARLIE])
    assert _error(charlie.auth_test) == "token_revoked"


def test_the_standin_exchanges_a_long_lived_token_for_a_rotating_one(registered: SlackStandIn):
    registered.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri="http://127.0.0.1:1/back")
    client = WebClient(base_url=registered.api_url)
    old = client.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=_code(registered))
    assert "refresh_token" not in old.data and old["access_token"].startswith("xoxb-")
    new = client.oauth_v2_exchange(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token=old["access_token"])
    assert new["access_token"].startswith("xoxe.xoxb-") and new["refresh_token"] and new["expires_in"] == 43200
    assert registered.token_workspace(old["access_token"]) == (None, "token_revoked")
    refreshed = client.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, grant_type="refresh_token", refresh_token=new["refresh_token"]
    )
    assert registered.team_of(refreshed["access_token"]) == BRAVO


# -- the schema and the settings -------------------------------------------------------------------------------------


def test_the_migrated_tables_are_the_ones_slack_sdks_stores_expect(db: Database):
    expected = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(expected, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(expected, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(expected, "slack_oauth_states")
    ours = set(expected.tables)
    with db.engine.connect() as conn:
        # Only slack_sdk's tables are compared: the database's others are ours (tests/test_cli.py compares those).
        only_theirs = {"include_name": lambda name, kind, _parent: kind != "table" or name in ours}
        context = MigrationContext.configure(conn, opts={"compare_type": True, **only_theirs})
        assert compare_metadata(context, expected) == []

    # And slack_sdk's stores work on them: save, find, the state's issue and consume.
    store = SQLAlchemyInstallationStore(CLIENT_ID, db.engine)
    store.save(Installation(app_id="A1", team_id=BRAVO, user_id="U0BEA", bot_token="xoxb-1", bot_id="B1"))
    assert store.find_installation(enterprise_id=None, team_id=BRAVO).bot_token == "xoxb-1"
    states = SQLAlchemyOAuthStateStore(expiration_seconds=60, engine=db.engine)
    assert states.consume(states.issue()) is True


def test_the_default_scopes_are_the_manifests():
    manifest = yaml.safe_load((Path(__file__).parent.parent / "manifest.yml").read_text())
    assert list(DEFAULT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]
    assert manifest["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]


def test_oauth_settings_are_checked_at_start():
    base = {"SLACK_SIGNING_SECRET": "s"}
    config = config_module.load({**base, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"})
    assert config.oauth and config.scopes == DEFAULT_SCOPES and config.uninstall_grace_days == 30
    assert config.require_tokens() is config
    custom = config_module.load({**base, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_SCOPES": "a, b"})
    assert custom.scopes == ("a", "b")
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET is not set"):
        config_module.load({**base, "SLACK_CLIENT_ID": "1.2"})
    with pytest.raises(ConfigError, match="both set"):
        config_module.load({**base, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(ConfigError, match="UNINSTALL_GRACE_DAYS"):
        config_module.load({**base, "UNINSTALL_GRACE_DAYS": "a month"})
    with pytest.raises(ConfigError, match="SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"):
        config_module.load(base).require_tokens()


def test_oauth_needs_http_mode_and_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any):
    from bot import cli

    monkeypatch.chdir(tmp_path)
    for name, value in {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x", "SLACK_APP_TOKEN": "xapp-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert cli.main(["run"]) == 2
    assert "unset SLACK_APP_TOKEN" in capsys.readouterr().err
    assert not (tmp_path / "salescoach.db").exists()


def test_rotating_and_refresh_tokens_never_reach_a_log_line():
    import logging

    from bot.cli import _RedactSecrets

    leaked = ("xoxe.xoxb-1-T0BRAVO-7-abc", "xoxe-1-8-def")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "rotated %s with %s", leaked, None)
    _RedactSecrets().filter(record)
    assert "abc" not in record.getMessage() and "def" not in record.getMessage()


def test_salescoach_serve_takes_installs_and_run_due_sends_with_each_workspaces_token(
    standin: SlackStandIn, tmp_path: Path
):
    import os
    import signal
    import socket
    import subprocess
    import sys

    from tests.conftest import SECRET, sign

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    standin.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri=f"http://127.0.0.1:{port}/slack/oauth_redirect")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k not in ("DATABASE_URL", "PORT")}
    env.update(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/coach.db",
            "PORT": str(port),
        }
    )
    exe = str(Path(sys.executable).with_name("salescoach"))
    proc = subprocess.Popen([exe, "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            assert proc.poll() is None
            try:
                if _get(f"http://127.0.0.1:{port}/healthz").status == 200:
                    break
            except OSError:
                time.sleep(0.1)  # waiting for the server to come up, not for time to pass
        assert install(f"http://127.0.0.1:{port}", BRAVO)[0] == 200
        mark = standin.mark()
        body = urllib.parse.urlencode(
            {
                "team_id": BRAVO,
                "user_id": "U0BEA",
                "command": "/call",
                "text": "Acme BV no-answer",
                "channel_id": "C0BRAVO",
                "response_url": standin.response_url(),
                "trigger_id": "1.2.3",
            }
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert "Acme BV" in answer.read().decode()
        [profile] = standin.since(mark, "users.info")
        assert profile.ok and standin.team_of(profile.token) == BRAVO
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=20)[0].decode()
    assert CLIENT_SECRET not in output and "xoxb-T0BRAVO" not in output
    # A week later on a weekday morning, run-due (another process) sends the follow-up with Bravo's token.
    day = dt.date.today() + dt.timedelta(days=7)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    mark = standin.mark()
    result = subprocess.run(
        [exe, "run-due", "--now", f"{day.isoformat()}T10:00:00+00:00"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "sent 1" in result.stdout, result.stderr
    [dm] = standin.since(mark, "chat.postMessage")
    assert dm.ok and dm.params["channel"] == "D0BEA" and standin.team_of(dm.token) == BRAVO


def test_forget_leaves_the_installers_id_in_no_installation_row(bot: OAuthBot, standin: SlackStandIn):
    bot.install(BRAVO)
    with bot.db.read() as session:
        installer = session.execute(select(SLACK_INSTALLATIONS.c.user_id)).scalar_one()
    bot.slash("/call", "Acme BV no-answer", user=installer, team=BRAVO)
    bot.click("coach_forget", installer, user=installer, team=BRAVO)
    with bot.db.read() as session:
        assert session.execute(select(SLACK_INSTALLATIONS.c.user_id)).scalar_one() == ""
    # The workspace's bot token still serves everyone else.
    assert bot.slash("/call", "Acme BV busy", user="U0BEA", team=BRAVO).status == 200

"""The Slack app manifest matches what the app listens to."""

from pathlib import Path

import yaml

from handlers.commands import commands
from handlers.events import events
from tests.conftest import CoachBot

MANIFEST = yaml.safe_load((Path(__file__).parent.parent / "manifest.yml").read_text())


def test_every_slash_command_the_app_answers_is_in_the_manifest(coachbot: CoachBot):
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    for command in sorted(declared):
        assert "went wrong" not in coachbot.slash(command, "help").text
    assert declared == set(commands())
    assert all(c["url"].endswith("/slack/events") for c in MANIFEST["features"]["slash_commands"])


def test_the_manifest_asks_for_the_scopes_the_bot_uses_and_subscribes_its_events():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    # commands; DMs (conversations.open, chat.postMessage); profiles (users.info); channel posts; file uploads
    assert {"commands", "chat:write", "im:write", "users:read", "chat:write.public", "files:write"} <= scopes
    # The Messages tab: message.im needs im:history, and no history of any other conversation is asked for.
    assert {scope for scope in scopes if scope.endswith(":history")} == {"im:history"}
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == set(events())
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True

"""Slack mrkdwn: every catalog message, and the help and usage lines reps read, render in Slack as written.

Slack reads `<`, `>` and `&` as control characters, even inside backticks: `/call <lead> <outcome> [+research]`
sent as it is reaches the rep as `/call   [+research]`. The stand-in's check (`mrkdwn_problems`) is Slack's reading.
"""

import string
import tomllib
from pathlib import Path

import pytest

from bot.slack.standin import mrkdwn_problems, texts
from coaching import i18n

CATALOG = Path(i18n.__file__).parent / "catalog"
USAGE = {"en": "/call <lead> <outcome>", "nl": "/call <lead> <uitkomst>"}


class Anything:
    """A placeholder's value: plain text, whatever format spec the message gives it."""

    def __format__(self, spec: str) -> str:
        return "x"


def filled(language: str, key: str) -> str:
    """A catalog message as the bot sends it, every placeholder filled."""
    fields = {name for _, name, _, _ in string.Formatter().parse(i18n.catalog(language)[key]) if name}
    return i18n.t(language, key, **{name: Anything() for name in fields})


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_catalog_message_renders_in_slack_as_written(language):
    keys = sorted(i18n.catalog(language))
    assert len(keys) > 300
    wrong = {key: mrkdwn_problems(filled(language, key)) for key in keys}
    assert {key: problems for key, problems in wrong.items() if problems} == {}
    # The check is Slack's reading: the usage line as the catalog file holds it would lose its placeholders.
    written = tomllib.loads((CATALOG / language / "core.toml").read_text(encoding="utf-8"))["help"]["call"]
    assert len(mrkdwn_problems(written)) >= 4


@pytest.mark.parametrize(("user", "language"), [("U0SAM", "en"), ("U0ANOUK", "nl")])
def test_help_usage_and_the_homes_command_list_keep_their_placeholders(coachbot, slack, user, language):
    call_help = coachbot.slash("/call", "help", user=user)
    coach_help = coachbot.slash("/coach", "help", user=user)
    unknown = coachbot.slash("/coach", "nonsense", user=user)  # a parse error, then the commands
    for reply in (call_help, coach_help, unknown):
        assert "&lt;lead&gt;" in reply.json["text"] and mrkdwn_problems(reply.json["text"]) == []
        assert USAGE[language] in reply.text  # what the rep reads
    mark = slack.mark()
    coachbot.event({"type": "app_home_opened", "user": user, "tab": "home"}, f"EvHelp{user}")
    [home] = slack.wait_for("views.publish", since=mark, where=lambda c: c.ok)
    assert USAGE[language] in texts(home.params["view"])
    # ... and the stand-in read every message and view of this test as Slack would: nothing renders wrongly.
    assert slack.findings == []

"""Catalog messages are Slack mrkdwn written as people write them: what isn't markup is escaped as they are read."""

import tomllib
from pathlib import Path

import pytest

from coaching import i18n
from coaching.mrkdwn import escape, escape_literals

CATALOG = Path(i18n.__file__).parent / "catalog"
USAGE = {"en": "`/call <lead> <outcome> [+research] [+dm] [note]`", "nl": "`/call <lead> <uitkomst> [+onderzocht]"}


def unescaped(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_escape_literals_escapes_text_and_keeps_slack_markup():
    assert escape_literals("`/call <lead>` A & B") == "`/call &lt;lead&gt;` A &amp; B"
    markup = "<@U0ANN> in <#{channel}> <!here> <https://x.test/?a=1&b=2|docs> <mailto:a@b.test> &amp; &lt; &gt;"
    assert escape_literals(markup) == markup
    assert escape_literals("> quoted\n1 > 0") == "> quoted\n1 &gt; 0"  # a quote's > is markup, a comparison's isn't
    once = escape_literals("<lead> & <@U1>")
    assert escape_literals(once) == once  # escaping twice changes nothing
    assert escape("<@U0ANN> & co") == "&lt;@U0ANN&gt; &amp; co"  # text from outside: nothing in it is markup


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_catalogs_are_written_as_people_write_and_escaped_as_they_are_read(language):
    written = tomllib.loads((CATALOG / language / "core.toml").read_text(encoding="utf-8"))["help"]["call"]
    assert USAGE[language] in written and "Hoogendijk & Zn." in written
    read = i18n.catalog(language)["help.call"]
    assert "/call &lt;lead&gt;" in read and "Hoogendijk &amp; Zn." in read
    assert unescaped(read) == written  # escaped, not changed: Slack shows the rep what the file says
    assert "<#{channel}>" in i18n.catalog(language)["board.subscribed"]  # markup stays markup

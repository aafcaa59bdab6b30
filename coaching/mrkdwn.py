"""Text as Slack mrkdwn: Slack reads `<`, `>` and `&` as control characters, even inside backticks.

Two kinds of text reach a rep:
- Text from outside (a lead's name, a note, a person's name, a word the parser didn't know) is escaped whole with
  `escape`, so nothing in it becomes markup.
- The catalogs' messages are mrkdwn written by us: `*bold*`, backticks, a channel as `<#{channel}>`. Their other
  `<`, `>` and `&` are meant as text (`/call <lead> <outcome>`, `Hoogendijk & Zn.`), so `escape_literals` escapes
  those and keeps the markup. `coaching.i18n` applies it once, as it reads a catalog, so the TOML files read as a
  person writes them.
"""

from __future__ import annotations

import re

# Slack markup (api.slack.com/reference/surfaces/formatting): a mention `<@U…>`, a channel `<#C…>`, a special
# mention or date `<!here>` / `<!date^…|…>`, a link `<https://…|label>` / `<mailto:…>`, the three escapes, and the
# `>` that starts a quoted line. The group makes `re.split` hand back the markup between the text around it.
_MARKUP = re.compile(r"(<[@#!][^<>\n]*>|<(?:https?|mailto):[^<>\n]*>|&(?:amp|lt|gt);|^>)", re.MULTILINE)


def escape(text: str) -> str:
    """Text safe inside Slack mrkdwn: the three characters Slack reserves for markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_literals(message: str) -> str:
    """`message` with every `<`, `>` and `&` that isn't Slack markup escaped; the markup is kept as it is."""
    parts = _MARKUP.split(message)
    # re.split puts the text between markup at the even indexes and the markup itself at the odd ones.
    return "".join(part if i % 2 else escape(part) for i, part in enumerate(parts))

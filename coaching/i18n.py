"""Message catalogs: every sentence a rep reads, in English and Dutch.

One folder per language under `coaching/catalog/`, holding TOML files (one per area: core, rules, ...) with
dotted keys and `str.format` placeholders. A key may be defined once per language. A test holds the languages to
the same keys and the same placeholders, so no message exists in one language only.

Messages are Slack mrkdwn (`*bold*`, backticks, `<#{channel}>`), written as a person writes them: a `<`, `>` or `&`
that is no part of Slack's markup (`/call <lead> <outcome>`, `Hoogendijk & Zn.`) is escaped here, as a catalog is
read (`coaching.mrkdwn.escape_literals`), so every sender gets it right. A placeholder's value is not: text from
outside is escaped where it is put in (`coaching.render`).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from importlib import resources

from coaching.mrkdwn import escape_literals

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"


@cache
def catalog(language: str) -> dict[str, str]:
    """The flat key -> message mapping of one language."""
    messages: dict[str, str] = {}
    folder = resources.files("coaching").joinpath(f"catalog/{language}")
    for part in sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name):
        for key, value in _flatten(tomllib.loads(part.read_text(encoding="utf-8"))):
            if key in messages:
                raise ValueError(f"catalog {language}: {key} is defined twice ({part.name})")
            messages[key] = escape_literals(value)
    return messages


def _flatten(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def language_for(locale: str | None, override: str | None = None) -> str:
    """The catalog language for a rep: their `/coach language` choice, else their Slack locale, else English."""
    if override in LANGUAGES:
        return override  # type: ignore[return-value]
    lang = (locale or "").replace("_", "-").split("-")[0].casefold()
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(language: str, key: str, /, **params: object) -> str:
    """The message `key` in `language`, filled with `params`; English when the language is unknown."""
    messages = catalog(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    return messages[key].format(**params)


def has(language: str, key: str) -> bool:
    """Whether the catalog of `language` has `key`."""
    return key in catalog(language)


def when(language: str, at_local: dt.datetime, now_local: dt.datetime) -> str:
    """A moment as a rep reads it, in their own zone: "today at 14:30", "Fri 27 Nov at 10:00"."""
    clock = at_local.strftime("%H:%M")
    days = (at_local.date() - now_local.date()).days
    if days == 0:
        return t(language, "time.today", time=clock)
    if days == 1:
        return t(language, "time.tomorrow", time=clock)
    if days == -1:
        return t(language, "time.yesterday", time=clock)
    weekday = t(language, "time.weekdays").split()[at_local.weekday()]
    month = t(language, "time.months").split()[at_local.month - 1]
    return t(language, "time.date", weekday=weekday, day=at_local.day, month=month, time=clock)

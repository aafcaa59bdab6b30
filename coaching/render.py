"""Findings and rule help as Slack mrkdwn text in the rep's language.

Findings carry raw values; this is where they become words. Conventions for a parameter value:
a name ending in `_pct` is a share shown as a percentage; an int or float is a number (one decimal at most);
a `Count` is a number with its noun in the right plural; a work type or outcome is its catalog name; a tuple of
strings is a list of lead names (the first few, then "and N more"); any other text is escaped for Slack.
"""

from __future__ import annotations

from collections.abc import Mapping

from coaching.domain import Outcome, WorkType
from coaching.findings import Count, Finding
from coaching.i18n import t
from coaching.mrkdwn import escape
from coaching.numbers import MISSING, fmt_num, fmt_pct
from coaching.rules import MISCONCEPTIONS, RULES
from coaching.settings import CoachSettings

#: Lead names shown in one tip before "and N more": enough to act on, short enough to read.
MAX_NAMES = 5


def count(value: Count, language: str) -> str:
    """A counted noun: "1 lead", "3 leads", "1 poging", "4,5 uur"."""
    form = "one" if value.n == 1 else "other"
    return t(language, f"unit.{value.unit}.{form}", n=fmt_num(value.n, language))


def format_param(name: str, value: object, language: str) -> str:
    """One parameter value as text (see the module docstring for the conventions)."""
    if value is None:
        return MISSING
    if name.endswith("_pct") and isinstance(value, int | float):
        return fmt_pct(value, language)
    if isinstance(value, Count):
        return count(value, language)
    if isinstance(value, WorkType):
        return t(language, f"work.{value.value}")
    if isinstance(value, Outcome):
        return t(language, f"outcome.{value.value}")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return fmt_num(value, language)
    if isinstance(value, tuple):
        shown = ", ".join(escape(str(name)) for name in value[:MAX_NAMES])
        more = len(value) - MAX_NAMES
        return t(language, "list.more", names=shown, more=more) if more > 0 else shown
    return escape(str(value))


def format_params(params: Mapping[str, object], language: str) -> dict[str, str]:
    """Every parameter formatted for `language`."""
    return {name: format_param(name, value, language) for name, value in params.items()}


def render_finding(finding: Finding, language: str) -> str:
    """A finding as a tip: the advice, then a short line naming the evidence."""
    tip = t(language, finding.key, **format_params(finding.params, language))
    return f"{tip}\n{t(language, 'finding.evidence', sources=escape(finding.evidence))}"


def rules_help(language: str, settings: CoachSettings | None = None) -> str:
    """The `/coach rules` text, generated from the registry: per misconception, one line per rule.

    With `settings`, the summaries show the team's own thresholds.
    """
    settings = settings or CoachSettings()
    lines = [t(language, "rules.help_title")]
    for number in MISCONCEPTIONS:
        title = t(language, f"misconception.m{number}")
        lines += ["", t(language, "rules.help_misconception", number=number, title=title)]
        for rule in RULES:
            if rule.misconception != number:
                continue
            summary = t(language, rule.summary, **format_params(rule.summary_params(settings), language))
            lines.append(t(language, "rules.help_rule", code=rule.code, name=t(language, rule.name), summary=summary))
    lines += ["", t(language, "rules.help_footer")]
    return "\n".join(lines)

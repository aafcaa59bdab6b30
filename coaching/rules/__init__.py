"""The coaching rules: one module per rule, listed here once, in code order.

This tuple is the registry: the engine runs it, `/coach rules` and `python -m coaching.rules` describe it, and a
test holds it to unique, documented codes. Nothing is discovered by import magic; a new rule is added here.
"""

from __future__ import annotations

from coaching.rules import (
    m101_many_dials_few_conversations,
    m102_first_calls_without_research,
    m103_missing_the_decision_maker,
    m201_lead_dropped_early,
    m202_too_few_attempts,
    m301_too_much_admin,
    m302_admin_in_pieces,
    m401_constant_switching,
    m402_focus_block_interrupted,
    m501_long_stretch_without_break,
    m502_day_without_break,
)
from coaching.rules.base import Rule, RuleContext

RULES: tuple[Rule, ...] = (
    m101_many_dials_few_conversations.RULE,
    m102_first_calls_without_research.RULE,
    m103_missing_the_decision_maker.RULE,
    m201_lead_dropped_early.RULE,
    m202_too_few_attempts.RULE,
    m301_too_much_admin.RULE,
    m302_admin_in_pieces.RULE,
    m401_constant_switching.RULE,
    m402_focus_block_interrupted.RULE,
    m501_long_stretch_without_break.RULE,
    m502_day_without_break.RULE,
)

_BY_CODE = {rule.code: rule for rule in RULES}

#: The misconceptions, in order; rule codes start with their number.
MISCONCEPTIONS = (1, 2, 3, 4, 5)


def by_code(code: str) -> Rule:
    """The rule with `code` (case-insensitive); KeyError if there is none."""
    return _BY_CODE[code.upper()]


__all__ = ["MISCONCEPTIONS", "RULES", "Rule", "RuleContext", "by_code"]

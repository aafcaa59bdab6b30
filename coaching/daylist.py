"""A calm coach: the notification budget and the day's follow-up list, as arithmetic (issue 11).

A rep gets at most `budget` notifying DMs a working day (a team setting, default 4): the day's follow-up list, the
afternoon's note of follow-ups that joined it, break suggestions and focus summaries. Answers to the rep's own
commands and clicks don't count, nor do updates of a message already sent (Slack's chat.update doesn't notify).

The list shows every follow-up of the day, most overdue first, one line each; what doesn't fit in one message
(Block Kit: 50 blocks) is counted as "N more" and waits on the App Home. No Slack, database or clock here: `now`
and the counts are parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DEFAULT_BUDGET = 4
BUDGET_RANGE = (1, 20)

# The kinds of DM that notify the rep and so count against the budget.
NOTIFYING = frozenset({"followup_list", "list_added", "break", "focus_summary"})

# Slack's limit of blocks in one message.
MESSAGE_BLOCKS = 50
# The list's own blocks besides its lines: the header, the why line and the "N more" line.
LIST_FRAME_BLOCKS = 3

# From this local hour on, follow-ups that join a list already sent earn one short DM saying so.
AFTERNOON = dt.time(12, 0)


def within_budget(sent_today: int, budget: int) -> bool:
    """Whether one more notifying DM fits in today's budget."""
    return sent_today < budget


@dataclass(frozen=True)
class ListItem:
    """One follow-up in a day's list: whether it is still to do, and since when it has been due."""

    nudge_id: int
    lead: str
    first_due: dt.datetime  # when the attempt first fell due (a follow-up rolled over keeps its first day)
    done: bool


def ordered(items: Sequence[ListItem]) -> list[ListItem]:
    """Most overdue first (the earliest first due), then by lead, so a line keeps its place when it is done."""
    return sorted(items, key=lambda item: (item.first_due, item.lead.casefold(), item.nudge_id))


def fit(items: Sequence[ListItem], open_blocks: int, done_blocks: int, limit: int = MESSAGE_BLOCKS) -> int:
    """How many of `items` (in order) fit in one message beside the list's frame; the rest are "N more"."""
    room = limit - LIST_FRAME_BLOCKS
    shown = 0
    for item in items:
        cost = done_blocks if item.done else open_blocks
        if cost > room:
            break
        room -= cost
        shown += 1
    return shown


def open_since(first_due: dt.datetime, now: dt.datetime, tz: ZoneInfo) -> dt.date | None:
    """The local day a follow-up has been open since, if that is before today (it rolled over)."""
    day = first_due.astimezone(tz).date()
    return day if day < now.astimezone(tz).date() else None


def is_afternoon(now: dt.datetime, tz: ZoneInfo) -> bool:
    """Whether it is afternoon in the rep's zone."""
    return now.astimezone(tz).time() >= AFTERNOON

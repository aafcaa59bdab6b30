"""The Messages tab: what a rep types to the bot in their DM with it, answered in that DM.

A message that reads like `/call` or `/log` (`coaching.parser.message_command`) is logged as that command logs
it, and answered with what the command answers, a refusal that says what was wrong included; `help` (`hulp`)
answers with the commands; anything else gets a one-line hint. Which messages reach here (a person's, in the
bot's DM; never an edit, a bot's or the bot's own) is for the listener to decide (handlers/events.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import blockkit
from bot.usecases import calls
from bot.usecases.replies import Reply
from coaching import parser
from coaching.i18n import t

if TYPE_CHECKING:
    from bot.runtime import Runtime

#: What the activities logged from a DM have as their `source`.
SOURCE = "message"


def answer(rt: Runtime, team_id: str, user_id: str, text: str) -> Reply:
    """The answer to a rep's message to the bot, after logging what it logs; `text` is as Slack sends it."""
    command = parser.message_command(blockkit.unescape(text))
    if command == "call":
        return calls.call(rt, team_id, user_id, text, source=SOURCE)
    if command == "log":
        return calls.log(rt, team_id, user_id, text, source=SOURCE)
    language = rt.reps.profile(team_id, user_id).language
    if command == "help":
        return Reply(t(language, "dm.help") + "\n\n" + t(language, "coach.help", works=blockkit.works_list(language)))
    return Reply(t(language, "dm.hint"), ok=False)

"""What a use case hands back to its listener: a reply to a command, or the message that replaces a clicked one.

`refuses_bad_input` turns what the rep typed wrong into the answer that says what was wrong and how to do it right.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.slack import blockkit
from coaching import parser

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass(frozen=True)
class Reply:
    """What a rep reads back; `ok` is False when their input was refused."""

    text: str
    ok: bool = True
    blocks: list[dict[str, Any]] | None = None  # when the answer needs buttons
    view: dict[str, Any] | None = None  # a form to open instead of a message


@dataclass(frozen=True)
class ButtonResult:
    """What a button click did: the message that replaces the nudge."""

    message: dict[str, Any]
    changed: bool
    in_list: bool = False  # a line of the day's list: the list is updated in place by the outbox


CommandUseCase = Callable[["Runtime", str, str, str], Reply]


def refuses_bad_input(usage: str) -> Callable[[CommandUseCase], CommandUseCase]:
    """Answer a command the parser can't read with what was wrong and `usage`'s help (`blockkit.parse_error`).

    Commands are parsed before anything is written, so a refused one has stored nothing.
    """

    def wrap(use_case: CommandUseCase) -> CommandUseCase:
        @functools.wraps(use_case)
        def run(rt: Runtime, team_id: str, user_id: str, text: str, **options: Any) -> Reply:
            try:
                return use_case(rt, team_id, user_id, text, **options)
            except parser.ParseError as err:
                language = rt.reps.profile(team_id, user_id).language
                return Reply(blockkit.parse_error(language, err.key, err.params, usage), ok=False)

        return run

    return wrap

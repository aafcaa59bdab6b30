"""What a use case hands back to its listener: a reply to a command, or the message that replaces a clicked one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

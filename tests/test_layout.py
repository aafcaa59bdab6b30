"""The house's rooms keep their import direction (bot/__init__.py): use cases, outbox, Slack I/O, storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
ROOMS = ["usecases", "outbox", "crm", "slack", "storage"]  # each may import the ones after it, never one before it
WIRING = {"app", "cli", "config", "demo", "runtime", "scheduler", "server"}


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """The `bot.*` modules a file imports, each with whether the import is for type checking only."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot."):
            found.append((node.module, id(node) in typing_only))
    return found


@pytest.mark.parametrize("room", ROOMS)
def test_a_room_imports_only_the_rooms_below_it(room):
    upward = []
    for path in sorted((BOT / room).rglob("*.py")):
        for module, typing_only in imports_of(path):
            target = module.split(".")[1]
            above = target in ROOMS and ROOMS.index(target) < ROOMS.index(room)
            wiring = target in WIRING and not typing_only and path.name != "env.py"  # Alembic's env reads config
            if above or wiring:
                upward.append(f"{path.relative_to(BOT.parent)} imports {module}")
    assert upward == []


def test_every_room_says_what_belongs_there():
    for room in [*ROOMS, "demo"]:
        doc = ast.get_docstring(ast.parse((BOT / room / "__init__.py").read_text()))
        assert doc and len(doc.splitlines()) >= 3, f"bot/{room}/__init__.py has no docstring saying what is inside"

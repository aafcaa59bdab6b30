"""coaching/ is the pure core: no Slack, database or scheduler imports, and no reading of the clock."""

import ast
from pathlib import Path

import pytest

import coaching

PACKAGE = Path(coaching.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
FORBIDDEN_IMPORTS = {"slack_bolt", "slack_sdk", "sqlalchemy", "apscheduler", "bot", "handlers", "time"}
CLOCK_METHODS = {"now", "utcnow", "today"}


def impurities(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        else:
            names = []
        found += [f"import {name}" for name in names if name.split(".")[0].casefold() in FORBIDDEN_IMPORTS]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr in CLOCK_METHODS:
                found.append(f"call .{func.attr}() on line {node.lineno}")
            if func.attr == "time" and isinstance(func.value, ast.Name) and func.value.id == "time":
                found.append(f"call time.time() on line {node.lineno}")
    return found


def test_modules_are_found():
    assert PACKAGE / "engine.py" in MODULES
    assert any(path.parent.name == "rules" for path in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_pure(path):
    assert impurities(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import slack_sdk",
        "from slack_bolt.app import App",
        "import sqlalchemy.orm as orm",
        "from apscheduler.schedulers.background import BackgroundScheduler",
        "from bot import config",
        "import handlers.commands",
        "import time",
        "import datetime\nx = datetime.datetime.now()",
        "import datetime as dt\nx = dt.datetime.now(dt.UTC)",
        "from datetime import datetime\nx = datetime.utcnow()",
        "from datetime import date\nx = date.today()",
        "import time as t\nx = time.time()",
    ],
)
def test_checker_catches(source):
    assert impurities(source)


def test_checker_allows_plain_datetime_arithmetic():
    assert impurities("import datetime as dt\nx = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(1)") == []

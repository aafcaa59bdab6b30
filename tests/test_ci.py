"""CI runs the README's test command, exactly."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_test_command_the_readme_gives():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    [readme_command] = re.findall(r"^python3 -m venv \.venv && .*pytest.*$", readme, re.MULTILINE)
    [ci_command] = re.findall(r"^python3 -m venv \.venv && .*pytest.*$", ci, re.MULTILINE)
    # The same steps; CI only installs quietly.
    assert ci_command.replace("pip install -q ", "pip install ") == readme_command
    assert "-n auto" in readme_command  # in parallel, a worker per core

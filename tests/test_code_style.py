"""The project's own lint: ruff, with the settings in pyproject.toml, over the package, tests and bench."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff comes with the test extras")
@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(command):
    arguments = [sys.executable, "-m", "ruff", *command, "pgconnlint", "tests", "bench"]
    result = subprocess.run(arguments, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

"""The GitHub Action (action.yml): its check step runs as GitHub would run it, with pgconnlint in place of the
installed one, and leaves annotations in the log, the budget in the job summary and the exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import FIXTURES

ACTION = Path(__file__).resolve().parent.parent / "action.yml"


def test_action_is_composite_and_installs_the_checked_out_project():
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    [install, check] = action["runs"]["steps"]
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    assert "--format github" in check["run"] and "GITHUB_STEP_SUMMARY" in check["run"]


def test_check_step_annotates_writes_the_summary_and_fails_on_findings(tmp_path):
    check = yaml.safe_load(ACTION.read_text())["runs"]["steps"][1]
    bin_dir = tmp_path / "runner" / "pgconnlint" / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "pgconnlint"
    root = Path(__file__).resolve().parent.parent
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={root} exec {sys.executable} -m pgconnlint "$@"\n')
    wrapper.chmod(0o755)
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {
        **os.environ,
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "TARGET": str(FIXTURES / "nestjs-pm2-incident"),
        "CPUS": "8",
        "FAIL_ON": "warning",
        "ARGS": "--ignore PGC315",
    }
    done = subprocess.run(["bash", "-c", check["run"]], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "title=PGC101 connection-budget-exceeded::up to 160 connections at once" in done.stdout
    assert "title=PGC315" not in done.stdout
    assert output.read_text() == "exit-code=1\n"
    text = summary.read_text()
    assert text.startswith("## pgconnlint: connection budget\n") and "Connection budget of db/postgresql.conf" in text

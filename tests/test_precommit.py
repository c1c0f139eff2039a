"""The real pre-commit tool, pointed at this checkout, guarding commits in a throwaway repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_tree

REPO = Path(__file__).resolve().parent.parent
PM2 = 'module.exports = {{ apps: [{{ name: "api", script: "dist/main.js", instances: {instances} }}] }};\n'
ORM = '{\n  "type": "postgres",\n  "connectTimeoutMS": 5000,\n  "extra": { "max": 5 }\n}\n'

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(["git", *identity, "-C", str(root), *args], capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")
def test_commit_raising_instances_past_the_budget_is_refused(tmp_path, pre_commit_home):
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("this checkout has no commit for pre-commit to clone")
    root = write_tree(
        tmp_path / "app",
        {
            ".pre-commit-config.yaml": (
                f"repos:\n  - repo: {REPO}\n    rev: {head.stdout.strip()}\n"
                "    hooks:\n      - id: pgconnlint\n        args: [--cpus, '4']\n"
            ),
            "ecosystem.config.js": PM2.format(instances=4),
            "ormconfig.json": ORM,
            "db/postgresql.conf": "max_connections = 100\nidle_in_transaction_session_timeout = '60s'\n",
            "README.md": "# app\n",
        },
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}
    assert git(root, "init", "-q").returncode == 0
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    assert installed.returncode == 0, installed.stderr

    def commit(message: str) -> subprocess.CompletedProcess:
        git(root, "add", "-A")
        return subprocess.run(
            ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", message],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    first = commit("4 instances × 5 = 20 of 97")
    assert first.returncode == 0, first.stdout + first.stderr

    (root / "ecosystem.config.js").write_text(PM2.format(instances=24))  # 24 × 5 = 120 > 97
    refused = commit("scale out")
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr  # git passes the hook's output through on either stream
    assert "PGC101" in output and "up to 120 connections" in output

    (root / "ecosystem.config.js").write_text(PM2.format(instances=4))
    (root / "README.md").write_text("# app\n\nNow with docs.\n")
    harmless = commit("docs")
    assert harmless.returncode == 0, harmless.stdout + harmless.stderr

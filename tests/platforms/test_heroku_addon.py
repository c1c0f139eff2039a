"""A Heroku app (Procfile + app.json provisioning `heroku-postgresql`) and a development compose file are two
deployments: the dynos reach the add-on's server, which the repository does not hold, never the compose `db`."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import FIXTURES, TEST_CPUS

from pgconnlint.deployments import PRODUCTION, deployments
from pgconnlint.lint import LintOptions, lint

FIXTURE = FIXTURES / "heroku-addon-dev-compose"
ADD_ON = "the heroku-postgresql add-on (app.json:7)"
DB_ONLY = "services:\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=40\n"


def budget_json(*args: str) -> list[dict]:
    command = [sys.executable, "-m", "pgconnlint", "budget", *args, "--cpus", str(TEST_CPUS), "--format", "json"]
    return json.loads(subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout)[
        "servers"
    ]


def fixture_files() -> dict[str, str]:
    return {
        str(path.relative_to(FIXTURE)): path.read_text(encoding="utf-8")
        for path in FIXTURE.rglob("*")
        if path.is_file()
    }


def test_the_heroku_app_and_the_dev_compose_file_are_two_deployments():
    """Before, the Procfile's 8 connections were budgeted against the compose file's db (37 usable) as one
    deployment `Procfile + docker-compose.yml`: the compose services count nothing (SQLite), so the two looked
    like parts of one system."""
    result = lint(FIXTURE, LintOptions(cpus=TEST_CPUS))
    project = result.project
    found = {d.name: d for d in deployments(project, project.compose_services, project.documents)}
    assert {name: (d.role, d.elsewhere) for name, d in found.items()} == {
        "Procfile": (PRODUCTION, ADD_ON),
        "docker-compose.yml": (PRODUCTION, ""),
    }
    assert [server.name for server in found["docker-compose.yml"].servers] == ["docker-compose.yml service db"]
    # what `budget --format json` shows: the compose file alone, on its own db; its web service counts nothing
    [compose] = budget_json(str(FIXTURE))
    assert (compose["deployment"], compose["name"], compose["total"], compose["usable"], compose["terms"]) == (
        "docker-compose.yml",
        "docker-compose.yml service db",
        0,
        37,
        [],
    )
    # the dynos: 3 gunicorn workers × 2 web dynos + 2 celery processes, said against the add-on, not checked
    [skipped] = [f for f in result.findings if f.code == "PGC002"]
    assert skipped.location.path == "Procfile"
    assert "the processes of Procfile can hold 6 × 1 + 2 × 1 = 8 connections" in skipped.message
    assert f"against {ADD_ON}, a server that is not in the repository" in skipped.message
    assert not [f for f in result.findings if f.code in {"PGC101", "PGC102", "PGC103"}]


def test_asked_for_the_heroku_app_is_budgeted_against_defaults_that_say_what_they_stand_for():
    [procfile] = budget_json(str(FIXTURE), "--deployment", "Procfile")
    assert (procfile["deployment"], procfile["name"], procfile["assumed"], procfile["total"], procfile["usable"]) == (
        "Procfile",
        "PostgreSQL defaults",
        True,
        8,
        97,
    )
    assert procfile["note"] == f"PostgreSQL's defaults stand in for {ADD_ON}, a server not in the repository"
    assert [term["group"] for term in procfile["terms"]] == ["Procfile (web)", "Procfile (worker)"]


def test_a_compose_file_that_only_starts_a_database_is_not_the_heroku_apps_server(lint_tree):
    """A compose file with only `db` is the server of apps that pm2 or a Procfile runs on the same host; not of
    Heroku dynos, which the add-on serves."""
    [budget] = lint_tree({**fixture_files(), "docker-compose.yml": DB_ONLY}).budgets
    assert (budget.deployment, budget.server.name, budget.server.assumed, budget.total) == (
        "Procfile",
        "PostgreSQL defaults",
        True,
        8,
    )
    assert ADD_ON in budget.note


def test_without_the_add_on_the_procfile_keeps_the_compose_database(lint_tree):
    """Unchanged: a Procfile whose DATABASE_URL names the compose service (no add-on) still counts against it, and
    with the compose web service it is still budgeted as one system with the compose file."""
    app = '{"formation": {"web": {"quantity": 2}}, "env": {"DATABASE_URL": "postgres://shop@db:5432/shop"}}'
    files = {**fixture_files(), "app.json": app}
    [alone] = lint_tree({**files, "docker-compose.yml": DB_ONLY}).budgets
    assert (alone.deployment, alone.server.name, alone.total, alone.server.usable) == (
        "Procfile",
        "docker-compose.yml service db",
        6 + 2,
        37,
    )
    [together] = lint_tree(files).budgets
    assert (together.deployment, together.server.name, together.total) == (
        "Procfile + docker-compose.yml",
        "docker-compose.yml service db",
        8,
    )

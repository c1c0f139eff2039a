"""Where the server's limit really comes from (containers, scripts, mounted files) and whether its
configuration is valid for the target version, against the parameter catalogue built from a real server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, TEST_CPUS, keys

from pgconnlint.extract.postgres_command import docker_runs, is_postgres_image, settings_from_args
from pgconnlint.lint import LintOptions, lint
from pgconnlint.model import Location
from pgconnlint.parameters import check_value, load

REPO = Path(__file__).resolve().parent.parent.parent
WHERE = Location("x", 1)


# --- command lines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["postgres", "-c", "max_connections=200"], [("max_connections", 200)]),
        (["-c", "max_connections=200", "-N", "50"], [("max_connections", 200), ("max_connections", 50)]),
        (["postgres", "--max-connections=300", "-cwork_mem=8MB"], [("max_connections", 300), ("work_mem", "8MB")]),
        (
            ["postgres", "-B", "1GB", "-c", "shared_preload_libraries='pg_stat_statements'"],
            [("shared_buffers", "1GB"), ("shared_preload_libraries", "pg_stat_statements")],
        ),
    ],
)
def test_postgres_command_line_settings(args, expected):
    assert [(name, value.value) for name, value in settings_from_args(args, WHERE)] == expected


@pytest.mark.parametrize(
    "image",
    [
        "postgres",
        "postgres:16-alpine",
        "docker.io/library/postgres:15",
        "postgis/postgis:16-3.4",
        "bitnami/postgresql:15",
        "timescale/timescaledb:latest-pg16",
        "pgvector/pgvector:pg16",
    ],
)
def test_postgres_images(image):
    assert is_postgres_image(image)


@pytest.mark.parametrize("image", ["redis:7", "edoburu/pgbouncer", "node:20", "postgres-exporter"])
def test_other_images(image):
    assert not is_postgres_image(image)


def test_docker_run_with_continuations_mounts_and_other_commands():
    script = """#!/usr/bin/env bash
set -e
docker run -d --name db \\
  -e POSTGRES_PASSWORD="$DB_PASSWORD" \\
  -v "$PWD/pgdata:/var/lib/postgresql/data" \\
  -v ./db/postgresql.conf:/etc/postgresql/postgresql.conf:ro \\
  -p 5432:5432 postgres:16 -c config_file=/etc/postgresql/postgresql.conf -c max_connections=200
docker run --rm redis:7 redis-server --maxclients 10
"""
    [server] = docker_runs("scripts/db.sh", script)
    assert server.location == Location("scripts/db.sh", 3, 1) and server.image == "postgres:16"
    assert server.config_file == "db/postgresql.conf"
    assert dict((n, v.value) for n, v in server.settings)["max_connections"] == 200


# --- the incident's shape: a docker run line sets the limit ---------------------------------------


def with_script(tmp_path, script: str) -> Path:
    tree = shutil.copytree(FIXTURES / "nestjs-pm2-incident", tmp_path / "incident")
    (tree / "scripts").mkdir()
    (tree / "scripts/start-db.sh").write_text(script)
    return tree


def test_docker_run_limit_is_the_one_the_budget_uses_and_says_where(tmp_path):
    tree = with_script(tmp_path, "#!/bin/sh\ndocker run -d -p 5432:5432 postgres:15 -c max_connections=200\n")
    result = lint(tree, LintOptions(cpus=TEST_CPUS))
    budget = result.budgets[0]
    assert budget.server.name == "scripts/start-db.sh:2 docker run postgres:15"
    assert (budget.total, budget.server.usable) == (160, 197)
    [finding] = [f for f in result.findings if f.code == "PGC102"]  # 160 of 197: 81%
    assert (
        "max_connections 200 [scripts/start-db.sh:2; db/postgresql.conf:65 sets 100 but this server does not"
        " read that file]"
    ) in " ".join((finding.message, *finding.notes))


def test_mounted_config_file_is_read_and_the_command_line_overrides_it(tmp_path):
    tree = with_script(
        tmp_path,
        "docker run -v ./db/postgresql.conf:/etc/postgresql/postgresql.conf postgres:15 \\\n"
        "  -c config_file=/etc/postgresql/postgresql.conf -c max_connections=200\n",
    )
    server = lint(tree, LintOptions(cpus=TEST_CPUS)).budgets[0].server
    assert server.max_connections.via == "scripts/start-db.sh:1, overriding 100 from db/postgresql.conf:65"
    assert server.config.settings["shared_buffers"].value.location.path == "db/postgresql.conf"


def test_a_mounted_config_file_the_repository_does_not_hold_is_said(lint_tree):
    """codabench mounts a gitignored `./my-postgres.conf` copied from a sample: its max_connections is not known, so
    the defaults the budget uses are said to stand in for it (PGC002 where the file is named), never silently."""
    compose = """services:
  db:
    image: postgres:16
    command: postgres -c config_file=/etc/postgresql/postgresql.conf
    volumes:
      - ./my-postgres.conf:/etc/postgresql/postgresql.conf
"""
    result = lint_tree({"docker-compose.yml": compose, "my-postgres.conf.sample": "max_connections = 500\n"})
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert finding.location == Location("docker-compose.yml", 4, 14)
    assert "mounted from my-postgres.conf, which is not in the repository" in finding.message
    assert result.budgets[0].server.max_connections.value == 100  # PostgreSQL's default, the finding says why
    committed = lint_tree({"docker-compose.yml": compose, "my-postgres.conf": "max_connections = 500\n"})
    assert not [f for f in committed.findings if f.code == "PGC002"]
    assert committed.budgets[0].server.max_connections.value == 500


def test_compose_service_settings_and_json(tmp_path):
    compose = """services:
  db:
    image: postgres:16
    command: ["postgres", "-c", "max_connections=40", "-c", "idle_in_transaction_session_timeout=60s"]
"""
    tree = shutil.copytree(FIXTURES / "nestjs-pm2-fixed", tmp_path / "fixed")
    (tree / "docker-compose.yml").write_text(compose)
    result = subprocess.run(
        [sys.executable, "-m", "pgconnlint", "check", str(tree), "--format", "json", "--cpus", "8"],
        capture_output=True,
        text=True,
    )
    document = json.loads(result.stdout)
    server = document["servers"][0]
    assert (server["name"], server["usable"], server["total"]) == ("docker-compose.yml service db", 37, 64)
    assert [f["code"] for f in document["findings"]] == ["PGC101"]
    assert document["findings"][0]["data"]["usable"] == 37


# --- validation against the catalogue --------------------------------------------------------------


def test_catalogue_was_generated_from_a_real_server():
    catalogue = load()
    assert catalogue.version >= 15 and len(catalogue.parameters) > 300
    assert catalogue.parameters["max_connections"]["context"] == "postmaster"
    assert catalogue.parameters["shared_buffers"]["unit"] == "8kB"


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("shared_buffers", "128MB", True),
        ("shared_buffers", "128M", False),
        ("shared_buffers", "8", False),
        ("work_mem", "64kB", True),
        ("work_mem", "64KB", False),
        ("statement_timeout", "30s", True),
        ("statement_timeout", "30", True),
        ("statement_timeout", "1h", True),
        ("statement_timeout", "30S", False),
        ("max_connections", "262144", False),
        ("max_connections", "0", False),
        ("max_connections", "1.5", True),
        ("fsync", "of", True),
        ("fsync", "o", False),
        ("fsync", "YES", True),
        ("wal_level", "LOGICAL", True),
        ("wal_level", "archive", False),
        ("random_page_cost", "1.1", True),
        ("random_page_cost", "-1", False),
        ("listen_addresses", "*", True),
    ],
)
def test_values_read_as_the_server_reads_them(name, value, ok):
    assert (check_value(load().parameters[name], value) is None) is ok


def test_bad_configuration_lines_each_have_a_finding_and_the_rest_is_checked(lint_tree):
    conf = """MAX_CONNECTIONS = 150
wal_keep_segments = 32
shared_buffers = 128M
include 'missing.conf'
include_if_exists 'optional.conf'
include 'loop.conf'
idle_in_transaction_session_timeout = '1min'
"""
    files = {"postgresql.conf": conf, "loop.conf": "include 'postgresql.conf'\n"}
    result = lint_tree(files)
    assert keys(result) == [
        ("PGC001", "loop.conf", 1),  # the include loop, where it closes
        ("PGC310", "postgresql.conf", 2),  # wal_keep_segments: removed in PostgreSQL 13
        ("PGC311", "postgresql.conf", 3),  # 128M: units are case-sensitive
        ("PGC001", "postgresql.conf", 4),  # a missing include
    ]
    assert (
        "did you mean 'max_connections'?" in lint_tree({"postgresql.conf": "max_conections = 5\n"}).findings[0].message
    )
    assert result.project.servers[0].max_connections.value == 150  # upper-case names are case-insensitive


def test_malformed_compose_is_a_finding(lint_tree):
    result = lint_tree({"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n   command: [\n"})
    assert [(f.code, f.location.path) for f in result.findings] == [("PGC001", "docker-compose.yml")]


def test_catalogue_generator_runs_against_a_real_server(tmp_path):
    """scripts/pg_catalogue.py starts a throwaway server and writes the catalogue that ships (slow: initdb)."""
    target = tmp_path / "catalogue.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts/pg_catalogue.py"), "--output", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    generated = json.loads(target.read_text())
    shipped = json.loads((REPO / f"pgconnlint/data/postgresql-{generated['version']}.json").read_text())
    assert generated["parameters"].keys() == shipped["parameters"].keys()
    assert generated["parameters"]["max_connections"] == shipped["parameters"]["max_connections"]


def test_pg_hba_trust_needs_a_listening_server_and_bad_lines_are_reported(lint_tree):
    hba = "local all all trust\nhost all all 0.0.0.0/0 trust\nhost all all\n"
    loopback = lint_tree(
        {"postgresql.conf": "listen_addresses = 'localhost'\n", "pg_hba.conf": hba},
        select=frozenset({"PGC401", "PGC001"}),
    )
    assert keys(loopback) == [("PGC001", "pg_hba.conf", 3)]  # an incomplete line; trust on loopback only
    container = lint_tree(
        {"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n", "pg_hba.conf": hba},
        select=frozenset({"PGC401"}),
    )
    assert keys(container) == [("PGC401", "pg_hba.conf", 2)]
    assert "the official image listens on '*'" in container.findings[0].message

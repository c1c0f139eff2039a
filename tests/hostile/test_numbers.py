"""Numbers read as PostgreSQL reads them (parameters.number / integer / as_server_reads)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("written", ["5e1", "50.0", "50.4", "0x32", "062", "'50'"])
def test_max_connections_as_the_server_reads_it(lint_tree, written):
    result = lint_tree({"postgresql.conf": f"max_connections = {written}\n"})
    assert result.budgets[0].server.max_connections.value == 50
    assert "PGC311" not in {f.code for f in result.findings}


@pytest.mark.parametrize("written", ["-5", "99999999999999999999999", "1e400", "0"])
def test_a_refused_max_connections_is_reported_and_never_budgeted(lint_tree, written):
    result = lint_tree({"postgresql.conf": f"max_connections = {written}\n"})
    assert "PGC311" in {f.code for f in result.findings}
    value = result.budgets[0].server.max_connections
    assert value.value == 100 and "would not start" in value.why  # the default stands in, said so
    assert result.budgets[0].server.usable > 0


def test_a_compose_variable_default_is_read_and_said(lint_tree):
    compose = "services:\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=${PG_MAX:-1024}\n"
    result = lint_tree({"docker-compose.yml": compose})
    value = result.budgets[0].server.max_connections
    assert value.value == 1024 and "default of ${PG_MAX}" in value.via
    assert "PGC311" not in {f.code for f in result.findings}


def test_docker_run_reads_like_the_server(lint_tree):
    result = lint_tree({"db.sh": "docker run postgres -c max_connections=5e1 -N 0x40\n"})
    assert result.budgets[0].server.max_connections.value == 64  # the later option wins


def test_numeric_helpers():
    from pgconnlint import numeric

    assert numeric.count(1e400) == numeric.MAX_COUNT and numeric.count(-3) is None
    assert numeric.count(float("nan")) is None and numeric.count(True) is None
    assert numeric.whole(-1) == -1 and numeric.whole(float("-inf")) == -numeric.MAX_COUNT

"""A crash never looks like findings: inputs that crashed pgconnlint are findings now, and anything left is exit 3."""

from __future__ import annotations

import os

import pytest
from hostile_support import cli

NESTED_PYTHON = "from sqlalchemy import create_engine\nx = " + "[" * 1500 + "\n"
SELF_MERGE = "a: &a\n  <<: *a\n"


@pytest.mark.parametrize(
    "files",
    [
        {"app.py": NESTED_PYTHON},  # libcst's native parser segfaulted (exit 139)
        {"docker-compose.yml": SELF_MERGE},
        {"ecosystem.config.yml": SELF_MERGE},
        {"k8s/deploy.yaml": "apiVersion: v1\n" + SELF_MERGE},
        {"docker-compose.yml": "services:\n  x: " + "[" * 2000 + "\n"},
        {"postgresql.conf": "max_connections = 1e400\n"},
        {"db.sh": "docker run postgres -c max_connections=1e400\n"},
        {"ecosystem.config.json": '{"apps": [{"name": "a", "script": "a.js", "instances": 1e308}]}'},
        {"ecosystem.config.json": '{"apps": [{"name": "a", "script": "a.js", "instances": -1e400}]}'},
        {"ormconfig.json": '{"type": "postgres", "extra": {"max": 1e400}}'},
        {"app.py": "from sqlalchemy import create_engine\ne = create_engine('postgresql://x', pool_size=1e308)\n"},
    ],
)
def test_hostile_file_is_a_finding_not_a_crash(lint_tree, files):
    result = lint_tree(files)
    assert result.budgets  # the run completed and built its budgets


def test_a_nested_file_is_refused_before_any_parser_sees_it(lint_tree):
    result = lint_tree({"app.py": NESTED_PYTHON})
    [finding] = result.findings
    assert finding.code == "PGC001" and "nested 1500 deep" in finding.message


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (")" + "(" * 301, 301),  # a stray closer first: the depth starts again from 0, not from -1
        ("])}" * 400 + "(" * 250, 250),  # 1,200 stray closers never make the openers after them count less
        ("(" * 200 + ")" * 200 + "{" * 299 + "'('", 300),  # a bracket inside a string counts (an over-estimate)
    ],
)
def test_nesting_is_the_deepest_bracket_depth(text, depth):
    from pgconnlint.discover import nesting

    assert nesting(text) == depth


def test_unread_files_are_no_servers(lint_tree):
    result = lint_tree({"postgresql.conf": b"\xff\xfem\x00a\x00x\x00"})
    assert [f.code for f in result.findings] == ["PGC002"] and "UTF-16" in result.findings[0].message
    assert result.budgets[0].server.assumed


def test_a_crashing_reader_costs_only_its_file(lint_tree, monkeypatch):
    from pgconnlint import lint

    def boom(root, path, facts):
        raise ValueError("reader bug")

    monkeypatch.setitem(lint._EXTRACTORS, "dotenv", boom)
    result = lint_tree({".env": "X=1\n", "postgresql.conf": "max_connections = 50\n"})
    assert ("PGC002", ".env", 1) in [f.key for f in result.findings]
    assert result.budgets[0].server.max_connections.value == 50


def test_an_internal_error_exits_3_with_one_line(tmp_path, monkeypatch):
    from pgconnlint import lint

    monkeypatch.setattr(lint, "run_checks", lambda *arguments: 1 / 0)
    (tmp_path / "postgresql.conf").write_text("max_connections = 50\n")
    status, out, err = cli("check", str(tmp_path))
    assert status == 3 and out == ""
    assert err.count("\n") == 1 and err.startswith("pgconnlint: internal error: ZeroDivisionError")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("pyproject.toml", b"[project]\nname = 'caf\xe9'\n"),  # not UTF-8, no [tool.pgconnlint]: not ours, no error
        ("pyproject.toml", b'tool = "pgconnlint"\n'),
    ],
)
def test_a_foreign_pyproject_never_crashes(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    (tmp_path / "postgresql.conf").write_text("max_connections = 50\n")
    status, _, err = cli("check", str(tmp_path))
    assert status in (0, 2) and "internal error" not in err


@pytest.mark.parametrize(
    "content",
    [
        "a = " + "[" * 5000 + "]" * 5000 + "\n",
        "a = " + "{x = " * 100_000 + "1" + "}" * 100_000 + "\n",
        "\ufeffcpus = 2\n".encode("utf-16"),
        b"cpus = \xff\n",
    ],
)
def test_a_broken_configuration_is_a_usage_error(tmp_path, content):
    config = tmp_path / "pgconnlint.toml"
    config.write_bytes(content if isinstance(content, bytes) else content.encode())
    status, _, err = cli("check", str(tmp_path), "--config", str(config))
    assert status == 2 and err.startswith("pgconnlint: error:")


@pytest.mark.parametrize("content", ["[" * 100_000, '{"findings": ' * 5000])
def test_a_broken_baseline_is_a_usage_error(tmp_path, content):
    (tmp_path / "b.json").write_text(content)
    status, _, err = cli("check", str(tmp_path), "--baseline", str(tmp_path / "b.json"))
    assert status == 2 and "not a pgconnlint baseline" in err


def test_a_baseline_linked_to_dev_zero_is_refused(tmp_path):
    os.symlink("/dev/zero", tmp_path / "b.json")
    status, _, err = cli("check", str(tmp_path), "--baseline", str(tmp_path / "b.json"))
    assert status == 2 and "not a regular file" in err


def test_doctor_timeout_is_bounded():
    status, _, err = cli("doctor", "--timeout", "1e308")
    assert status == 2 and "at most" in err

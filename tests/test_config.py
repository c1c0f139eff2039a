"""Configuration files: found upwards, validated against the closed schema, and applied to the run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import write_tree

from pgconnlint import config

STORY = {
    "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "dist/main.js", instances: 16 }] };\n',
    "ormconfig.json": '{\n  "type": "postgres",\n  "synchronize": true\n}\n',
    "db/postgresql.conf": "max_connections = 100\nidle_in_transaction_session_timeout = '60s'\n",
}


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pgconnlint", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def codes(root, *args: str) -> list[str]:
    result = run("check", str(root), "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return sorted(f["code"] for f in json.loads(result.stdout)["findings"])


def test_found_upwards_in_order(tmp_path):
    root = write_tree(
        tmp_path,
        {
            ".git/HEAD": "",  # a repository: its top folder bounds the search upwards
            "a/b/c/.keep": "",
            "a/pyproject.toml": "[project]\nname='x'\n",
            "pyproject.toml": "[tool.pgconnlint]\ncpus = 2\n",
        },
    )
    assert config.find(root / "a/b/c") == root / "pyproject.toml"  # a/pyproject.toml has no [tool.pgconnlint]
    (root / "a/b/.pgconnlint.toml").write_text("cpus = 3\n")
    assert config.find(root / "a/b/c") == root / "a/b/.pgconnlint.toml"
    (root / "a/b/pgconnlint.toml").write_text("cpus = 4\n")
    assert config.find(root / "a/b/c") == root / "a/b/pgconnlint.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[tool.pgconnlint]\nselct = ['PGC101']\n",
            "pyproject.toml:2: unknown key 'selct' in [tool.pgconnlint] (did you mean 'select'?)",
        ),
        ("[tool.pgconnlint]\ncpus = 'eight'\n", "pyproject.toml:2: cpus: expected a whole number from 1 to 4096"),
        ("[tool.pgconnlint]\nheadroom = 1.5\n", "headroom: expected a number above 0 and at most 1"),
        (
            "[tool.pgconnlint]\nseverity = { PGC204 = 'fatal' }\n",
            "severity: 'PGC204': expected one of error, warning, info",
        ),
        ("[tool.pgconnlint]\nselect = ['PGC1O1']\n", "pyproject.toml: unknown rule 'PGC1O1' (did you mean 'PGC101'?)"),
        ("[tool.pgconnlint]\nselect = ['PGC999']\n", "unknown rule 'PGC999'; `pgconnlint rules` lists them"),
        ("[tool.pgconnlint]\nignore = ['pool-size-unknwn']\n", "(did you mean 'pool-size-unknown'?)"),
        ("[tool.pgconnlint]\nserver-memory = 'lots'\n", "server-memory: expected a size such as '16GB'"),
        ("[tool.pgconnlint\n", "invalid TOML"),
        (
            "[tool.pgconnlint]\nprocesses = { nope = 3 }\n",
            "`processes` names 'nope', but the process groups found are: api",
        ),
        (
            "[tool.pgconnlint]\nserver = 'other/postgresql.conf'\n",
            "`server` is 'other/postgresql.conf', but the servers found are: db/postgresql.conf",
        ),
    ],
)
def test_bad_configuration_exits_2_naming_file_line_and_key(tmp_path, text, message):
    root = write_tree(tmp_path / "repo", {**STORY, "pyproject.toml": text})
    result = run("check", str(root))
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr


def test_select_ignore_severity_and_fail_on_from_the_file(tmp_path):
    root = write_tree(
        tmp_path / "repo",
        {
            **STORY,
            "pgconnlint.toml": (
                "ignore = ['typeorm-synchronize-in-production']\n"
                "severity = { PGC204 = 'error', PGC203 = 'info' }\n"
                "fail-on = 'error'\n"
            ),
        },
    )
    document = json.loads(run("check", str(root), "--format", "json").stdout)
    severities = {f["code"]: f["severity"] for f in document["findings"]}
    assert severities == {"PGC101": "error", "PGC203": "info", "PGC204": "error"}
    assert run("check", str(root), "--select", "PGC203").returncode == 0  # info is below fail-on error
    assert run("check", str(root), "--select", "PGC203", "--fail-on", "info").returncode == 1  # the flag wins


def test_extend_select_and_cli_ignore_add_up(tmp_path):
    root = write_tree(
        tmp_path / "repo", {**STORY, "pgconnlint.toml": "select = ['PGC101']\nextend-select = ['PGC204']\n"}
    )
    assert codes(root) == ["PGC101", "PGC204"]
    assert codes(root, "--ignore", "PGC101") == ["PGC204"]
    assert codes(root, "--select", "PGC201") == ["PGC201"]


def test_env_processes_server_and_environment(tmp_path):
    files = {
        **STORY,
        "ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 1, "extra": {"max": "${X}"}}',
        "ormconfig.js": 'module.exports = { type: "postgres", connectTimeoutMS: 1, extra: { max: +process.env.DB_POOL } };',
        "staging/postgresql.conf": "max_connections = 500\n",
        "pgconnlint.toml": "environment = 'staging'\n[env]\nDB_POOL = '3'\n[processes]\napi = 10\n",
    }
    root = write_tree(tmp_path / "repo", files)
    document = json.loads(run("check", str(root), "--format", "json").stdout)
    assert document["environment"] == "staging"
    [server, other] = document["servers"]
    assert (server["name"], server["total"]) == ("db/postgresql.conf", 30)
    assert server["terms"][0]["processes_from"] == {"kind": "set", "path": "pgconnlint.toml", "line": 5}
    assert server["terms"][0]["pool_max_from"] == {"kind": "set", "path": "pgconnlint.toml", "line": 3}
    (root / "pgconnlint.toml").write_text("server = 'staging/postgresql.conf'\n[env]\nDB_POOL = '3'\n")
    document = json.loads(run("check", str(root), "--format", "json", "--env", "production").stdout)
    assert (document["environment"], document["servers"][0]["name"]) == ("production", "staging/postgresql.conf")


def test_postgres_version_before_16_has_no_reserved_connections(tmp_path):
    files = {**STORY, "db/postgresql.conf": "max_connections = 100\nreserved_connections = 10\n"}
    root = write_tree(tmp_path / "repo", files)
    assert json.loads(run("check", str(root), "--format", "json").stdout)["servers"][0]["usable"] == 87
    (root / "pgconnlint.toml").write_text("postgres-version = 15\n")
    assert json.loads(run("check", str(root), "--format", "json").stdout)["servers"][0]["usable"] == 97


def test_exclude_and_per_file_ignores(tmp_path):
    files = {
        **STORY,
        "legacy/ormconfig.json": '{"type": "postgres", "dropSchema": true}',
        "pgconnlint.toml": (
            "exclude = ['legacy']\n[per-file-ignores]\n'ormconfig.json' = ['PGC204', 'typeorm-synchronize-in-production']\n"
        ),
    }
    root = write_tree(tmp_path / "repo", files)
    assert codes(root) == ["PGC101", "PGC203"]


def test_explicit_config_flag(tmp_path):
    root = write_tree(tmp_path / "repo", STORY)
    elsewhere = write_tree(tmp_path / "cfg", {"strict.toml": "select = ['PGC204']\n"})
    assert codes(root, "--config", str(elsewhere / "strict.toml")) == ["PGC204"]
    missing = run("check", str(root), "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "no such configuration file" in missing.stderr


def test_search_stops_at_the_repository_root(tmp_path):
    write_tree(tmp_path, {"pgconnlint.toml": "select = ['PGC204']\n", "repo/.git/HEAD": "ref: refs/heads/main\n"})
    assert config.find(tmp_path / "repo") is None


def test_inline_table_keys_are_cited_on_their_line(tmp_path):
    root = write_tree(tmp_path, {"pgconnlint.toml": "cpus = 2\n\nenv = { DB_POOL = '3' }\n"})
    assert config.load(root / "pgconnlint.toml").line_of("DB_POOL") == 3

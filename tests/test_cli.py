"""The command line as a user runs it: a real subprocess, real exit codes, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, write_tree


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pgconnlint", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.fixture
def story(tmp_path):
    return write_tree(
        tmp_path / "story",
        {
            "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "dist/main.js", instances: 16 }] };\n',
            "ormconfig.json": '{\n  "type": "postgres",\n  "synchronize": true\n}\n',
            "db/postgresql.conf": "max_connections = 100\nidle_in_transaction_session_timeout = '60s'\n",
        },
    )


def test_check_exits_1_on_findings_and_prints_path_line_col_code(story):
    result = run("check", str(story), "--cpus", "4")
    assert result.returncode == 1, result.stderr
    assert "db/postgresql.conf:1:1: PGC101 [error] up to 160 connections" in result.stdout
    assert "Found 4 findings (2 errors, 2 warnings)" in result.stdout
    assert "Traceback" not in result.stderr


def test_clean_tree_exits_0(tmp_path):
    root = write_tree(tmp_path / "ok", {"README.md": "nothing to see"})
    result = run("check", str(root))
    assert result.returncode == 0 and "No findings" in result.stdout


def test_fail_on_error_ignores_warnings(tmp_path):
    root = write_tree(tmp_path / "w", {"ormconfig.json": '{"type": "postgres"}'})
    assert run("check", str(root)).returncode == 1
    assert run("check", str(root), "--fail-on", "error").returncode == 0


def test_json_has_the_documented_shape(story):
    result = run("check", str(story), "--format", "json", "--cpus", "4")
    document = json.loads(result.stdout)
    assert set(document) == {"version", "environment", "cpus", "findings", "servers", "summary"}
    budget = next(f for f in document["findings"] if f["code"] == "PGC101")
    assert {"code", "name", "severity", "message", "path", "line", "column", "data"} <= set(budget)
    assert (budget["data"]["total"], budget["data"]["usable"]) == (160, 97)
    assert isinstance(budget["data"]["terms"], list) and budget["data"]["terms"][0]["connections"] == 160
    [server] = document["servers"]
    assert (server["name"], server["usable"], server["total"]) == ("db/postgresql.conf", 97, 160)
    assert document["summary"] == {"error": 2, "warning": 2, "info": 0, "files": 3}


def test_servers_are_in_json_even_when_nothing_is_flagged(tmp_path):
    root = write_tree(
        tmp_path / "fits",
        {
            "ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 1, "extra": {"max": 5}}',
            "postgresql.conf": "max_connections = 50\nidle_in_transaction_session_timeout = '1min'\n",
        },
    )
    document = json.loads(run("check", str(root), "--format", "json").stdout)
    assert (
        document["findings"] == [] and document["servers"][0]["total"] == 5 and document["servers"][0]["usable"] == 47
    )


def test_select_and_ignore_accept_codes_and_names(story):
    selected = json.loads(run("check", str(story), "--format", "json", "--select", "connection-budget-exceeded").stdout)
    assert {f["code"] for f in selected["findings"]} == {"PGC101"}
    ignored = json.loads(run("check", str(story), "--format", "json", "--ignore", "PGC101,PGC204").stdout)
    assert {f["code"] for f in ignored["findings"]} == {"PGC201", "PGC203"}


def test_output_file(story, tmp_path):
    out = tmp_path / "report.json"
    result = run("check", str(story), "--format", "json", "--output-file", str(out))
    assert result.stdout == "" and json.loads(out.read_text())["findings"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "/nonexistent/path"], "no such file or directory"),
        (["check", ".", "--select", "PGC999"], "unknown rule 'PGC999'"),
        (["check", ".", "--cpus", "0"], "must be at least 1"),
        (["check", ".", "--format", "xml"], "invalid choice"),
        (["explain", "no-such-rule"], "no rule 'no-such-rule'"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2_with_a_message(args, message):
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_explain_by_code_and_by_name_renders_the_catalogue():
    by_code, by_name = run("explain", "PGC101"), run("explain", "connection-budget-exceeded")
    assert by_code.returncode == 0 and by_code.stdout == by_name.stdout
    assert "PGC101 connection-budget-exceeded" in by_code.stdout and "## Why is this bad?" in by_code.stdout
    meta = json.loads(run("explain", "pgc204", "--format", "json").stdout)
    assert meta["name"] == "connect-timeout-missing" and meta["severity"] == "warning"


def test_rules_lists_every_rule():
    result = run("rules")
    from pgconnlint.catalogue import load

    assert result.returncode == 0
    for code, rule in load().items():
        assert code in result.stdout and rule.name in result.stdout


def test_source_line_and_caret_when_forced_to_a_terminal(story):
    from io import StringIO

    from pgconnlint.lint import LintOptions, lint
    from pgconnlint.report import text

    out = StringIO()
    text.render(lint(story, LintOptions(cpus=4, select=frozenset({"PGC201"}))), out, color=False, show_source=True)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("ormconfig.json:3:3: PGC201 [error] synchronize is true")
    assert lines[1] == '    3 |   "synchronize": true'
    assert lines[2] == " " * 10 + "^" * 13


def test_bundled_example_runs_as_the_readme_says():
    result = run("check", str(FIXTURES / "nestjs-pm2-incident"), "--cpus", "8")
    assert result.returncode == 1 and "PGC101" in result.stdout


def test_explain_piped_keeps_the_markdown_as_written():
    result = run("explain", "PGC110")
    assert "[docs/budget.md](../docs/budget.md)" in result.stdout


def test_readme_first_run_is_the_real_output():
    readme = (FIXTURES.parent.parent / "README.md").read_text()
    shown = readme.split("$ pgconnlint check tests/fixtures/nestjs-pm2-incident --cpus 8\n", 1)[1].split("```", 1)[0]
    result = run("check", "tests/fixtures/nestjs-pm2-incident", "--cpus", "8", "--no-color", cwd=FIXTURES.parent.parent)
    assert result.stdout == shown


# --- ruff-like controls (issue 18) ---------------------------------------------------------------------------------


def codes_of(result: subprocess.CompletedProcess) -> set[str]:
    return {f["code"] for f in json.loads(result.stdout)["findings"]}


def test_select_takes_prefixes_and_all_as_ruff_does(story):
    assert codes_of(run("check", str(story), "--format", "json", "--select", "PGC2")) == {"PGC201", "PGC203", "PGC204"}
    assert codes_of(run("check", str(story), "--format", "json", "--select", "PGC10")) == {"PGC101"}
    every = codes_of(run("check", str(story), "--format", "json", "--select", "ALL", "--ignore", "PGC20"))
    assert every == {"PGC101"}
    extended = run("check", str(story), "--output-format", "json", "--select", "PGC101", "--extend-select", "pgc203")
    assert codes_of(extended) == {"PGC101", "PGC203"}
    unknown = run("check", str(story), "--select", "PGC9")
    assert unknown.returncode == 2 and "unknown rule 'PGC9'" in unknown.stderr


def test_exit_zero_reports_but_passes(story):
    result = run("check", str(story), "--exit-zero")
    assert result.returncode == 0 and "PGC101" in result.stdout
    assert run("check", str(story), "--exit-zero", "--select", "PGC999").returncode == 2  # errors still fail


def test_show_source_forces_excerpts_into_a_ci_log(story):
    shown = run("check", str(story), "--select", "PGC201", "--show-source").stdout.splitlines()
    assert shown[1:3] == ['    3 |   "synchronize": true', " " * 10 + "^" * 13]
    hidden = run("check", str(story), "--select", "PGC201", "--no-show-source").stdout.splitlines()
    assert hidden[1].startswith("    help:")


def test_no_color_environment_variable_is_honoured(story):
    from io import StringIO

    from pgconnlint.lint import LintOptions, lint
    from pgconnlint.report import text

    result = lint(story, LintOptions(cpus=4, select=frozenset({"PGC201"})))
    coloured = StringIO()
    text.render(result, coloured, color=True)
    assert "\x1b[" in coloured.getvalue()
    import os

    os.environ["NO_COLOR"] = "1"
    try:
        plain = StringIO()
        text.render(result, plain, color=None)
        assert "\x1b[" not in plain.getvalue()
    finally:
        del os.environ["NO_COLOR"]


def test_statistics_replace_the_findings_in_text_and_json(story):
    lines = run("check", str(story), "--statistics", "--cpus", "4").stdout.splitlines()
    assert lines[0] == "    1  PGC101  [error]  connection-budget-exceeded" and len(lines) == 4
    rows = json.loads(run("check", str(story), "--statistics", "--format", "json", "--cpus", "4").stdout)
    assert rows[0] == {"code": "PGC101", "name": "connection-budget-exceeded", "severity": "error", "count": 1}
    assert run("check", str(story), "--statistics", "--format", "sarif").returncode == 2


def test_budget_findings_lead_with_a_headline_and_cap_their_terms(tmp_path):
    apps = ", ".join(f'{{ name: "a{i}", cwd: "a{i}", script: "x.js", instances: 4 }}' for i in range(8))
    files = {
        "ecosystem.config.js": f"module.exports = {{ apps: [{apps}] }};\n",
        "db/postgresql.conf": "max_connections = 20\n",
    }
    for i in range(8):
        files[f"a{i}/package.json"] = "{}"
        files[f"a{i}/ormconfig.json"] = '{"type": "postgres", "connectTimeoutMS": 1}'
    root = write_tree(tmp_path / "wide", files)
    [budget] = [
        f for f in json.loads(run("check", str(root), "--format", "json").stdout)["findings"] if f["code"] == "PGC101"
    ]
    assert budget["message"].startswith(
        "up to 320 connections at once exceed the 17 usable slots of db/postgresql.conf"
    )
    assert (budget["path"], budget["line"]) == ("db/postgresql.conf", 1)
    assert len(budget["message"]) < 250 and len(budget["data"]["terms"]) == 8
    assert budget["notes"][-1] == "… and 3 more (see `pgconnlint budget`)" and len(budget["notes"]) == 8


def test_advice_agrees_on_an_environment_string(tmp_path):
    root = write_tree(
        tmp_path / "env",
        {
            "src/data-source.ts": 'import { DataSource } from "typeorm";\nexport default new DataSource({\n'
            '  type: "postgres",\n  connectTimeoutMS: 5000,\n  synchronize: process.env.DB_SYNC,\n});\n',
            ".env": "DB_SYNC=false\n",
        },
    )
    findings = json.loads(run("check", str(root), "--format", "json").stdout)["findings"]
    helps = {f["code"]: f["help"] for f in findings}
    assert 'process.env.DB_SYNC === "true"' in helps["PGC201"] and "set synchronize: false" not in helps["PGC201"]
    assert 'process.env.DB_SYNC === "true"' in helps["PGC211"]


def test_idle_timeout_help_speaks_the_syntax_of_its_file(tmp_path):
    compose = "services:\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=200\n"
    root = write_tree(tmp_path / "compose", {"docker-compose.yml": compose})
    [finding] = json.loads(run("check", str(root), "--format", "json", "--select", "PGC315").stdout)["findings"]
    assert finding["help"].startswith("add -c idle_in_transaction_session_timeout=60s to the postgres command")


def test_suggest_skips_a_server_nobody_uses_and_says_why_pools_cannot_shrink(tmp_path):
    root = write_tree(
        tmp_path / "many",
        {
            "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "x.js", instances: 90 }] };\n',
            "ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 1}',
            "db/postgresql.conf": "max_connections = 100\n",
            "spare/postgresql.conf": "max_connections = 50\n",
        },
    )
    servers = json.loads(run("budget", str(root), "--suggest", "--format", "json").stdout)["servers"]
    used, spare = servers
    assert spare["terms"] == [] and spare["suggestion"]["pools"] == []
    assert spare["suggestion"]["max_connections_needed"] is None and "nothing to size" in spare["suggestion"]["reason"]
    assert [p["suggested"] for p in used["suggestion"]["pools"]] == [1]
    assert used["suggestion"]["reason"].startswith(
        "every pool would have to be 1: the 90 processes alone hold more than"
    )
    text = run("budget", str(root), "--suggest").stdout
    assert "Suggestion: none; no process" in text and "every pool would have to be 1" in text


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["--version"], "pgconnlint 0"),
        (["rules"], "PGC101"),
        (["explain", "PGC101"], "PGC101"),
    ],
)
def test_start_up_commands_import_only_what_they_print(args, printed, monkeypatch):
    """Issue 19: `--version`, `rules` and a piped `explain` load no model, no discovery, no rich (terminal output)."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pgconnlint", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and printed in result.stdout
    imported = {
        line.rpartition("|")[2].strip() for line in result.stderr.splitlines() if line.startswith("import time")
    }
    unwanted = {"pgconnlint.model", "pgconnlint.discover", "pgconnlint.lint", "rich", "subprocess", "json"}
    assert not imported & (unwanted | {"dataclasses", "inspect"})  # the catalogue's rules are NamedTuples
    if args == ["--version"]:
        assert not imported & {"argparse", "pgconnlint.cli", "pgconnlint.catalogue"}


@pytest.mark.parametrize("fixture", ["django-gunicorn-celery", "knex-worker"])
def test_check_imports_what_a_rare_path_needs_only_on_that_path(fixture):
    """Issue 19: packaging (a celery requirement's version), OpenSSL's hashlib, difflib (a misspelling) and the
    Terraform apps' modules cost every run their import time; a tree that needs none of them imports none."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pgconnlint", "check", str(FIXTURES / fixture), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode in (0, 1) and json.loads(result.stdout)
    imported = {
        line.rpartition("|")[2].strip() for line in result.stderr.splitlines() if line.startswith("import time")
    }
    rare = {"packaging", "hashlib", "difflib", "pgconnlint.extract.terraform_apps", "pgconnlint.extract.platforms"}
    assert not imported & rare


def test_explain_is_rendered_by_rich_when_the_environment_asks_for_colour_even_through_a_pipe():
    env = {key: value for key, value in os.environ.items() if key not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}
    command = [sys.executable, "-m", "pgconnlint", "explain", "PGC101"]
    forced = subprocess.run(command, capture_output=True, text=True, timeout=60, env={**env, "FORCE_COLOR": "1"})
    plain = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
    assert "\x1b[" in forced.stdout
    assert plain.stdout.startswith("PGC101 connection-budget-exceeded (error): ") and "\x1b[" not in plain.stdout


def test_the_cli_collects_less_often_and_the_library_leaves_the_collector_alone(tmp_path, capsys):
    import gc

    from pgconnlint import cli, collector
    from pgconnlint.lint import lint

    write_tree(tmp_path, {"postgresql.conf": "max_connections = 50\n"})
    before = gc.get_threshold()
    try:
        lint(tmp_path)
        assert gc.get_threshold() == before  # a program that imports pgconnlint keeps its own settings
        cli.main(["check", str(tmp_path), "--format", "json"])
        assert gc.get_threshold() == collector.RUN_THRESHOLDS
    finally:
        gc.set_threshold(*before)
    assert json.loads(capsys.readouterr().out)["servers"]

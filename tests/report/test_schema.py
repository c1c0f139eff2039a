"""The JSON Schemas shipped in the package (pgconnlint/data/*.schema.json) describe the real outputs: each is checked
against `check --format json`, `check --statistics --format json` and `budget --format json --suggest` on fixtures
that between them hold every kind of budget (replicas, bouncers, rollouts, unknown and unbounded pools)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from importlib import resources

import jsonschema
import pytest
from conftest import FIXTURES

from pgconnlint.lint import LintOptions, lint
from pgconnlint.report import budget as budget_view
from pgconnlint.report import json as json_report

CASES = [
    "nestjs-pm2-incident",
    "compose-pgbouncer",
    "k8s-rollout",
    "k8s-cnpg",
    "flask-gunicorn-sync",
    "datasource-env",
    "terraform-rds-param-group",
    "serverless-api",
]


def schema(name: str):
    text = resources.files("pgconnlint").joinpath("data", f"{name}-output.schema.json").read_text(encoding="utf-8")
    loaded = json.loads(text)
    validator = jsonschema.validators.validator_for(loaded)
    validator.check_schema(loaded)
    return validator(loaded)


@pytest.mark.parametrize("case", CASES)
def test_check_and_budget_json_match_their_schemas(case):
    result = lint(FIXTURES / case, LintOptions(cpus=4))
    out = io.StringIO()
    json_report.render(result, out)
    schema("check").validate(json.loads(out.getvalue()))
    out = io.StringIO()
    budget_view.render(result, out, suggest=True, headroom=0.8, server_memory=None, as_json=True)
    schema("budget").validate(json.loads(out.getvalue()))


def test_statistics_json_matches_the_schema():
    done = subprocess.run(
        [sys.executable, "-m", "pgconnlint", "check", str(FIXTURES / "nestjs-pm2-incident"), "--cpus", "8"]
        + ["--statistics", "--output-format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = json.loads(done.stdout)
    schema("check").validate(rows)
    assert {row["code"] for row in rows} >= {"PGC101", "PGC201"} and all(row["count"] >= 1 for row in rows)


def test_the_schema_rejects_what_the_output_never_is():
    with pytest.raises(jsonschema.ValidationError):
        schema("check").validate({"version": "0.1.0", "findings": []})
    with pytest.raises(jsonschema.ValidationError):
        schema("budget").validate({"servers": [{"name": "db", "total": "160"}]})

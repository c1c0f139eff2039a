"""The machine formats (sarif, github, gitlab) on one small tree through the real pipeline, plus hand-built findings
for what a real tree cannot easily produce (escaping, multi-line ranges, duplicates)."""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import write_tree

from pgconnlint import __version__, catalogue
from pgconnlint.findings import Finding
from pgconnlint.lint import LintOptions, Result, lint
from pgconnlint.model import Location, Severity
from pgconnlint.report import FORMATS
from pgconnlint.report.github import escape_data
from pgconnlint.report.sarif import plain

FILES = {
    "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "dist/main.js", instances: 16 }] };\n',
    "ormconfig.json": '{\n  "type": "postgres",\n  "synchronize": true\n}\n',
    "db/postgresql.conf": "max_connections = 100\nidle_in_transaction_session_timeout = '60s'\n",
}
SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def run(tmp_path: Path, files: dict[str, str] = FILES, name: str = "repo") -> Result:
    return lint(write_tree(tmp_path / name, files), LintOptions(cpus=4))


def render(fmt: str, result: Result) -> str:
    out = io.StringIO()
    importlib.import_module(f"pgconnlint.report.{fmt}").render(result, out)
    return out.getvalue()


def crlf(files: dict[str, str]) -> dict[str, str]:
    return {path: text.replace("\n", "\r\n") for path, text in files.items()}


def hand_built(tmp_path: Path, *findings: Finding, files: int = 1) -> Result:
    """A Result around hand-made findings; the project comes from a real run (reporters do not read it)."""
    real = run(tmp_path, name="real")
    return Result(tmp_path, list(findings), real.project, [], files)


@pytest.fixture
def result(tmp_path) -> Result:
    return run(tmp_path)


def test_the_tree_gives_findings_of_every_kind_the_formats_map(result):
    codes = {f.code: f for f in result.findings}
    assert {"PGC101", "PGC201"} <= set(codes)
    assert codes["PGC101"].severity == Severity.ERROR and codes["PGC101"].related and codes["PGC101"].data
    assert any(f.severity == Severity.WARNING for f in result.findings)


def test_new_formats_are_offered():
    assert {"sarif", "github", "gitlab"} <= set(FORMATS)


# --- SARIF ------------------------------------------------------------------------------------------------------


def validate_sarif(text: str) -> dict:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")  # the official schema
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    log = json.loads(text)
    validator(schema, format_checker=validator.FORMAT_CHECKER).validate(log)
    return log


def test_sarif_validates_against_the_official_schema(result, tmp_path):
    validate_sarif(render("sarif", result))
    validate_sarif(
        render(
            "sarif",
            run(
                tmp_path,
                {"db/postgresql.conf": "max_connections = 100\nidle_in_transaction_session_timeout = '60s'\n"},
                "clean",
            ),
        )
    )


def test_sarif_log_run_and_driver(result):
    log = json.loads(render("sarif", result))
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and log["version"] == "2.1.0"
    [run_] = log["runs"]
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("pgconnlint", __version__)
    assert driver["informationUri"] == "https://github.com/pgconnlint/pgconnlint"
    assert run_["originalUriBaseIds"] == {"%SRCROOT%": {"uri": result.root.as_uri() + "/"}}
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/repo/")
    assert run_["columnKind"] == "unicodeCodePoints"


def test_sarif_describes_every_catalogue_rule(result):
    rules = json.loads(render("sarif", result))["runs"][0]["tool"]["driver"]["rules"]
    catalogue_rules = catalogue.load()
    assert [rule["id"] for rule in rules] == list(catalogue_rules)
    for described in rules:
        rule = catalogue_rules[described["id"]]
        assert described["name"] == rule.name
        assert described["shortDescription"]["text"] == rule.summary.replace("`", "")
        assert described["fullDescription"]["text"] == plain(rule.sections["What it does"])
        assert described["help"]["text"] == plain(rule.sections["How to fix"])
        assert described["help"]["markdown"].startswith(rule.sections["How to fix"].strip()[:20])
        assert described["helpUri"] == f"https://github.com/pgconnlint/pgconnlint/blob/main/rules/{rule.code}.md"
        assert described["defaultConfiguration"]["level"] == LEVELS[rule.severity]
        assert described["properties"]["tags"] == list(rule.inputs)


def test_sarif_plain_text_drops_markdown_but_keeps_code_and_lists():
    markdown = "Adds up the `max`\nof each [pool](../docs/budget.md), **always**.\n\n### pm2\n\n- one\n- two\n\n```js\na = 1\n```\n"
    assert plain(markdown) == "Adds up the max of each pool, always.\n\npm2\n\n- one\n- two\n\na = 1"


def test_sarif_help_markdown_links_point_at_the_published_docs():
    from pgconnlint.report.sarif import _absolute_links

    base = "https://github.com/pgconnlint/pgconnlint/blob/main/rules/PGC101.md"
    text = "See [budget](../docs/budget.md), [PGC102](PGC102.md), [web](https://x.org/a) and [here](#how)."
    assert _absolute_links(text, base) == (
        "See [budget](https://github.com/pgconnlint/pgconnlint/blob/main/docs/budget.md), "
        "[PGC102](https://github.com/pgconnlint/pgconnlint/blob/main/rules/PGC102.md), "
        "[web](https://x.org/a) and [here](#how)."
    )


def sarif_region(location: Location) -> dict:
    region = {"startLine": location.line, "startColumn": location.column}
    if location.end_line is not None:
        region["endLine"] = location.end_line
    if location.end_column is not None:
        region["endColumn"] = location.end_column
    return region


def test_sarif_results_mirror_the_findings(result):
    run_ = json.loads(render("sarif", result))["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert len(run_["results"]) == len(result.findings)
    for item, f in zip(run_["results"], result.findings, strict=True):
        assert item["ruleId"] == f.code == rules[item["ruleIndex"]]["id"]
        assert item["level"] == LEVELS[f.severity]
        assert item["message"]["text"].startswith(f.message + ". ")
        assert item["message"]["text"].lower().endswith(f.help.lower().rstrip(".") + ".")
        [location] = item["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": f.location.path, "uriBaseId": "%SRCROOT%"}
        assert physical["region"] == sarif_region(f.location)
        related = item.get("relatedLocations", [])
        assert [r["id"] for r in related] == list(range(1, len(f.related) + 1))
        assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in related] == [x.path for x in f.related]
        assert [r["physicalLocation"]["region"] for r in related] == [sarif_region(x) for x in f.related]
        assert all(r["message"]["text"] == "related value" for r in related)
        assert item.get("properties", {}) == f.data
        assert re.fullmatch(r"[0-9a-f]{64}", item["partialFingerprints"]["pgconnlint/v1"])


def test_sarif_region_columns_are_ours_unconverted(result):
    item = next(r for r in json.loads(render("sarif", result))["runs"][0]["results"] if r["ruleId"] == "PGC201")
    # ormconfig.json line 3 is `  "synchronize": true`: the key starts at column 3 and ends before column 16.
    assert item["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 3,
        "endLine": 3,
        "endColumn": 16,
    }


def test_sarif_message_appends_help_as_a_sentence(tmp_path):
    findings = [
        Finding("PGC201", "synchronize is on", Location("a.json", 1), help="set it false", severity=Severity.ERROR),
        Finding("PGC201", "synchronize is on", Location("a.json", 2), help="pm2 reload.", severity=Severity.ERROR),
        Finding("PGC201", "synchronize is on", Location("a.json", 3), severity=Severity.ERROR),
    ]
    log = validate_sarif(render("sarif", hand_built(tmp_path, *findings)))
    assert [r["message"]["text"] for r in log["runs"][0]["results"]] == [
        "synchronize is on. Set it false.",
        "synchronize is on. pm2 reload.",
        "synchronize is on",
    ]


def test_sarif_uris_are_percent_encoded(tmp_path):
    f = Finding("PGC201", "on", Location("my app/ormconfig#1.json", 3, 3), severity=Severity.ERROR)
    log = validate_sarif(render("sarif", hand_built(tmp_path, f)))
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == "my%20app/ormconfig%231.json"


def fingerprints(text: str) -> dict[str, str]:
    results = json.loads(text)["runs"][0]["results"]
    return {r["ruleId"]: r["partialFingerprints"]["pgconnlint/v1"] for r in results}


def test_sarif_fingerprints_are_unique_and_survive_a_line_added_above(result, tmp_path):
    before = fingerprints(render("sarif", result))
    assert len(set(before.values())) == len(before) == len(result.findings)
    assert fingerprints(render("sarif", run(tmp_path, name="again"))) == before
    shifted = run(tmp_path, {**FILES, "ormconfig.json": "\n" + FILES["ormconfig.json"]}, "shifted")
    assert {f.code: f.location.line for f in shifted.findings}["PGC201"] == 4
    assert fingerprints(render("sarif", shifted)) == before


# --- GitHub Actions -----------------------------------------------------------------------------------------------


def test_github_groups_annotations_per_file_and_ends_with_a_summary(result):
    lines = render("github", result).splitlines()
    assert lines[-1] == "pgconnlint: 4 findings (2 errors, 2 warnings) in 3 configuration files"
    groups: dict[str, list[str]] = {}
    current = None
    for line in lines[:-1]:
        if line.startswith("::group::"):
            assert current is None, "groups do not nest"
            current = line.removeprefix("::group::")
            groups[current] = []
        elif line == "::endgroup::":
            current = None
        else:
            assert current is not None, f"line outside a group: {line}"
            groups[current].append(line)
    assert current is None
    expected = {}
    for f in result.findings:
        expected.setdefault(f.location.path, []).append(f.code)
    assert list(groups) == list(expected)
    for path, body in groups.items():
        annotations = [line for line in body if line.startswith("::")]
        assert [re.search(r"title=(PGC\d+) ", a).group(1) for a in annotations] == expected[path]
        assert all(f"file={path}," in a for a in annotations)


def test_github_annotation_for_a_real_finding(result):
    f = next(f for f in result.findings if f.code == "PGC201")
    lines = render("github", result).splitlines()
    assert (
        "::error file=ormconfig.json,line=3,col=3,endLine=3,endColumn=16,title=PGC201 typeorm-synchronize-in-production::"
        + escape_data(f"{f.message}\nhelp: {f.help}")
    ) in lines


def test_github_escapes_data_and_properties_and_prints_notes_under_the_annotation(tmp_path):
    f = Finding(
        code="PGC101",
        name="connection-budget-exceeded",
        severity=Severity.ERROR,
        message="100% of 97, or more:\nsee below\r",
        location=Location("conf/a,b:c.json", 2, 5, 2, 9),
        help="lower it",
        notes=("api 16 × 10 = 160", "worker 2 × 5 = 10"),
    )
    assert render("github", hand_built(tmp_path, f)).splitlines() == [
        "::group::conf/a,b:c.json",
        "::error file=conf/a%2Cb%3Ac.json,line=2,col=5,endLine=2,endColumn=9,title=PGC101 connection-budget-exceeded"
        # a newline inside a message is a value's, shown escaped (pgconnlint/neutral.py); only help is a new line
        "::100%25 of 97, or more:\\nsee below\\r%0Ahelp: lower it",
        "    api 16 × 10 = 160",
        "    worker 2 × 5 = 10",
        "::endgroup::",
        "pgconnlint: 1 finding (1 error) in 1 configuration file",
    ]


def test_github_levels_and_multi_line_ranges(tmp_path):
    findings = [
        # GitHub rejects col/endColumn on a range over several lines (astral-sh/ruff#22074): lines only.
        Finding(
            "PGC110", "unknown pool", Location("a.json", 1, 1, 4, 2), severity=Severity.INFO, name="pool-size-unknown"
        ),
        Finding(
            "PGC204", "no timeout", Location("a.json", 5, 3), severity=Severity.WARNING, name="connect-timeout-missing"
        ),
    ]
    lines = render("github", hand_built(tmp_path, *findings, files=2)).splitlines()
    assert lines == [
        "::group::a.json",
        "::notice file=a.json,line=1,endLine=4,title=PGC110 pool-size-unknown::unknown pool",
        "::warning file=a.json,line=5,col=3,title=PGC204 connect-timeout-missing::no timeout",
        "::endgroup::",
        "pgconnlint: 2 findings (1 warning, 1 notice) in 2 configuration files",
    ]


def test_github_paths_are_relative_to_the_working_directory(result, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = render("github", result).splitlines()
    assert "::group::repo/ormconfig.json" in lines
    assert any(line.startswith("::error file=repo/ormconfig.json,line=3,") for line in lines)


def test_github_without_findings(tmp_path):
    clean = run(
        tmp_path,
        {"db/postgresql.conf": "max_connections = 100\nidle_in_transaction_session_timeout = '60s'\n"},
        "clean",
    )
    assert render("github", clean) == "pgconnlint: no findings in 1 configuration file\n"


# --- GitLab Code Quality -----------------------------------------------------------------------------------------


def test_gitlab_is_an_array_of_code_quality_issues(result):
    issues = json.loads(render("gitlab", result))
    assert isinstance(issues, list) and len(issues) == len(result.findings)
    for issue, f in zip(issues, result.findings, strict=True):
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "categories", "location"}
        assert issue["description"] == f"{f.code} {f.message}"
        assert issue["check_name"] == f.code
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
        assert issue["location"] == {"path": f.location.path, "lines": {"begin": f.location.line}}
        assert issue["categories"] == (["Performance"] if f.code.startswith("PGC1") else ["Bug Risk"])
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    severities = {issue["check_name"]: issue["severity"] for issue in issues}
    assert severities["PGC101"] == "critical" and severities["PGC201"] == "major"
    assert {severities[f.code] for f in result.findings if f.severity == Severity.WARNING} == {"minor"}


def test_gitlab_severities(tmp_path):
    def make(code: str, severity: Severity, line: int) -> Finding:
        return Finding(code, f"m{line}", Location("a.json", line), severity=severity)

    findings = [
        make("PGC101", Severity.ERROR, 1),
        make("PGC102", Severity.WARNING, 2),
        make("PGC110", Severity.INFO, 3),
        make("PGC201", Severity.ERROR, 4),
        make("PGC204", Severity.WARNING, 5),
        make("PGC001", Severity.ERROR, 6),
    ]
    issues = json.loads(render("gitlab", hand_built(tmp_path, *findings)))
    assert [(i["severity"], i["categories"]) for i in issues] == [
        ("critical", ["Performance"]),
        ("minor", ["Performance"]),
        ("info", ["Performance"]),
        ("major", ["Bug Risk"]),
        ("minor", ["Bug Risk"]),
        ("major", ["Bug Risk"]),
    ]


def gitlab_fingerprints(text: str) -> dict[str, str]:
    return {issue["check_name"]: issue["fingerprint"] for issue in json.loads(text)}


def test_gitlab_fingerprints_are_stable_across_runs_and_a_line_added_above(result, tmp_path):
    before = gitlab_fingerprints(render("gitlab", result))
    assert gitlab_fingerprints(render("gitlab", run(tmp_path, name="again"))) == before
    edited = {
        **FILES,
        "ormconfig.json": "\n" + FILES["ormconfig.json"],
        "ecosystem.config.js": "// deployed by pm2\n" + FILES["ecosystem.config.js"],
        "db/postgresql.conf": "# the orders database\n" + FILES["db/postgresql.conf"],
    }
    shifted = run(tmp_path, edited, "shifted")
    assert [f.location.line for f in shifted.findings] == [f.location.line + 1 for f in result.findings]
    assert gitlab_fingerprints(render("gitlab", shifted)) == before


def test_gitlab_fingerprints_tell_apart_findings_on_identical_lines(tmp_path):
    write_tree(tmp_path, {"a.json": '[\n  {"type": "postgres"},\n  {"type": "postgres"}\n]\n'})
    findings = [Finding("PGC204", "no timeout", Location("a.json", line), severity=Severity.WARNING) for line in (2, 3)]
    issues = json.loads(render("gitlab", hand_built(tmp_path, *findings)))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]
    log = json.loads(render("sarif", hand_built(tmp_path, *findings)))
    assert len({r["partialFingerprints"]["pgconnlint/v1"] for r in log["runs"][0]["results"]}) == 2


def test_gitlab_fingerprint_falls_back_to_the_line_number_when_the_file_is_gone(tmp_path):
    findings = [Finding("PGC204", "x", Location("missing.json", line), severity=Severity.WARNING) for line in (1, 2)]
    issues = json.loads(render("gitlab", hand_built(tmp_path, *findings)))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]


# --- CRLF: the same tree with Windows line endings reads the same ------------------------------------------------


def test_crlf_gives_the_same_lines_and_columns_in_every_format(result, tmp_path):
    windows = run(tmp_path, crlf(FILES), "windows")
    assert [dataclasses.astuple(f.location) for f in windows.findings] == [
        dataclasses.astuple(f.location) for f in result.findings
    ]
    assert render("github", windows) == render("github", result)
    assert render("gitlab", windows) == render("gitlab", result)  # fingerprints too: "\r" is not line text
    unix_log, windows_log = json.loads(render("sarif", result)), json.loads(render("sarif", windows))
    for log in (unix_log, windows_log):
        del log["runs"][0]["originalUriBaseIds"]
    assert windows_log == unix_log


# --- the command line ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["sarif", "github", "gitlab"])
def test_cli_dispatches_to_each_format(tmp_path, fmt):
    root = write_tree(tmp_path / "repo", FILES)
    done = subprocess.run(
        [sys.executable, "-m", "pgconnlint", "check", "--format", fmt, "--cpus", "4", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    if fmt == "github":
        assert done.stdout.startswith("::group::db/postgresql.conf\n::error file=db/postgresql.conf,line=1,col=1,")
    else:
        assert json.loads(done.stdout)

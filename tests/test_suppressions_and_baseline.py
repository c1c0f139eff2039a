"""Inline suppressions, per-file ignores, baselines, and reporting only what concerns given files."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import keys, write_tree

PM2 = 'module.exports = {\n  apps: [{\n    name: "api",\n    script: "dist/main.js",\n    instances: 16,\n  }],\n};\n'
ORM_JS = 'module.exports = {\n  type: "postgres",\n  synchronize: true,\n  connectTimeoutMS: 5000,\n};\n'


def with_line(text: str, line: int, insert: str) -> str:
    lines = text.split("\n")
    lines.insert(line - 1, insert)
    return "\n".join(lines)


def test_comment_on_the_line_before_suppresses_by_code_or_name(lint_tree):
    # the budget finding is anchored to the server (here line 1 of postgresql.conf), which a count never moves
    conf = "# pgconnlint: ignore[connection-budget-exceeded]\nmax_connections = 100\nidle_in_transaction_session_timeout = 60000\n"
    orm = with_line(ORM_JS, 3, "  // pgconnlint: ignore[PGC201, PGC203]")
    assert keys(lint_tree({"ecosystem.config.js": PM2, "ormconfig.js": orm, "postgresql.conf": conf})) == []


def test_comment_two_lines_above_does_not_reach(lint_tree):
    orm = with_line(ORM_JS, 2, "  // pgconnlint: ignore[PGC201]")
    result = lint_tree({"ecosystem.config.js": PM2, "ormconfig.js": orm}, select=frozenset({"PGC201", "PGC004"}))
    assert keys(result) == [("PGC004", "ormconfig.js", 2), ("PGC201", "ormconfig.js", 4)]


def test_yaml_env_and_postgresql_conf_take_hash_comments(lint_tree):
    files = {
        "ecosystem.config.yml": "apps:\n  - name: api\n    script: a.js\n    instances: max  # pgconnlint: ignore[PGC301]\n",
        "postgresql.conf": "# pgconnlint: ignore[PGC001]\nmax-connections = 5\nidle_in_transaction_session_timeout = 60000\n",
    }
    assert keys(lint_tree(files)) == []


def test_bare_and_unknown_suppressions_are_findings_and_suppress_nothing(lint_tree):
    orm = ORM_JS.replace("synchronize: true,", "synchronize: true, // pgconnlint: ignore")
    result = lint_tree({"ormconfig.js": orm})
    assert sorted(keys(result)) == [("PGC003", "ormconfig.js", 3), ("PGC201", "ormconfig.js", 3)]
    orm = ORM_JS.replace("synchronize: true,", "synchronize: true, // pgconnlint: ignore[PGC201, sync-bad]")
    result = lint_tree({"ormconfig.js": orm})
    assert keys(result) == [("PGC003", "ormconfig.js", 3)]
    assert "'sync-bad', which is no rule" in result.findings[0].message


def test_unused_suppression_is_info_and_only_for_rules_that_ran(lint_tree):
    orm = ORM_JS.replace("synchronize: true,", "synchronize: false, // pgconnlint: ignore[PGC201]")
    result = lint_tree({"ormconfig.js": orm})
    assert keys(result) == [("PGC004", "ormconfig.js", 3)] and str(result.findings[0].severity) == "info"
    assert keys(lint_tree({"ormconfig.js": orm}, select=frozenset({"PGC204", "PGC004"}))) == []


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pgconnlint", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_baseline_hides_recorded_findings_and_survives_edits_above(tmp_path):
    root = write_tree(tmp_path / "repo", {"ecosystem.config.js": PM2, "ormconfig.js": ORM_JS})
    baseline = tmp_path / "baseline.json"
    written = run("check", str(root), "--write-baseline", str(baseline))
    assert written.returncode == 0 and "recorded 3 findings" in written.stderr
    assert {e["code"] for e in json.loads(baseline.read_text())["findings"]} == {"PGC101", "PGC201", "PGC203"}
    assert run("check", str(root), "--baseline", str(baseline)).returncode == 0

    (root / "ormconfig.js").write_text("// the production database\n// owned by the platform team\n" + ORM_JS)
    assert run("check", str(root), "--baseline", str(baseline)).returncode == 0  # moved, not new

    (root / "ormconfig.js").write_text(ORM_JS.replace("connectTimeoutMS: 5000,", ""))  # a new problem
    result = run("check", str(root), "--baseline", str(baseline), "--format", "json")
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["PGC204"]

    # a budget finding is the server's: raising `instances` keeps it recorded (issue 18)
    (root / "ecosystem.config.js").write_text(PM2.replace("instances: 16", "instances: 32"))
    result = run("check", str(root), "--baseline", str(baseline), "--format", "json")
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["PGC204"]

    (root / "ormconfig.js").write_text(ORM_JS.replace("synchronize: true,", "synchronize: 1,"))  # the line changed
    result = run("check", str(root), "--baseline", str(baseline), "--format", "json")
    assert {"PGC201", "PGC203"} <= {f["code"] for f in json.loads(result.stdout)["findings"]}


def test_unreadable_baseline_is_a_usage_error(tmp_path):
    root = write_tree(tmp_path / "repo", {"ecosystem.config.js": PM2})
    (tmp_path / "bad.json").write_text("[1, 2]")
    for path in (tmp_path / "missing.json", tmp_path / "bad.json"):
        result = run("check", str(root), "--baseline", str(path))
        assert result.returncode == 2 and "baseline" in result.stderr and "Traceback" not in result.stderr


def test_file_arguments_report_only_what_concerns_them(tmp_path):
    root = write_tree(
        tmp_path / "repo",
        {
            "ecosystem.config.js": PM2,
            "ormconfig.js": ORM_JS.replace("  connectTimeoutMS: 5000,\n", ""),
            "db/postgresql.conf": "max_connections = 100\nidle_in_transaction_session_timeout = '60s'\n",
        },
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)

    def reported(*files: str) -> list[str]:
        result = run("check", *files, "--format", "json", cwd=root)
        return sorted({f["code"] for f in json.loads(result.stdout)["findings"]})

    assert reported("ecosystem.config.js") == ["PGC101", "PGC203"]  # PGC203 cites the instances line
    assert reported("db/postgresql.conf") == ["PGC101"]  # the budget cites max_connections
    assert reported("ormconfig.js") == ["PGC101", "PGC201", "PGC203", "PGC204"]
    outside = run("check", str(tmp_path / "elsewhere.txt"), cwd=root)
    assert outside.returncode == 2

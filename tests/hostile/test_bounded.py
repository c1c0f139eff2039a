"""Bounded work: repeated includes, long lines in fingerprints, a run's time budget, echoed values."""

from __future__ import annotations

from pgconnlint.discover import Candidate
from pgconnlint.findings import Finding
from pgconnlint.fingerprint import MAX_SNIPPET, fingerprint_keys
from pgconnlint.model import Location


def test_repeated_includes_of_one_big_file_count_against_the_limit(lint_tree):
    big = "# " + "x" * 900_000 + "\nmax_connections = 60\n"
    conf = "max_connections = 50\n" + "include 'big.conf'\n" * 20
    result = lint_tree({"postgresql.conf": conf, "big.conf": big})
    limit = [f for f in result.findings if "bytes of configuration for one server" in f.message]
    assert limit and all(f.code == "PGC002" for f in limit)


def test_a_fingerprint_never_holds_a_long_line(tmp_path):
    (tmp_path / "a.js").write_text("x" * 847_000 + "\n")
    findings = [Finding("PGC101", f"m{i}", Location("a.js", 1)) for i in range(50)]
    keys = fingerprint_keys(findings, tmp_path)
    assert all(len(key) < MAX_SNIPPET + 200 for key in keys) and len(set(keys)) == 50


def test_short_lines_keep_the_keys_baselines_hold(tmp_path):
    (tmp_path / "a.json").write_text('  "type": "postgres",\n')
    [key] = fingerprint_keys([Finding("PGC101", "m", Location("a.json", 1))], tmp_path)
    assert key == 'PGC101\0a.json\0"type": "postgres",\x001'


def test_the_run_budget_turns_what_is_cut_into_findings(tmp_path):
    from pgconnlint.lint import extract_all

    (tmp_path / ".env").write_text("X=1\n")
    facts = extract_all(tmp_path, [Candidate(".env", "dotenv")], seconds=-1)
    [problem] = facts.problems
    assert problem.skipped and "time budget" in problem.message


def test_a_long_expression_is_never_echoed_whole(lint_tree):
    pm2 = 'module.exports = { apps: [{ name: "api", script: "a.js", instances: f(' + "1 + " * 50_000 + "1) }] };\n"
    result = lint_tree({"ecosystem.config.js": pm2, "ormconfig.json": '{"type": "postgres"}'})
    from pgconnlint import neutral

    assert result.findings
    assert all(len(neutral.finding(f).message) < 1_100 for f in result.findings)

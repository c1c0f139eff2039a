"""Bad input never crashes: each problem is a finding with a location, and every other file is still checked."""

from __future__ import annotations

import os

from conftest import keys

GOOD_PM2 = 'module.exports = { apps: [{ name: "api", script: "a.js", instances: 16 }] };\n'
GOOD_ORM = '{"type": "postgres", "connectTimeoutMS": 5000}\n'


def codes(result):
    return sorted({f.code for f in result.findings})


def test_invalid_ormconfig_json_is_reported_and_pm2_still_read(lint_tree):
    result = lint_tree({"ormconfig.json": '{"type": "postgres",, }', "ecosystem.config.js": GOOD_PM2})
    assert ("PGC001", "ormconfig.json", 1) in keys(result)
    assert result.project.groups[0].processes.value == 16


def test_broken_ecosystem_file_does_not_stop_the_budget(lint_tree):
    result = lint_tree({"ecosystem.config.js": "module.exports = { apps: [ {\n", "ormconfig.json": GOOD_ORM})
    assert "PGC001" in codes(result)
    assert result.budgets[0].total == 10  # the ormconfig pool, counted as one process


def test_binary_file_with_a_config_name_is_skipped_with_a_finding(lint_tree):
    result = lint_tree({"ormconfig.json": b'{"type": "postgres"}\x00\x01\x02', "ecosystem.config.js": GOOD_PM2})
    assert keys(result) == [("PGC002", "ormconfig.json", 1)]
    assert "binary file" in result.findings[0].message


def test_file_over_the_size_cap_is_skipped(lint_tree):
    huge = '{"type": "postgres", "pad": "' + "x" * (1024 * 1024) + '"}'
    result = lint_tree({"ormconfig.json": huge})
    assert keys(result) == [("PGC002", "ormconfig.json", 1)] and "over the" in result.findings[0].message


def test_invalid_yaml_and_bad_postgresql_conf_line_have_locations(lint_tree):
    result = lint_tree(
        {
            "ecosystem.config.yml": "apps:\n  - name: api\n    instances: [\n",
            "postgresql.conf": "max_connections = 50\nmax-connections = 5\nport = 5433\n",
            "ormconfig.json": GOOD_ORM,
        }
    )
    problems = [(f.code, f.location.path) for f in result.findings if f.code == "PGC001"]
    assert ("PGC001", "ecosystem.config.yml") in problems and ("PGC001", "postgresql.conf") in problems
    assert result.project.servers[0].max_connections.value == 50


def test_invalid_package_json_and_env_line(lint_tree):
    result = lint_tree(
        {"package.json": "{ nope", ".env": "GOOD=1\nBAD LINE WITHOUT EQUALS\n", "ormconfig.json": GOOD_ORM}
    )
    assert ("PGC001", "package.json", 1) in keys(result)
    assert ("PGC001", ".env", 2) in keys(result)


def test_symlink_loop_and_link_out_of_tree(lint_tree, tmp_path):
    outside = tmp_path / "secret.json"
    outside.write_text(GOOD_ORM)
    files = {"ecosystem.config.js": GOOD_PM2}
    result = None

    def with_links(root):
        os.symlink(outside, root / "ormconfig.json")
        os.symlink(root / "loop", root / "loop")
        (root / "dir").mkdir()
        os.symlink(root / "dir", root / "dir" / "self")
        os.symlink(root / ".env.loop", root / ".env.loop")

    from conftest import write_tree

    from pgconnlint.lint import LintOptions, lint

    root = write_tree(tmp_path / "linked", files)
    with_links(root)
    result = lint(root, LintOptions(cpus=4))
    found = {(f.code, f.location.path): f.message for f in result.findings}
    assert "out of the tree" in found[("PGC002", "ormconfig.json")]
    assert ("PGC002", ".env.loop") in found
    assert result.project.groups[0].processes.value == 16


def test_deeply_nested_config_is_a_finding_not_a_recursion_error(lint_tree):
    nested = "module.exports = " + "{ a: " * 5000 + "1" + " }" * 5000 + ";"
    result = lint_tree({"ormconfig.js": nested, "ecosystem.config.js": GOOD_PM2})
    assert [f.code for f in result.findings if f.location.path == "ormconfig.js"] == ["PGC001"]


def test_empty_tree_and_tree_without_configs_are_clean(lint_tree):
    assert lint_tree({}).findings == []
    assert lint_tree({"src/index.ts": "console.log('DataSource is a word here');", "README.md": "# hi"}).findings == []


def test_non_utf8_text_is_read_with_replacement(lint_tree):
    result = lint_tree(
        {"ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 5, "note": "caf\xe9"}'.encode("latin-1")}
    )
    assert result.findings == [] and result.budgets[0].total == 10


def test_excluded_directories_are_not_read(lint_tree):
    result = lint_tree(
        {
            "node_modules/x/ormconfig.json": '{"type": "postgres", "synchronize": true}',
            "dist/ormconfig.json": '{"type": "postgres", "synchronize": true}',
        }
    )
    assert result.files == 0 and result.findings == []


def test_instances_that_is_not_a_number_is_unknown_not_a_crash(lint_tree):
    for value in ("[4]", "{ n: 4 }", "null"):
        pm2 = f'module.exports = {{ apps: [{{ name: "api", script: "a.js", instances: {value} }}] }};'
        result = lint_tree({"ecosystem.config.js": pm2, "ormconfig.json": GOOD_ORM})
        assert [f.code for f in result.findings] == ["PGC110"], value


def test_connection_type_that_cannot_be_told_is_reported_not_dropped(lint_tree):
    orm = "module.exports = { type: process.env.DB_TYPE, connectTimeoutMS: 1 };"
    result = lint_tree({"ormconfig.js": orm})
    assert keys(result) == [("PGC110", "ormconfig.js", 1)]
    assert "database type of a TypeORM connection" in result.findings[0].message


def test_max_connections_that_is_not_a_number_is_reported(lint_tree):
    result = lint_tree(
        {"postgresql.conf": "max_connections = 'lots'\n", "ormconfig.json": GOOD_ORM},
        select=frozenset({"PGC001", "PGC311"}),
    )
    assert keys(result) == [("PGC311", "postgresql.conf", 1)]
    assert "invalid value for max_connections: 'lots' is not a number" in result.findings[0].message
    assert result.project.servers[0].max_connections.value == 100


def test_repository_git_config_cannot_run_a_program(tmp_path):
    """The checked repository is untrusted: its core.fsmonitor must not be executed by pgconnlint's git calls."""
    import subprocess

    from conftest import write_tree

    from pgconnlint.lint import LintOptions, lint

    marker = tmp_path / "fsmonitor-ran"
    root = write_tree(tmp_path / "hostile", {"ormconfig.json": GOOD_ORM})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "ormconfig.json"], check=True)
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    subprocess.run(["git", "-C", str(root), "config", "core.fsmonitor", str(hook)], check=True)
    result = lint(root, LintOptions(cpus=2))
    assert result.budgets[0].total == 10  # git's file list was used and the file was read
    assert not marker.exists()

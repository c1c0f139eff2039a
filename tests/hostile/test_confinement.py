"""Nothing outside the checked tree is read, and no write goes through a link into or out of it (confine.py)."""

from __future__ import annotations

import json
import os

from conftest import write_tree
from hostile_support import cli

from pgconnlint.lint import LintOptions, lint

SECRET = "root:x:0:0:SECRET-LINE:/root:/bin/bash\n"


def _outside(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text(SECRET)
    (etc / "postgresql.conf").write_text("max_connections = 7\n" + SECRET)
    (etc / "config.json").write_text('{"production": {"dialect": "postgres", "pool": {"max": 77}}}')
    return etc


def _skipped(result):
    return [f for f in result.findings if f.code == "PGC002"]


def _never_shown(result):
    text = json.dumps([(f.message, f.notes, f.help) for f in result.findings])
    assert "SECRET-LINE" not in text


def test_compose_config_file_through_a_mounted_folder_link_is_refused(tmp_path):
    etc = _outside(tmp_path)
    compose = """services:
  db:
    image: postgres:16
    command: postgres -c config_file=/etc/postgresql/postgresql.conf
    volumes:
      - ./etc-link:/etc/postgresql
"""
    root = write_tree(tmp_path / "repo", {"docker-compose.yml": compose})
    os.symlink(etc, root / "etc-link")
    result = lint(root, LintOptions(cpus=4))
    [refused] = _skipped(result)
    assert refused.location.path == "docker-compose.yml"
    assert "etc-link/postgresql.conf" in refused.message and "leads out of the tree" in refused.message
    assert result.budgets[0].server.max_connections.value != 7
    _never_shown(result)


def test_docker_run_config_file_through_a_folder_link_is_refused(tmp_path):
    etc = _outside(tmp_path)
    script = "docker run -v ./etc-link:/etc/postgresql postgres -c config_file=/etc/postgresql/postgresql.conf\n"
    root = write_tree(tmp_path / "repo", {"db.sh": script})
    os.symlink(etc, root / "etc-link")
    result = lint(root, LintOptions(cpus=4))
    assert [f.location.path for f in _skipped(result)] == ["db.sh"]
    _never_shown(result)


def test_gunicorn_config_named_by_an_absolute_path_is_refused(tmp_path):
    result = lint(write_tree(tmp_path / "repo", {"Procfile": "web: gunicorn -c /etc/passwd app:app\n"}))
    [refused] = _skipped(result)
    assert refused.location.path == "Procfile" and "/etc/passwd: outside the tree" in refused.message
    assert all(f.location.path != "/etc/passwd" for f in result.findings)


def test_sequelizerc_config_through_a_link_is_refused(tmp_path):
    etc = _outside(tmp_path)
    rc = "const path = require('path');\nmodule.exports = { config: path.resolve('link', 'config.json') };\n"
    root = write_tree(tmp_path / "repo", {".sequelizerc": rc, "package.json": '{"dependencies": {"sequelize": "6"}}'})
    os.symlink(etc, root / "link")
    result = lint(root, LintOptions(cpus=4))
    assert any("link" in f.message and "out of the tree" in f.message for f in _skipped(result))
    assert all("77" not in str(term.pool_max) for budget in result.budgets for term in budget.terms)


def test_postgresql_conf_include_through_a_folder_link_is_refused(tmp_path):
    etc = _outside(tmp_path)
    root = write_tree(tmp_path / "repo", {"postgresql.conf": "max_connections = 50\ninclude 'l/postgresql.conf'\n"})
    os.symlink(etc, root / "l")
    result = lint(root, LintOptions(cpus=4))
    assert result.budgets[0].server.max_connections.value == 50
    _never_shown(result)


def test_netlify_base_above_the_tree_lists_nothing_outside(tmp_path):
    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "leak.js").write_text("const { Pool } = require('pg'); new Pool({ max: 5 });\n")
    netlify = '[build]\nbase = "../.."\n[functions]\ndirectory = "functions"\n'
    root = write_tree(tmp_path / "a" / "repo", {"netlify.toml": netlify})
    result = lint(root, LintOptions(cpus=4))
    assert all("leak" not in f.message for f in result.findings)
    from pgconnlint.extract.platforms import _function_files

    assert _function_files(root, "../../functions", "Netlify") == []


def test_configuration_above_a_plain_folder_is_not_read(tmp_path):
    write_tree(tmp_path, {"pgconnlint.toml": "cpus = 2\n"})
    root = write_tree(tmp_path / "repo", {"ecosystem.config.js": "module.exports = { apps: [] };\n"})
    from pgconnlint import config

    assert config.find(root) is None


def test_output_file_through_a_committed_link_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    root = write_tree(tmp_path / "repo", {"ecosystem.config.js": "module.exports = { apps: [] };\n"})
    os.symlink(victim, root / "report.json")
    os.symlink(tmp_path, root / "out")
    for flag in ("--output-file", "--write-baseline"):
        for target in (root / "report.json", root / "out" / "victim.txt"):
            status, _, err = cli("check", str(root), flag, str(target))
            assert status == 2 and ("not written" in err or "cannot write" in err), (flag, target, err)
    assert victim.read_text() == "keep me"


def test_output_into_a_missing_folder_is_a_usage_error(tmp_path):
    root = write_tree(tmp_path / "repo", {"ecosystem.config.js": "module.exports = { apps: [] };\n"})
    for flag in ("--output-file", "--write-baseline"):
        status, _, err = cli("check", str(root), flag, str(tmp_path / "missing" / "x.json"))
        assert status == 2 and "no such folder" in err


def test_a_report_written_inside_the_tree_still_works(tmp_path):
    root = write_tree(tmp_path / "repo", {"ecosystem.config.js": "module.exports = { apps: [] };\n"})
    status, _, _ = cli("check", str(root), "--format", "json", "--output-file", str(root / "report.json"))
    assert status == 0 and json.loads((root / "report.json").read_text())["findings"] == []


def test_the_node_import_graph_reads_nothing_through_a_link_out_of_the_tree(tmp_path):
    """reach_node.py follows imports by reading modules, package.json and tsconfig.json: through the same rule."""
    from pgconnlint.reach_node import ImportGraph

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.js").write_text("require('./more');\n")
    (outside / "package.json").write_text('{"name": "x", "main": "secret.js"}')
    tree = tmp_path / "tree"
    (tree / "src").mkdir(parents=True)
    (tree / "src" / "index.js").write_text("require('./vendor/secret');\n")
    (tree / "src" / "vendor").symlink_to(outside, target_is_directory=True)
    graph = ImportGraph(tree, [])
    assert graph._text("src/index.js") is not None
    assert graph._text("src/vendor/secret.js") is None
    assert graph._text("src/vendor/package.json") is None
    assert graph.imports("src/vendor/secret.js") == ((), (), ())  # nothing imported, dynamic nor unresolved


def test_a_link_swapped_in_between_two_runs_is_refused_on_the_second(tmp_path):
    """inside() shares folder resolutions within a run (confine._REAL_FOLDERS); a new run resolves them again."""
    etc = _outside(tmp_path)
    script = "docker run -v ./conf:/etc/postgresql postgres -c config_file=/etc/postgresql/postgresql.conf\n"
    root = write_tree(tmp_path / "repo", {"db.sh": script, "conf/postgresql.conf": "max_connections = 50\n"})
    first = lint(root, LintOptions(cpus=4))
    assert 50 in [b.server.max_connections.value for b in first.budgets] and not _skipped(first)
    (root / "conf/postgresql.conf").unlink()
    (root / "conf").rmdir()
    os.symlink(etc, root / "conf")
    second = lint(root, LintOptions(cpus=4))
    assert [f.location.path for f in _skipped(second)] == ["db.sh"]
    assert 7 not in [b.server.max_connections.value for b in second.budgets if b.server.max_connections]
    _never_shown(second)


def test_shared_folder_resolution_answers_as_realpath(tmp_path):
    from pgconnlint import confine

    (tmp_path / "a/b/c").mkdir(parents=True)
    (tmp_path / "x/y").mkdir(parents=True)
    (tmp_path / "a/b/c/f.txt").write_text("")
    links = {"a/b/lx": "../../x", "a/etc": "/etc", "a/b/lf": "c/f.txt", "a/loop1": "loop2", "a/loop2": "loop1"}
    for link, target in {**links, "a/dangling": "nowhere"}.items():
        os.symlink(target, tmp_path / link)
    paths = ["a/b/c/f.txt", "a/b/lx/y", "a/etc/passwd", "a/b/lf", "a/loop1/z", "a/dangling/q", "a/b/../lx/y"]
    paths += ["a/b/c/../../etc/hosts", "missing/f", "a/b/lx/../y", "a/./b/c", "a/b/c/", "a/b/c/..", "/etc/hosts"]
    for path in paths * 2:  # the second time from the shared resolutions
        full = path if path.startswith("/") else str(tmp_path / path)
        assert confine._realpath(full) == os.path.realpath(full), path

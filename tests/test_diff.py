"""`pgconnlint diff [BASE]` on real temporary git repositories: a fixture tree committed, then changed in the working
tree; the lines, JSON, Markdown and exit status a user sees, and a base revision that tries to run or reach
something outside (hooks, filters, fsmonitor, links out of the tree) while nothing runs and nothing is followed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import write_tree

ROOT = Path(__file__).resolve().parent.parent

PM2 = """module.exports = {{
  apps: [
    {{
      name: "orders-api",
      script: "dist/main.js",
      instances: {instances},
      exec_mode: "cluster",
    }},
  ],
}};
"""
ORMCONFIG = """{{
  "type": "postgres",
  "host": "db",
  "synchronize": false,
  "connectTimeoutMS": 5000,
  "extra": {{ "max": {pool}, "connectionTimeoutMillis": 5000 }}
}}
"""
PG_CONF = "max_connections = {limit}\n"


def pm2_tree(instances: int | str = 16, pool: int | str = 4, limit: int = 100) -> dict[str, str]:
    """A NestJS app under pm2 against a postgresql.conf: instances × pool of (limit − 3) usable slots."""
    return {
        "package.json": '{"name": "orders-api", "dependencies": {"typeorm": "^0.3.20", "pg": "^8.11.0"}}\n',
        "ormconfig.json": ORMCONFIG.format(pool=pool),
        "ecosystem.config.js": PM2.format(instances=instances),
        "db/postgresql.conf": PG_CONF.format(limit=limit),
    }


COMPOSE = """services:
  api:
    build: .
    environment:
      DATABASE_URL: postgres://orders:secret@db:5432/orders
    deploy:
      replicas: {replicas}
  db:
    image: postgres:16
    command: postgres -c max_connections=100
"""
COMPOSE_TREE = {
    "Dockerfile": 'FROM node:20-alpine\nCOPY . .\nCMD ["node", "src/main.js"]\n',
    "package.json": '{"name": "api", "dependencies": {"pg": "^8.11.0"}}\n',
    "src/main.js": "const { pool } = require('./db');\npool.query('SELECT 1');\n",
    "src/db.js": "const { Pool } = require('pg');\nexports.pool = new Pool({ max: 10, connectionTimeoutMillis: 5000 });\n",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    identity = (
        "-c",
        "user.name=pgconnlint tests",
        "-c",
        "user.email=tests@example.invalid",
        "-c",
        "commit.gpgsign=false",
    )
    done = subprocess.run(["git", *identity, "-C", str(repo), *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def repository(path: Path, files: dict[str, str], branch: str = "main") -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", branch)
    write_tree(path, files)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "base")
    return path


def pgconnlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GIT_CONFIG_GLOBAL": os.devnull, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "pgconnlint", "diff", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def schema():
    text = resources.files("pgconnlint").joinpath("data", "diff-output.schema.json").read_text(encoding="utf-8")
    loaded = json.loads(text)
    validator = jsonschema.validators.validator_for(loaded)
    validator.check_schema(loaded)
    return validator(loaded)


# --- what the user reads ------------------------------------------------------------------------------------------


def test_more_pm2_instances_from_fits_to_near_the_limit(tmp_path):
    repo = repository(tmp_path / "repo", pm2_tree(instances=16))
    write_tree(repo, {"ecosystem.config.js": PM2.format(instances=24)})
    done = pgconnlint("HEAD", "--cpus", "8", cwd=repo)
    assert done.returncode == 1, done.stderr
    head = git(repo, "rev-parse", "HEAD").strip()
    assert done.stdout.splitlines() == [
        f"Base HEAD ({head[:12]}) → the working tree",
        "deployment ecosystem.config.js:",
        "  db/postgresql.conf: 64 → 96 of 97 usable (+32: orders-api processes 16 → 24, ecosystem.config.js:6)",
        "    worse: from fits to near the limit: 99% of the usable slots, over 80%",
        "1 server worse than at the base.",
    ]


def test_the_default_base_is_the_merge_base_with_main_and_says_so(tmp_path):
    repo = repository(tmp_path / "repo", pm2_tree(instances=16))
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "feature")
    write_tree(repo, {"ecosystem.config.js": PM2.format(instances=8)})
    git(repo, "commit", "-q", "-am", "fewer instances")
    git(repo, "checkout", "-q", "main")
    write_tree(repo, {"ormconfig.json": ORMCONFIG.format(pool=2)})  # main moves on: not what the branch changed
    git(repo, "commit", "-q", "-am", "smaller pool on main")
    git(repo, "checkout", "-q", "feature")
    done = pgconnlint("--cpus", "8", cwd=repo)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Base main ({base[:12]}, the merge base of HEAD and main) → the working tree"
    assert (
        lines[2]
        == "  db/postgresql.conf: 64 → 32 of 97 usable (-32: orders-api processes 16 → 8, ecosystem.config.js:6)"
    )
    assert lines[-1] == "No server worse than at the base."


def test_master_is_the_fallback_and_no_default_branch_is_a_usage_error(tmp_path):
    repo = repository(tmp_path / "old", pm2_tree(), branch="master")
    done = pgconnlint("--cpus", "8", cwd=repo)
    assert done.returncode == 0 and "the merge base of HEAD and master" in done.stdout
    assert done.stdout.splitlines()[-1] == "No budget changed."
    trunk = repository(tmp_path / "trunk", pm2_tree(), branch="trunk")
    done = pgconnlint("--cpus", "8", cwd=trunk)
    assert done.returncode == 2 and done.stdout == ""
    assert "no default branch to compare with (tried origin/HEAD, main, master)" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no-such-branch",), "'no-such-branch': no such commit"),
        (("--force",), "--force"),
        (("HEAD", "--path", "missing"), "missing: not a directory"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    repo = repository(tmp_path / "repo", pm2_tree())
    done = pgconnlint(*args, cwd=repo)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_outside_a_git_repository_is_a_usage_error(tmp_path):
    write_tree(tmp_path / "plain", pm2_tree())
    done = pgconnlint(
        "--cpus",
        "8",
        cwd=tmp_path / "plain",
    )
    assert done.returncode == 2
    assert "not in a git work tree" in done.stderr


def test_pushed_over_the_usable_slots(tmp_path):
    repo = repository(tmp_path / "repo", pm2_tree(instances=16, pool=4))
    write_tree(repo, {"ormconfig.json": ORMCONFIG.format(pool=10)})
    done = pgconnlint("HEAD", "--cpus", "8", cwd=repo)
    assert done.returncode == 1
    assert "  db/postgresql.conf: 64 → 160 of 97 usable (+96: orders-api pool max 4 → 10, ormconfig.json:6)" in (
        done.stdout.splitlines()
    )
    assert "    worse: pushed over the usable slots: 160 of 97" in done.stdout.splitlines()


def test_raising_max_connections_is_a_change_of_the_usable_slots_and_not_worse(tmp_path):
    repo = repository(tmp_path / "repo", pm2_tree(instances=16, pool=4, limit=100))
    write_tree(repo, {"db/postgresql.conf": PG_CONF.format(limit=200)})
    done = pgconnlint("HEAD", "--cpus", "8", cwd=repo)
    assert done.returncode == 0
    assert "  db/postgresql.conf: 64 → 64 of 97 → 197 usable (±0)" in done.stdout.splitlines()


def test_from_known_to_unknown_is_worse(tmp_path):
    repo = repository(tmp_path / "repo", pm2_tree(pool=4))
    write_tree(repo, {"ormconfig.json": ORMCONFIG.format(pool='"${DB_POOL}"').replace('"${DB_POOL}"', "null")})
    write_tree(repo, {"ecosystem.config.js": PM2.format(instances="process.env.WORKERS")})
    done = pgconnlint("HEAD", "--cpus", "8", "--format", "json", cwd=repo)
    data = json.loads(done.stdout)
    schema().validate(data)
    [server] = data["servers"]
    assert (server["status_before"], server["status_after"]) == ("fits", "unknown")
    assert server["worse"].startswith("from known to unknown") and done.returncode == 1
    [term] = server["terms"]
    assert term["change"] == "changed" and term["delta"] is None
    assert term["factors"][0] == {
        "name": "processes",
        "before": 16,
        "after": None,
        "path": "ecosystem.config.js",
        "line": 6,
    }


def test_compose_replicas_json_and_markdown(tmp_path):
    repo = repository(tmp_path / "repo", {**COMPOSE_TREE, "docker-compose.yml": COMPOSE.format(replicas=2)})
    write_tree(repo, {"docker-compose.yml": COMPOSE.format(replicas=3)})
    done = pgconnlint("HEAD", "--format", "json", cwd=repo)
    data = json.loads(done.stdout)
    schema().validate(data)
    assert data["worse"] is False and done.returncode == 0
    [server] = data["servers"]
    assert (server["deployment"], server["server"]) == ("docker-compose.yml", "docker-compose.yml service db")
    assert (server["before"]["total"], server["after"]["total"], server["delta"]) == (20, 30, 10)
    [term] = server["terms"]
    assert [(f["name"], f["before"], f["after"], f["path"]) for f in term["factors"]] == [
        ("processes", 2, 3, "docker-compose.yml")
    ]
    markdown = pgconnlint("HEAD", "--format", "markdown", cwd=repo).stdout
    assert "| 1 | docker-compose.yml | docker-compose.yml service db | 20 | 30 | 97 | +10 |" in markdown
    assert "- docker-compose.yml service db: 20 → 30 of 97 usable (+10: docker-compose.yml service api" in markdown
    chart = markdown.split("```mermaid\n")[1].split("```")[0].splitlines()
    assert chart[0] == "xychart-beta"
    assert chart[2:] == [
        '    x-axis ["docker-compose.yml service db before", "docker-compose.yml service db after"]',
        '    y-axis "connections" 0 --> 107',
        "    bar [20, 30]",
        "    line [97, 97]",
    ]


def test_markdown_of_a_worse_change_and_added_terms(tmp_path):
    repo = repository(tmp_path / "repo", pm2_tree(instances=16, pool=4))
    write_tree(repo, {"ecosystem.config.js": PM2.format(instances=30)})
    done = pgconnlint("HEAD", "--cpus", "8", "--format", "markdown", cwd=repo)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "### pgconnlint: connection budget change"
    row = "| 1 | ecosystem.config.js | db/postgresql.conf | 64 | 120 | 97 | **worse**: pushed over the usable slots: 120 of 97 |"
    assert row in lines
    assert "**1 server worse than at the base.**" in lines
    assert "    bar [64, 120]" in lines


def test_a_new_deployment_is_listed_as_new(tmp_path):
    repo = repository(tmp_path / "repo", {"README.md": "nothing deployed yet\n"})
    write_tree(repo, pm2_tree(instances=4, pool=4))
    done = pgconnlint("HEAD", "--cpus", "8", "--format", "json", cwd=repo)
    data = json.loads(done.stdout)
    schema().validate(data)
    new = [s for s in data["servers"] if s["status_before"] == "none"]
    assert [s["headline"] for s in new] == [
        "db/postgresql.conf: new, 16 of 97 usable (orders-api added: 4 × 4 = 16, ecosystem.config.js:6)"
    ]
    assert done.returncode == 0


def test_deployment_option_and_a_subfolder_with_the_configuration_above_it(tmp_path):
    files = {f"app/{path}": text for path, text in pm2_tree(instances='"max"', pool=4).items()}
    repo = repository(tmp_path / "repo", {**files, "pgconnlint.toml": "cpus = 8\n"})
    write_tree(repo, {"pgconnlint.toml": "cpus = 16\n"})  # the working tree's configuration; the base keeps 8
    done = pgconnlint("HEAD", "--path", "app", "--deployment", "ecosystem.config.js", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "  db/postgresql.conf: 32 → 64 of 97 usable (+32: orders-api processes 8 → 16" in done.stdout


def test_a_deployment_asked_for_that_is_new_comes_from_none_and_a_typo_is_a_usage_error(tmp_path):
    repo = repository(tmp_path / "repo", {"README.md": "nothing deployed yet\n"})
    write_tree(repo, pm2_tree(instances=4, pool=4))
    done = pgconnlint("HEAD", "--cpus", "8", "--deployment", "ecosystem.config.js", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "db/postgresql.conf: new, 16 of 97 usable" in done.stdout
    typo = pgconnlint("HEAD", "--cpus", "8", "--deployment", "ecosystem.js", cwd=repo)
    assert typo.returncode == 2
    assert "`deployment` is 'ecosystem.js', but the deployments found are: ecosystem.config.js" in typo.stderr


# --- nothing from the base runs, nothing outside it is read -------------------------------------------------------


def test_a_hostile_repository_runs_nothing_and_its_links_out_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write_tree(outside, {"postgresql.conf": "max_connections = 5000\n"})
    repo = repository(
        tmp_path / "repo",
        {
            **pm2_tree(instances=16, pool=4),
            ".gitattributes": "* filter=evil diff=evil export-subst\n",
            "sub/placeholder": "",
        },
    )
    (repo / "db" / "postgresql.conf").unlink()
    os.symlink(outside / "postgresql.conf", repo / "db" / "postgresql.conf")  # absolute, out of the tree
    os.symlink("..", repo / "sub" / "up")  # inside by its words: sub/.. is the top
    os.symlink("up/..", repo / "sub" / "escape")  # sub/up/.. reads as sub, but resolves above the top
    os.symlink("../ecosystem.config.js", repo / "sub" / "pm2.json")  # inside, and followed as in the working tree
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\ncat\n')
    script.chmod(0o755)
    hooks = repo / ".git" / "hooks"
    for hook in ("post-checkout", "pre-commit", "post-index-change", "reference-transaction", "pre-auto-gc"):
        (hooks / hook).write_text(f"#!/bin/sh\necho {hook} >> {marker}\n")
        (hooks / hook).chmod(0o755)
    for key, value in (
        ("core.fsmonitor", str(script)),
        ("core.pager", str(script)),
        ("filter.evil.smudge", str(script)),
        ("filter.evil.clean", str(script)),
        ("diff.evil.textconv", str(script)),
        ("tar.tar.gz.command", str(script)),
    ):
        git(repo, "config", key, value)
    marker.unlink(missing_ok=True)  # the commits above ran the clean filter: only what follows counts
    status = git(repo, "status", "--porcelain")
    marker.unlink(missing_ok=True)
    write_tree(repo, {"ecosystem.config.js": PM2.format(instances=8)})

    done = pgconnlint("HEAD", "--cpus", "8", "--format", "json", cwd=repo)

    assert not marker.exists(), marker.read_text()
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    schema().validate(data)
    assert sorted(data["base"]["skipped"]) == [
        "db/postgresql.conf: a symbolic link out of the tree; not followed",
        "sub/escape: a symbolic link out of the tree; not followed",
    ]
    before = data["servers"][0]["before"]
    assert before["usable"] == 97 and before["server"] == "PostgreSQL defaults"  # never the 5000 outside
    assert git(repo, "status", "--porcelain").replace(" M ecosystem.config.js\n", "") == status.replace(
        " M ecosystem.config.js\n", ""
    )
    # the traps were armed: `git archive` (not used, for this reason) runs the compressor the repository names
    subprocess.run(["git", "-C", str(repo), "archive", "--format=tar.gz", "-o", str(tmp_path / "a.tgz"), "HEAD"])
    assert marker.exists()


def test_a_base_file_over_the_size_bound_is_not_copied(tmp_path):
    repo = repository(tmp_path / "repo", {**pm2_tree(), "big/ecosystem.config.js": "//" + "x" * (1024 * 1024)})
    done = pgconnlint("HEAD", "--cpus", "8", "--format", "json", cwd=repo)
    skipped = json.loads(done.stdout)["base"]["skipped"]
    assert skipped == ["big/ecosystem.config.js: 1048578 bytes, over the 1048576-byte limit; not read"]


def test_the_temporary_copy_is_removed(tmp_path, monkeypatch):
    from pgconnlint import diff

    repo = repository(tmp_path / "repo", pm2_tree())
    commit = git(repo, "rev-parse", "HEAD").strip()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    with diff.materialised(repo, commit, "") as (root, skipped):
        assert (root / "ecosystem.config.js").read_text() == PM2.format(instances=16)
        assert not os.access(root / "ecosystem.config.js", os.X_OK) and skipped == ()
    assert list((tmp_path / "scratch").iterdir()) == []


def test_a_configuration_error_of_the_base_is_named_by_the_revision(tmp_path):
    repo = repository(tmp_path / "repo", {**pm2_tree(), "pgconnlint.toml": "cpu = 8\n"})
    write_tree(repo, {"pgconnlint.toml": "cpus = 8\n"})  # fixed in the working tree only
    done = pgconnlint("HEAD", cwd=repo)
    assert done.returncode == 2
    assert "pgconnlint: error: at the base HEAD: HEAD:pgconnlint.toml:1: unknown key 'cpu'" in done.stderr
    assert "pgconnlint-diff-" not in done.stderr


def test_the_action_writes_the_change_to_the_job_summary_and_fails_on_worse(tmp_path):
    import yaml

    upstream = repository(tmp_path / "upstream", pm2_tree(instances=16))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    write_tree(clone, {"ecosystem.config.js": PM2.format(instances=24)})  # the pull request's change
    check = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"][1]
    bin_dir = tmp_path / "runner" / "pgconnlint" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pgconnlint").write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m pgconnlint "$@"\n')
    (bin_dir / "pgconnlint").chmod(0o755)
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_BASE_REF": "main",
        "TARGET": str(clone),
        "CPUS": "8",
        "FAIL_ON": "error",
        "ARGS": "",
        "DIFF": "fail",
    }
    done = subprocess.run(["bash", "-c", check["run"]], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert output.read_text() == "exit-code=1\n"
    text = summary.read_text()
    assert "### pgconnlint: connection budget change" in text and "Base origin/main (" in text
    assert (
        "| 1 | ecosystem.config.js | db/postgresql.conf | 64 | 96 | 97 | **worse**: from fits to near the limit" in text
    )


PYTHON_TREE = {
    "Procfile": "web: gunicorn app:app -w 2 --threads 4\n",
    "requirements.txt": "flask\nsqlalchemy\n",
    "app/db.py": 'import os\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ["DATABASE_URL"]'
    ', pool_pre_ping=True, connect_args={{"connect_timeout": 5}}{args})\n',
}


def test_from_a_bounded_pool_to_an_unbounded_one_is_worse(tmp_path):
    repo = repository(tmp_path / "repo", {**PYTHON_TREE, "app/db.py": PYTHON_TREE["app/db.py"].format(args="")})
    write_tree(repo, {"app/db.py": PYTHON_TREE["app/db.py"].format(args=", max_overflow=-1")})
    done = pgconnlint("HEAD", "--cpus", "8", "--format", "json", cwd=repo)
    assert done.returncode == 1
    [server] = json.loads(done.stdout)["servers"]
    assert (server["status_before"], server["status_after"]) == ("fits", "unbounded")
    assert server["worse"] == "now unbounded: a pool without a limit" and server["delta"] == 0  # 2 × 4 at once


def test_a_rolling_deploy_pushed_over_is_worse(tmp_path):
    fixture = ROOT / "tests" / "fixtures" / "k8s-rollout"
    files = {p.relative_to(fixture).as_posix(): p.read_text() for p in fixture.rglob("*") if p.is_file()}
    api = "deploy/k8s/api.yaml"
    repo = repository(tmp_path / "repo", {**files, api: files[api].replace("maxSurge: 50%", "maxSurge: 25%")})
    write_tree(repo, {api: files[api]})  # 50%: 8 + 4 pods during a rollout
    done = pgconnlint("HEAD", "--cpus", "4", cwd=repo)
    assert done.returncode == 1
    assert "    worse: a rolling deploy now pushes it over the usable slots: 120 of 107" in done.stdout.splitlines()
    assert "(±0: " in done.stdout and "during a rollout 10 → 12, deploy/k8s/api.yaml:13" in done.stdout


def test_the_schema_rejects_what_the_output_never_is():
    with pytest.raises(jsonschema.ValidationError):
        schema().validate({"version": "0.1.0", "base": {}, "head": "working tree", "worse": False, "servers": []})
    with pytest.raises(jsonschema.ValidationError):
        schema().validate(
            {
                "version": "0.1.0",
                "base": {"revision": "main", "commit": "0" * 40, "how": "given", "skipped": []},
                "head": "working tree",
                "worse": "yes",
                "servers": [],
            }
        )


def test_markdown_escapes_names_and_tells_alike_servers_apart_in_the_chart(lint_tree):
    import io

    from pgconnlint.diff import Base, Diff, compare
    from pgconnlint.report import diff as view

    def stack(folder: str, replicas: int) -> dict[str, str]:
        app = {f"deployments/{folder}/{path}": text for path, text in COMPOSE_TREE.items()}
        compose = COMPOSE.format(replicas=replicas).replace("  db:", "  database:").replace("@db:", "@database:")
        return {**app, f"deployments/{folder}/docker-compose.yml": compose}

    before = lint_tree({**stack("one", 2), **stack("two", 2)}).budgets
    after_files = {**stack("one", 3), **stack("two", 2)}
    after_files["deployments/one/docker-compose.yml"] = after_files["deployments/one/docker-compose.yml"].replace(
        "  api:", "  'api|<img src=x>':"
    )
    after = lint_tree(after_files).budgets
    out = io.StringIO()
    view.render(Diff(Base("main", "0" * 40, "given"), compare(before, after, 0.8)), out, "markdown")
    text = out.getvalue()
    assert "<img" not in text and "api\\|&lt;img src=x&gt;" in text
    chart = text.split("```mermaid\n")[1]
    assert '"1: …-compose.yml service database before"' in chart
    assert '"2: …-compose.yml service database after"' in chart


@pytest.mark.parametrize(
    "fixture", ["nestjs-pm2-incident", "k8s-rollout", "compose-pgbouncer", "monorepo-three-stacks"]
)
def test_an_unchanged_checkout_has_an_unchanged_budget(tmp_path, fixture, capsys):
    """The base copy is listed as git lists a checkout: the same files, so the same budget, as the working tree."""
    from pgconnlint.cli import main

    source = ROOT / "tests" / "fixtures" / fixture
    files = {p.relative_to(source).as_posix(): p.read_bytes() for p in source.rglob("*") if p.is_file()}
    repo = repository(tmp_path / "repo", files)
    assert main(["diff", "HEAD", "--path", str(repo), "--cpus", "4"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "No budget changed."


def test_the_copy_is_listed_as_git_lists_a_checkout(tmp_path):
    """A tracked file under a folder the walk skips (`build/`) is still a candidate, as in the working tree."""
    from pgconnlint import diff
    from pgconnlint.discover import Candidate, discover

    cloudbuild = "steps:\n  - name: gcr.io/cloud-builders/docker\n    args: [build, -t, api, .]\n"
    repo = repository(tmp_path / "repo", {**pm2_tree(), "docker/release/build/cloudbuild.yaml": cloudbuild})
    expected = Candidate("docker/release/build/cloudbuild.yaml", "docker-run")
    assert expected in discover(repo)
    commit = git(repo, "rev-parse", "HEAD").strip()
    with diff.materialised(repo, commit, "") as (root, _):
        assert expected in discover(root)
        assert git(root, "ls-files").split() == git(repo, "ls-files").split()


def test_an_object_missing_from_the_store_is_named_not_a_crash(tmp_path):
    repo = repository(tmp_path / "repo", {**pm2_tree(), "notes/big.txt": "kept out of a partial clone\n"})
    oid = git(repo, "rev-parse", "HEAD:notes/big.txt").strip()
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    done = pgconnlint("HEAD", "--cpus", "8", "--format", "json", cwd=repo)
    assert done.returncode == 0, done.stderr
    skipped = json.loads(done.stdout)["base"]["skipped"]
    assert skipped == ["notes/big.txt: not in the repository's object store (a partial clone); not read"]

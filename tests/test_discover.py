"""Discovery: git's list in a work tree, a walk elsewhere, classification by name and a cheap content check."""

from __future__ import annotations

import subprocess

import pytest
from conftest import write_tree

from pgconnlint.discover import DEFAULT_EXCLUDES, classify, discover


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("db/postgresql.conf", "pgconf"),
        ("ormconfig.json", "ormconfig"),
        ("api/ormconfig.yml", "ormconfig"),
        ("ormconfig.env", "ormconfig"),
        ("ormconfig.xml", None),
        ("ecosystem.config.js", "pm2"),
        ("ecosystem.prod.config.cjs", "pm2"),
        ("deploy/ecosystem.yml", "pm2"),
        ("process.json", "pm2"),
        ("deploy/pm2.prod.json", "pm2"),
        (".env", "dotenv"),
        (".env.production", "dotenv"),
        (".env.example", None),
        ("package.json", "package"),
        ("src/data-source.ts", "typeorm-code"),
        ("src/types.d.ts", None),
        ("README.md", None),
        ("postgresql.conf.sample", None),
        # fixed names (one look-up) and the rules around them
        (".github/workflows/serverless.yml", "docker-run"),
        ("serverless.yml", "serverless"),
        ("charts/api/Chart.yaml", "helm-chart"),
        ("charts/api/templates/deployment.yaml", None),
        ("deploy/app.yaml", "kubernetes"),
        ("compose.prod.yaml", "compose"),
        ("Dockerfile", "dockerfile"),
        ("api/Dockerfile.prod", "dockerfile"),
        ("setup.py", "python-project"),
        ("gunicorn.conf.py", "gunicorn-config"),
        ("app/db.py", "python-code"),
        ("config/config.json", "sequelize-config"),
        ("src/config.json", None),
        ("prisma.config.ts", "prisma-config"),
        (".config/prisma.ts", "prisma-config"),
        ("src/prisma.ts", "typeorm-code"),
        ("knexfile.ts", "knexfile"),
        ("Makefile", "docker-run"),
        ("MAKEFILE", None),
    ],
)
def test_classify_by_name(path, kind):
    assert classify(path) == kind


def test_code_files_need_a_typeorm_marker(tmp_path):
    root = write_tree(tmp_path, {"src/a.ts": "new DataSource({})", "src/b.ts": "export const x = 1;", "src/c.js": "x"})
    assert [c.path for c in discover(root)] == ["src/a.ts"]


def test_git_work_tree_honours_gitignore_and_sees_untracked_files(tmp_path):
    root = write_tree(
        tmp_path / "repo",
        {
            ".gitignore": "secrets/\n",
            "ormconfig.json": "{}",
            "secrets/.env": "A=1",
            "services/api/ecosystem.config.js": "module.exports = {apps: []}",
        },
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "ormconfig.json", ".gitignore"], check=True)
    paths = [c.path for c in discover(root)]
    assert paths == ["ormconfig.json", "services/api/ecosystem.config.js"]


def test_a_committed_build_folder_keeps_its_image_build_files_even_when_gitignore_covers_it(tmp_path):
    build = "steps:\n  - name: gcr.io/cloud-builders/docker\n    args: [build, -f, docker/build/Dockerfile, .]\n"
    root = write_tree(
        tmp_path / "repo",
        {
            ".gitignore": "**/build/\n",
            "docker/build/cloudbuild.yaml": build,
            "docker/build/Dockerfile": "FROM python:3.12\n",
            "web/build/ormconfig.json": "{}",  # build output: still excluded
        },
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-f", "."], check=True)
    assert [(c.path, c.kind) for c in discover(root)] == [
        ("docker/build/Dockerfile", "dockerfile"),
        ("docker/build/cloudbuild.yaml", "docker-run"),
    ]
    assert discover(root, (*DEFAULT_EXCLUDES, "docker")) == []  # the user's own excludes still apply


def test_walk_skips_excluded_directories_and_directory_links(tmp_path):
    root = write_tree(tmp_path / "plain", {"node_modules/pkg/ormconfig.json": "{}", "app/ormconfig.json": "{}"})
    (root / "app" / "again").symlink_to(root / "app")
    assert [c.path for c in discover(root)] == ["app/ormconfig.json"]


def test_the_pre_commit_hook_runs_for_every_kind_of_file_discovery_reads():
    import re
    from pathlib import Path

    import yaml

    hooks = yaml.safe_load((Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(hooks[0]["files"])
    samples = [
        "db/postgresql.conf",
        "ormconfig.yml",
        "ecosystem.config.cjs",
        "process.json",
        ".env.production",
        "package.json",
        "src/data-source.ts",
        "app/db.py",
        "Procfile",
        "api/Dockerfile",
        "docker-compose.yml",
        "compose.prod.yaml",
        "gunicorn.conf.py",
        "requirements.txt",
        "scripts/db.sh",
        "Makefile",
        ".github/workflows/ci.yml",
        "pgbouncer.ini",
        "pyproject.toml",
    ]
    for sample in samples:
        assert classify(sample) is not None, sample
        assert pattern.search(sample), sample


def _repository(root, files: dict[str, str | bytes], untracked: dict[str, str | bytes] = {}):  # noqa: B006
    for path, content in {**files, **untracked}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content if isinstance(content, bytes) else content.encode())
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", *files], check=True)
    return root


def test_untracked_files_are_searched_for_markers_as_git_grep_would(tmp_path):
    root = _repository(
        tmp_path,
        {"src/tracked.ts": "new DataSource({})"},
        untracked={
            "src/new.ts": "new DataSource({})",
            "src/plain.ts": "export const x = 1;",
            "src/blob.ts": b"\0binary DataSource",  # git grep -I skips binary files
            "db/app.py": "engine = create_engine(URL)",
        },
    )
    assert [c.path for c in discover(root)] == ["db/app.py", "src/new.ts", "src/tracked.ts"]


def test_a_tracked_file_named_outside_the_searched_suffixes_is_still_read(tmp_path):
    root = _repository(tmp_path, {"APP/DB.PY": "engine = create_engine(URL)", "APP/OTHER.PY": "x = 1"})
    assert [(c.path, c.kind) for c in discover(root)] == [("APP/DB.PY", "python-code")]


def test_the_environment_and_the_repository_settings_do_not_change_what_git_grep_finds(tmp_path, monkeypatch):
    root = _repository(tmp_path, {"src/a.ts": "new DataSource({})", "app/db.py": "create_engine(URL)"})
    for setting in (("color.grep", "always"), ("grep.fullName", "true"), ("grep.lineNumber", "true")):
        subprocess.run(["git", "-C", str(root), "config", *setting], check=True)
    monkeypatch.setenv("GIT_LITERAL_PATHSPECS", "1")  # `*.py` would otherwise match no file
    assert [c.path for c in discover(root)] == ["app/db.py", "src/a.ts"]


def test_git_started_early_gives_the_same_candidates_once(tmp_path):
    from pgconnlint import discover as module

    root = _repository(tmp_path, {"src/a.ts": "new DataSource({})", "ormconfig.json": "{}"}, {"b.py": "DATABASES"})
    module.start(root)
    assert [c.path for c in discover(root)] == ["b.py", "ormconfig.json", "src/a.ts"]
    (root / "c.py").write_text("create_engine(URL)")
    assert [c.path for c in discover(root)] == ["b.py", "c.py", "ormconfig.json", "src/a.ts"]  # git asked again


def test_untracked_links_and_large_files_are_judged_as_git_grep_judges_them(tmp_path):
    filler = "x = 1\n" * 200_000  # 1.2 MB, over the size limit: git greps it whole
    root = _repository(
        tmp_path,
        {"README.md": "hello"},
        untracked={
            "big_with.py": filler + "engine = create_engine(URL)\n",
            "big_without.py": filler,
            "real/db.py": "engine = create_engine(URL)\n",
        },
    )
    (root / "link.py").symlink_to(root / "real" / "db.py")  # git grep skips links
    assert [c.path for c in discover(root)] == ["big_with.py", "real/db.py"]

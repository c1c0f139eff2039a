"""Three stacks, one server: a Prisma API and a node-postgres job runner under pm2, and a Django site under
gunicorn gthread; the budget finding lists every term with the file and line of each number."""

from __future__ import annotations

from conftest import FIXTURES, keys

from pgconnlint.lint import LintOptions, lint

ROOT = FIXTURES / "monorepo-three-stacks"


def test_one_budget_with_every_term_and_its_sources():
    result = lint(ROOT, LintOptions(cpus=8))
    assert keys(result) == [("PGC102", "infra/postgresql.conf", 3)]
    [budget] = result.budgets
    assert [(t.group.name, t.processes, t.at_once) for t in budget.terms] == [
        ("api", 4, 5),
        ("jobs", 2, 4),
        ("apps/site/Procfile (web)", 3, 4),
    ]
    assert (budget.total, budget.server.usable) == (40, 42)
    message = " ".join((result.findings[0].message, *result.findings[0].notes))
    for source in (
        "4 processes [ecosystem.config.js:8]",
        "apps/api/.env:1",
        "2 processes [ecosystem.config.js:15]",
        "pool 4 [apps/jobs/src/index.js:5]",
        "3 processes [apps/site/gunicorn.conf.py:2]",
        "apps/site/gunicorn.conf.py:3",
        "max_connections 45 [infra/postgresql.conf:3]",
    ):
        assert source in message, source


def test_the_staging_url_without_connection_limit_changes_only_the_prisma_term(tmp_path):
    import shutil

    tree = shutil.copytree(ROOT, tmp_path / "repo")
    (tree / "apps/api/.env.staging").write_text('DATABASE_URL="postgresql://api@db:5432/shop?connect_timeout=5"\n')
    [budget] = lint(tree, LintOptions(cpus=8, environment="staging")).budgets
    assert [t.at_once for t in budget.terms] == [8 * 2 + 1, 4, 4]  # Prisma's default: 2 × CPUs + 1

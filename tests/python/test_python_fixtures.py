"""The Python stacks of issue #11 on realistic repositories (tests/fixtures/): both numbers, end to end."""

from __future__ import annotations

from conftest import FIXTURES, TEST_CPUS

from pgconnlint.lint import LintOptions, lint


def run(name: str, **options):
    options.setdefault("cpus", TEST_CPUS)
    return lint(FIXTURES / name, LintOptions(**options))


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def test_flask_gunicorn_sync_ceiling_270_total_9():
    result = run("flask-gunicorn-sync")
    [budget] = result.budgets
    assert (budget.ceiling, budget.total, budget.server.usable) == (270, 9, 17)
    assert codes(result) == ["PGC103"]
    [finding] = result.findings
    assert finding.data["total"] == 270 and finding.data["concurrent"] == 9 and finding.data["usable"] == 17
    assert "pools permitting up to 270 connections (9 at once)" in " ".join((finding.message, *finding.notes))
    assert "pools permit: 9 × 30 = 270; at once: 9 × 1 = 9" in " ".join((finding.message, *finding.notes))
    assert "gunicorn sync worker: one request at a time" in " ".join((finding.message, *finding.notes))


def test_flask_gunicorn_threads_4_total_36():
    result = run("flask-gunicorn-gthread")
    [budget] = result.budgets
    assert (budget.ceiling, budget.total, budget.server.usable) == (270, 36, 37)
    assert codes(result) == ["PGC102", "PGC103"]
    assert result.project.groups[0].manager == "gunicorn gthread"


def test_fastapi_uvicorn_async_defaults_ceiling_equals_total_60():
    result = run("fastapi-uvicorn")
    [budget] = result.budgets
    assert budget.ceiling == budget.total == 60
    [term] = budget.terms
    assert (term.processes, term.pool_max) == (4, 15)
    assert term.pool.max.why == "SQLAlchemy default: pool_size 5 + max_overflow 10"
    # The compose service `api` builds the image whose CMD runs uvicorn: its DATABASE_URL is that process's, and
    # names the service `db`, whose POSTGRES_PASSWORD is committed too.
    assert result.project.groups[0].name == "docker-compose.yml service api (Dockerfile CMD)"
    assert budget.server.name == "docker-compose.yml service db"
    assert codes(result) == ["PGC403", "PGC403"]
    assert ["DATABASE_URL in docker-compose.yml" in f.message for f in result.findings] == [True, False]
    assert all("a•••, 3 characters" in f.message and "app" not in f.message.split("(")[1] for f in result.findings)


def test_celery_prefork_default_concurrency():
    result = run("celery-prefork")
    [term] = result.budgets[0].terms
    assert (term.processes, term.at_once, term.pool_max) == (TEST_CPUS, 1, 5)  # pool_size from DB_POOL_SIZE's "3" + 2
    assert set(codes(result)) == {"PGC301", "PGC204"}
    assert run("celery-prefork", cpus=64).budgets[0].ceiling == 64 * 5


def test_node_api_and_python_worker_share_one_server():
    result = run("mixed-node-python")
    [budget] = result.budgets
    names = [(t.group.name, t.processes, t.at_once) for t in budget.terms]
    assert names == [("api", 4, 10), ("docker-compose.yml service worker", 6, 1)]
    assert (budget.total, budget.ceiling, budget.server.usable) == (46, 52, 57)
    assert budget.server.name == "docker-compose.yml service db"  # which reads infra/postgresql.conf
    assert budget.server.max_connections.location.path == "infra/postgresql.conf"
    [finding] = [f for f in result.findings if f.code == "PGC102"]
    assert "api: 4 processes" in " ".join(
        (finding.message, *finding.notes)
    ) and "docker-compose.yml service worker: 6 processes" in " ".join((finding.message, *finding.notes))
    assert len(finding.data["terms"]) == 2

"""The incident the product exists for, end to end on realistic repositories (tests/fixtures/)."""

from __future__ import annotations

from conftest import FIXTURES, TEST_CPUS, keys

from pgconnlint.lint import LintOptions, lint


def line_of(path, text: str) -> int:
    """The 1-based line of the first line containing `text`: fixtures stay editable without renumbering tests."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_incident_reports_budget_synchronize_race_and_missing_timeout():
    root = FIXTURES / "nestjs-pm2-incident"
    result = lint(root, LintOptions(cpus=TEST_CPUS))
    instances = line_of(root / "ecosystem.config.js", "instances:")
    synchronize = line_of(root / "ormconfig.json", '"synchronize"')
    assert keys(result) == [
        ("PGC315", "db/postgresql.conf", 1),  # info: the sample leaves idle_in_transaction_session_timeout off
        # the budget is anchored to the server's limit, not to a term: changing `instances` does not move it
        ("PGC101", "db/postgresql.conf", line_of(root / "db/postgresql.conf", "max_connections = 100")),
        ("PGC204", "ormconfig.json", line_of(root / "ormconfig.json", '"type"')),
        ("PGC403", "ormconfig.json", line_of(root / "ormconfig.json", '"password"')),
        ("PGC201", "ormconfig.json", synchronize),
        ("PGC203", "ormconfig.json", synchronize),
    ]
    budget = result.findings[1]
    assert f"largest: orders-api 16 × 10 = 160 (ecosystem.config.js:{instances})" in budget.message
    max_connections = line_of(root / "db/postgresql.conf", "max_connections = 100")
    assert (budget.data["total"], budget.data["usable"]) == (160, 97)
    assert "16 × 10 = 160" in " ".join((budget.message, *budget.notes)) and "node-postgres default" in " ".join(
        (budget.message, *budget.notes)
    )
    assert f"max_connections 100 [db/postgresql.conf:{max_connections}]" in " ".join((budget.message, *budget.notes))
    assert "superuser_reserved_connections 3 [PostgreSQL default; not set in db/postgresql.conf]" in " ".join(
        (budget.message, *budget.notes)
    )
    assert ("ormconfig.json", 1) in {(r.path, r.line) for r in budget.related}
    assert all(f.location.column >= 1 for f in result.findings)


def test_the_fixed_repository_reports_nothing():
    result = lint(FIXTURES / "nestjs-pm2-fixed", LintOptions(cpus=TEST_CPUS))
    assert result.findings == []
    [budget] = result.budgets
    assert (budget.total, budget.server.usable) == (64, 97)


def test_development_environment_is_not_production():
    result = lint(FIXTURES / "nestjs-pm2-incident", LintOptions(cpus=TEST_CPUS, environment="development"))
    assert "PGC201" not in {f.code for f in result.findings}
    assert {"PGC101", "PGC203", "PGC204"} <= {f.code for f in result.findings}


def test_datasource_with_env_fallbacks_and_cpu_dependent_instances():
    root = FIXTURES / "datasource-env"
    result = lint(root, LintOptions(cpus=TEST_CPUS))
    # the committed .env holds a password in its URL: PGC403 (issue 16)
    assert keys(result) == [
        ("PGC403", ".env", 2),
        ("PGC301", "ecosystem.config.cjs", line_of(root / "ecosystem.config.cjs", "instances")),
    ]
    [term] = result.budgets[0].terms
    # env_production's DB_POOL_SIZE "8" wins over .env's 15; NODE_ENV=production turns synchronize off.
    assert (term.processes, term.pool_max) == (TEST_CPUS, 8)
    assert term.pool.max.location.path == "ecosystem.config.cjs"
    assert result.budgets[0].server.usable == 200 - 5
    development = lint(root, LintOptions(cpus=2, environment="development"))
    assert development.budgets[0].terms[0].pool_max == 15  # .env, since pm2's `env` block does not set it


def test_nest_forrootasync_config_service_values_from_pm2_yaml():
    root = FIXTURES / "nest-forrootasync"
    result = lint(root, LintOptions(cpus=TEST_CPUS))
    module = root / "src/app.module.ts"
    assert keys(result) == [
        ("PGC102", "ecosystem.config.yml", 1),  # no server in the tree: at the deployment's document
        ("PGC203", "src/app.module.ts", line_of(module, "migrationsRun")),
    ]
    budget = result.budgets[0]
    assert budget.server.assumed and (budget.total, budget.server.usable) == (80, 97)
    assert "DB_POOL_MAX='20' from env_production of pm2 app billing" in " ".join(
        (result.findings[0].message, *result.findings[0].notes)
    )


def test_monorepo_sums_both_apps_and_counts_replica_pools_against_their_standbys():
    root = FIXTURES / "pm2-json-multi"
    result = lint(root, LintOptions(cpus=TEST_CPUS))
    primary, *replicas = result.budgets
    workers = TEST_CPUS - 1
    assert [(t.group.name, t.processes, t.pool_max) for t in primary.terms] == [
        ("api", 6, 12),
        ("worker", workers, 5),
        ("worker", workers, 3),
    ]
    assert primary.total == 6 * 12 + workers * (5 + 3) and primary.server.name == "infra/postgresql.conf"
    assert [(b.server.name.split(" (")[0], b.total) for b in replicas] == [
        ("replica pg-replica-1", workers * 3),
        ("replica pg-replica-2", workers * 3),
    ]
    assert [f.code for f in result.findings] == ["PGC102", "PGC301", "PGC204"]  # 128 of 147 usable: 87%
    assert f"6 × 12 + {workers} × 5 + {workers} × 3 = {primary.total}" in " ".join(
        (result.findings[0].message, *result.findings[0].notes)
    )

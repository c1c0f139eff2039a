"""The Node stacks of issue 9 on realistic repositories (tests/fixtures/): Prisma under pm2, a Knex worker, a
Sequelize app with sequelize-cli config, a plain pg.Pool script. End to end, both environments where they differ."""

from __future__ import annotations

from conftest import FIXTURES, TEST_CPUS

from pgconnlint.lint import LintOptions, lint


def run(name: str, **options):
    options.setdefault("cpus", TEST_CPUS)
    return lint(FIXTURES / name, LintOptions(**options))


def keys(result) -> list[tuple[str, str, int]]:
    return [finding.key for finding in result.findings]


def test_prisma_under_pm2_connection_limit_in_production_url():
    result = run("prisma-pm2")
    [budget] = result.budgets
    assert (budget.total, budget.server.usable) == (40, 97)  # 8 processes × connection_limit=5
    [term] = budget.terms
    assert term.pool.label == "new PrismaClient(…) in src/db.ts"
    assert (
        term.pool.max.via
        == "connection_limit=5 in the URL (DATABASE_URL from env_production of pm2 app shop-api, ecosystem.config.js:9)"
    )
    assert keys(result) == []


def test_prisma_under_pm2_without_connection_limit_in_staging_follows_the_cpus():
    result = run("prisma-pm2", environment="staging")
    [budget] = result.budgets
    assert budget.total == 8 * (2 * TEST_CPUS + 1)  # 136 over 97 usable
    assert keys(result) == [("PGC101", "db/postgresql.conf", 2), ("PGC301", "ecosystem.config.js", 12)]
    assert "8 × 17 = 136" in result.findings[0].message
    assert run("prisma-pm2", environment="staging", cpus=2).budgets[0].total == 8 * 5


def test_prisma_budget_differs_by_env_in_json():
    production = run("prisma-pm2").budgets[0].as_data()
    staging = run("prisma-pm2", environment="staging").budgets[0].as_data()
    assert production["terms"][0]["pool_max_from"]["kind"] == "set"
    assert staging["terms"][0]["pool_max_from"]["kind"] == "default"
    assert (production["total"], staging["total"]) == (40, 136)


def test_knex_worker_reads_the_knexfile_section_for_the_environment():
    result = run("knex-worker")
    [term] = result.budgets[0].terms
    assert (term.processes, term.pool_max, result.budgets[0].total) == (3, 8, 24)
    assert term.pool.label == 'require("knex")(…) in src/worker.js with knexfile.js (production)'
    assert keys(result) == []


def test_knex_worker_staging_pool_inside_connection_is_ignored_and_the_default_counts():
    result = run("knex-worker", environment="staging")
    [term] = result.budgets[0].terms
    assert (term.pool_max, result.budgets[0].total) == (10, 30)
    assert keys(result) == [("PGC208", "knexfile.js", 12)]


def test_knex_worker_development_uses_the_default_pool():
    [term] = run("knex-worker", environment="development").budgets[0].terms
    assert term.pool.max.why == "Knex default pool.max 10"


def test_sequelize_cli_config_production_section_under_pm2():
    result = run("sequelize-cli")
    [term] = result.budgets[0].terms
    assert (term.processes, term.pool_max, result.budgets[0].total) == (6, 15, 90)
    assert term.pool.label == "new Sequelize(…) in models/index.js with config/config.json (production)"
    assert keys(result) == [("PGC102", "ecosystem.config.js", 1)]  # 90 of 97 usable: 93%; at the deployment


def test_sequelize_cli_config_development_section_counts_the_default_five():
    result = run("sequelize-cli", environment="development")
    assert (result.budgets[0].terms[0].pool_max, result.budgets[0].total) == (5, 30)
    assert keys(result) == []


def test_plain_pg_pool_script():
    result = run("pg-pool-script")
    terms = result.budgets[0].terms
    assert [(t.pool.label, t.pool_max) for t in terms] == [
        ("new pg.Pool(…) in scripts/nightly-report.js", None),
        ("new pg.Client(…) in scripts/nightly-report.js", 1),
    ]
    assert keys(result) == [("PGC204", "scripts/nightly-report.js", 3), ("PGC110", "scripts/nightly-report.js", 5)]
    assert "REPORT_POOL_MAX is not set in the repository" in result.findings[1].message


def test_plain_pg_pool_script_with_an_empty_variable_counts_pg_pools_default(tmp_path):
    import shutil

    root = tmp_path / "script"
    shutil.copytree(FIXTURES / "pg-pool-script", root)
    (root / ".env").write_text("REPORT_POOL_MAX=\n")
    result = lint(root, LintOptions(cpus=TEST_CPUS))
    pool = result.budgets[0].terms[0].pool.max
    assert (pool.value, pool.why) == (10, "node-postgres default: max NaN is falsy, so pg-pool uses 10")

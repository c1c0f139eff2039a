"""The budget: which pools count, how many processes run them, and the exact arithmetic printed."""

from __future__ import annotations

import pytest
from conftest import TEST_CPUS, keys

ORM_DEFAULT_POOL = '{\n  "type": "postgres",\n  "connectTimeoutMS": 5000\n}\n'
PG_100 = "max_connections = 100\n"


def pm2(instances: str, extra: str = "") -> str:
    return f'module.exports = {{\n  apps: [{{\n    name: "api",\n    script: "dist/main.js",\n    instances: {instances},{extra}\n  }}],\n}};\n'


def budget_of(result):
    return result.budgets[0]


def test_story_message_names_every_number_and_its_source(lint_tree):
    result = lint_tree(
        {"ecosystem.config.js": pm2("16"), "ormconfig.json": ORM_DEFAULT_POOL, "db/postgresql.conf": PG_100},
        select=frozenset({"PGC101"}),
    )
    [finding] = result.findings
    # anchored to the server, not to the largest term: a suppression or baseline survives a change of `instances`
    assert finding.key == ("PGC101", "db/postgresql.conf", 1)  # the max_connections line
    assert finding.message == (
        "up to 160 connections at once exceed the 97 usable slots of db/postgresql.conf (deployment ecosystem.config.js);"
        " largest: api 16 × 10 = 160 (ecosystem.config.js:5)"
    )
    assert finding.notes == (
        "usable slots: max_connections 100 [db/postgresql.conf:1] − superuser_reserved_connections 3 [PostgreSQL"
        " default; not set in db/postgresql.conf] = 97",
        "at once: 16 × 10 = 160",
        "api: 16 processes [ecosystem.config.js:5] × pool 10 [node-postgres default; neither poolSize nor"
        " extra.max is set, ormconfig.json:1] of ormconfig.json = 160",
    )
    assert finding.data["total"] == 160 and finding.data["usable"] == 97 and finding.data["ceiling"] == 160
    assert finding.data["terms"][0]["pool_max_from"]["kind"] == "default"
    assert {(r.path, r.line) for r in finding.related} == {("ecosystem.config.js", 5), ("ormconfig.json", 1)}


@pytest.mark.parametrize(
    ("instances", "processes", "cpu_dependent"),
    [
        ("4", 4, False),
        ('"4"', 4, False),
        ('"max"', TEST_CPUS, True),
        ("0", TEST_CPUS, True),
        ("-1", TEST_CPUS - 1, True),
        ("-20", 1, True),
        ('"lots"', TEST_CPUS, True),
    ],
)
def test_pm2_instances_resolve_as_pm2_does(lint_tree, instances, processes, cpu_dependent):
    result = lint_tree({"ecosystem.config.js": pm2(instances), "ormconfig.json": ORM_DEFAULT_POOL})
    [group] = result.project.groups
    assert group.processes.value == processes and group.cpu_dependent is cpu_dependent
    assert ("PGC301" in {f.code for f in result.findings}) is cpu_dependent


def test_cpus_option_changes_the_total(lint_tree):
    result = lint_tree({"ecosystem.config.js": pm2('"max"'), "ormconfig.json": ORM_DEFAULT_POOL}, cpus=32)
    assert budget_of(result).total == 320
    [cpu] = [f for f in result.findings if f.code == "PGC301"]
    assert cpu.message == (
        'api sizes its process count by the CPUs: `instances: "max"` = 32 CPUs = 32 processes'
        " (32 CPUs: as configured); its connections grow with the host"
    )


def test_instances_absent_is_one_process(lint_tree):
    result = lint_tree(
        {
            "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "a.js" }] };',
            "ormconfig.json": ORM_DEFAULT_POOL,
        }
    )
    assert result.project.groups[0].processes.value == 1


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ('"extra": {"max": 4}', 4),
        ('"poolSize": 6', 6),
        ('"poolSize": 6, "extra": {"max": 3}', 3),
        ('"extra": {"max": 0}', 10),
        ('"poolSize": 0', 10),
    ],
)
def test_pool_size_as_typeorm_and_pg_pool_merge_it(lint_tree, options, expected):
    orm = '{"type": "postgres", "connectTimeoutMS": 5000, ' + options + "}"
    package = '{"name": "api", "dependencies": {"typeorm": "^0.3.20"}}'
    result = lint_tree({"ormconfig.json": orm, "package.json": package})
    assert budget_of(result).terms[0].pool_max == expected


def test_poolsize_is_ignored_before_typeorm_0_3_10(lint_tree):
    orm = '{"type": "postgres", "connectTimeoutMS": 5000, "poolSize": 4}'
    result = lint_tree({"ormconfig.json": orm, "package.json": '{"dependencies": {"typeorm": "^0.2.45"}}'})
    pool = budget_of(result).terms[0].pool.max
    assert pool.value == 10 and "ignored before TypeORM 0.3.10" in pool.why


def test_env_production_overrides_env_and_dotenv(lint_tree):
    files = {
        "ecosystem.config.js": pm2("2", '\n    env: { DB_POOL: "3" },\n    env_production: { DB_POOL: "9" },'),
        ".env": "DB_POOL=5\n",
        "ormconfig.js": 'module.exports = { type: "postgres", connectTimeoutMS: 1, extra: { max: parseInt(process.env.DB_POOL) } };',
    }
    assert budget_of(lint_tree(files)).total == 18
    assert budget_of(lint_tree(files, environment="development")).total == 6
    del files["ecosystem.config.js"]
    assert budget_of(lint_tree(files)).total == 5


def test_dotenv_for_the_environment_overrides_dotenv(lint_tree):
    files = {
        ".env": "DB_POOL=5\n",
        ".env.production": "DB_POOL=7\n",
        "ormconfig.js": 'module.exports = { type: "postgres", connectTimeoutMS: 1, extra: { max: +process.env.DB_POOL } };',
    }
    pool = budget_of(lint_tree(files)).terms[0].pool.max
    assert pool.value == 7 and pool.location.path == ".env.production"


def test_replication_opens_one_pool_per_host_each_against_its_server(lint_tree):
    orm = """module.exports = { type: "postgres", connectTimeoutMS: 1, extra: { max: 3 },
  replication: { master: { host: "primary" }, slaves: [{ host: "r1" }, { host: "r2" }] } };"""
    primary, *replicas = lint_tree({"ormconfig.js": orm}).budgets
    assert [(t.pool_max, t.pool.label.split()[-1]) for t in primary.terms] == [(3, "primary")]
    assert [(b.server.name, [t.pool_max for t in b.terms]) for b in replicas] == [
        ("replica r1 (settings of PostgreSQL defaults)", [3]),
        ("replica r2 (settings of PostgreSQL defaults)", [3]),
    ]


def test_several_datasources_in_one_package_each_have_a_pool(lint_tree):
    code = """import { DataSource } from "typeorm";
export const main = new DataSource({ type: "postgres", poolSize: 4, connectTimeoutMS: 1 });
export const audit = new DataSource({ type: "postgres", poolSize: 2, connectTimeoutMS: 1 });
export const cache = new DataSource({ type: "mysql", poolSize: 50 });
"""
    result = lint_tree({"src/db.ts": code, "package.json": '{"dependencies": {"typeorm": "^0.3.20"}}'})
    assert [t.pool_max for t in budget_of(result).terms] == [4, 2]


def test_code_options_win_over_ormconfig_unless_forroot_has_none(lint_tree):
    module = "TypeOrmModule.forRoot({ type: 'postgres', poolSize: 4, connectTimeoutMS: 1 });"
    files = {"src/app.module.ts": module, "ormconfig.json": ORM_DEFAULT_POOL, "package.json": "{}"}
    assert [t.pool_max for t in budget_of(lint_tree(files)).terms] == [4]
    files["src/app.module.ts"] = "TypeOrmModule.forRoot();"
    assert [t.pool_max for t in budget_of(lint_tree(files)).terms] == [10]


def test_first_ormconfig_in_typeorm_order_wins(lint_tree):
    files = {
        "ormconfig.json": ORM_DEFAULT_POOL,
        "ormconfig.js": 'module.exports = {type: "postgres", extra: {max: 2}};',
    }
    assert [t.pool.label for t in budget_of(lint_tree(files)).terms] == ["ormconfig.js"]


def test_pm2_cwd_links_each_app_to_its_package(lint_tree):
    files = {
        "process.json": """{
  "apps": [
    {"name": "api", "cwd": "services/api", "script": "dist/server.js", "instances": 3},
    {"name": "worker", "script": "services/worker/dist/worker.js", "instances": 2},
  ]
}""",
        "services/api/package.json": "{}",
        "services/api/ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 1, "extra": {"max": 5}}',
        "services/worker/package.json": "{}",
        "services/worker/ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 1, "extra": {"max": 4}}',
    }
    budget = budget_of(lint_tree(files))
    assert [(t.group.name, t.processes, t.pool_max) for t in budget.terms] == [("api", 3, 5), ("worker", 2, 4)]
    assert budget.total == 23


def test_package_nothing_runs_counts_as_one_process_and_says_so(lint_tree):
    result = lint_tree({"ormconfig.json": ORM_DEFAULT_POOL})
    [term] = budget_of(result).terms
    assert term.processes == 1 and "no process manager runs it" in term.describe()


def test_no_postgresql_conf_assumes_defaults_and_says_so(lint_tree):
    result = lint_tree({"ecosystem.config.js": pm2("16"), "ormconfig.json": ORM_DEFAULT_POOL})
    [finding] = [f for f in result.findings if f.code == "PGC101"]
    assert "of PostgreSQL's defaults (no postgresql.conf found)" in finding.message
    assert "max_connections 100 [PostgreSQL default; no postgresql.conf in the repository]" in finding.notes[0]
    assert finding.key == ("PGC101", "ecosystem.config.js", 1)  # no server file: the deployment's document


def test_auto_conf_and_reserved_connections_count(lint_tree):
    files = {
        "ecosystem.config.js": pm2("10"),
        "ormconfig.json": ORM_DEFAULT_POOL,
        "pg/postgresql.conf": "max_connections = 200\nreserved_connections = 5\n",
        "pg/postgresql.auto.conf": "max_connections = 90\n",
    }
    result = lint_tree(files)
    server = result.project.servers[0]
    assert server.usable == 82 and server.max_connections.location.path == "pg/postgresql.auto.conf"
    [finding] = [f for f in result.findings if f.code == "PGC101"]
    assert "reserved_connections 5 [pg/postgresql.conf:2]" in finding.notes[0]


def test_near_limit_warns_above_the_headroom_only(lint_tree):
    def codes(max_):
        orm = '{"type": "postgres", "connectTimeoutMS": 1, "extra": {"max": ' + str(max_) + "}}"
        return {f.code for f in lint_tree({"ecosystem.config.js": pm2("12"), "ormconfig.json": orm}).findings}

    assert "PGC102" in codes(8) and "PGC101" not in codes(8)  # 96 of 97
    assert "PGC101" in codes(9) and "PGC102" not in codes(9)  # 108 of 97
    assert not {"PGC101", "PGC102"} & codes(6)  # 72 of 97 = 74%


def test_unknown_pool_is_reported_and_left_out(lint_tree):
    files = {
        "ecosystem.config.js": pm2("16"),
        "ormconfig.js": 'module.exports = { type: "postgres", connectTimeoutMS: 1, extra: { max: Number(process.env.POOL) } };',
    }
    result = lint_tree(files)
    assert keys(result) == [("PGC110", "ormconfig.js", 1)]
    assert "`Number(process.env.POOL)` (POOL is not set in the repository)" in result.findings[0].message
    assert budget_of(result).total == 0 and len(budget_of(result).unknown_terms) == 1


def test_known_part_over_budget_is_reported_as_at_least(lint_tree):
    files = {
        "ecosystem.config.js": 'module.exports = { apps: [{ name: "a", cwd: "a", script: "x.js", instances: 20 },'
        ' { name: "b", cwd: "b", script: "x.js", instances: 2 }] };',
        "a/package.json": "{}",
        "a/ormconfig.json": ORM_DEFAULT_POOL,
        "b/package.json": "{}",
        "b/ormconfig.js": 'module.exports = { type: "postgres", connectTimeoutMS: 1, extra: { max: getPool() } };',
    }
    [finding] = [f for f in lint_tree(files).findings if f.code == "PGC101"]
    assert finding.message.startswith("at least 200 connections at once exceed")
    assert finding.notes[1] == "at once: 20 × 10 + 1 unknown = at least 200"
    assert finding.data["complete"] is False


def test_non_postgres_connections_are_not_counted(lint_tree):
    result = lint_tree({"ormconfig.json": '{"type": "mysql", "synchronize": true}'})
    assert result.project.groups == () and result.findings == []

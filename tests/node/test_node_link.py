"""Linking the Node pools beyond TypeORM: each library's defaults, the environment sections, and the budget."""

from __future__ import annotations

import math

import pytest

from pgconnlint.model import Default, Known, Unknown

PG = '{"name": "api", "dependencies": {"pg": "^8.13.0"}}'


def terms(result) -> list[tuple[str, float | None]]:
    return [(term.pool.label, term.pool_max) for term in result.budgets[0].terms]


def pool_max(result):
    [term] = result.budgets[0].terms
    return term.pool.max


@pytest.mark.parametrize(
    ("options", "expected", "kind"),
    [
        ("{}", 10, Default),
        ("{ max: 4 }", 4, Known),
        ("{ max: 0 }", 10, Default),
        ("{ poolSize: 6 }", 6, Known),
        ("{ max: 0, poolSize: 6 }", 6, Known),
        ('{ max: "20" }', 20, Known),
        ("{ max: parseInt(process.env.POOL_MAX) }", 10, Default),  # .env sets it empty: NaN
        ('{ max: "lots" }', math.inf, Known),
    ],
)
def test_node_postgres_max_follows_pg_pool(lint_tree, options, expected, kind):
    code = f'const {{ Pool }} = require("pg");\nmodule.exports = new Pool({options});\n'
    result = lint_tree({"package.json": PG, ".env": "POOL_MAX=\n", "db.js": code})
    value = pool_max(result)
    assert (value.value, type(value)) == (expected, kind)


def test_nan_from_an_empty_variable_says_pg_pool_uses_10(lint_tree):
    code = 'const { Pool } = require("pg");\nmodule.exports = new Pool({ max: parseInt(process.env.POOL_MAX) });\n'
    value = pool_max(lint_tree({"package.json": PG, ".env": "POOL_MAX=\n", "db.js": code}))
    assert value.why == "node-postgres default: max NaN is falsy, so pg-pool uses 10"


def test_options_from_elsewhere_make_the_size_unknown_not_guessed(lint_tree):
    code = 'const { Pool } = require("pg");\nconst { db } = require("./config");\nmodule.exports = new Pool(db);\n'
    value = pool_max(lint_tree({"package.json": PG, "db.js": code}))
    assert isinstance(value, Unknown) and value.expression == "db"


def test_client_is_one_connection(lint_tree):
    code = 'const { Client } = require("pg");\nconst client = new Client({ connectionTimeoutMillis: 5000 });\n'
    assert pool_max(lint_tree({"package.json": PG, "db.js": code})).value == 1


@pytest.mark.parametrize(
    ("call", "env", "expected"),
    [
        ("postgres(process.env.DATABASE_URL)", "DATABASE_URL=postgres://a@db/app\n", 10),
        ("postgres(process.env.DATABASE_URL, { max: 4 })", "DATABASE_URL=postgres://a@db/app\n", 4),
        # A string max (the URL's query, PGMAX) makes `[...Array("20")]`: one connection.
        ("postgres(process.env.DATABASE_URL)", "DATABASE_URL=postgres://a@db/app?max=20\n", 1),
        ("postgres(process.env.DATABASE_URL)", "DATABASE_URL=postgres://a@db/app\nPGMAX=20\n", 1),
        ("postgres({ host: 'db', max: 3 })", "", 3),
    ],
)
def test_postgres_js_max(lint_tree, call, env, expected):
    code = f"import postgres from 'postgres';\nexport const sql = {call};\n"
    result = lint_tree({"package.json": '{"name": "api"}', ".env": env, "db.ts": code})
    assert pool_max(result).value == expected


KNEXFILE = """module.exports = {
  development: { client: "pg", connection: "postgres://localhost/app" },
  production: {
    client: "pg",
    connection: process.env.DATABASE_URL,
    pool: { min: 0, max: 8 },
  },
};
"""
KNEX_WORKER = 'const knex = require("knex")(require("./knexfile")[process.env.NODE_ENV || "development"]);\n'


@pytest.mark.parametrize(("environment", "expected", "kind"), [("production", 8, Known), ("development", 10, Default)])
def test_knexfile_section_follows_the_environment(lint_tree, environment, expected, kind):
    files = {"package.json": '{"name": "w"}', "knexfile.js": KNEXFILE, "worker.js": KNEX_WORKER}
    result = lint_tree(files, environment=environment)
    [term] = result.budgets[0].terms
    assert (term.pool_max, type(term.pool.max)) == (expected, kind)
    assert term.pool.label == f'require("knex")(…) in worker.js with knexfile.js ({environment})'


def test_knexfile_without_the_section_is_unknown_and_says_which_exist(lint_tree):
    files = {"package.json": '{"name": "w"}', "knexfile.js": KNEXFILE, "worker.js": KNEX_WORKER}
    value = pool_max(lint_tree(files, environment="staging"))
    assert isinstance(value, Unknown)
    assert (
        value.reason == "knexfile.js has no `staging` section (NODE_ENV=staging; its sections: development, production)"
    )


def test_knexfile_nobody_is_seen_to_read_counts_and_is_ignored_when_code_configures_knex(lint_tree):
    assert terms(lint_tree({"knexfile.js": KNEXFILE})) == [("knexfile.js (production)", 8)]
    code = "import knex from 'knex';\nexport const db = knex({ client: 'pg', pool: { max: 3 } });\n"
    assert terms(lint_tree({"knexfile.js": KNEXFILE, "db.ts": code})) == [("knex(…) in db.ts", 3)]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("{ client: 'pg' }", 10),
        ("{ client: 'postgresql', pool: { max: 0 } }", 0),  # Knex then creates no pool at all
        ("{ client: 'mysql2', pool: { max: 7 } }", None),  # not PostgreSQL: not counted
    ],
)
def test_knex_defaults_and_clients(lint_tree, config, expected):
    code = f"import knex from 'knex';\nexport const db = knex({config});\n"
    budget = lint_tree({"db.ts": code}).budgets[0]
    assert [term.pool_max for term in budget.terms] == ([expected] if expected is not None else [])


SEQUELIZE_MODELS = """const Sequelize = require("sequelize");
const env = process.env.NODE_ENV || "development";
const config = require(__dirname + "/../config/config.json")[env];
let sequelize;
if (config.use_env_variable) {
  sequelize = new Sequelize(process.env[config.use_env_variable], config);
} else {
  sequelize = new Sequelize(config.database, config.username, config.password, config);
}
module.exports = sequelize;
"""


def test_sequelize_cli_config_counts_once_for_both_branches(lint_tree):
    config = '{"production": {"use_env_variable": "DATABASE_URL", "dialect": "postgres", "pool": {"max": 12}}}'
    result = lint_tree({"config/config.json": config, "models/index.js": SEQUELIZE_MODELS})
    assert terms(result) == [("new Sequelize(…) in models/index.js with config/config.json (production)", 12)]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("new Sequelize('app', 'u', 'p', { dialect: 'postgres' })", [5]),
        ("new Sequelize('postgres://u@db/app')", [5]),
        ("new Sequelize('mysql://u@db/app', { pool: { max: 9 } })", []),
        ("new Sequelize({ dialect: 'postgres', pool: { max: 0 } })", [None]),  # sequelize-pool refuses it
    ],
)
def test_sequelize_dialect_and_default_max(lint_tree, call, expected):
    code = f"const {{ Sequelize }} = require('sequelize');\nmodule.exports = {call};\n"
    assert [term.pool_max for term in lint_tree({"db.js": code}).budgets[0].terms] == expected


def test_sequelize_replication_opens_a_write_pool_and_a_read_pool_against_the_replica(lint_tree):
    code = (
        "const { Sequelize } = require('sequelize');\n"
        "module.exports = new Sequelize({\n  dialect: 'postgres',\n  pool: { max: 4 },\n"
        "  replication: { read: [{ host: 'replica-1' }, { host: 'replica-2' }], write: { host: 'primary' } },\n});\n"
    )
    budgets = lint_tree({"db.js": code}).budgets
    assert [(t.pool.label, t.pool_max) for t in budgets[0].terms] == [("new Sequelize(…) in db.js write pool", 4)]
    assert budgets[1].server.name.startswith("replica replica-1, replica-2")
    assert [t.pool_max for t in budgets[1].terms] == [4]


SCHEMA = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
CLIENT = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"


def test_prisma_default_connection_limit_follows_the_cpus(lint_tree):
    files = {"prisma/schema.prisma": SCHEMA, ".env": "DATABASE_URL=postgresql://u@db/app\n", "src/db.ts": CLIENT}
    value = pool_max(lint_tree(files, cpus=4))
    assert isinstance(value, Default) and value.value == 9
    assert value.why == (
        "Prisma default connection_limit = 2 × 4 CPUs (given) + 1; the URL (DATABASE_URL from .env:1) sets none"
    )


def test_prisma_reads_the_env_beside_the_schema_below_the_package_env(lint_tree):
    files = {
        "prisma/schema.prisma": SCHEMA,
        "prisma/.env": "DATABASE_URL=postgresql://u@db/app?connection_limit=3\n",
        "src/db.ts": CLIENT,
    }
    assert pool_max(lint_tree(files)).value == 3
    files[".env"] = "DATABASE_URL=postgresql://u@db/app?connection_limit=6\n"
    assert pool_max(lint_tree(files)).value == 6


def test_prisma_client_url_override_and_other_providers(lint_tree):
    client = "import { PrismaClient } from '@prisma/client';\nexport const p = new PrismaClient({ datasourceUrl: 'postgresql://u@db/r?connection_limit=2' });\n"
    assert terms(lint_tree({"prisma/schema.prisma": SCHEMA, "db.ts": client})) == [("new PrismaClient(…) in db.ts", 2)]
    mysql = SCHEMA.replace("postgresql", "mysql")
    assert lint_tree({"prisma/schema.prisma": mysql, "db.ts": CLIENT}).budgets[0].terms == ()


def test_prisma_without_a_client_counts_the_datasource_once(lint_tree):
    files = {"prisma/schema.prisma": SCHEMA, ".env": "DATABASE_URL=postgresql://u@db/app?connection_limit=4\n"}
    assert terms(lint_tree(files)) == [("prisma/schema.prisma datasource db (no PrismaClient seen: one client)", 4)]


def test_prisma_driver_adapter_pools_through_node_postgres(lint_tree):
    client = (
        "import { PrismaClient } from './generated/prisma/client';\nimport { PrismaPg } from '@prisma/adapter-pg';\n"
        "export const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });\n"
    )
    [(label, size)] = terms(lint_tree({"prisma/schema.prisma": SCHEMA, "db.ts": client}))
    assert size == 10 and "new PrismaPg(" in label
    client = (
        "import { PrismaClient } from './generated/prisma/client';\nimport { PrismaPg } from '@prisma/adapter-pg';\n"
        "import { Pool } from 'pg';\nconst pool = new Pool({ max: 6, connectionTimeoutMillis: 5000 });\n"
        "export const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });\n"
    )
    assert terms(lint_tree({"prisma/schema.prisma": SCHEMA, "db.ts": client})) == [("new Pool(…) in db.ts", 6)]


def test_nestjs_service_extending_prisma_client_is_one_client(lint_tree):
    service = "import { PrismaClient } from '@prisma/client';\nexport class PrismaService extends PrismaClient {}\n"
    files = {"prisma/schema.prisma": SCHEMA, ".env": "DATABASE_URL=postgresql://u@db/a?connection_limit=7\n"}
    assert terms(lint_tree({**files, "src/prisma.service.ts": service})) == [
        ("class PrismaService extends PrismaClient in src/prisma.service.ts", 7)
    ]


def test_typeorm_and_node_postgres_in_one_package_add_up_under_pm2(lint_tree):
    files = {
        "package.json": PG,
        "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "dist/main.js", instances: 4 }] };',
        "ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 5000}',
        "src/listen.js": 'const { Pool } = require("pg");\nmodule.exports = new Pool({ max: 2 });\n',
    }
    budget = lint_tree(files).budgets[0]
    assert budget.total == 4 * 10 + 4 * 2 and budget.formula == "4 × 10 + 4 × 2 = 48"

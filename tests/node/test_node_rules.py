"""The rules on the Node pools beyond TypeORM: exact messages, edge cases, and bad input that must not crash."""

from __future__ import annotations

import pytest
from conftest import keys

PG = '{"name": "api", "dependencies": {"pg": "^8.13.0"}}'
SCHEMA = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
CLIENT = "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"


def only(result, code: str) -> list:
    return [finding for finding in result.findings if finding.code == code]


# --- PGC204 connect-timeout-missing ------------------------------------------------------------------------------


def test_pg_pool_without_timeout_message_and_help(lint_tree):
    code = 'const { Pool } = require("pg");\nmodule.exports = new Pool({ max: 4 });\n'
    [finding] = only(lint_tree({"package.json": PG, "db.js": code}), "PGC204")
    assert finding.key == ("PGC204", "db.js", 2)
    assert finding.message == (
        "no connect timeout on the pool of new Pool(…) in db.js: connectionTimeoutMillis is not set, so node-postgres'"
        " connectionTimeoutMillis stays 0; when the pool is full or the server unreachable, queries and start-up wait"
        " without an error"
    )
    assert finding.help == "set connectionTimeoutMillis to a few seconds, e.g. 5000"


@pytest.mark.parametrize(
    ("files", "line"),
    [
        (
            {
                "db.ts": "import knex from 'knex';\nexport const db = knex({\n  client: 'pg',\n  acquireConnectionTimeout: 0,\n});\n"
            },
            4,
        ),
        ({"db.ts": "import postgres from 'postgres';\nexport const sql = postgres({\n  connect_timeout: 0,\n});\n"}, 3),
        (
            {
                "prisma/schema.prisma": SCHEMA,
                ".env": "DATABASE_URL=postgresql://u@db/a?connect_timeout=0\n",
                "db.ts": CLIENT,
            },
            None,
        ),
    ],
)
def test_a_timeout_of_zero_is_none_for_every_library(lint_tree, files, line):
    [finding] = only(lint_tree(files), "PGC204")
    assert "which means none" in finding.message
    if line is not None:  # reported at the options, naming where the 0 is
        assert f"the connect timeout is 0 (db.ts:{line})" in finding.message


@pytest.mark.parametrize(
    "files",
    [
        {"db.ts": "import knex from 'knex';\nexport const db = knex({ client: 'pg' });\n"},
        {
            "db.js": "const { Sequelize } = require('sequelize');\nmodule.exports = new Sequelize('postgres://u@db/a');\n"
        },
        {"db.ts": "import postgres from 'postgres';\nexport const sql = postgres('postgres://u@db/a');\n"},
        {"prisma/schema.prisma": SCHEMA, ".env": "DATABASE_URL=postgresql://u@db/a\n", "db.ts": CLIENT},
    ],
)
def test_libraries_whose_default_is_a_timeout_are_not_reported(lint_tree, files):
    assert only(lint_tree(files), "PGC204") == []


# --- PGC207 pool-created-per-call --------------------------------------------------------------------------------


def test_pool_per_call_message(lint_tree):
    code = 'const { Pool } = require("pg");\nexports.count = async () => {\n  const pool = new Pool({ max: 3 });\n};\n'
    [finding] = only(lint_tree({"package.json": PG, "db.js": code}), "PGC207")
    assert finding.key == ("PGC207", "db.js", 3)
    assert finding.message == (
        "new Pool(…) runs inside a function in db.js, so every call creates a new pool of up to 3 connections in"
        " each process of api, which stays open until it is closed or garbage-collected"
    )


def test_per_call_reader_of_a_knexfile_is_reported_at_the_call(lint_tree):
    worker = 'function db() {\n  return require("knex")(require("./knexfile").production);\n}\n'
    files = {"knexfile.js": 'module.exports = { production: { client: "pg" } };', "worker.js": worker}
    assert keys(lint_tree(files, select=frozenset({"PGC207"}))) == [("PGC207", "worker.js", 2)]


def test_a_client_per_call_is_not_reported(lint_tree):
    code = 'const { Client } = require("pg");\nasync function once() {\n  const c = new Client({ connectionTimeoutMillis: 1 });\n}\n'
    assert only(lint_tree({"package.json": PG, "db.js": code}), "PGC207") == []


SINGLETON = """import { PrismaClient } from "@prisma/client";
import { PrismaPg } from "@prisma/adapter-pg";

const prismaClientSingleton = () => {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL, max: 5 }) });
};

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };
export const prisma = globalForPrisma.prisma ?? prismaClientSingleton();
if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;
"""


def test_a_module_private_factory_called_once_at_load_is_not_per_call(lint_tree):
    """Next.js' Prisma singleton: the module runs once per process, and so does its one call of the factory."""
    files = {"package.json": PG, "lib/prisma.ts": SINGLETON}
    assert only(lint_tree(files), "PGC207") == []


@pytest.mark.parametrize(
    "change",
    [
        ("const prismaClientSingleton", "export const prismaClientSingleton"),  # others may call it
        (
            "export const prisma = globalForPrisma.prisma ?? prismaClientSingleton();",
            "export const get = () => prismaClientSingleton();",
        ),
        ("if (process.env", "prismaClientSingleton();\nif (process.env"),  # called twice at load
        (
            "export const prisma = globalForPrisma.prisma ?? prismaClientSingleton();",
            "export const prisma = [1].map(prismaClientSingleton);",
        ),
    ],
    ids=["exported", "called-in-a-function", "called-twice", "passed-on"],
)
def test_a_factory_that_may_run_more_than_once_is_per_call(lint_tree, change):
    files = {"package.json": PG, "lib/prisma.ts": SINGLETON.replace(*change)}
    assert [f.key[1:] for f in only(lint_tree(files), "PGC207")] == [("lib/prisma.ts", 5)]


# --- PGC208 pool-option-ignored ----------------------------------------------------------------------------------


def test_knex_pool_inside_connection_message(lint_tree):
    knexfile = 'module.exports = {\n  client: "pg",\n  connection: { host: "db", pool: { max: 2 } },\n};\n'
    [finding] = only(lint_tree({"knexfile.js": knexfile}), "PGC208")
    assert finding.location.line == 3
    assert finding.message == (
        "`pool` inside `connection` is never read: Knex passes `connection` to node-postgres' Client, which ignores it,"
        " and reads only the top-level `pool`; the pool stays at 10 (Knex default pool.max 10) (knexfile.js)"
    )
    assert finding.help == "move `pool` out of `connection`, beside it"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {
                "package.json": PG,
                "db.js": 'const { Pool } = require("pg");\nnew Pool({ maxConnections: 20, connectionTimeoutMillis: 1 });\n',
            },
            "node-postgres' Pool never reads `maxConnections`: did you mean `max`?",
        ),
        (
            {
                "db.js": "const { Sequelize } = require('sequelize');\nnew Sequelize('postgres://u@db/a', { pool: { acquireTimeoutMillis: 5000 } });\n"
            },
            "Sequelize never reads `pool.acquireTimeoutMillis`: did you mean `pool.acquire`?",
        ),
        (
            {"db.ts": "import knex from 'knex';\nknex({ client: 'pg', pool: { maxx: 4 } });\n"},
            "Knex's pool (tarn.js) never reads `pool.maxx`: did you mean `pool.max`?",
        ),
        (
            {
                "prisma/schema.prisma": SCHEMA,
                ".env": "DATABASE_URL=postgresql://u@db/a?connectionLimit=5\n",
                "db.ts": CLIENT,
            },
            "Prisma does not know the URL parameter `connectionLimit` and discards it; did you mean `connection_limit`?",
        ),
    ],
)
def test_misspelled_pool_keys_say_what_was_meant(lint_tree, files, expected):
    [finding] = only(lint_tree(files), "PGC208")
    assert finding.message.startswith(expected)


def test_a_key_that_is_a_real_option_or_far_from_any_is_left_alone(lint_tree):
    code = 'const { Pool } = require("pg");\nnew Pool({ application_name: "api", customFlag: 1, connectionTimeoutMillis: 1 });\n'
    assert only(lint_tree({"package.json": PG, "db.js": code}), "PGC208") == []


# --- PGC301 for pools, PGC110, PGC101 --------------------------------------------------------------------------------


def test_prisma_default_connection_limit_is_cpu_dependent_message(lint_tree):
    files = {"prisma/schema.prisma": SCHEMA, ".env": "DATABASE_URL=postgresql://u@db/a\n", "src/db.ts": CLIENT}
    [finding] = only(lint_tree(files, cpus=16), "PGC301")
    assert finding.key == ("PGC301", ".env", 1)
    assert finding.message == (
        "the pool of new PrismaClient(…) in src/db.ts in the repository root package is sized by the CPUs: Prisma"
        " default connection_limit = 2 × 16 CPUs (given) + 1; the URL (DATABASE_URL from .env:1) sets none = 33"
        " connections per process (16 CPUs: as configured); its connections grow with the host"
    )
    assert finding.data == {"cpus": 16, "pool_max": 33}


def test_prisma_url_from_an_unset_variable_is_unknown_at_the_schema(lint_tree):
    result = lint_tree({"prisma/schema.prisma": SCHEMA, "src/db.ts": CLIENT})
    assert keys(result) == [("PGC110", "prisma/schema.prisma", 3)]
    assert "DATABASE_URL is not set in the repository" in result.findings[0].message


def test_many_prisma_processes_exceed_the_server(lint_tree):
    files = {
        "prisma/schema.prisma": SCHEMA,
        "src/db.ts": CLIENT,
        "ecosystem.config.js": (
            'module.exports = { apps: [{ name: "shop", script: "dist/main.js", instances: 12,\n'
            '  env: { DATABASE_URL: "postgresql://u@db/a?connection_limit=9" } }] };\n'
        ),
    }
    [finding] = only(lint_tree(files), "PGC101")
    assert finding.data["total"] == 108 and finding.data["usable"] == 97
    assert "shop: 12 processes [ecosystem.config.js:1] × pool 9 [connection_limit=9 in the URL" in finding.notes[2]


# --- bad input: a finding with a location, never a traceback ------------------------------------------------------


def test_unparseable_schema_is_pgc001_with_its_line(lint_tree):
    broken = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL"\n'
    result = lint_tree({"prisma/schema.prisma": broken, "src/db.ts": CLIENT})
    [problem] = only(result, "PGC001")
    assert problem.key == ("PGC001", "prisma/schema.prisma", 3)
    assert 'cannot read the value `env("DATABASE_URL"`' in problem.message


def test_knexfile_that_computes_its_config_is_pgc110_at_the_export(lint_tree):
    knexfile = 'const { buildConfig } = require("./config");\n\nmodule.exports = buildConfig(process.env.NODE_ENV);\n'
    worker = 'const knex = require("knex")(require("./knexfile"));\n'
    result = lint_tree({"knexfile.js": knexfile, "worker.js": worker})
    [finding] = only(result, "PGC110")
    assert finding.key == ("PGC110", "knexfile.js", 3)
    assert "knexfile.js computes its configuration (`buildConfig(process.env.NODE_ENV)`)" in finding.message


@pytest.mark.parametrize(
    "files",
    [
        {"knexfile.js": "module.exports = { production: { client: 'pg', pool: { max: "},
        {"knexfile.ts": "export default"},
        {"config/config.json": '{"production": {"dialect": "postgres", "pool": '},
        {"schema.prisma": "datasource db {\n  url = env(\n}\n"},
        pytest.param(
            {"db.js": "const { Pool } = require('pg');\nnew Pool({ max: ...[], ...x, [k]: 1 }).on(;\n"},
            marks=pytest.mark.xfail(strict=True, reason="a syntax error the Node reader does not report yet"),
        ),
        {"db.ts": "import postgres from 'postgres';\npostgres(1, 2, 3)(\n"},
        {"db.js": "const { Sequelize } = require('sequelize');\nnew Sequelize(...args);\n"},
    ],
)
def test_broken_node_inputs_never_raise(lint_tree, files):
    result = lint_tree(files)
    # what a user sees: the broken file is reported (unreadable, or a value it cannot follow), never passed silently
    [path] = files
    assert {f.code for f in result.findings if f.location.path == path} & {"PGC001", "PGC110"}


def test_pg_boss_is_one_more_node_postgres_pool(lint_tree):
    code = """const PgBoss = require("pg-boss");

const boss = new PgBoss({ connectionString: process.env.DATABASE_URL, max: 3, connectionTimeoutMillis: 5000 });
const plain = new PgBoss("postgres://jobs@db/jobs");
module.exports = { boss, plain };
"""
    pm2 = 'module.exports = { apps: [{ name: "jobs", script: "src/jobs.js", instances: 2 }] };\n'
    files = {
        "src/jobs.js": code,
        "ecosystem.config.js": pm2,
        "package.json": '{"dependencies": {"pg-boss": "^10.1.0"}}',
    }
    [budget] = lint_tree(files).budgets
    assert [(t.processes, t.pool_max) for t in budget.terms] == [(2, 3), (2, 10)]  # max 3; the default 10


def test_a_prisma_service_registered_in_two_modules_is_two_clients(lint_tree):
    service = """import { Injectable, OnModuleInit } from "@nestjs/common";
import { PrismaClient } from "@prisma/client";

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit {
  async onModuleInit() { await this.$connect(); }
}
"""
    orders = 'import { Module } from "@nestjs/common";\n@Module({ providers: [OrdersService, PrismaService] })\nexport class OrdersModule {}\n'
    users = 'import { Module } from "@nestjs/common";\n@Module({ providers: [UsersService, PrismaService] })\nexport class UsersModule {}\n'
    schema = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
    files = {
        "src/prisma.service.ts": service,
        "src/orders.module.ts": orders,
        "src/users.module.ts": users,
        "prisma/schema.prisma": schema,
        ".env": 'DATABASE_URL="postgresql://a@db/a?connection_limit=4"\n',
        "package.json": '{"dependencies": {"@prisma/client": "^5.22.0"}}',
    }
    [budget] = lint_tree(files).budgets
    assert [t.pool_max for t in budget.terms] == [4, 4]
    assert budget.terms[0].pool.label.endswith("(instance 1 of 2: a provider of the module at src/orders.module.ts:2)")
    assert budget.terms[1].pool.label.endswith("(instance 2 of 2: a provider of the module at src/users.module.ts:2)")


def test_typeorm_extra_with_a_mysql_key_is_ignored_by_pg(lint_tree):
    orm = '{\n  "type": "postgres",\n  "connectTimeoutMS": 5000,\n  "extra": { "connectionLimit": 5 }\n}\n'
    result = lint_tree({"ormconfig.json": orm}, select=frozenset({"PGC208"}))
    [finding] = result.findings
    assert (
        finding.location.line == 4
        and "never reads `extra.connectionLimit`: did you mean `extra.max`?" in finding.message
    )

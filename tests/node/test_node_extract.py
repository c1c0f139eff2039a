"""Extraction of the Node pools beyond TypeORM: which calls and files become facts, with which options and where."""

from __future__ import annotations

import pytest

from pgconnlint.expr import EnvVar, Lit, Opaque
from pgconnlint.extract import node_pools, prisma
from pgconnlint.model import Location, NodePool


def pools(path: str, text: str) -> list[NodePool]:
    found, problems = node_pools.extract_code(path, text)
    assert problems == []
    return [
        fact for fact in found if isinstance(fact, NodePool) and fact.library not in ("nest-owner", "nest-provider")
    ]


def summary(path: str, text: str) -> list[tuple]:
    return [(p.library, p.location.line, p.per_call, p.uses_config_file) for p in pools(path, text)]


@pytest.mark.parametrize(
    "imports",
    [
        'const { Pool } = require("pg");\nconst pool = new Pool({ max: 4 });',
        "import { Pool } from 'pg';\nconst pool = new Pool({ max: 4 });",
        "import { Pool as PgPool } from 'pg';\nconst pool = new PgPool({ max: 4 });",
        "import pg from 'pg';\nconst pool = new pg.Pool({ max: 4 });",
        "import * as pg from 'pg';\nconst pool = new pg.Pool({ max: 4 });",
        'const pg = require("pg");\nconst pool = new pg.Pool({ max: 4 });',
        'const Pool = require("pg-pool");\nconst pool = new Pool({ max: 4 });',
    ],
)
def test_node_postgres_pool_is_recognised_through_its_import(imports):
    [fact] = pools("db.js", imports)
    assert (fact.library, fact.location.line, list(fact.options.entries)) == ("pg", 2, ["max"])


def test_a_pool_of_another_library_is_not_a_node_postgres_pool():
    text = "import { Pool } from 'generic-pool';\nimport pg from 'pg';\nconst pool = new Pool({ max: 4 });"
    assert pools("db.js", text) == []


def test_client_is_one_connection_fact():
    text = 'const { Client } = require("pg");\nconst client = new Client({ connectionString: process.env.DB });'
    assert summary("a.js", text) == [("pg-client", 2, False, False)]


def test_knex_creation_counts_and_queries_on_an_instance_do_not():
    text = (
        "import knex from 'knex';\n"
        "export const db = knex({ client: 'pg', pool: { max: 4 } });\n"
        "export const rows = () => db('users').select();\n"
    )
    [fact] = pools("db.ts", text)
    assert (fact.library, fact.location.line, fact.source) == ("knex", 2, "knex(…)")


def test_knex_required_and_called_reads_its_configuration_elsewhere():
    text = 'const knex = require("knex")(require("./knexfile")[process.env.NODE_ENV]);\nknex("users").select();\n'
    [fact] = pools("worker.js", text)
    assert fact.uses_config_file and fact.options.opaque_spreads == ('require("./knexfile")[process.env.NODE_ENV]',)


def test_postgres_js_url_and_options():
    text = "import postgres from 'postgres';\nconst sql = postgres(process.env.DATABASE_URL, { max: 5 });\nsql`select 1`;\n"
    [fact] = pools("db.ts", text)
    assert (fact.library, list(fact.options.entries)) == ("postgres.js", ["max"])
    assert isinstance(fact.url, EnvVar) and fact.url.name == "DATABASE_URL"


@pytest.mark.parametrize(
    ("call", "url", "keys", "elsewhere"),
    [
        ("new Sequelize({ dialect: 'postgres', pool: { max: 3 } })", None, ["dialect", "pool"], False),
        ("new Sequelize(process.env.DATABASE_URL, { pool: { max: 3 } })", "DATABASE_URL", ["pool"], False),
        ("new Sequelize('postgres://a@b/c')", "postgres://a@b/c", [], False),
        ("new Sequelize('db', 'user', 'pw', { dialect: 'postgres' })", None, ["dialect"], False),
        ("new Sequelize(config.database, config.username, config.password, config)", None, [], True),
    ],
)
def test_sequelize_constructor_forms(call, url, keys, elsewhere):
    [fact] = pools("db.js", f"const {{ Sequelize }} = require('sequelize');\nconst s = {call};\n")
    assert list(fact.options.entries) == keys and fact.uses_config_file is elsewhere
    shown = fact.url.name if isinstance(fact.url, EnvVar) else getattr(fact.url, "value", None)
    assert shown == url


@pytest.mark.parametrize(
    ("body", "per_call"),
    [
        ("const pool = new Pool();", False),
        ("function handler() { const pool = new Pool(); }", True),
        ("const handler = async () => { const pool = new Pool(); };", True),
        ("class Repo { find() { const pool = new Pool(); } }", True),
        ("class Repo { constructor() { this.pool = new Pool(); } }", False),
        ("class Repo { pool = new Pool(); }", False),
        ("let pool;\nfunction get() { if (!pool) pool = new Pool(); return pool; }", False),
        ("function get() { globalThis.pool ??= new Pool(); return globalThis.pool; }", False),
        ("async function main() { const pool = new Pool(); }", False),
        ("const providers = [{ provide: 'PG', useFactory: () => new Pool() }];", False),
    ],
)
def test_per_call_is_a_function_that_runs_more_than_once_and_keeps_nothing(body, per_call):
    [fact] = pools("db.js", f'const {{ Pool }} = require("pg");\n{body}\n')
    assert fact.per_call is per_call


def test_prisma_clients_new_class_and_adapters():
    text = (
        "import { PrismaClient } from '@prisma/client';\n"
        "import { PrismaPg } from '@prisma/adapter-pg';\n"
        "export const a = new PrismaClient({ datasourceUrl: process.env.REPORTS_URL });\n"
        "export class PrismaService extends PrismaClient {}\n"
        "export const b = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.URL, max: 4 }) });\n"
        "export const c = new PrismaClient({ adapter: new PrismaPg(pool) });\n"
    )
    found = pools("db.ts", text)
    assert [(p.library, p.location.line) for p in found] == [("prisma", 3), ("prisma", 4), ("prisma", 5), ("prisma", 6)]
    assert found[1].source == "class PrismaService extends PrismaClient"
    assert list(found[2].options.get("adapter").entries) == ["connectionString", "max"]
    assert isinstance(found[3].options.get("adapter"), Opaque)


def test_typeorm_and_other_pools_in_one_file_are_both_read():
    text = (
        "import { DataSource } from 'typeorm';\nimport { Pool } from 'pg';\n"
        "export const ds = new DataSource({ type: 'postgres' });\nexport const pool = new Pool();\n"
    )
    found, _ = node_pools.extract_code("db.ts", text)
    assert [type(fact).__name__ for fact in found] == ["TypeOrmConfig", "NodePool"]


def test_methods_and_other_libraries_named_createconnection_are_not_typeorm():
    """`super.createConnection({ ...options })` in an https.Agent subclass once became two TypeORM connections of
    unknown type (PGC110, and a budget marked incomplete); net's and mysql2's `createConnection` are not TypeORM's."""
    agent = (
        "import https from 'https';\nexport class FilteringAgent extends https.Agent {\n"
        "  createConnection(options, callback) {\n    return super.createConnection({ ...options }, callback);\n  }\n}\n"
        "const socket = net.createConnection({ port: 5432 });\n"
    )
    found, _ = node_pools.extract_code("agent.ts", agent)
    assert found == []
    typeorm = "import { createConnection } from 'typeorm';\ncreateConnection({ type: 'postgres' });\n"
    assert [type(fact).__name__ for fact in node_pools.extract_code("db.ts", typeorm)[0]] == ["TypeOrmConfig"]


def test_knexfile_sections_and_computed_export():
    [fact], problems = node_pools.extract_knexfile("knexfile.js", "module.exports = { production: { client: 'pg' } };")
    assert (fact.config_file, list(fact.options.entries), fact.computed, problems) == (True, ["production"], None, [])
    [fact], _ = node_pools.extract_knexfile("knexfile.ts", "const config = { client: 'pg' };\nexport default config;\n")
    assert list(fact.options.entries) == ["client"]
    [fact], _ = node_pools.extract_knexfile(
        "knexfile.js", "const { build } = require('./db');\nmodule.exports = build();\n"
    )
    assert fact.computed == "build()" and fact.location == Location("knexfile.js", 2, 18, 2, 25)


def test_sequelize_config_counts_only_when_it_names_a_dialect():
    found, _ = node_pools.extract_sequelize_config("config/config.json", '{"production": {"dialect": "postgres"}}')
    assert [(f.library, f.config_file) for f in found] == [("sequelize", True)]
    assert node_pools.extract_sequelize_config("config/config.json", '{"port": 3000}') == ([], [])


SCHEMA = """// generator and datasource; a brace in a comment { does not count
generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider  = "postgresql" // the provider
  url       = env("DATABASE_URL")
  directUrl = "postgresql://u@h/d?x=\\"y\\""
}

model User {
  id   Int    @id @default(autoincrement())
  bio  String @default("{ not a block")
}
"""


def test_prisma_datasource_values_and_locations():
    [fact], problems = prisma.extract("prisma/schema.prisma", SCHEMA)
    assert problems == [] and fact.library == "prisma" and fact.source == "prisma/schema.prisma datasource db"
    options = fact.options
    assert options.location == Location("prisma/schema.prisma", 6, 1)
    assert isinstance(options.get("provider"), Lit) and options.get("provider").value == "postgresql"
    assert isinstance(options.get("url"), EnvVar) and options.get("url").name == "DATABASE_URL"
    assert options.get("url").location == Location("prisma/schema.prisma", 8, 15)
    assert options.get("directUrl").value == 'postgresql://u@h/d?x="y"'


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('datasource db {\n  provider = "postgresql"\n', 1, "`datasource db {` is never closed"),
        ("model A {\n  id Int @id\n}\n}\n", 4, "expected a block"),
        ('datasource db {\n  provider = "postgresql\n}\n', 2, "a string is not closed on its line"),
        ("datasource db {\n  provider: postgresql\n}\n", 2, "expected `key = value`"),
    ],
)
def test_unreadable_schema_is_a_problem_with_its_line(text, line, message):
    found, [problem] = prisma.extract("schema.prisma", text)
    assert found == [] and problem.location.line == line and message in problem.message


def test_a_second_datasource_is_reported_and_the_first_one_counts():
    text = 'datasource a {\n  provider = "postgresql"\n}\ndatasource b {\n  provider = "mysql"\n}\n'
    [fact], [problem] = prisma.extract("schema.prisma", text)
    assert fact.options.text == "a" and problem.location.line == 4


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("knexfile.js", "knexfile"),
        ("services/billing/knexfile.ts", "knexfile"),
        ("config/config.json", "sequelize-config"),
        ("api/config/config.json", "sequelize-config"),
        ("prisma/schema.prisma", "prisma-schema"),
        ("src/db.ts", "typeorm-code"),
    ],
)
def test_classify_node_configuration_files(path, kind):
    from pgconnlint.discover import classify

    assert classify(path) == kind


def test_discovery_reads_code_that_imports_a_pool_library_and_skips_the_rest(tmp_path):
    from conftest import write_tree

    from pgconnlint.discover import discover

    root = write_tree(
        tmp_path,
        {
            "a.js": 'const { Pool } = require("pg");\n',
            "b.ts": "import postgres from 'postgres';\n",
            "c.ts": "export const add = (a: number, b: number) => a + b;\n",
            "config/config.json": '{"port": 3000}',
            "api/config/config.json": '{"production": {"dialect": "postgres"}}',
        },
    )
    assert [c.path for c in discover(root)] == ["a.js", "api/config/config.json", "b.ts"]

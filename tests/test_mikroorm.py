"""MikroORM (issue 17): `MikroORM.init({...})`, `defineConfig({...})` in mikro-orm.config.ts, NestJS
`MikroOrmModule.forRoot({...})`. Up to MikroORM 6 its `pool` is Knex's (default max 10, acquire timeout 60 s;
packages/knex/src/AbstractSqlConnection.ts 6.6.16); from 7 `pool.max` is node-postgres' (default 10, no connect
timeout; packages/postgresql/src/PostgreSqlConnection.ts 7.1.13). The version is read from package.json."""

from __future__ import annotations

import json

import pytest

from tests.conftest import keys


def package(version: str | None = "^6.4.0", core: bool = False) -> str:
    dependencies = {"@mikro-orm/core": version or "latest"}
    if not core:
        dependencies["@mikro-orm/postgresql"] = version or "latest"
    return json.dumps({"name": "api", "main": "dist/index.js", "dependencies": dependencies}) + "\n"


INIT = 'import {{ MikroORM }} from "@mikro-orm/postgresql";\nexport const orm = await MikroORM.init({{ {options} }});\n'


def only_term(result):
    [budget] = result.budgets
    [term] = budget.terms
    return term


@pytest.mark.parametrize(
    ("version", "options", "expected", "why"),
    [
        (
            "^6.4.0",
            "clientUrl: process.env.DATABASE_URL, entities: []",
            10,
            "MikroORM 6: pool → Knex default pool.max 10",
        ),
        ("^6.4.0", "entities: [], pool: { min: 2, max: 20 }", 20, None),
        ("^6.4.0", "pool: { max: 20 }, driverOptions: { pool: { max: 4 } }", 4, None),  # merged over `pool`
        ("^7.1.0", "dbName: 'app', entities: []", 10, "MikroORM 7 pool → node-postgres default max 10"),
        ("^7.1.0", "dbName: 'app', pool: { max: 15 }", 15, None),
        ("^7.1.0", "pool: { max: 15 }, driverOptions: { max: 3 }", 3, None),
        (None, "dbName: 'app'", 10, "MikroORM (version not read from package.json"),
    ],
    ids=["v6-default", "v6-pool", "v6-driver-options", "v7-default", "v7-pool", "v7-driver-options", "unknown-version"],
)
def test_mikro_orm_init_counts_its_pool(lint_tree, version, options, expected, why):
    result = lint_tree({"package.json": package(version), "src/index.ts": INIT.format(options=options)})
    term = only_term(result)
    assert term.pool_max == expected
    if why is not None:
        assert term.pool.max.why.startswith(why)


@pytest.mark.parametrize(
    ("version", "timeout_ms", "pgc204"),
    [("^6.4.0", 60_000, False), ("^7.1.0", 0, True)],
    ids=["v6-knex-acquire-timeout", "v7-no-connect-timeout"],
)
def test_the_connect_timeout_follows_the_version(lint_tree, version, timeout_ms, pgc204):
    result = lint_tree({"package.json": package(version), "src/index.ts": INIT.format(options="dbName: 'app'")})
    [connection] = result.project.groups[0].connections
    assert connection.connect_timeout_ms.value == timeout_ms
    assert any(code == "PGC204" for code, _, _ in keys(result)) is pgc204


def test_define_config_and_init_without_options_count_once(lint_tree):
    files = {
        "package.json": package("^6.4.0"),
        "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "dist/index.js", instances: 4,'
        ' exec_mode: "cluster" }] };\n',
        "mikro-orm.config.ts": 'import { defineConfig } from "@mikro-orm/postgresql";\n'
        "export default defineConfig({\n  clientUrl: process.env.DATABASE_URL,\n  pool: { min: 0, max: 8 },\n});\n",
        "src/index.ts": 'import { MikroORM } from "@mikro-orm/postgresql";\nexport const orm = await MikroORM.init();\n',
    }
    result = lint_tree(files)
    term = only_term(result)
    assert (term.processes, term.pool_max) == (4, 8)
    assert result.budgets[0].total == 32


def test_a_plain_config_file_from_core_names_its_driver(lint_tree):
    config = (
        'import {{ Options }} from "@mikro-orm/core";\nimport {{ {driver} }} from "@mikro-orm/{module}";\n'
        "const config: Options = {{ driver: {driver}, dbName: 'app', pool: {{ max: 6 }} }};\nexport default config;\n"
    )
    postgres = config.format(driver="PostgreSqlDriver", module="postgresql")
    mysql = config.format(driver="MySqlDriver", module="mysql")
    assert (
        only_term(lint_tree({"package.json": package("^6.0.0", core=True), "mikro-orm.config.ts": postgres})).pool_max
        == 6
    )
    assert not lint_tree({"package.json": package("^6.0.0", core=True), "mikro-orm.config.ts": mysql}).budgets[0].terms


def test_nestjs_for_root(lint_tree):
    module = (
        'import { Module } from "@nestjs/common";\nimport { MikroOrmModule } from "@mikro-orm/nestjs";\n'
        'import { PostgreSqlDriver } from "@mikro-orm/postgresql";\n'
        "@Module({ imports: [MikroOrmModule.forRoot({ driver: PostgreSqlDriver, dbName: 'app', pool: { max: 5 } })] })\n"
        "export class AppModule {}\n"
    )
    assert only_term(lint_tree({"package.json": package("^6.4.0"), "src/app.module.ts": module})).pool_max == 5


def test_the_guides_cached_init_reads_the_config_file_once(lint_tree):
    """MikroORM's guide: `initORM()` caches the ORM and spreads the config file's options into `MikroORM.init`."""
    files = {
        "package.json": package("^6.4.0"),
        "src/mikro-orm.config.ts": 'import { defineConfig } from "@mikro-orm/postgresql";\n'
        "export default defineConfig({ dbName: 'app', pool: { max: 6 } });\n",
        "src/db.ts": 'import { MikroORM, Options } from "@mikro-orm/postgresql";\n'
        'import config from "./mikro-orm.config.js";\n\nlet cache: { orm: MikroORM } | undefined;\n\n'
        "export async function initORM(options?: Options) {\n  if (cache) {\n    return cache;\n  }\n"
        "  const orm = await MikroORM.init({ ...config, ...options });\n  return (cache = { orm });\n}\n",
    }
    result = lint_tree(files)
    term = only_term(result)
    assert (term.pool_max, term.pool.max.location.path) == (6, "src/mikro-orm.config.ts")
    assert keys(result) == []  # neither PGC110 (unknown) nor PGC207 (a pool per call)

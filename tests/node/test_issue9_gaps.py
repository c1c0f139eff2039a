"""Issue 9, the last gaps: which Prisma schema a package's client comes from (package.json `prisma.schema`,
prisma.config.ts, the default locations), sequelize-cli's `.sequelizerc`, and NestJS providers that open a pool in
each module that lists them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, TEST_CPUS, write_tree

from pgconnlint.discover import discover
from pgconnlint.extract import node_pools, prisma
from pgconnlint.link import link
from pgconnlint.linked import LinkSettings
from pgconnlint.lint import LintOptions, extract_all, lint
from pgconnlint.model import Unknown

SCHEMA = 'datasource db {{\n  provider = "postgresql"\n  url      = env("{variable}")\n}}\n'
CLIENT = 'import { PrismaClient } from "@prisma/client";\nexport const prisma = new PrismaClient();\n'
PRISMA_5 = '"dependencies": {"@prisma/client": "^5.22.0"}, "devDependencies": {"prisma": "^5.22.0"}'


def run(name: str, **options):
    options.setdefault("cpus", TEST_CPUS)
    return lint(FIXTURES / name, LintOptions(**options))


def keys(result) -> list[tuple[str, str, int]]:
    return [finding.key for finding in result.findings]


def linked_groups(root: Path, environment: str = "production"):
    """The process groups of a tree, through discovery, extraction and linking."""
    facts = extract_all(root, discover(root))
    return link(facts, LinkSettings(environment=environment, cpus=TEST_CPUS, cpus_given=True)).groups


# --- Prisma: the schema the client is generated from ---------------------------------------------------------------


def test_the_schema_package_json_names_is_the_apps_not_the_default_location():
    result = run("prisma-schema-key")
    [budget] = result.budgets
    [term] = budget.terms
    # 4 pm2 instances × connection_limit=6 of src/database/schema.prisma; prisma/schema.prisma (30) is not the app's
    assert (term.processes, term.pool_max, budget.total) == (4, 6, 24)
    assert term.pool.location.path == "src/database/schema.prisma"
    # the URL's variable is set only in the .env beside the named schema, which Prisma loads
    assert term.pool.max.via == "connection_limit=6 in the URL (BILLING_DATABASE_URL from src/database/.env:2)"
    assert keys(result) == [("PGC403", ".env", 1)]  # a committed .env with a password in its URL (issue 16)


def test_a_key_naming_a_folder_of_schema_files_reads_the_datasource_in_that_folder(lint_tree):
    files = {
        "package.json": '{"name": "api", "prisma": {"schema": "db/schema"}, ' + PRISMA_5 + "}",
        "db/schema/main.prisma": 'generator client {\n  provider        = "prisma-client-js"\n'
        '  previewFeatures = ["prismaSchemaFolder"]\n}\n\n' + SCHEMA.format(variable="APP_URL"),
        "db/schema/orders.prisma": "model Order {\n  id Int @id\n}\n",
        "prisma/schema.prisma": SCHEMA.format(variable="OLD_URL"),
        ".env": "APP_URL=postgresql://a@db/a?connection_limit=3\nOLD_URL=postgresql://a@db/a?connection_limit=50\n",
        "src/db.ts": CLIENT,
    }
    [term] = lint_tree(files).budgets[0].terms
    assert (term.pool_max, term.pool.location.path) == (3, "db/schema/main.prisma")


def test_without_a_key_schema_prisma_at_the_package_root_comes_before_prisma_schema_prisma(lint_tree):
    files = {
        "package.json": '{"name": "api", ' + PRISMA_5 + "}",
        "schema.prisma": SCHEMA.format(variable="APP_URL"),
        "prisma/schema.prisma": SCHEMA.format(variable="OLD_URL"),
        ".env": "APP_URL=postgresql://a@db/a?connection_limit=3\nOLD_URL=postgresql://a@db/a?connection_limit=50\n",
        "src/db.ts": CLIENT,
    }
    [term] = lint_tree(files).budgets[0].terms
    assert (term.pool_max, term.pool.location.path) == (3, "schema.prisma")


def test_a_key_naming_a_schema_that_is_not_there_is_unknown_and_says_so(lint_tree):
    files = {
        "package.json": '{\n  "name": "api",\n  "prisma": {\n    "schema": "../shared/schema.prisma"\n  },\n  '
        + PRISMA_5
        + "\n}\n",
        "prisma/schema.prisma": SCHEMA.format(variable="OLD_URL"),
        ".env": "OLD_URL=postgresql://a@db/a?connection_limit=50\n",
        "src/db.ts": CLIENT,
    }
    [connection] = lint_tree(files).project.groups[0].connections
    [pool] = connection.pools
    assert isinstance(pool.max, Unknown)
    assert pool.max.location.short == "package.json:4"
    assert 'names the schema as `"../shared/schema.prisma"`, a path pgconnlint cannot follow' in pool.max.reason


def test_prisma_7_reads_no_package_json_key():
    files = prisma.extract_package_key(
        "package.json", '{"prisma": {"schema": "db/schema.prisma"}, "dependencies": {"@prisma/client": "^7.0.1"}}'
    )
    [project] = files
    assert project.library == "prisma-project" and "schema" not in project.options.entries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'import { defineConfig } from "prisma/config";\nexport default defineConfig({ schema: "db/app.prisma" });\n',
            "api/db/app.prisma",
        ),
        (
            'import path from "node:path";\nimport type { PrismaConfig } from "prisma";\n\n'
            'export default {\n  schema: path.join("prisma", "schema"),\n} satisfies PrismaConfig;\n',
            "api/prisma/schema",
        ),
        (
            'import path from "node:path";\nimport { defineConfig } from "prisma/config";\n'
            'export default defineConfig({ schema: path.join(__dirname, "src", "db", "schema.prisma") });\n',
            "api/src/db/schema.prisma",
        ),
    ],
)
def test_prisma_config_ts_schema_is_read_without_running_it(text, expected):
    [config], problems = prisma.extract_config("api/prisma.config.ts", text)
    assert problems == [] and config.library == "prisma-config"
    assert config.options.entries["schema"].value == expected


def test_prisma_config_ts_schema_computed_from_the_environment_is_unknown():
    text = (
        'import { defineConfig } from "prisma/config";\nexport default defineConfig({ schema: process.env.SCHEMA });\n'
    )
    [config], _ = prisma.extract_config("prisma.config.ts", text)
    assert config.options.entries["schema"].text == "process.env.SCHEMA"
    assert not hasattr(config.options.entries["schema"], "value")


PRISMA_CONFIG_TREE = {
    "package.json": '{"name": "api", "prisma": {"schema": "prisma/schema.prisma"}, ' + PRISMA_5 + "}",
    "prisma.config.ts": 'import path from "node:path";\nimport { defineConfig } from "prisma/config";\n\n'
    'export default defineConfig({\n  schema: path.join("src", "db", "schema.prisma"),\n});\n',
    "src/db/schema.prisma": SCHEMA.format(variable="APP_URL"),
    "prisma/schema.prisma": SCHEMA.format(variable="OLD_URL"),
    ".env": "APP_URL=postgresql://a@db/a?connection_limit=3\nOLD_URL=postgresql://a@db/a?connection_limit=50\n",
    "src/db.ts": CLIENT,
}


def test_prisma_config_ts_wins_over_the_package_json_key(tmp_path):
    root = write_tree(tmp_path, PRISMA_CONFIG_TREE)
    [group] = linked_groups(root)
    [pool] = group.connections[0].pools
    assert (pool.max.value, pool.location.path) == (3, "src/db/schema.prisma")


def test_prisma_config_ts_is_discovered(lint_tree):
    [group] = lint_tree(PRISMA_CONFIG_TREE).project.groups
    [pool] = group.connections[0].pools
    assert (pool.max.value, pool.location.path) == (3, "src/db/schema.prisma")


# --- sequelize-cli: .sequelizerc names the configuration file -------------------------------------------------------


def test_sequelizerc_config_is_read_statically():
    text = (FIXTURES / "sequelize-rc" / ".sequelizerc").read_text()
    [rc], problems = node_pools.extract_sequelizerc(".sequelizerc", text)
    assert problems == [] and rc.library == "sequelizerc"
    config = rc.options.entries["config"]
    assert (config.value, config.location.short) == ("config/database.json", ".sequelizerc:5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "const path = require('path');\nmodule.exports = { config: path.join(__dirname, 'db', 'config.js') };\n",
            "api/db/config.js",
        ),
        ("module.exports = {\n  'config': './settings/sequelize.json',\n};\n", "api/settings/sequelize.json"),
        (
            "const { resolve } = require('path');\nconst path = require('node:path');\n"
            "const settings = { config: path.resolve(__dirname, 'src/config/database.js') };\nmodule.exports = settings;\n",
            "api/src/config/database.js",
        ),
    ],
)
def test_sequelizerc_path_forms(text, expected):
    [rc], _ = node_pools.extract_sequelizerc("api/.sequelizerc", text)
    assert rc.options.entries["config"].value == expected


def test_sequelizerc_without_config_names_nothing_and_a_computed_one_is_kept_as_written():
    assert (
        node_pools.extract_sequelizerc(".sequelizerc", "module.exports = { 'models-path': 'src/models' };\n")[0] == []
    )
    text = "const path = require('path');\nmodule.exports = { config: path.resolve(process.env.DB_CONFIG) };\n"
    [rc], _ = node_pools.extract_sequelizerc(".sequelizerc", text)
    assert rc.options.entries["config"].text == "path.resolve(process.env.DB_CONFIG)"
    assert node_pools.named_sequelize_configs([rc]) == []


@pytest.fixture
def rc_wiring(monkeypatch):
    """The lead's wiring, as the report proposes it: a file kind for `.sequelizerc` and its extractor. The named
    configuration file is then passed as a `sequelize-config` candidate, as `_read_named_sequelize_configs` would."""
    from pgconnlint import lint as pipeline

    extractor = pipeline._text_extractor(pipeline._lazy("node_pools", "extract_sequelizerc"))
    monkeypatch.setitem(pipeline._EXTRACTORS, "sequelizerc", extractor)


def test_sequelizerc_config_replaces_config_config_json(rc_wiring):
    root = FIXTURES / "sequelize-rc"
    [group] = linked_groups(root)
    [connection] = group.connections
    [pool] = connection.pools
    # production section of config/database.json (pool.max 12), not config/config.json's 40
    assert (group.processes.value, pool.max.value) == (4, 12)
    assert pool.label == "new Sequelize(…) in src/models/index.js with config/database.json (production)"
    assert connection.connect_timeout_ms.value == 20000


def test_sequelizerc_naming_a_js_config(rc_wiring, tmp_path):
    files = {
        "package.json": '{"name": "api", "dependencies": {"pg": "^8.13.1", "sequelize": "^6.37.5"}}',
        ".sequelizerc": "const path = require('path');\n"
        "module.exports = { config: path.resolve(__dirname, 'src', 'config', 'database.js') };\n",
        "src/config/database.js": "module.exports = {\n  development: { dialect: 'postgres', pool: { max: 7 } },\n"
        "  production: { dialect: 'postgres', use_env_variable: 'DATABASE_URL', pool: { max: 9 } },\n};\n",
        "src/models/index.js": (FIXTURES / "sequelize-rc" / "src" / "models" / "index.js").read_text(),
    }
    root = write_tree(tmp_path, files)
    [group] = linked_groups(root, environment="development")
    assert group.connections[0].pools[0].max.value == 7


def test_sequelizerc_naming_a_file_that_is_not_there_is_unknown(rc_wiring, tmp_path):
    files = {
        "package.json": '{"name": "api", "dependencies": {"pg": "^8.13.1", "sequelize": "^6.37.5"}}',
        ".sequelizerc": "const path = require('path');\nmodule.exports = { config: path.resolve('config', 'db.json') };\n",
        "config/config.json": (FIXTURES / "sequelize-rc" / "config" / "config.json").read_text(),
        "src/models/index.js": (FIXTURES / "sequelize-rc" / "src" / "models" / "index.js").read_text(),
    }
    root = write_tree(tmp_path, files)
    [group] = linked_groups(root)
    [pool] = group.connections[0].pools  # not config/config.json's pool.max 40
    assert isinstance(pool.max, Unknown)
    assert pool.max.reason == (
        ".sequelizerc config names config/db.json, which pgconnlint did not read as a Sequelize configuration"
    )


def test_sequelize_rc_fixture_end_to_end():
    result = run("sequelize-rc")
    [budget] = result.budgets
    assert (budget.total, budget.server.usable) == (48, 97)  # 4 × 12, not 4 × 40 from config/config.json
    assert keys(result) == []


# --- NestJS: a provider that opens a pool, listed in several modules ------------------------------------------------


def test_a_pool_provider_listed_in_two_modules_is_counted_once_per_module():
    result = run("nest-multi-module")
    [budget] = result.budgets
    assert [(t.processes, t.pool_max) for t in budget.terms] == [(1, 10), (1, 10)]
    assert (budget.total, budget.server.usable) == (20, 17)
    labels = [term.as_data()["pool"] for term in budget.terms]
    assert labels == [
        "new Pool(…) in src/db/db.service.ts (instance 1 of 2: a provider of the module at src/orders/orders.module.ts:6)",
        "new Pool(…) in src/db/db.service.ts (instance 2 of 2: a provider of the module at src/users/users.module.ts:7)",
    ]
    [finding] = result.findings
    assert finding.key == ("PGC101", "infra/postgresql.conf", 2)
    assert "up to 20 connections at once exceed the 17 usable slots" in finding.message
    assert "at once: 1 × 10 + 1 × 10 = 20" in finding.notes
    terms = " ".join(finding.notes)
    assert "src/orders/orders.module.ts:6" in terms and "src/users/users.module.ts:7" in terms


MODULE = (
    'import {{ Module }} from "@nestjs/common";\n@Module({{ providers: [{providers}] }})\nexport class {name} {{}}\n'
)
PACKAGE = (
    '{"name": "api", "dependencies": {"pg": "^8.13.1", "knex": "^3.1.0", "sequelize": "^6.37.5", "postgres": "^3.4.5"}}'
)


@pytest.mark.parametrize(
    ("service", "size"),
    [
        (  # node-postgres in the constructor
            'import { Pool } from "pg";\nexport class DbService {\n  private pool: Pool;\n'
            "  constructor() {\n    this.pool = new Pool({ max: 6 });\n  }\n}\n",
            6,
        ),
        (  # Knex as a field
            'import knex from "knex";\nexport class DbService {\n'
            '  readonly db = knex({ client: "pg", connection: process.env.DATABASE_URL, pool: { max: 6 } });\n}\n',
            6,
        ),
        (  # Sequelize in onModuleInit
            'import { Sequelize } from "sequelize";\nexport class DbService {\n  sequelize: Sequelize;\n'
            '  onModuleInit() {\n    this.sequelize = new Sequelize(process.env.DATABASE_URL, { dialect: "postgres",'
            " pool: { max: 6 } });\n  }\n}\n",
            6,
        ),
        (  # postgres.js as a field, its default max 10
            'import postgres from "postgres";\nexport class DbService {\n  readonly sql = postgres(process.env.DATABASE_URL);\n}\n',
            10,
        ),
    ],
)
def test_every_pool_kind_in_a_provider_class_counts_per_module(lint_tree, service, size):
    files = {
        "package.json": PACKAGE,
        ".env": "DATABASE_URL=postgres://app@db:5432/app\n",
        "src/db.service.ts": service,
        "src/orders.module.ts": MODULE.format(providers="OrdersService, DbService", name="OrdersModule"),
        "src/users.module.ts": MODULE.format(providers="UsersService, DbService", name="UsersModule"),
        "src/reports.module.ts": MODULE.format(providers="ReportsService", name="ReportsModule"),
        "postgresql.conf": "max_connections = 100\n",
    }
    [budget] = lint_tree(files).budgets
    assert [term.pool_max for term in budget.terms] == [size, size]
    assert "src/users.module.ts:2" in budget.terms[1].pool.label


def test_a_provider_listed_once_and_imported_elsewhere_is_one_pool(lint_tree):
    files = {
        "package.json": PACKAGE,
        "src/db.service.ts": 'import { Pool } from "pg";\nexport class DbService {\n  pool = new Pool({ max: 6 });\n}\n',
        "src/db.module.ts": 'import { Module } from "@nestjs/common";\n'
        "@Module({ providers: [DbService], exports: [DbService] })\nexport class DbModule {}\n",
        "src/users.module.ts": 'import { Module } from "@nestjs/common";\n'
        "@Module({ imports: [DbModule], providers: [UsersService] })\nexport class UsersModule {}\n",
        "postgresql.conf": "max_connections = 100\n",
    }
    [budget] = lint_tree(files).budgets
    [term] = budget.terms
    assert (term.pool_max, term.pool.label) == (6, "new Pool(…) in src/db.service.ts")


def test_factory_providers_spread_into_two_modules_open_a_pool_each(lint_tree):
    providers = (
        'import { Pool } from "pg";\nexport const databaseProviders = [\n'
        '  { provide: "PG_POOL", useFactory: () => new Pool({ max: 4 }) },\n];\n'
    )
    files = {
        "package.json": PACKAGE,
        "src/database.providers.ts": providers,
        "src/orders.module.ts": MODULE.format(providers="OrdersService, ...databaseProviders", name="OrdersModule"),
        "src/users.module.ts": MODULE.format(providers="...databaseProviders, UsersService", name="UsersModule"),
        "postgresql.conf": "max_connections = 100\n",
    }
    [budget] = lint_tree(files).budgets
    assert [term.pool_max for term in budget.terms] == [4, 4]


DATA_SOURCE_TREE = {
    "package.json": '{"name": "api", "dependencies": {"typeorm": "^0.3.20", "pg": "^8.13.1"}}',
    "src/db.service.ts": 'import { DataSource } from "typeorm";\nexport class DbService {\n'
    '  readonly dataSource = new DataSource({ type: "postgres", url: process.env.DATABASE_URL,'
    " extra: { max: 6 } });\n}\n",
    "src/orders.module.ts": MODULE.format(providers="OrdersService, DbService", name="OrdersModule"),
    "src/users.module.ts": MODULE.format(providers="UsersService, DbService", name="UsersModule"),
    "postgresql.conf": "max_connections = 100\n",
}


def test_per_module_counts_a_typeorm_data_source_provider(tmp_path):
    from pgconnlint.link_node import per_module
    from pgconnlint.model import NodePool

    root = write_tree(tmp_path, DATA_SOURCE_TREE)
    facts = extract_all(root, discover(root))
    [group] = link(facts, LinkSettings(cpus=TEST_CPUS, cpus_given=True)).groups
    node_facts = [fact for fact in facts.node_pools if isinstance(fact, NodePool)]
    counted = per_module(list(group.connections[:1]), node_facts)  # the first, whether or not link.py did it already
    assert [connection.pools[0].max.value for connection in counted] == [6, 6]
    assert "src/users.module.ts:2" in counted[1].pools[0].label


def test_a_typeorm_data_source_provider_in_two_modules_end_to_end(lint_tree):
    [budget] = lint_tree(DATA_SOURCE_TREE).budgets
    assert [term.pool_max for term in budget.terms] == [6, 6]

"""TypeORM options passed by name: `createConnection(ormConfig)` with `import ormConfig from "./OrmConfig"`,
`TypeOrmModule.forRoot(dataSourceOptions)` with the options imported through a tsconfig `baseUrl`, `{ ...base }`.
Before, an argument that was not an object literal of the same module opened no connection and said nothing.
Also: a `new DataSource(…)` the process never initializes (the TypeORM CLI's file) opens no pool."""

from __future__ import annotations

import json

PACKAGE = json.dumps({"name": "shop", "dependencies": {"pg": "^8", "typeorm": "^0.2.28"}})
ORM_CONFIG = """import {ConnectionOptions} from "typeorm";

export default {
    type: "postgres",
    host: process.env.DB_HOST,
    extra: { max: 7 },
} as ConnectionOptions;
"""
APP = """import {createConnection} from "typeorm";
import ormConfig from "./OrmConfig";

createConnection(ormConfig).then(() => console.log("up"));
"""
COMPOSE = "services:\n  app:\n    build: .\n    command: node src/App.js\n  db:\n    image: postgres:16\n"


def shop(**changes: str) -> dict[str, str]:
    return {
        "package.json": PACKAGE,
        "src/App.ts": APP,
        "src/OrmConfig.ts": ORM_CONFIG,
        "docker-compose.yml": COMPOSE,
        **changes,
    }


def test_options_imported_by_name_are_read_from_the_module_that_exports_them(lint_tree):
    [budget] = lint_tree(shop()).budgets
    [term] = budget.terms
    assert (term.pool_max, budget.total) == (7, 7)
    assert term.pool.max.location.path == "src/OrmConfig.ts" and "ormConfig of src/OrmConfig.ts" in term.pool.label


def test_a_required_object_and_a_spread_beside_keys_of_its_own(lint_tree):
    """`const base = require("./base")` spread into `{ ...base, extra: { max: 4 } }`: the key written beside the
    spread wins; the spread gives the type."""
    app = (
        'const { createConnection } = require("typeorm");\nconst base = require("./base");\n'
        "createConnection({ ...base, extra: { max: 4 } });\n"
    )
    base = 'module.exports = { type: "postgres", url: process.env.DATABASE_URL, extra: { max: 9 } };\n'
    tree = {"package.json": PACKAGE, "src/App.js": app, "src/base.js": base, "docker-compose.yml": COMPOSE}
    assert [term.pool_max for term in lint_tree(tree).budgets[0].terms] == [4]


def test_a_name_that_cannot_be_followed_is_an_unknown_connection_not_nothing(lint_tree):
    app = 'import {createConnection} from "typeorm";\nexport const connect = (options) => createConnection(options);\n'
    result = lint_tree(shop(**{"src/App.ts": app, "src/OrmConfig.ts": ""}))
    assert result.budgets[0].terms == ()
    [unknown] = [f for f in result.findings if f.code == "PGC110"]
    assert "`options`" in unknown.message


NEST = json.dumps({"name": "music", "dependencies": {"pg": "^8", "typeorm": "0.3.17", "@nestjs/typeorm": "10"}})
DATA_SOURCE = """import { DataSource, DataSourceOptions } from "typeorm";

export const dataSourceOptions: DataSourceOptions = { type: 'postgres', host: process.env.DB_HOST, poolSize: 6 };

const dataSource = new DataSource(dataSourceOptions);
export default dataSource;
"""
MODULE = """import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from 'db/data-source';

@Module({ imports: [TypeOrmModule.forRoot(dataSourceOptions)] })
export class AppModule {}
"""


def nest(**changes: str) -> dict[str, str]:
    return {
        "package.json": NEST,
        "tsconfig.json": json.dumps({"compilerOptions": {"baseUrl": "./", "outDir": "./dist"}}),
        "src/main.ts": "import { AppModule } from './app.module';\n",
        "src/app.module.ts": MODULE,
        "db/data-source.ts": DATA_SOURCE,
        "Dockerfile": 'FROM node:20\nCOPY . .\nCMD ["node", "dist/src/main"]\n',
        **changes,
    }


def test_nest_options_imported_through_base_url_and_the_cli_data_source_that_nothing_initializes(lint_tree):
    """The app's one connection is Nest's; the CLI's `new DataSource(dataSourceOptions)`, which the app imports
    only for the options, opens no pool: TypeORM opens it in `initialize()`."""
    [budget] = lint_tree(nest()).budgets
    assert [(term.pool_max, term.pool.label.split(" ")[0]) for term in budget.terms] == [
        (6, "TypeOrmModule.forRoot(…)")
    ]
    initialised = nest(
        **{
            "src/main.ts": "import { AppModule } from './app.module';\nimport ds from '../db/data-source';\n"
            "ds.initialize();\n"
        }
    )
    assert sorted(term.pool_max for term in lint_tree(initialised).budgets[0].terms) == [6, 6]


ENV_MODULE = """import 'dotenv/config'

export const env = {
  TYPEORM_CONNECTION: process.env.TYPEORM_CONNECTION || 'postgres',
  TYPEORM_HOST: process.env.TYPEORM_HOST || 'localhost',
  DB_POOL_MAX: Number(process.env.DB_POOL_MAX) || 5,
}
"""
CONNECTION = """import { DataSource } from 'typeorm'
import { env } from '~/config/env'

export const AppDataSource = new DataSource({
  type: env.TYPEORM_CONNECTION as 'mysql' | 'postgres',
  host: env.TYPEORM_HOST,
  extra: { max: env.DB_POOL_MAX },
})
"""


def test_values_read_from_an_imported_config_object_are_its_entries(lint_tree):
    """`type: env.TYPEORM_CONNECTION` with `env` imported through a tsconfig path alias from a module whose exported
    object holds `process.env.TYPEORM_CONNECTION || 'postgres'`: the entry as written there, evaluated in the process's
    environment. Before, the type was unknown (PGC110) and the connection left out."""
    tree = {
        "package.json": json.dumps({"name": "api", "dependencies": {"pg": "^8", "typeorm": "0.3.20"}}),
        "tsconfig.json": json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"~/*": ["./src/*"]}}}),
        "src/main.ts": "import { AppDataSource } from '~/app/database/connection'\nAppDataSource.initialize()\n",
        "src/app/database/connection.ts": CONNECTION,
        "src/config/env.ts": ENV_MODULE,
        "docker-compose.yml": "services:\n  app:\n    build: .\n    command: node dist/main.js\n"
        "    environment:\n      DB_POOL_MAX: '12'\n  db:\n    image: postgres:16\n",
    }
    result = lint_tree(tree)
    [term] = result.budgets[0].terms
    assert (term.pool_max, term.pool.max.location.path) == (12, "docker-compose.yml")
    assert not [f for f in result.findings if f.code == "PGC110"]
    mysql = lint_tree({**tree, "src/config/env.ts": ENV_MODULE.replace("'postgres'", "'mysql'")})
    assert mysql.budgets[0].terms == ()

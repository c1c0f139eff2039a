"""TypeORM options a config function builds (blitzpool's shape): `forRootAsync({ useFactory: (c) => build(c) })`
with `build` in another module, choosing PostgreSQL or SQLite by a variable through a helper and a `switch`, and
the same function called in the module that declares it. The branch the process's environment selects counts."""

from __future__ import annotations

import json

PACKAGE = json.dumps({"name": "api", "dependencies": {"pg": "^8", "typeorm": "0.3.17", "@nestjs/typeorm": "10"}})
OPTIONS = """import { ConfigService } from '@nestjs/config';
import { TypeOrmModuleOptions } from '@nestjs/typeorm';

function resolveDriver(config: ConfigService): string {
  const driver = config.get<string>('DB_TYPE');
  if (!driver) {
    return 'sqlite';
  }
  switch (driver.toLowerCase()) {
    case 'postgres':
    case 'postgresql':
      return 'postgres';
    default:
      return 'sqlite';
  }
}

export function buildDatabaseConfig(config: ConfigService): TypeOrmModuleOptions {
  const driver = resolveDriver(config);
  if (driver === 'postgres') {
    const poolSize = Number.parseInt(config.get<string>('PG_POOL_SIZE', '10'), 10);
    const options = { type: 'postgres', host: config.get('PG_HOST', 'localhost'), poolSize: poolSize };
    return { ...options, extra: { max: poolSize, connectionTimeoutMillis: 5000 } };
  }
  return { type: 'sqlite', database: './db.sqlite', extra: { cache_size: 4000 } };
}
"""
MODULE = """import { TypeOrmModule } from '@nestjs/typeorm';
import { ConfigService } from '@nestjs/config';
import { buildDatabaseConfig } from './database.config';

export const Db = TypeOrmModule.forRootAsync({
  inject: [ConfigService],
  useFactory: (configService: ConfigService) => buildDatabaseConfig(configService),
});
"""


def compose(environment: str) -> str:
    return f"services:\n  api:\n    build: .\n    command: node main.js\n{environment}  db:\n    image: postgres:16\n"


def files(environment: str) -> dict[str, str]:
    return {
        "package.json": PACKAGE,
        "main.js": "require('./app.module');\n",
        "app.module.ts": MODULE,
        "database.config.ts": OPTIONS,
        "docker-compose.yml": compose(environment),
    }


def test_the_postgres_branch_a_variable_selects_in_another_modules_factory(lint_tree):
    result = lint_tree(files("    environment:\n      DB_TYPE: postgres\n      PG_POOL_SIZE: '7'\n"))
    [budget] = result.budgets
    [term] = budget.terms
    assert (term.pool_max, term.pool.max.location.path) == (7, "docker-compose.yml")
    assert "buildDatabaseConfig" in term.pool.label and budget.total == 7


def test_the_default_applies_when_the_variable_gives_none_and_sqlite_is_no_postgres(lint_tree):
    [budget] = lint_tree(files("    environment:\n      DB_TYPE: Postgresql\n")).budgets
    assert [term.pool_max for term in budget.terms] == [10]  # config.get's default '10'
    sqlite = lint_tree(files("    environment:\n      DB_TYPE: sqlite\n"))
    assert sqlite.budgets[0].terms == () and not [f for f in sqlite.findings if f.code == "PGC110"]


def test_an_unset_driver_variable_is_unknown_not_guessed(lint_tree):
    result = lint_tree(files(""))
    [unknown] = [f for f in result.findings if f.code == "PGC110"]
    assert "DB_TYPE is not set in the repository" in unknown.message


def test_a_factory_in_the_same_module_and_one_nothing_calls(lint_tree):
    same = MODULE.replace("import { buildDatabaseConfig } from './database.config';\n", "") + OPTIONS
    tree = {**files("    environment:\n      DB_TYPE: postgres\n"), "app.module.ts": same, "database.config.ts": "\n"}
    assert [term.pool_max for term in lint_tree(tree).budgets[0].terms] == [10]
    unused = {**files("    environment:\n      DB_TYPE: postgres\n"), "app.module.ts": "export {};\n"}
    assert lint_tree(unused).budgets[0].terms == ()


def test_a_long_function_of_conditional_assignments_is_read_once(lint_tree):
    """Twenty `if (x) { options.k = … }` before the return: read in linear time, the returned object as written."""
    steps = "".join(f"  if (config.get('F{i}')) {{ options.extra{i} = {i}; }}\n" for i in range(20))
    factory = (
        "import { TypeOrmModuleOptions } from '@nestjs/typeorm';\n"
        "export function buildDatabaseConfig(config): TypeOrmModuleOptions {\n"
        "  const options = { type: 'postgres', extra: { max: 4 } };\n" + steps + "  return options;\n}\n"
    )
    tree = {**files(""), "database.config.ts": factory}
    assert [term.pool_max for term in lint_tree(tree).budgets[0].terms] == [4]


def test_else_if_chains_become_one_object_of_conditional_values():
    from pgconnlint.expr import evaluate
    from pgconnlint.extract import jsfunction
    from pgconnlint.extract.treesitter import SourceFile
    from pgconnlint.model import EnvBinding, Location

    code = (
        "function pick() {\n  const kind = process.env.DB;\n"
        "  if (kind === 'a') { return { type: 'postgres', extra: { max: 3 } }; }\n"
        "  else if (kind === 'b') { return { type: 'postgres', extra: { max: 5 } }; }\n"
        "  else { return { type: 'sqlite' }; }\n}\n"
    )
    source = SourceFile.parse("x.ts", code)
    value = jsfunction.merged(jsfunction.returned(source, jsfunction.functions(source)["pick"], {}))

    def read(db: str, key: str):
        found = evaluate(value.get(key), {"DB": EnvBinding("DB", db, Location(".env", 1), ".env")})
        return found.value if found is not None else None

    assert [(read(db, "type"), read(db, "extra.max")) for db in "abc"] == [
        ("postgres", 3),
        ("postgres", 5),
        ("sqlite", None),
    ]


ASYNC_OPTIONS = """import { ConfigModule, ConfigService } from '@nestjs/config';
import { TypeOrmModuleAsyncOptions } from '@nestjs/typeorm';

export const DbOptions: TypeOrmModuleAsyncOptions = {
  imports: [ConfigModule],
  inject: [ConfigService],
  useFactory: async (config: ConfigService) => {
    const options = { type: config.get('DB_TYPE'), host: config.get('DB_HOST'), extra: { max: 6 } };
    return options;
  },
};
"""


def test_async_options_passed_by_name_from_another_module_or_the_same(lint_tree):
    """`TypeOrmModule.forRootAsync(DbOptions)`: the object is a constant, exported by another module or declared in
    this one, and its factory returns a local variable. Before, an argument that was not an object literal opened
    no connection and said nothing."""
    module = (
        "import { TypeOrmModule } from '@nestjs/typeorm';\nimport { DbOptions } from './db.options';\n"
        "export const Db = TypeOrmModule.forRootAsync(DbOptions);\n"
    )
    tree = {**files("    environment:\n      DB_TYPE: postgres\n"), "app.module.ts": module}
    imported = lint_tree({**tree, "db.options.ts": ASYNC_OPTIONS})
    assert [term.pool_max for term in imported.budgets[0].terms] == [6]
    local = module.replace("import { DbOptions } from './db.options';\n", "") + ASYNC_OPTIONS.split("\n", 2)[2]
    assert [term.pool_max for term in lint_tree({**tree, "app.module.ts": local}).budgets[0].terms] == [6]
    unset = lint_tree({**files(""), "app.module.ts": module, "db.options.ts": ASYNC_OPTIONS})
    [unknown] = [f for f in unset.findings if f.code == "PGC110"]
    assert "DB_TYPE is not set in the repository" in unknown.message and unset.budgets[0].terms == ()
    missing = lint_tree({**files(""), "app.module.ts": module})  # the module is not in the tree: said, not dropped
    assert [f.code for f in missing.findings if f.code == "PGC110"] == ["PGC110"]


OPTIONS_CLASS = """import { Injectable } from '@nestjs/common';
import { TypeOrmModuleOptions, TypeOrmOptionsFactory } from '@nestjs/typeorm';

@Injectable()
export class DbConfig implements TypeOrmOptionsFactory {
  createTypeOrmOptions(): TypeOrmModuleOptions {
    return { type: 'postgres', url: process.env.DATABASE_URL, extra: { max: 8 } };
  }
}
"""


def test_use_class_takes_what_its_create_typeorm_options_returns(lint_tree):
    """`forRootAsync({ useClass: DbConfig })` (the NestJS documentation's TypeOrmOptionsFactory): the options
    `DbConfig.createTypeOrmOptions()` returns, here from another module. Before, the connection was dropped silently;
    a class the tree does not hold is an unknown connection, said."""
    module = (
        "import { TypeOrmModule } from '@nestjs/typeorm';\nimport { DbConfig } from './db.config';\n"
        "export const Db = TypeOrmModule.forRootAsync({ useClass: DbConfig });\n"
    )
    tree = {**files(""), "app.module.ts": module}
    assert [term.pool_max for term in lint_tree({**tree, "db.config.ts": OPTIONS_CLASS}).budgets[0].terms] == [8]
    missing = lint_tree(tree)
    assert missing.budgets[0].terms == () and [f.code for f in missing.findings if f.code == "PGC110"] == ["PGC110"]


FACTORY_OPTIONS = """import { DataSource } from 'typeorm';
import { TypeOrmModuleAsyncOptions } from '@nestjs/typeorm';

export const Options: TypeOrmModuleAsyncOptions = {
  useFactory: () => ({ type: 'postgres', host: process.env.DB_HOST, extra: { max: 6 } }),
  FACTORY
};
"""
FACTORY_MODULE = """import { TypeOrmModule } from '@nestjs/typeorm';
import { Options } from './typeorm.config';

export const Db = TypeOrmModule.forRootAsync(Options);
"""


def factory_files(factory: str) -> dict[str, str]:
    return {
        "package.json": PACKAGE,
        "main.js": "require('./app.module');\n",
        "app.module.ts": FACTORY_MODULE,
        "typeorm.config.ts": FACTORY_OPTIONS.replace("FACTORY", factory),
        "docker-compose.yml": compose(""),
    }


def test_the_data_source_factory_opens_the_pool_use_factory_configures_not_a_second_unknown_one(lint_tree):
    """@nestjs/typeorm hands `dataSourceFactory(options)` the options `useFactory` returned: `new DataSource(options)`
    there is that one pool (6), not a DataSource of unknown type left out of a budget marked incomplete."""
    for factory in (
        "async dataSourceFactory(option) { return new DataSource(option).initialize(); },",
        "dataSourceFactory: async (options?: DataSourceOptions) => new DataSource(options).initialize(),",
        "dataSourceFactory: options => new DataSource(options).initialize(),",
    ):
        result = lint_tree(factory_files(factory))
        [budget] = result.budgets
        assert ([t.pool_max for t in budget.terms], budget.complete) == ([6], True), factory
        assert not [f for f in result.findings if f.code == "PGC110"], factory


def test_a_data_source_of_other_options_in_the_factory_is_still_said(lint_tree):
    result = lint_tree(factory_files("async dataSourceFactory(option) { return new DataSource(other).initialize(); },"))
    [unknown] = [f for f in result.findings if f.code == "PGC110"]
    assert "`other`" in unknown.message and not result.budgets[0].complete

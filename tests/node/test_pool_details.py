"""Node pool details of issue 15 and issue 17: one node-postgres rule on every route (pgconnlint/clients/pg.py),
numbers that overflow, `Number(process.env.X) || 5`, env-var helpers, and Prisma 7 adapters held in a variable."""

from __future__ import annotations

import json
import math

import pytest

from pgconnlint.clients import pg
from pgconnlint.model import Known, Location

WHERE = Location("db.js", 1)
ECOSYSTEM = "module.exports = { apps: [{ name: 'api', script: 'main.js', instances: {instances} }] };\n"
PACKAGE = json.dumps({"name": "api", "dependencies": {"pg": "^8", "typeorm": "0.3.17", "@prisma/client": "7"}})


def sizes(result) -> list[float | None]:
    return [term.pool_max for budget in result.budgets for term in budget.terms]


def tree(code: str, instances: str = "2") -> dict[str, str]:
    return {
        "package.json": PACKAGE,
        "ecosystem.config.js": ECOSYSTEM.replace("{instances}", instances),
        "main.js": "require('./db');\n",
        "db.js": code,
    }


@pytest.mark.parametrize(
    ("written", "expected"),
    [("0", 10), ("NaN", 10), ('""', 10), ('"5"', 5), ('"abc"', math.inf), ("1e400", math.inf), ("2.5", 3)],
)
def test_new_pool_and_typeorm_share_pg_pools_rule(lint_tree, written, expected):
    pool = f"const {{ Pool }} = require('pg');\nmodule.exports = new Pool({{ max: {written} }});\n"
    typeorm = (
        "const { DataSource } = require('typeorm');\n"
        f"module.exports = new DataSource({{ type: 'postgres', extra: {{ max: {written} }} }});\n"
    )
    assert sizes(lint_tree(tree(pool))) == [expected]
    assert sizes(lint_tree(tree(typeorm))) == [expected]


def test_pg_rule_falls_through_falsy_max_to_pool_size():
    assert pg.pool_max([("max", Known(0, WHERE)), ("poolSize", Known(4, WHERE))], WHERE).value == 4
    assert pg.pool_max([("max", None), ("poolSize", None)], WHERE).value == pg.DEFAULT_MAX


def test_pm2_instances_too_large_for_a_number_is_unknown_not_a_crash(lint_tree):
    result = lint_tree(tree("const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 5 });\n", "1e400"))
    assert [term.processes for budget in result.budgets for term in budget.terms] == [None]
    assert any(f.code == "PGC110" for f in result.findings)


def test_number_of_an_unset_variable_or_a_default_gives_the_default(lint_tree):
    code = "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: Number(process.env.DB_MAX) || 5 });\n"
    assert sizes(lint_tree(tree(code))) == [5]


def test_env_var_helper_default_is_read(lint_tree):
    code = (
        "const env = require('env-var');\nconst { Pool } = require('pg');\n"
        "module.exports = new Pool({ max: env.get('DB_MAX').default('6').asIntPositive() });\n"
    )
    assert sizes(lint_tree(tree(code))) == [6]


@pytest.mark.parametrize(
    "client",
    [
        "const adapter = new PrismaPg({ connectionString: process.env.DATABASE_URL, max: 4 });\n"
        "module.exports = new PrismaClient({ adapter });\n",
        "function make() {\n  const adapter = new PrismaPg({ connectionString: process.env.DATABASE_URL, max: 4 });\n"
        "  return new PrismaClient({ adapter: adapter });\n}\nmodule.exports = make();\n",
        "class Db extends PrismaClient {\n  constructor() {\n"
        "    const adapter = new PrismaPg({ connectionString: process.env.DATABASE_URL, max: 4 });\n"
        "    super({ adapter });\n  }\n}\nmodule.exports = new Db();\n",
    ],
)
def test_prisma_7_adapter_in_a_variable_or_passed_to_super_is_counted(lint_tree, client):
    code = "const { PrismaClient } = require('@prisma/client');\nconst { PrismaPg } = require('@prisma/adapter-pg');\n"
    assert 4 in sizes(lint_tree(tree(code + client)))


def test_typeorm_options_built_elsewhere_are_reported_not_dropped(lint_tree):
    module = (
        "import { TypeOrmModule } from '@nestjs/typeorm';\nimport { build } from './options';\n"
        "export const Db = TypeOrmModule.forRootAsync({ useFactory: (config) => build(config) });\n"
        "export const Other = TypeOrmModule.forRoot({ ...base, synchronize: false });\n"
    )
    result = lint_tree(
        {
            "package.json": PACKAGE,
            "ecosystem.config.js": ECOSYSTEM.replace("{instances}", "1"),
            "main.js": "require('./db');\n",
            "db.js": module,
        }
    )
    unknown = [f for f in result.findings if f.code == "PGC110"]
    assert {f.location.line for f in unknown} == {3, 4}


def test_prisma_7_adapter_ignores_the_urls_connection_limit(lint_tree):
    code = (
        "const { PrismaClient } = require('@prisma/client');\nconst { PrismaPg } = require('@prisma/adapter-pg');\n"
        "const url = 'postgresql://u@db/app?connection_limit=3';\n"
        "module.exports = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });\n"
    )
    result = lint_tree(tree(code))
    assert sizes(result) == [10]
    assert any(f.code == "PGC208" and "connection_limit" in f.message for f in result.findings)


def test_prisma_7_adapter_built_elsewhere_is_unknown_and_a_pool_given_to_it_counts_once(lint_tree):
    head = "const { PrismaClient } = require('@prisma/client');\nconst { PrismaPg } = require('@prisma/adapter-pg');\n"
    elsewhere = (
        head + "const { make } = require('./adapter');\nmodule.exports = new PrismaClient({ adapter: make() });\n"
    )
    assert sizes(lint_tree(tree(elsewhere))) == [None]
    given = head + (
        "const pg = require('pg');\nconst pool = new pg.Pool({ max: 20 });\n"
        "module.exports = new PrismaClient({ adapter: new PrismaPg(pool) });\n"
    )
    assert sizes(lint_tree(tree(given))) == [20]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Math.max(2 * os.cpus().length + 1, 2)", 17),  # Prisma 6's formula, copied by apps: 2 × 8 CPUs + 1
        ("Math.min(os.cpus().length + 2, 5)", 5),
        ("Number(process.env.POOL_MAX || 3) + 1", 4),
        ("'4' + 1", None),  # `+` on text joins it: not a number pgconnlint counts
    ],
)
def test_pool_max_computed_with_plus_and_math_max(lint_tree, written, expected):
    pool = f"const os = require('os');\nconst {{ Pool }} = require('pg');\nmodule.exports = new Pool({{ max: {written} }});\n"
    assert sizes(lint_tree(tree(pool))) == [expected]

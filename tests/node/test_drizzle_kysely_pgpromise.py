"""Node stacks of 2025-26 (issue 17): Drizzle over node-postgres and postgres.js, pg-promise, Kysely and Objection.
Each pool is the driver's, counted once where it is built (defaults: node-postgres max 10, postgres.js max 10)."""

from __future__ import annotations

import pytest

PACKAGE = '{"name": "api", "main": "index.js", "dependencies": {"pg": "8", "postgres": "3"}}\n'


def total(lint_tree, code: str) -> int:
    result = lint_tree({"package.json": PACKAGE, "index.js": code})
    return result.budgets[0].total


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            'const { drizzle } = require("drizzle-orm/node-postgres");\nconst db = drizzle(process.env.DATABASE_URL);\n',
            10,
        ),
        (
            'import { drizzle } from "drizzle-orm/node-postgres";\n'
            "export const db = drizzle({ connection: { connectionString: process.env.DATABASE_URL, max: 4 } });\n",
            4,
        ),
        (
            'import { drizzle } from "drizzle-orm/postgres-js";\n'
            "export const db = drizzle({ connection: { url: process.env.DATABASE_URL, max: 3 } });\n",
            3,
        ),
        (
            'import { drizzle } from "drizzle-orm/postgres-js";\nexport const db = drizzle(process.env.DATABASE_URL);\n',
            10,
        ),
        # the pool handed to Drizzle is counted once, where it is built
        (
            'import { drizzle } from "drizzle-orm/node-postgres";\nimport { Pool } from "pg";\n'
            "const pool = new Pool({ max: 6 });\nexport const db = drizzle(pool);\nexport const db2 = drizzle({ client: pool });\n",
            6,
        ),
        ('const pgp = require("pg-promise")();\nmodule.exports = pgp(process.env.DATABASE_URL);\n', 10),
        (
            'import pgPromise from "pg-promise";\nconst pgp = pgPromise({});\n'
            'export const db = pgp({ host: "db", database: "app", max: 7 });\n',
            7,
        ),
        # Kysely: the dialect's pool is a node-postgres Pool
        (
            'import { Kysely, PostgresDialect } from "kysely";\nimport { Pool } from "pg";\n'
            "export const db = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ max: 5 }) }) });\n",
            5,
        ),
        # Objection runs on the Knex instance it is given: Knex's pool (min 2, max 10 by default)
        pytest.param(
            'const Knex = require("knex");\nconst { Model } = require("objection");\n'
            'const knex = Knex({ client: "pg", connection: process.env.DATABASE_URL, pool: { min: 0, max: 8 } });\n'
            "Model.knex(knex);\n",
            8,
        ),
    ],
    ids=[
        "drizzle-pg-url",
        "drizzle-pg-connection",
        "drizzle-postgres-js-connection",
        "drizzle-postgres-js-url",
        "drizzle-given-pool",
        "pg-promise-url",
        "pg-promise-object",
        "kysely",
        "objection",
    ],
)
def test_each_stack_counts_its_drivers_pool(lint_tree, code, expected):
    assert total(lint_tree, code) == expected

"""Drizzle from a bare URL (issue 17): drizzle-orm 0.45.3 `drizzle(url)` and `drizzle({ connection: url })` build the
driver's pool themselves: `pgClient(url)` (postgres.js, default max 10) from drizzle-orm/postgres-js, and
`new pg.Pool({ connectionString })` (node-postgres, default max 10) from drizzle-orm/node-postgres. postgres.js also
reads `?max=` from the URL, but as a string, which makes one connection: a URL that cannot be read still opens at
most 10."""

from __future__ import annotations

import pytest

PACKAGE = '{"name": "api", "main": "index.ts", "dependencies": {"drizzle-orm": "0.45", "pg": "8", "postgres": "3"}}\n'


def term(lint_tree, code: str, env: str | None = None):
    files = {"package.json": PACKAGE, "index.ts": code}
    if env is not None:
        files[".env"] = env
    result = lint_tree(files)
    [budget] = result.budgets
    [found] = budget.terms
    return found, result


@pytest.mark.parametrize(
    "call",
    [
        "drizzle(process.env.DATABASE_URL)",
        "drizzle(process.env.DATABASE_URL!)",
        "drizzle(process.env.DATABASE_URL!, { schema })",
        "drizzle({ connection: process.env.DATABASE_URL!, schema })",
        'drizzle("postgres://app@db:5432/app")',
    ],
    ids=["url", "non-null", "url-and-config", "connection-string", "literal"],
)
@pytest.mark.parametrize("driver", ["postgres-js", "node-postgres"])
def test_a_bare_url_builds_the_drivers_default_pool(lint_tree, driver, call):
    code = f'import {{ drizzle }} from "drizzle-orm/{driver}";\nimport * as schema from "./schema";\nexport const db = {call};\n'
    found, result = term(lint_tree, code)
    assert (found.processes, found.pool_max) == (1, 10)
    assert not [f for f in result.findings if f.code == "PGC110"]


def test_postgres_js_says_why_an_unread_url_is_still_ten(lint_tree):
    code = 'import { drizzle } from "drizzle-orm/postgres-js";\nexport const db = drizzle(process.env.DATABASE_URL);\n'
    found, _ = term(lint_tree, code)
    why = found.pool.max.why
    assert why.startswith("postgres.js default; the URL cannot be read (DATABASE_URL is not set in the repository)")
    assert why.endswith("a ?max= in it would make 1 connection")


@pytest.mark.parametrize(
    ("env", "expected"),
    [("DATABASE_URL=postgres://app@db/app\n", 10), ("DATABASE_URL=postgres://app@db/app?max=30\n", 1)],
    ids=["known-url", "max-in-url-is-a-string"],
)
def test_postgres_js_reads_the_url_when_it_is_known(lint_tree, env, expected):
    code = 'import { drizzle } from "drizzle-orm/postgres-js";\nexport const db = drizzle(process.env.DATABASE_URL);\n'
    found, _ = term(lint_tree, code, env)
    assert found.pool_max == expected

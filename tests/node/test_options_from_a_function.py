"""Pool options built by a function of the same file (`postgres(url, buildOptions())`): the object it returns is
read; a function with an early return, or one whose result depends on its arguments, stays unknown (PGC110)."""

from __future__ import annotations

import json

PACKAGE = json.dumps(
    {"name": "tracker", "scripts": {"start": "node server/index.js"}, "dependencies": {"postgres": "^3"}}
)


def pool_sizes(result) -> list[object]:
    return [term.pool_max for budget in result.budgets for term in budget.terms]


def tree(body: str) -> dict[str, str]:
    return {"package.json": PACKAGE, "server/index.js": "import postgres from 'postgres';\n" + body}


def test_options_returned_through_a_local_object(lint_tree):
    body = (
        "function buildOptions() {\n"
        "  const options = { max: parseInt(process.env.DB_POOL_MAX || '20'), connect_timeout: 10 };\n"
        "  if (process.env.DB_SSL === 'true') { options.ssl = true; }\n"
        "  return options;\n"
        "}\n"
        "export const sql = postgres(process.env.DATABASE_URL, buildOptions());\n"
    )
    assert pool_sizes(lint_tree(tree(body))) == [20]


def test_options_returned_by_an_arrow_function(lint_tree):
    body = "const options = () => ({ max: 4 });\nexport const sql = postgres('postgres://db/app', options());\n"
    assert pool_sizes(lint_tree(tree(body))) == [4]


def test_a_function_with_an_early_return_stays_unknown(lint_tree):
    body = (
        "function buildOptions() {\n  if (process.env.SMALL) { return { max: 2 }; }\n  return { max: 30 };\n}\n"
        "export const sql = postgres('postgres://db/app', buildOptions());\n"
    )
    result = lint_tree(tree(body))
    assert pool_sizes(result) == [None]
    assert any(f.code == "PGC110" and "buildOptions()" in f.message for f in result.findings)

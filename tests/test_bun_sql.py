"""Bun's built-in SQL client (issue 17): `new SQL(url | options)`, the global `Bun.SQL`, and the default `sql`
export, one pool per process read from POSTGRES_URL / DATABASE_URL / …; `max` 10 and a 30 s connectionTimeout by
default, named prepared statements unless `prepare: false` (pgconnlint/link_bun.py cites Bun's source). Bun runs
them: `bun run start`, `bun src/index.ts`."""

from __future__ import annotations

import pytest

from pgconnlint.extract.node_commands import parse
from pgconnlint.model import Default, Location
from tests.conftest import keys

PACKAGE = '{ "name": "api", "scripts": { "start": "bun run src/index.ts" } }\n'
COMPOSE = (
    "services:\n  api:\n    image: oven/bun:1\n    command: bun run start\n"
    "    environment:\n      DATABASE_URL: postgres://app@db:5432/app\n"
)
PGBOUNCER_COMPOSE = (
    "services:\n  api:\n    image: oven/bun:1\n    command: bun src/index.ts\n"
    "    environment:\n      DATABASE_URL: postgres://app@pgbouncer:6432/app\n"
    "  pgbouncer:\n    image: edoburu/pgbouncer\n    environment:\n      POOL_MODE: transaction\n"
)


def tree(index: str, compose: str = COMPOSE, **more: str) -> dict[str, str]:
    return {"docker-compose.yml": compose, "package.json": PACKAGE, "src/index.ts": index, **more}


def terms(result) -> list[tuple[str, float | None]]:
    found = [(term.pool.label, term.pool_max) for budget in result.budgets for term in budget.terms]
    return sorted(found, key=str)


def test_the_default_sql_is_one_pool_of_10_per_process_however_many_files_import_it(lint_tree):
    files = tree(
        'import { sql } from "bun";\nimport { users } from "./users";\nexport const one = () => sql`select 1`;\n',
        **{"src/users.ts": 'import { sql as db } from "bun";\nexport const users = () => db`select * from users`;\n'},
    )
    result = lint_tree(files)
    [term] = [term for budget in result.budgets for term in budget.terms]
    assert (term.pool.label, term.pool_max) == ('sql from "bun" in src/index.ts', 10)
    assert isinstance(term.pool.max, Default) and term.pool.max.why == "Bun SQL default; max is not set"
    assert result.budgets[0].total == 10


def test_new_sql_reads_max_and_connection_timeout_from_its_options(lint_tree):
    index = (
        'import { SQL } from "bun";\n'
        "export const db = new SQL(process.env.DATABASE_URL, { max: 20, connectionTimeout: 5 });\n"
        'export const other = new SQL({ url: "postgres://app@db/app", max: "3" });\n'
        "export const global = new Bun.SQL();\n"  # the global needs no import: the environment's URL, max 10
    )
    result = lint_tree(tree(index))
    assert terms(result) == [
        ("new Bun.SQL(…) in src/index.ts", 10),
        ("new SQL(…) in src/index.ts", 20),
        ("new SQL(…) in src/index.ts", 3),
    ]
    assert result.budgets[0].total == 33


def test_sqlite_and_mysql_clients_of_bun_are_not_postgresql_pools(lint_tree):
    index = (
        'import { SQL } from "bun";\n'
        'const cache = new SQL(":memory:");\n'
        'const file = new SQL("sqlite://data.db");\n'
        'const legacy = new SQL("mysql://app@mysql/app");\n'
        'const local = new SQL({ adapter: "sqlite", filename: "app.db" });\n'
        "export const db = new SQL({ max: 4 });\n"
    )
    assert terms(lint_tree(tree(index))) == [("new SQL(…) in src/index.ts", 4)]


def test_a_max_bun_refuses_is_unknown_and_a_misspelled_option_is_reported(lint_tree):
    index = 'import { SQL } from "bun";\nexport const db = new SQL({ max: 0 });\nnew SQL({ poolSize: 5 });\n'
    result = lint_tree(tree(index))
    assert terms(result) == [("new SQL(…) in src/index.ts", 10), ("new SQL(…) in src/index.ts", None)]
    unknown = next(t.pool.max for b in result.budgets for t in b.terms if t.pool_max is None)
    assert "Bun SQL throws at start" in unknown.reason
    assert ("PGC110", "src/index.ts", 2) in keys(result)
    assert ("PGC208", "src/index.ts", 3) in keys(result)


def test_the_default_sql_through_a_transaction_pgbouncer_prepares_named_statements(lint_tree):
    result = lint_tree(tree('import { sql } from "bun";\nexport const q = () => sql`select 1`;\n', PGBOUNCER_COMPOSE))
    assert ("PGC120", "src/index.ts", 1) in keys(result)
    finding = next(f for f in result.findings if f.code == "PGC120")
    assert "Bun SQL" in finding.message and "prepare: false" in finding.help


@pytest.mark.parametrize(
    ("options", "reported"),
    [
        ("{ max: 5, connectionTimeout: 5 }", True),
        ("{ max: 5, connectionTimeout: 5, prepare: false }", False),
    ],
    ids=["prepared", "prepare-false"],
)
def test_new_sql_through_a_transaction_pgbouncer(lint_tree, options, reported):
    index = f'import {{ SQL }} from "bun";\nexport const db = new SQL(process.env.DATABASE_URL, {options});\n'
    assert (("PGC120", "src/index.ts", 2) in keys(lint_tree(tree(index, PGBOUNCER_COMPOSE)))) is reported


def test_a_prepare_false_in_the_url_is_a_startup_parameter_to_bun_not_the_switch(lint_tree):
    compose = PGBOUNCER_COMPOSE.replace("6432/app", "6432/app?prepare=false")
    index = 'import { SQL } from "bun";\nexport const db = new SQL(process.env.DATABASE_URL, { max: 5 });\n'
    assert ("PGC120", "src/index.ts", 2) in keys(lint_tree(tree(index, compose)))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("bun run start", [("npm-script", None, "start")]),
        ("bun start", [("npm-script", None, "start")]),
        ("bun src/index.ts", [("node", "src/index.ts", None)]),
        ("bun run --hot src/index.ts", [("node", "src/index.ts", None)]),
        ("bun --env-file .env.production dist/server.js", [("node", "dist/server.js", None)]),
        ("bun install", []),
        ("bun test", []),
        ("bunx prisma migrate deploy", []),
    ],
)
def test_bun_commands_run_a_script_or_a_file(command, expected):
    decls = parse(command, Location("Dockerfile", 3), "Dockerfile CMD", "dockerfile", "")
    assert [(d.runner, d.script, d.npm_script) for d in decls] == expected


def test_the_connection_timeout_is_in_seconds_and_30_by_default(lint_tree):
    index = (
        'import { SQL } from "bun";\nexport const db = new SQL({ max: 2, connectionTimeout: 5 });\n'
        "export const other = new SQL({ max: 2 });\n"
    )
    [group] = lint_tree(tree(index)).project.groups
    timeouts = sorted((c.connect_timeout_ms.value, type(c.connect_timeout_ms).__name__) for c in group.connections)
    assert timeouts == [(5000, "Known"), (30000, "Default")]


def test_host_options_point_bun_sql_at_the_bouncer_without_a_url(lint_tree):
    index = (
        'import { SQL } from "bun";\nexport const db = new SQL({ hostname: "pgbouncer", database: "app", max: 5 });\n'
    )
    assert ("PGC120", "src/index.ts", 2) in keys(lint_tree(tree(index, PGBOUNCER_COMPOSE)))

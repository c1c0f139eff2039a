"""PGC120 prepared-statements-through-transaction-pooler. Docs and examples: rules/PGC120.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.expr import Obj, evaluate
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, NodeConnection, Project
from pgconnlint.model import Default, Known
from pgconnlint.pooler import bouncer_for, endpoints, is_provider, label, node_url, setting, tracks_prepared

# The option that turns each driver's named prepared statements off (USERS.md, "PgBouncer transaction mode"):
# asyncpg's statement cache (asyncpg/connection.py, statement_cache_size), psycopg 3's automatic preparation
# (psycopg/connection.py, prepare_threshold: None never prepares).
_SWITCHES = {"asyncpg": ("statement_cache_size", 0), "psycopg": ("prepare_threshold", None)}


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        where = endpoints(group) if project.bouncers else {}
        for connection in group.connections:
            if not isinstance(connection, (EngineConnection, NodeConnection)):
                continue
            bouncer = bouncer_for(where.get(connection.pools[0].location), project.bouncers)
            driver = _driver(connection, group.environment)
            if bouncer is None or driver is None:
                continue
            mode = setting(bouncer, "pool_mode")
            if mode.value not in ("transaction", "statement") or tracks_prepared(bouncer):
                continue
            if isinstance(connection, NodeConnection):
                if _node_turned_off(connection, driver, group.environment):
                    continue
            elif _turned_off(connection, driver, group.environment):
                continue
            yield finding(
                "PGC120",
                connection.anchor,
                f"{connection.pools[0].label} uses {driver}, which names its prepared statements, through"
                f" {label(bouncer)} in pool_mode {mode.value} [{_cited(mode)}] {_why_not_tracked(bouncer)}:"
                f" the next transaction runs on another server connection and fails with `prepared statement"
                f' "…" does not exist` (or `already exists`)',
                help=_HELP[driver] + _server_fix(bouncer),
                related=(mode.location,),
            )


def _driver(connection, env) -> str | None:
    if isinstance(connection, NodeConnection):
        # node-postgres prepares the unnamed statement unless a query passes `name:` (pg/lib/query.js,
        # requiresPreparation), which a transaction pooler keeps within the transaction: not listed
        return {"postgres.js": "postgres.js", "prisma": "Prisma", "bun-sql": "Bun SQL"}.get(connection.library)
    if connection.source.library == "asyncpg":
        return "asyncpg"
    url = evaluate(connection.source.url.get("url"), env) if connection.source.url is not None else None
    scheme = str(url.value).split("://", 1)[0] if isinstance(url, Known) else ""
    if scheme.endswith("+asyncpg"):
        return "asyncpg"
    if scheme.endswith("+psycopg") or connection.source.library == "psycopg_pool":
        return "psycopg"
    return None


def _node_turned_off(connection: NodeConnection, driver: str, env) -> bool:
    """postgres.js `prepare: false` (or `?prepare=false`); Prisma's `?pgbouncer=true`; Bun SQL's `prepare: false`
    (only the option: Bun sends a URL's query to the server as startup parameters, shared.ts
    `normalizeOptionsForAdapter`, and `prepare: false` makes it use unnamed statements, postgres.ts)."""
    url = node_url(connection, env) or ""
    if driver == "Prisma":
        return "pgbouncer=true" in url
    prepare = evaluate(connection.created.options.get("prepare"), env)
    off = isinstance(prepare, Known) and prepare.value is False
    return off or (driver == "postgres.js" and "prepare=false" in url)


def _turned_off(connection: EngineConnection, driver: str, env) -> bool:
    """The driver's switch in SQLAlchemy's connect_args or the driver's own keyword arguments, or in the URL
    (`?prepared_statement_cache_size=0` for SQLAlchemy's asyncpg dialect, also in connect_args); for asyncpg also a
    `prepared_statement_name_func` in connect_args, the dialect's documented way to give each statement a unique
    name behind PgBouncer (sqlalchemy/dialects/postgresql/asyncpg.py)."""
    switch, off = _SWITCHES[driver]
    args = connection.source.options.get("connect_args")
    for holder in (args, connection.source.options):  # connect_args for SQLAlchemy, the kwargs for the drivers
        if not isinstance(holder, Obj):
            continue
        value = evaluate(holder.get(switch), env) if switch in holder.entries else None
        if isinstance(value, Known) and value.value == off:
            return True
        if driver == "asyncpg" and "prepared_statement_name_func" in holder.entries:
            return True
        cache = evaluate(holder.get("prepared_statement_cache_size"), env) if driver == "asyncpg" else None
        if isinstance(cache, Known) and cache.value == 0:  # SQLAlchemy's dialect reads it from connect_args too
            return True
    url = evaluate(connection.source.url.get("url"), env) if connection.source.url is not None else None
    return isinstance(url, Known) and f"{switch}={off}" in str(url.value)


def _why_not_tracked(bouncer) -> str:
    prepared = setting(bouncer, "max_prepared_statements")
    if is_provider(bouncer):
        return f"[{_cited(prepared)}]"
    if isinstance(prepared, Default) and bouncer.version is None:  # 0 before 1.24, 200 from it: the tag decides
        return "without max_prepared_statements (0 by default before PgBouncer 1.24, and no image tag says its version)"
    return "without max_prepared_statements"


def _cited(value) -> str:
    return value.location.short if isinstance(value, Known) else value.why


def _server_fix(bouncer) -> str:
    if is_provider(bouncer):  # Neon's pooler tracks them; Supabase's does not, and no setting changes that
        return ", or use Supavisor's session mode (port 5432) or the direct connection"
    return ", or set max_prepared_statements in PgBouncer 1.21+"


_HELP = {
    "asyncpg": "pass connect_args={'statement_cache_size': 0} (with SQLAlchemy also ?prepared_statement_cache_size=0"
    " in the URL)",
    "psycopg": "pass connect_args={'prepare_threshold': None}",
    "postgres.js": "pass { prepare: false } to postgres()",
    "Bun SQL": "pass { prepare: false } to new SQL() (the default `sql` cannot take it: create your own)",
    "Prisma": "add pgbouncer=true to the URL (PgBouncer before 1.21 and Supavisor; on PgBouncer 1.21+ with"
    " max_prepared_statements leave it out)",
}

"""PGC120 prepared-statements-through-transaction-pooler. Docs and examples: rules/PGC120.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.expr import Obj, evaluate
from pgconnlint.findings import Finding, finding
from pgconnlint.link_node import NodeConnection
from pgconnlint.linked import EngineConnection, Project
from pgconnlint.model import Known
from pgconnlint.pooler import bouncer_for, endpoints, node_url, setting

# The option that turns each driver's named prepared statements off (USERS.md, "PgBouncer transaction mode").
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
            prepared = setting(bouncer, "max_prepared_statements")
            if mode.value not in ("transaction", "statement") or (
                isinstance(prepared.value, int) and prepared.value > 0
            ):
                continue
            if isinstance(connection, NodeConnection):
                if _node_turned_off(connection, driver, group.environment):
                    continue
            elif _turned_off(connection, *_SWITCHES[driver], group.environment):
                continue
            yield finding(
                "PGC120",
                connection.anchor,
                f"{connection.pools[0].label} uses {driver}, which names its prepared statements, through PgBouncer"
                f" {bouncer.name} in pool_mode {mode.value} [{mode.location.short}] without max_prepared_statements:"
                f" the next transaction runs on another server connection and fails with `prepared statement"
                f' "…" does not exist` (or `already exists`)',
                help=_HELP[driver],
                related=(mode.location,),
            )


def _driver(connection, env) -> str | None:
    if isinstance(connection, NodeConnection):  # node-postgres names a statement only when told to: not listed
        return {"postgres.js": "postgres.js", "prisma": "Prisma"}.get(connection.library)
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
    """postgres.js `prepare: false` (or `?prepare=false`); Prisma's `?pgbouncer=true`."""
    url = node_url(connection, env) or ""
    if driver == "Prisma":
        return "pgbouncer=true" in url
    prepare = evaluate(connection.created.options.get("prepare"), env)
    return (isinstance(prepare, Known) and prepare.value is False) or "prepare=false" in url


def _turned_off(connection: EngineConnection, switch: str, off, env) -> bool:
    args = connection.source.options.get("connect_args")
    for holder in (args, connection.source.options):  # connect_args for SQLAlchemy, the kwargs for the drivers
        value = evaluate(holder.get(switch), env) if isinstance(holder, Obj) else None
        if isinstance(value, Known) and value.value == off:
            return True
    url = evaluate(connection.source.url.get("url"), env) if connection.source.url is not None else None
    return isinstance(url, Known) and f"{switch}={off}" in str(url.value)


_HELP = {
    "asyncpg": "pass connect_args={'statement_cache_size': 0} (with SQLAlchemy also ?prepared_statement_cache_size=0"
    " in the URL), or set max_prepared_statements in PgBouncer 1.21+",
    "psycopg": "pass connect_args={'prepare_threshold': None}, or set max_prepared_statements in PgBouncer 1.21+",
    "postgres.js": "pass { prepare: false } to postgres(), or set max_prepared_statements in PgBouncer 1.21+",
    "Prisma": "add pgbouncer=true to the URL (PgBouncer before 1.21), or set max_prepared_statements in PgBouncer"
    " 1.21+ and leave pgbouncer=true out",
}

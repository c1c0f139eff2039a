"""PgBouncer between the apps and the server: which pools go through it, what its clients may number, and
how many server connections it opens itself.

A pool goes through a bouncer when its host is one of the bouncer's names (a compose service, a host name
containing "bouncer" or "pooler") or its port is the bouncer's `listen_port` (6432 by default); a pool whose
host and port cannot be told is counted against the server directly. Defaults are PgBouncer's
(etc/pgbouncer.ini): listen_port 6432, pool_mode session, max_client_conn 100, default_pool_size 20,
reserve_pool_size 0, max_db_connections 0 (no limit). Pools are per database and user pair; the repository
does not say how many users connect, so one per database is assumed and said.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pgconnlint.expr import Obj, evaluate
from pgconnlint.link_node import NodeConnection
from pgconnlint.linked import UNBOUNDED_UNITS, EngineConnection, OrmConnection, Pool, ProcessGroup, Server
from pgconnlint.model import Bouncer, Default, Known, Location

DEFAULTS = {
    "listen_port": 6432,
    "pool_mode": "session",
    "max_client_conn": 100,
    "default_pool_size": 20,
    "reserve_pool_size": 0,
    "max_db_connections": 0,
    "max_prepared_statements": 0,  # off in PgBouncer's own sample (1.21-1.23); newer releases may differ
}


def setting(bouncer: Bouncer, name: str) -> Known | Default:
    """A setting as PgBouncer reads it; a number setting that is not a number falls back to the default, said."""
    value = bouncer.settings.get(name)
    default = DEFAULTS[name]
    if name == "max_prepared_statements" and bouncer.version is not None and bouncer.version >= (1, 24):
        default = 200  # PgBouncer 1.24 turned prepared statement support on by default (pgbouncer#1144)
    if value is not None and (not isinstance(default, int) or isinstance(value.value, int)):
        return value
    why = f"not set in {bouncer.name}" if value is None else f"{value.value!r} [{value.location.short}] is not a number"
    return Default(default, bouncer.location, f"PgBouncer default; {name} {why}")


def endpoints(group: ProcessGroup) -> dict[Location, tuple[str | None, int | None]]:
    """(host, port) of each pool of the group, where the repository says them."""
    found = {}
    for connection in group.connections:
        if isinstance(connection, OrmConnection):
            options, env = connection.config.options, group.environment
            host, port = _value(options.get("host"), env), _value(options.get("port"), env)
            url = _value(options.get("url"), env)
            endpoint = _from_url(url) if isinstance(url, str) else (host, port)
            for pool in connection.pools:
                if pool.replica is None:  # read replicas are budgeted against their own standby
                    found[pool.location] = endpoint
        elif (
            isinstance(connection, EngineConnection)
            and connection.source.library == "django"
            and not connection.source.url
        ):
            options, env = connection.source.options, group.environment  # Django DATABASES: HOST and PORT keys
            host, port = _value(options.get("HOST"), env), _value(options.get("PORT"), env)
            found[connection.pools[0].location] = (host or None, port or None)
        elif isinstance(connection, EngineConnection) and connection.source.url is not None:
            url = _value(connection.source.url.get("url"), group.environment)
            if isinstance(url, str):
                found[connection.pools[0].location] = _from_url(url)
        elif isinstance(connection, NodeConnection):
            endpoint = node_endpoint(connection, group.environment)
            if endpoint is not None:
                found.update({pool.location: endpoint for pool in connection.pools})
    return found


def node_url(connection, env) -> str | None:
    """The connection string a Node pool uses: postgres.js/Sequelize's URL argument, `connectionString`, `url`,
    Knex's string `connection`, or a Prisma datasource's `url`."""
    found = node_url_known(connection, env)
    return found.value if found is not None else None


def node_url_known(connection, env) -> Known | None:
    """`node_url`, with where the URL is written (pgconnlint/role_limits.py cites its user and database)."""
    for fact in (connection.created, connection.config):
        candidates = [fact.url] if fact.url is not None else []
        candidates += [fact.options.get(key) for key in ("connectionString", "url", "connection", "datasourceUrl")]
        for expr in candidates:
            value = evaluate(expr, env) if expr is not None else None
            if isinstance(value, Known) and isinstance(value.value, str) and "://" in value.value:
                return value
    return None


def node_endpoint(connection, env) -> tuple[str | None, int | None] | None:
    url = node_url(connection, env)
    if url is not None:
        return _from_url(url)
    options = connection.created.options
    place = options.get("connection") if isinstance(options.get("connection"), Obj) else options
    host, port = _value(place.get("host"), env), _value(place.get("port"), env)
    return (host, port) if host or port else None


def bouncer_for(endpoint: tuple[str | None, int | None] | None, bouncers: tuple[Bouncer, ...]) -> Bouncer | None:
    if endpoint is None:
        return None
    host, port = endpoint
    for bouncer in bouncers:
        names = {name.lower() for name in bouncer.hosts}
        if host and (host.lower() in names or "bouncer" in host.lower() or "pooler" in host.lower()):
            return bouncer
        if port is not None and str(port).strip() == str(setting(bouncer, "listen_port").value):
            return bouncer
    return None


def client_side(bouncer: Bouncer) -> Server:
    """The bouncer as the apps see it: max_client_conn slots, none reserved."""
    limit = setting(bouncer, "max_client_conn")
    none = Default(0, bouncer.location, "PgBouncer reserves none")
    return Server(f"PgBouncer {bouncer.name}", bouncer.location, limit, none, none, False, limit_name="max_client_conn")


def server_side(bouncer: Bouncer) -> tuple[ProcessGroup, Pool]:
    """The bouncer as the server sees it: one pool per database, pool_size + reserve_pool_size each, capped by
    max_db_connections."""
    default_size, reserve = setting(bouncer, "default_pool_size"), setting(bouncer, "reserve_pool_size")
    cap = setting(bouncer, "max_db_connections").value or None
    databases = bouncer.databases or (("(the one database)", {}, bouncer.location),)
    total, parts = 0, []
    for name, options, _where in databases:
        size = _count(options, "pool_size", default_size.value) + _count(options, "reserve_pool_size", reserve.value)
        db_cap = _count(options, "max_db_connections", cap or 0) or cap
        size = min(size, db_cap) if db_cap else size
        total += size
        parts.append(f"{name} {size}")
    via = (
        f"{' + '.join(parts)} [default_pool_size {default_size.value}, reserve_pool_size {reserve.value}"
        f"{f', max_db_connections {cap}' if cap else ''}; one user per database assumed]"
    )
    where = bouncer.databases[0][2] if bouncer.databases else bouncer.location
    from_defaults = all(isinstance(setting(bouncer, n), Default) for n in ("default_pool_size", "reserve_pool_size"))
    pool_max = Default(total, where, via) if from_defaults and not bouncer.databases else Known(total, where, via)
    pool = Pool(f"server connections of PgBouncer {bouncer.name}", where, pool_max)
    one = Known(1, bouncer.location, bouncer.location.short)
    units = Default(UNBOUNDED_UNITS, bouncer.location, "a bouncer uses its whole pool")
    return ProcessGroup(
        f"PgBouncer {bouncer.name}", bouncer.location, one, "pgbouncer", False, (), {}, units=units
    ), pool


def _count(options: dict[str, Known], key: str, fallback: int) -> int:
    """A per-database number; one that is not a number leaves the [pgbouncer] value in force."""
    value = options.get(key)
    return value.value if value is not None and isinstance(value.value, int) else fallback


def _value(expr, env):
    if expr is None:
        return None
    value = evaluate(expr, env)
    return value.value if isinstance(value, Known) else None


def _from_url(url: str) -> tuple[str | None, int | None]:
    try:
        parts = urlsplit(url)
        return parts.hostname, parts.port
    except ValueError:
        return None, None

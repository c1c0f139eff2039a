"""PgBouncer between the apps and the server: which pools go through it, what its clients may number, and
how many server connections it opens itself.

A pool goes through a bouncer when its host is one of the bouncer's names (a compose service, a host name
containing "bouncer" or "pooler") or its port is the bouncer's `listen_port` (6432 by default); a pool whose
host and port cannot be told is counted against the server directly. Defaults are PgBouncer's
(etc/pgbouncer.ini): listen_port 6432, pool_mode session, max_client_conn 100, default_pool_size 20,
reserve_pool_size 0, max_db_connections 0 (no limit). Pools are per database and user pair; the repository
does not say how many users connect, so one per database is assumed and said.

The poolers of managed providers are told by host and port (`classify`) and stand in as bouncers of their own
(`provider_bouncers`), with their settings from the provider's pages (pgconnlint/providers.py): Supabase's Supavisor
(`*.pooler.supabase.com`, 6543 transaction, 5432 session) and dedicated PgBouncer (`db.<ref>.supabase.co:6543`),
Neon's `-pooler` hosts, and RDS Proxy endpoints (with Terraform's max_connections_percent where it declares the
proxy). Their direct hosts are the server itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from pgconnlint.expr import Obj, evaluate
from pgconnlint.linked import (
    UNBOUNDED_UNITS,
    EngineConnection,
    NodeConnection,
    OrmConnection,
    Pool,
    ProcessGroup,
    Server,
)
from pgconnlint.model import Bouncer, Default, Known, Location, Unknown, cite
from pgconnlint.providers import pooler_settings, rds_proxy_settings

DEFAULTS = {
    "listen_port": 6432,
    "pool_mode": "session",
    "max_client_conn": 100,
    "default_pool_size": 20,
    "reserve_pool_size": 0,
    "max_db_connections": 0,
    # 0 from 1.21, where it was added, to 1.23; 200 from 1.24 (NEWS.md 1.24.0; src/main.c CF_ABS(…, "200")): `setting`
    "max_prepared_statements": 0,
}


def setting(bouncer: Bouncer, name: str) -> Known | Default | Unknown:
    """A setting as PgBouncer reads it; a number setting that is not a number falls back to the default, said. A
    provider pooler's settings are the provider's (Default, or Unknown where they follow a compute size not given)."""
    value = bouncer.settings.get(name)
    if isinstance(value, (Default, Unknown)):
        return value
    default = DEFAULTS[name]
    if name == "max_prepared_statements" and bouncer.version is not None and bouncer.version >= (1, 24):
        default = 200  # PgBouncer 1.24.0 turned prepared statement support on by default (pgbouncer#1144)
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
            endpoint = from_url(url) if isinstance(url, str) else (host, port)
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
                found[connection.pools[0].location] = from_url(url)
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
        return from_url(url)
    options = connection.created.options
    place = options.get("connection") if isinstance(options.get("connection"), Obj) else options
    host = _value(place.get("host") or place.get("hostname"), env)  # postgres.js and Bun SQL take either
    port = _value(place.get("port"), env)
    return (host, port) if host or port else None


def tracks_prepared(bouncer: Bouncer) -> bool:
    """Whether protocol-level named prepared statements survive the pooler (PgBouncer 1.21+ max_prepared_statements
    > 0; Neon's pooler, whose pages say so)."""
    value = setting(bouncer, "max_prepared_statements")
    return not isinstance(value, Unknown) and isinstance(value.value, int) and value.value > 0


def is_provider(bouncer: Bouncer) -> bool:
    """A managed provider's pooler (`provider_bouncers`), not one the repository runs."""
    return _PROVIDER_NAME.match(bouncer.name) is not None


def label(bouncer: Bouncer) -> str:
    """How messages name it: `PgBouncer pgbouncer.ini`, or the provider pooler's own name."""
    return bouncer.name if is_provider(bouncer) else f"PgBouncer {bouncer.name}"


def bouncer_for(endpoint: tuple[str | None, int | None] | None, bouncers: tuple[Bouncer, ...]) -> Bouncer | None:
    if endpoint is None:
        return None
    host, port = endpoint
    if classify(host, port) is not None:  # a provider's host is its pooler or its server, never a bouncer in the tree
        wanted = _provider_bouncer_name(classify(host, port))
        return next((bouncer for bouncer in bouncers if bouncer.name == wanted), None)
    for bouncer in bouncers:
        names = {name.lower() for name in bouncer.hosts}
        if host and (host.lower() in names or "bouncer" in host.lower() or "pooler" in host.lower()):
            return bouncer
        if port is not None and str(port).strip() == str(setting(bouncer, "listen_port").value):
            return bouncer
    return None


def client_side(bouncer: Bouncer) -> Server | None:
    """The bouncer as the apps see it: max_client_conn slots per replica, none reserved; None when a provider's
    limit cannot be told (a compute size nothing names, which PGC122 reports; RDS Proxy's, not modelled)."""
    limit = setting(bouncer, "max_client_conn")
    if isinstance(limit, Unknown):
        return None
    copies = bouncer.replicas
    if copies is not None and not isinstance(copies, Unknown) and copies.value != 1:
        via = f"{cite(copies, 'replicas')} × max_client_conn {cite(limit)}"
        total = copies.value * limit.value
        limit = Known(total, limit.location, via) if isinstance(limit, Known) else Default(total, limit.location, via)
    none = Default(0, bouncer.location, "PgBouncer reserves none")
    return Server(label(bouncer), bouncer.location, limit, none, none, False, limit_name="max_client_conn")


def server_side(bouncer: Bouncer, through=()) -> tuple[ProcessGroup, Pool]:
    """The bouncer as the server sees it: one pool per database, pool_size + reserve_pool_size each, capped by
    max_db_connections, in each replica. A provider's pooler opens no more server connections than the clients
    that go through it (`through`: the budget terms of those pools) hold, nor more than its pool size."""
    default_size, reserve = setting(bouncer, "default_pool_size"), setting(bouncer, "reserve_pool_size")
    if is_provider(bouncer):
        return _group(bouncer), Pool(
            f"server connections of {bouncer.name}",
            bouncer.location,
            _provider_pool(default_size, _clients(through), bouncer.location),
        )
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
    return _group(bouncer), Pool(f"server connections of {label(bouncer)}", where, pool_max)


def _provider_pool(size: Default | Unknown, clients: float | None, where: Location) -> Default | Unknown:
    """min(pool size, client connections through it); the pool size when the clients cannot be told. An unknown pool
    size stays unknown: the clients bound it, but a bound far above what the provider configures would be a guess
    of another kind."""
    if clients is None or math.isinf(clients) or isinstance(size, Unknown):
        return size
    held = f"the {int(clients)} client connections that go through it"
    if clients < size.value:
        return Default(int(clients), where, f"{held}, fewer than its pool size {size.value} [{size.why}]")
    return size


def _clients(terms) -> float | None:
    """Connections the pools through a pooler hold at once; None when any of them is unknown."""
    products = [term.product for term in terms]
    return None if not products or None in products else sum(products)


def _group(bouncer: Bouncer) -> ProcessGroup:
    """The bouncer's processes: its replicas (each opens its own pools), else one."""
    copies = bouncer.replicas or Known(1, bouncer.location, bouncer.location.short)
    units = Default(UNBOUNDED_UNITS, bouncer.location, "a bouncer uses its whole pool")
    return ProcessGroup(label(bouncer), bouncer.location, copies, "pgbouncer", False, (), {}, units=units)


# --- managed providers' endpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A provider's host and port, as a connection URL names them."""

    provider: str  #: "supabase", "neon" (the keys of pgconnlint/data/providers.toml)
    mode: str  #: "transaction", "session", or "direct" (the server itself)
    pooler: str  #: "Supavisor", "dedicated PgBouncer", "PgBouncer"; "" for a direct host
    host: str
    port: int

    @property
    def describe(self) -> str:
        what = "direct connection" if self.mode == "direct" else f"{self.pooler} in {self.mode} mode"
        return f"{self.provider.capitalize()} {what} ({self.host}:{self.port})"


_SUPABASE_POOLER = re.compile(r"[a-z0-9-]+\.pooler\.supabase\.com", re.IGNORECASE)
_SUPABASE_DIRECT = re.compile(r"db\.[a-z0-9]+\.supabase\.co", re.IGNORECASE)
_NEON = re.compile(r"(?P<endpoint>ep-[a-z0-9-]+?)(?P<pooler>-pooler)?\.[a-z0-9.-]+\.neon\.tech", re.IGNORECASE)
_RDS_PROXY = re.compile(r"(?P<name>[a-z0-9-]+)\.(?:endpoint\.)?proxy-[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com", re.I)
_PROVIDER_NAME = re.compile(r"(Supabase|Neon|AWS) ")
_POSTGRES_PORT = 5432  # libpq's default, when a URL names no port


def classify(host: str | None, port: int | str | None) -> Endpoint | None:
    """Supabase: `*.pooler.supabase.com` 6543 is Supavisor's transaction mode, 5432 its session mode;
    `db.<ref>.supabase.co` 5432 the server, 6543 the dedicated PgBouncer (transaction mode). Neon: `ep-…-pooler.<region>
    .neon.tech` is PgBouncer in transaction mode, `ep-….neon.tech` the server (pgconnlint/data/providers.toml)."""
    if not host:
        return None
    try:
        number = int(port) if port not in (None, "") else _POSTGRES_PORT
    except (TypeError, ValueError):
        return None
    host = host.lower()
    if _SUPABASE_POOLER.fullmatch(host):
        mode = "transaction" if number == 6543 else "session"
        return Endpoint("supabase", mode, "Supavisor", host, number)
    if _SUPABASE_DIRECT.fullmatch(host):
        if number == 6543:
            return Endpoint("supabase", "transaction", "dedicated PgBouncer", host, number)
        return Endpoint("supabase", "direct", "", host, number)
    if _RDS_PROXY.fullmatch(host):
        return Endpoint("rds", "multiplexed", "RDS Proxy", host, number)
    neon = _NEON.fullmatch(host)
    if neon:
        pooled = neon["pooler"] is not None
        return Endpoint("neon", "transaction" if pooled else "direct", "PgBouncer" if pooled else "", host, number)
    return None


def provider_endpoints(group: ProcessGroup) -> dict[Location, Endpoint]:
    """The provider endpoint of each pool of the group whose URL or host names one."""
    found = {}
    for where, (host, port) in endpoints(group).items():
        endpoint = classify(host, port)
        if endpoint is not None:
            found[where] = endpoint
    return found


def provider_bouncers(groups, servers, bouncers: tuple[Bouncer, ...] = ()) -> tuple[Bouncer, ...]:
    """The bouncers of the tree, then one per provider pooler endpoint the pools use, configured from the provider's
    pages and the compute size a `server-profile` names (e.g. "supabase:small"); without one, what follows the size
    stays Unknown. An RDS Proxy that Terraform declares (extract/terraform.py) is completed here: its pool is its
    max_connections_percent of the first server's max_connections, the server its term counts against."""
    found = {bouncer.name: _rds_proxy(bouncer, servers) if _is_rds_proxy(bouncer) else bouncer for bouncer in bouncers}
    for group in groups:
        for where, endpoint in provider_endpoints(group).items():
            name = _provider_bouncer_name(endpoint)
            if endpoint.mode == "direct" or name in found:
                continue
            if endpoint.provider == "rds":
                found[name] = _rds_proxy(Bouncer(name, where, {}, (), (endpoint.host,)), servers)
                continue
            settings = pooler_settings(
                endpoint.provider, endpoint.mode, profile_size(servers, endpoint.provider), where
            )
            settings["listen_port"] = Known(endpoint.port, where, where.short)
            found[name] = Bouncer(name, where, settings, (), (endpoint.host,))
    return tuple(found.values())


def _is_rds_proxy(bouncer: Bouncer) -> bool:
    return bouncer.name.startswith("AWS RDS Proxy ")


def _rds_proxy(bouncer: Bouncer, servers) -> Bouncer:
    percent = bouncer.settings.get("max_connections_percent")
    settings = rds_proxy_settings(percent, servers[0].max_connections, bouncer.location)
    return replace(bouncer, settings={**bouncer.settings, **settings})


def profile_size(servers, provider: str) -> str | None:
    """The compute size of the `server-profile` naming this provider ("small" of "supabase:small"), if any."""
    for server in servers:
        config = server.config
        if config is not None and config.managed == provider and config.name.startswith("profile "):
            return config.name.partition(":")[2] or None
    return None


def _provider_bouncer_name(endpoint: Endpoint) -> str:
    if endpoint.provider == "rds":  # named as Terraform's aws_db_proxy `name`, the endpoint's first label
        return f"AWS RDS Proxy {endpoint.host.partition('.')[0]}"
    return f"{endpoint.provider.capitalize()} {endpoint.pooler} {endpoint.host}:{endpoint.port}"


def _count(options: dict[str, Known], key: str, fallback: int) -> int:
    """A per-database number; one that is not a number leaves the [pgbouncer] value in force."""
    value = options.get(key)
    return value.value if value is not None and isinstance(value.value, int) else fallback


def _value(expr, env):
    if expr is None:
        return None
    value = evaluate(expr, env)
    return value.value if isinstance(value, Known) else None


def from_url(url: str) -> tuple[str | None, int | None]:
    """A connection URL's host and port (None where it has none or cannot be read)."""
    try:
        parts = urlsplit(url)
        return parts.hostname, parts.port
    except ValueError:
        return None, None

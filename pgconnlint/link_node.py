"""Node pools beyond TypeORM as one process group runs them: node-postgres, Knex, Sequelize, postgres.js, Prisma.

The linker (pgconnlint/link.py `_connections`) hands over the facts of one package and the environment of the
process that runs it; every value is evaluated there, and every default is the library's own, read in its source
(docs/budget.md, "Node pools", lists them with versions):

- node-postgres, pg-pool 3.x (brianc/node-postgres packages/pg-pool/index.js):
  `max = options.max || options.poolSize || 10`, so 0 and NaN mean 10; `connectionTimeoutMillis` unset or 0 means a
  caller waits forever (no timer is set); `new Client()` is one connection, with the same default
  (packages/pg/lib/client.js: `this._connectionTimeoutMillis = c.connectionTimeoutMillis || 0`).
- Knex 3.x (knex/knex lib/client.js): `poolDefaults()` is `{ min: 2, max: 10 }`; `pool.max: 0` creates no pool; the
  acquire timeout is the smallest of `acquireConnectionTimeout` and `pool.acquireTimeoutMillis`, else 60000 ms. The
  CLI picks `knexfile[--env || NODE_ENV || "development"] || knexfile` (bin/utils/cli-config-utils.js).
- Sequelize 6 (sequelize/sequelize src/dialects/abstract/connection-manager.js): `pool` defaults to
  `{ max: 5, min: 0, idle: 10000, acquire: 60000, evict: 1000 }`; with `replication`, a read pool and a write pool of
  `max` each; sequelize-pool (src/Pool.ts) refuses a `max` that is not an integer > 0.
- postgres.js 3.x (porsager/postgres src/index.js `parseOptions`): `max` 10 and `connect_timeout` 30 s, each taken
  from the options, else the URL's query, else `PG<NAME>` in the environment; the connections are
  `[...Array(options.max)]`, so a string `max` (always so from the URL or the environment) makes one connection, and
  a URL that cannot be read leaves the default 10 as the most it can open (3.4.9: `max` is not among the `ints`);
  `connect_timeout` 0 sets no timer (src/connection.js `timer`).
- Prisma ORM up to 6 (prisma/prisma-engines quaint/src/pooled.rs, quaint/src/connector/postgres/url.rs):
  `connection_limit` defaults to `num_cpus::get_physical() * 2 + 1`, `connect_timeout` to 5 s and `pool_timeout` to
  10 s (0 turns either off); parameters it does not know are discarded. With a driver adapter
  (`new PrismaPg(config)`, packages/adapter-pg/src/pg.ts) the adapter opens `new pg.Pool(config)`: pg's rules apply.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

from pgconnlint.clients import pg
from pgconnlint.expr import CPU_COUNT_VARIABLE, Arr, Environment, EnvVar, Expr, Lit, Obj, evaluate
from pgconnlint.extract.node_pools import EXTERNAL_POOL
from pgconnlint.linked import IgnoredOption, NodeConnection, Pool
from pgconnlint.model import Default, Known, Location, NodePool, Unknown

PG_DEFAULT_MAX = pg.DEFAULT_MAX
KNEX_DEFAULT_MAX = 10  # knex lib/client.js: poolDefaults() { return { min: 2, max: 10, … } }
KNEX_DEFAULT_ACQUIRE_MS = 60_000  # knex lib/client.js: DEFAULT_ACQUIRE_TIMEOUT = 60000
SEQUELIZE_DEFAULT_MAX = 5  # sequelize connection-manager.js: _.defaults(config.pool, { max: 5, … })
SEQUELIZE_DEFAULT_ACQUIRE_MS = 60_000  # … acquire: 60000
POSTGRES_JS_DEFAULT_MAX = 10  # postgres.js parseOptions defaults: max: 10
POSTGRES_JS_DEFAULT_CONNECT_S = 30  # … connect_timeout: 30 (seconds)
PRISMA_DEFAULT_CONNECT_S = 5  # quaint postgres/url.rs: connect_timeout = Some(Duration::from_secs(5))

KNEX_POSTGRES_CLIENTS = ("pg", "postgres", "postgresql", "pgnative", "pg-native", "cockroachdb")
PRISMA_PARAMETERS = (  # quaint postgres/url.rs parse_query_params; anything else is discarded
    "connection_limit",
    "connect_timeout",
    "pool_timeout",
    "socket_timeout",
    "pgbouncer",
    "schema",
    "sslmode",
    "sslcert",
    "sslidentity",
    "sslpassword",
    "sslaccept",
    "statement_cache_size",
    "host",
    "max_connection_lifetime",
    "max_idle_connection_lifetime",
    "application_name",
    "channel_binding",
    "options",
)
# Options each library reads for its pool, and keys people write for them by mistake (a MySQL or another
# library's spelling): a key of neither kind is left alone, since it may be an option this list does not name.
_PG_POOL_KEYS = ("max", "min", "poolSize", "idleTimeoutMillis", "connectionTimeoutMillis", "maxUses")
_PG_KEYS = _PG_POOL_KEYS + (
    *("maxLifetimeSeconds", "allowExitOnIdle", "log", "Client", "Promise", "verify", "user", "password", "host"),
    *("database", "port", "connectionString", "ssl", "types", "statement_timeout", "query_timeout", "lock_timeout"),
    *("application_name", "idle_in_transaction_session_timeout", "keepAlive", "keepAliveInitialDelayMillis"),
    *("options", "stream", "binary", "client_encoding", "fallback_application_name", "parseInputDatesAsUTC"),
    *("enableChannelBinding", "connect_timeout", "hooks"),
)
_PG_MISTAKES = {
    "maxConnections": "max",
    "connectionLimit": "max",
    "poolMax": "max",
    "pool_size": "max",
    "size": "max",
    "connectTimeout": "connectionTimeoutMillis",
    "connectTimeoutMS": "connectionTimeoutMillis",
    "connectionTimeout": "connectionTimeoutMillis",
    "acquireTimeoutMillis": "connectionTimeoutMillis",
    "idleTimeout": "idleTimeoutMillis",
}
_TARN_KEYS = (  # tarn.js, Knex's pool
    *("min", "max", "acquireTimeoutMillis", "createTimeoutMillis", "destroyTimeoutMillis", "idleTimeoutMillis"),
    *("reapIntervalMillis", "createRetryIntervalMillis", "propagateCreateError", "afterCreate", "log", "validate"),
)
_TARN_MISTAKES = {
    "maxConnections": "max",
    "size": "max",
    "acquireConnectionTimeout": "the top-level acquireConnectionTimeout",
    "acquireTimeout": "acquireTimeoutMillis",
    "idleTimeout": "idleTimeoutMillis",
}
_KNEX_TOP_MISTAKES = {
    "max": "pool.max",
    "min": "pool.min",
    "poolSize": "pool.max",
    "acquireTimeout": "acquireConnectionTimeout",
}
_SEQUELIZE_POOL_KEYS = ("max", "min", "idle", "acquire", "evict", "maxUses", "validate")
_SEQUELIZE_MISTAKES = {
    "maxConnections": "max",
    "size": "max",
    "idleTimeoutMillis": "idle",
    "idleTimeout": "idle",
    "acquireTimeoutMillis": "acquire",
    "acquireTimeout": "acquire",
}
_POSTGRES_JS_KEYS = (
    *("host", "hostname", "port", "path", "database", "db", "user", "username", "pass", "password", "ssl", "max"),
    *("max_lifetime", "idle_timeout", "connect_timeout", "prepare", "no_prepare", "types", "onnotice", "onnotify"),
    *("onclose", "onparameter", "debug", "connection", "transform", "socket", "target_session_attrs"),
    *("fetch_types", "publications", "backoff", "keep_alive", "max_pipeline", "timeout", "no_subscribe"),
)
_POSTGRES_JS_MISTAKES = {
    "maxConnections": "max",
    "poolSize": "max",
    "connectTimeout": "connect_timeout",
    "connectionTimeoutMillis": "connect_timeout",
    "idleTimeout": "idle_timeout",
    "idleTimeoutMillis": "idle_timeout",
}


def node_connections(
    facts: list[NodePool], env: Environment, package=None, built_elsewhere: Iterable[NodeConnection] = ()
) -> tuple[NodeConnection, ...]:
    """The connections a process of one package opens, given that package's facts (and its package.json, whose
    MikroORM version decides who holds MikroORM's pool); `built_elsewhere`: the ones a module built on this one's
    helpers made (Bun SQL, link_bun.py), counted per NestJS module alike."""
    by_library: dict[str, list[NodePool]] = {}
    for fact in facts:
        by_library.setdefault(fact.library, []).append(fact)
    found: list[NodeConnection | None] = []
    found += [_pg(fact, env) for fact in by_library.get("pg", []) + by_library.get("pg-client", [])]
    found += [_postgres_js(fact, env) for fact in by_library.get("postgres.js", [])]
    found += built_elsewhere
    found += _with_config_file(by_library.get("knex", []), env, _knex, "client")
    sequelize_rc = by_library.get("sequelizerc", [])
    found += _with_config_file(by_library.get("sequelize", []), env, _sequelize, "dialect", sequelize_rc)
    schema_settings = by_library.get("prisma-config", []) + by_library.get("prisma-project", [])
    found += _prisma(by_library.get("prisma", []), schema_settings, env)
    mikro_orm = _mikro_orm_builder(_major(package, ("@mikro-orm/postgresql", "@mikro-orm/core")))
    found += _with_config_file(by_library.get("mikro-orm", []), env, mikro_orm, None)
    return tuple(per_module([connection for connection in found if connection is not None], facts))


# --- node-postgres -----------------------------------------------------------------------------------------------


def _pg(fact: NodePool, env: Environment, label: str | None = None) -> NodeConnection:
    options = fact.options
    label = label or _label(fact)
    help_text = "set connectionTimeoutMillis to a few seconds, e.g. 5000"
    if fact.library == "pg-client":
        one = Known(1, fact.location, "new Client(): one connection")
        return NodeConnection(fact, (Pool(label, fact.location, one),), _pg_timeout(options, env), help_text)
    size = _elsewhere(options, "max") or _pg_max(options, env)
    ignored = _misspelled(options, _PG_KEYS, _PG_POOL_KEYS, _PG_MISTAKES, "node-postgres' Pool", "")
    # a size the code computes from `os.cpus()` (expr.py binds it to the CPU count checked with): PGC301
    pool = Pool(label, options.location, size, cpu_dependent=isinstance(size, Known) and " CPUs (" in size.via)
    return NodeConnection(fact, (pool,), _pg_timeout(options, env), help_text, ignored=tuple(ignored))


def _pg_max(options: Obj, env: Environment) -> Known | Default | Unknown:
    """`max || poolSize || 10` (pgconnlint/clients/pg.py)."""
    values = [(key, evaluate(options.get(key), env)) for key in ("max", "poolSize")]
    return pg.pool_max(values, options.location)


def _pg_timeout(options: Obj, env: Environment) -> Known | Default | Unknown:
    value = evaluate(options.get("connectionTimeoutMillis"), env)
    if value is not None:
        return value
    if options.opaque_spreads:
        return Unknown(options.opaque_spreads[0], options.location, "the options come from elsewhere")
    return Default(0, options.location, "connectionTimeoutMillis is not set")


# --- postgres.js -------------------------------------------------------------------------------------------------


def _postgres_js(fact: NodePool, env: Environment) -> NodeConnection:
    options = fact.options
    url = evaluate(fact.url, env) if fact.url is not None else None
    query = _query(url.value) if isinstance(url, Known) and isinstance(url.value, str) else {}
    help_text = "set connect_timeout (seconds) to a positive number, e.g. 10"
    size = _elsewhere(options, "max") or _postgres_js_max(options, query, url, env)
    if isinstance(url, Unknown) and not options.entries:
        # a number from the URL's query (`connect_timeout` is one of parseOptions' `ints`) would win
        timeout = Unknown(url.expression, url.location, f"postgres.js reads connect_timeout from the URL: {url.reason}")
    else:
        timeout = _postgres_js_timeout(options, query, url, env)
    ignored = _misspelled(options, _POSTGRES_JS_KEYS, ("max", "connect_timeout", "idle_timeout"), _POSTGRES_JS_MISTAKES)
    pool = Pool(_label(fact), options.location, size)
    return NodeConnection(fact, (pool,), timeout, help_text, ignored=tuple(ignored))


def _postgres_js_max(options: Obj, query: dict, url, env: Environment) -> Known | Default | Unknown:
    """`k in o ? o[k] : k in query ? query[k] : env.PGMAX || 10`, then `[...Array(max)]` connections."""
    value = evaluate(options.get("max"), env) if "max" in options.entries else None
    if "max" in options.entries and value is None:
        value = Known(None, options.key_location("max"), "max is undefined")
    if value is None and "max" in query:
        value = Known(query["max"], url.location, f"max={query['max']} in the URL")
    if value is None and "PGMAX" in env:
        binding = env["PGMAX"]
        value = Known(binding.value, binding.location, f"PGMAX={binding.value!r} from {binding.source}")
    if value is None and isinstance(url, Unknown):  # a `?max=` in it is a string: 1 connection, never more than 10
        why = f"postgres.js default; the URL cannot be read ({url.reason}), and a ?max= in it would make 1 connection"
        return Default(POSTGRES_JS_DEFAULT_MAX, options.location, why)
    if value is None:
        return Default(POSTGRES_JS_DEFAULT_MAX, options.location, "postgres.js default; max is not set")
    if isinstance(value, Unknown):
        return value
    raw = value.value
    if isinstance(raw, str):
        why = f"max is the string {raw!r}: postgres.js makes `[...Array(max)]` connections, one for a string"
        return Known(1, value.location, why)
    number = _number(raw)
    if number is None or number < 0 or number != int(number):
        return Unknown(_shown(raw), value.location, "postgres.js fails at start: `Array(max)` needs a whole number")
    return Known(int(number), value.location, value.via)


def _postgres_js_timeout(options: Obj, query: dict, url, env: Environment) -> Known | Default | Unknown:
    if "connect_timeout" in options.entries:
        value = evaluate(options.get("connect_timeout"), env)
    elif "connect_timeout" in query:
        value = Known(query["connect_timeout"], url.location, "connect_timeout in the URL")
    elif "PGCONNECT_TIMEOUT" in env:
        binding = env["PGCONNECT_TIMEOUT"]
        value = Known(binding.value, binding.location, f"PGCONNECT_TIMEOUT from {binding.source}")
    else:
        why = "postgres.js default connect_timeout 30 s"
        return Default(POSTGRES_JS_DEFAULT_CONNECT_S * 1000, options.location, why)
    if not isinstance(value, Known):
        return value or Unknown("connect_timeout", options.location, "undefined")
    seconds = _number(value.value) if value.value not in (None, False) else 0
    if seconds is None:
        return Unknown(_shown(value.value), value.location, "connect_timeout is not a number")
    return Known(seconds * 1000, value.location, value.via)


# --- MikroORM ----------------------------------------------------------------------------------------------------


def _major(package, names: tuple[str, ...]) -> int | None:
    """The major version a package.json range allows (`^6.4.0`, `~7.1`, `6.x`), None when it is not a plain range."""
    ranges = getattr(package, "dependencies", None) or {}
    written = next((ranges[name] for name in names if name in ranges), "")
    match = re.fullmatch(r"[\^~=v>]*\s*(\d+)(?:\.[\dx*]+)*", written.strip())
    return int(match.group(1)) if match else None


_MIKRO_ORM_UNREAD = "MikroORM (version not read from package.json; up to 6 Knex's pool, from 7 pg's, both max 10)"


def _mikro_orm_builder(major: int | None) -> Callable:
    """MikroORM's pool: up to 6 `pool` (and `driverOptions.pool`) goes to Knex, default max 10 (packages/knex/src/
    AbstractSqlConnection.ts `getKnexOptions`, 6.6.16: `pool: this.config.get('pool')`, Configuration.ts default
    `pool: {}`); from 7 `pool.max` (or `driverOptions.max`) goes to node-postgres' Pool, default max 10
    (packages/postgresql/src/PostgreSqlConnection.ts `mapOptions`, 7.1.13)."""

    def build(fact: NodePool, options: Obj, env: Environment, url, call: NodePool | None, label: str | None = None):
        label = label or _label(fact)
        if options.opaque_spreads and not options.entries:
            unknown = Unknown(options.opaque_spreads[0], options.location, "the MikroORM options are not written here")
            return NodeConnection(fact, (Pool(label, options.location, unknown),), unknown, "", call=call)
        driver = options.get("driverOptions")
        driver = driver if isinstance(driver, Obj) else Obj(options.location, "")
        if major is not None and major >= 7:
            pool = Pool(label, options.location, _mikro_orm_max(options, driver, env))
            help_text = "set driverOptions.connectionTimeoutMillis to a few seconds, e.g. 5000"
            return NodeConnection(fact, (pool,), _pg_timeout(driver, env), help_text, call)
        knex_pool = driver.get("pool") or options.get("pool")
        size = _knex_max(options, knex_pool, env)
        version = f"MikroORM {major}" if major is not None else _MIKRO_ORM_UNREAD
        if isinstance(size, Default):
            size = Default(size.value, size.location, f"{version}: pool → {size.why}")
        timeout = (
            _knex_timeout(driver, knex_pool, env)
            if major is not None
            else Unknown("driverOptions", options.location, f"{version}: the connect timeout is Knex's or pg's")
        )
        help_text = "set driverOptions.acquireConnectionTimeout (milliseconds), e.g. 10000"
        return NodeConnection(fact, (Pool(label, options.location, size),), timeout, help_text, call)

    return build


def _mikro_orm_max(options: Obj, driver: Obj, env: Environment) -> Known | Default | Unknown:
    """MikroORM 7: `driverOptions.max` over `pool.max` over node-postgres' `max || 10`."""
    pool = options.get("pool")
    written = driver.get("max") or (pool.get("max") if isinstance(pool, Obj) else None)
    if written is None:
        why = "MikroORM 7 pool → node-postgres default max 10; pool.max is not set"
        return Default(PG_DEFAULT_MAX, options.location, why)
    return pg.pool_max([("max", evaluate(written, env))], written.location)


# --- Knex and Sequelize: calls and the configuration files they read ---------------------------------------------


def _with_config_file(
    facts: list[NodePool], env: Environment, build: Callable, flat_key: str | None, named: list[NodePool] = ()
) -> list:
    """Calls with their options written in place count each; calls that read a configuration file (`knex(config[env])`,
    sequelize-cli's models/index.js) count once, with the file's section for NODE_ENV; a file that no call is seen to
    read counts once when the package has no call at all (the app imports it in a way not followed here).

    `named`: sequelize-cli's `.sequelizerc`, whose `config` replaces the default config/config.js(on)."""
    files = sorted((fact for fact in facts if fact.config_file), key=lambda fact: fact.location.path)
    rc = min(named, key=lambda fact: fact.location.path.count("/"), default=None)
    files, missing = _named_config_file(files, rc) if rc is not None else (files, None)
    calls = [fact for fact in facts if not fact.config_file]
    found = [build(call, call.options, env, call.url, None) for call in calls if not call.uses_config_file]
    readers = [call for call in calls if call.uses_config_file]
    if not readers and calls:
        return found
    reader = next((call for call in readers if call.per_call), readers[0] if readers else None)
    if missing is not None:
        label = f"{reader.source} in {reader.location.path} with {rc.source}" if reader else rc.source
        return found + [NodeConnection(rc, (Pool(label, missing.location, missing),), missing, "", call=reader)]
    if not files:
        return found + [build(reader, reader.options, env, None, None)] if reader else found
    file = files[0]
    section, name = _section(file, env, flat_key)
    if isinstance(section, Unknown):
        label = f"{reader.source} in {reader.location.path} with {file.source}" if reader else file.source
        pool = Pool(label, file.location, section)
        return found + [NodeConnection(file, (pool,), section, "", call=reader)]
    in_section = f"{file.source}{f' ({name})' if name else ''}"
    label = f"{reader.source} in {reader.location.path} with {in_section}" if reader else in_section
    configured = replace(file, options=section, source=in_section)
    return found + [build(configured, section, env, None, reader, label)]


def _named_config_file(files: list[NodePool], rc: NodePool) -> tuple[list[NodePool], Unknown | None]:
    """The configuration file `.sequelizerc` names (`config: path.resolve('config', 'database.json')`), read by
    sequelize-cli and by the models/index.js that `sequelize init` writes from it, in place of config/config.json."""
    value = rc.options.entries.get("config")
    if not isinstance(value, Lit) or not isinstance(value.value, str):
        text = value.text if value is not None else "config"
        return [], Unknown(text, rc.location, f"{rc.source} names its config file as `{text}`, which is not followed")
    chosen = [file for file in files if file.location.path == value.value]
    if chosen:
        return chosen, None
    why = f"{rc.source} names {value.value}, which pgconnlint did not read as a Sequelize configuration"
    return [], Unknown(value.value, value.location, why)


def _section(file: NodePool, env: Environment, flat_key: str | None) -> tuple[Obj | Unknown, str]:
    """The environment section NODE_ENV names (`development` when unset), or the whole file when it is flat."""
    exported = file.options
    if file.computed is not None:
        why = f"{file.source} computes its configuration (`{file.computed}`), which pgconnlint does not run"
        return Unknown(file.computed, file.location, why), ""
    node_env = evaluate(EnvVar(file.location, "process.env.NODE_ENV", "NODE_ENV"), env)
    name = node_env.value if isinstance(node_env, Known) and isinstance(node_env.value, str) else "development"
    if flat_key is None or flat_key in exported.entries:  # None: a library with no environment sections (MikroORM)
        return exported, ""
    section = exported.entries.get(name)
    if section is None:
        sections = ", ".join(exported.entries) or "none"
        why = f"{file.source} has no `{name}` section (NODE_ENV={name}; its sections: {sections})"
        return Unknown(f"{file.source}[{name!r}]", file.location, why), name
    if not isinstance(section, Obj):
        value = evaluate(section, env)
        if not (isinstance(value, Known) and isinstance(value.value, Obj)):
            return Unknown(section.text, section.location, f"the `{name}` section is computed"), name
        section = value.value
    return section, name


def _knex(fact: NodePool, options: Obj, env: Environment, url, call: NodePool | None, label: str | None = None):
    help_text = "set acquireConnectionTimeout (milliseconds) to a positive number, e.g. 10000"
    label = label or _label(fact)
    client = evaluate(options.get("client") or options.get("dialect"), env)
    if client is None and options.opaque_spreads:
        spread = options.opaque_spreads[0]
        unknown = Unknown(spread, options.location, "the Knex configuration is not written here")
        return NodeConnection(fact, (Pool(label, options.location, unknown),), unknown, help_text, call=call)
    if client is None:
        return None  # Knex refuses a configuration without `client`
    if isinstance(client, Unknown):
        unknown = replace(client, reason=f"the Knex client decides whether this is PostgreSQL; {client.reason}")
        return NodeConnection(fact, (Pool(label, options.location, unknown),), unknown, help_text, call=call)
    if str(client.value).lower() not in KNEX_POSTGRES_CLIENTS:
        return None
    pool = options.get("pool")
    size = _knex_max(options, pool, env)
    ignored = _knex_ignored(options, pool, size)
    timeout = _knex_timeout(options, pool, env)
    return NodeConnection(fact, (Pool(label, options.location, size),), timeout, help_text, call, tuple(ignored))


def _knex_max(options: Obj, pool: Expr | None, env: Environment) -> Known | Default | Unknown:
    if isinstance(pool, Obj) and "max" in pool.entries:
        value = evaluate(pool.get("max"), env)
        if value is None:
            return Default(KNEX_DEFAULT_MAX, pool.key_location("max"), "Knex default pool.max 10; max is undefined")
        if isinstance(value, Unknown):
            return value
        number = _number(value.value)
        if number == 0:
            why = "pool.max 0: Knex creates no pool, and every query fails with `Unable to acquire a connection`"
            return Known(0, value.location, why)
        if number is None or number < 0 or number != int(number):
            why = "tarn.js, Knex's pool, refuses a max that is not a whole number"
            return Unknown(_shown(value.value), value.location, why)
        return Known(int(number), value.location, value.via)
    if pool is not None and not isinstance(pool, Obj):
        value = evaluate(pool, env)
        if not (isinstance(value, Known) and isinstance(value.value, Obj)):
            return Unknown(pool.text, pool.location, "the pool options are not written here")
        return _knex_max(options, value.value, env)
    where = pool.location if isinstance(pool, Obj) else options.location
    return Default(KNEX_DEFAULT_MAX, where, "Knex default pool.max 10")


def _knex_timeout(options: Obj, pool: Expr | None, env: Environment) -> Known | Default | Unknown:
    """The smallest of acquireConnectionTimeout and pool.acquireTimeoutMillis that is set, else 60000 ms."""
    values = [evaluate(options.get("acquireConnectionTimeout"), env)]
    if isinstance(pool, Obj):
        values.append(evaluate(pool.get("acquireTimeoutMillis"), env))
    values = [value for value in values if value is not None]
    for value in values:
        if isinstance(value, Unknown):
            return value
    if not values:
        return Default(KNEX_DEFAULT_ACQUIRE_MS, options.location, "Knex default acquireConnectionTimeout 60000 ms")
    return min(values, key=lambda value: _number(value.value) if _number(value.value) is not None else math.inf)


def _knex_ignored(options: Obj, pool: Expr | None, size) -> list[IgnoredOption]:
    found = []
    connection = options.get("connection")
    if isinstance(connection, Obj) and "pool" in connection.entries:
        found.append(
            IgnoredOption(
                connection.key_location("pool"),
                "`pool` inside `connection` is never read: Knex passes `connection` to node-postgres' Client, which"
                f" ignores it, and reads only the top-level `pool`; the pool stays at {_value_text(size)}",
                "move `pool` out of `connection`, beside it",
            )
        )
    for key, target in _KNEX_TOP_MISTAKES.items():
        if key in options.entries:
            found.append(_mistake(options, key, target, "Knex"))
    if isinstance(pool, Obj):
        found += _misspelled(pool, _TARN_KEYS, _TARN_KEYS, _TARN_MISTAKES, "Knex's pool (tarn.js)", "pool.")
    return found


def _sequelize(fact: NodePool, options: Obj, env: Environment, url, call: NodePool | None, label: str | None = None):
    help_text = "set pool.acquire (milliseconds) to a positive number, e.g. 30000"
    label = label or _label(fact)
    variable = evaluate(options.get("use_env_variable"), env)
    if isinstance(variable, Known) and isinstance(variable.value, str):  # sequelize-cli: the URL is in that variable
        url = EnvVar(variable.location, f"process.env.{variable.value}", variable.value)
    dialect = evaluate(options.get("dialect"), env)
    address = evaluate(url, env) if url is not None else None
    if dialect is None and isinstance(address, Known):
        dialect = Known(str(address.value).split(":", 1)[0], address.location, address.via)
    if isinstance(dialect, Unknown) or (dialect is None and (options.opaque_spreads or isinstance(address, Unknown))):
        unknown = dialect or address or Unknown(options.text, options.location, "the options are not written here")
        unknown = replace(unknown, reason=f"the dialect decides whether this is PostgreSQL; {unknown.reason}")
        return NodeConnection(fact, (Pool(label, options.location, unknown),), unknown, help_text, call=call)
    if dialect is None or str(dialect.value).lower() not in ("postgres", "postgresql"):
        return None  # another database, or no dialect: Sequelize refuses to start without one
    pool = options.get("pool")
    size = _sequelize_max(options, pool, env)
    timeout = _sequelize_acquire(options, pool, env)
    pools = _sequelize_pools(options, label, size, env)
    ignored = _sequelize_ignored(options, pool)
    return NodeConnection(fact, pools, timeout, help_text, call, tuple(ignored))


def _sequelize_max(options: Obj, pool: Expr | None, env: Environment) -> Known | Default | Unknown:
    if isinstance(pool, Obj) and "max" in pool.entries:
        value = evaluate(pool.get("max"), env)
        if isinstance(value, Unknown):
            return value
        raw = value.value if value is not None else None
        number = _number(raw) if raw is not None else None
        if number is None or number <= 0 or number != int(number) or isinstance(raw, str):
            where = value.location if value is not None else pool.key_location("max")
            why = "sequelize-pool refuses it (`max must be an integer > 0`): the app fails at start"
            return Unknown(f"pool.max {_shown(raw)}", where, why)
        return Known(int(number), value.location, value.via)
    if pool is not None and not isinstance(pool, Obj):
        return Unknown(pool.text, pool.location, "the pool options are not written here")
    where = pool.location if isinstance(pool, Obj) else options.location
    return Default(SEQUELIZE_DEFAULT_MAX, where, "Sequelize default pool.max 5")


def _sequelize_acquire(options: Obj, pool: Expr | None, env: Environment) -> Known | Default | Unknown:
    value = evaluate(pool.get("acquire"), env) if isinstance(pool, Obj) else None
    if value is not None:
        return value
    return Default(SEQUELIZE_DEFAULT_ACQUIRE_MS, options.location, "Sequelize default pool.acquire 60000 ms")


def _sequelize_pools(options: Obj, label: str, size, env: Environment) -> tuple[Pool, ...]:
    """`replication: { read: [...], write: {...} }`: a write pool and one read pool (shared by the read hosts,
    round robin), each up to `pool.max`."""
    replication = options.get("replication")
    if not isinstance(replication, Obj):
        return (Pool(label, options.location, size),)
    read = replication.get("read")
    hosts = [item for item in (read.items if isinstance(read, Arr) else (read,)) if isinstance(item, Obj)]
    names = [str(getattr(evaluate(host.get("host"), env), "value", "")) or f"#{i + 1}" for i, host in enumerate(hosts)]
    pools = [Pool(f"{label} write pool", replication.location, size)]
    if hosts:
        pools.append(Pool(f"{label} read pool", hosts[0].location, size, replica=", ".join(names)))
    return tuple(pools)


def _sequelize_ignored(options: Obj, pool: Expr | None) -> list[IgnoredOption]:
    found = []
    dialect_options = options.get("dialectOptions")
    if isinstance(dialect_options, Obj) and "pool" in dialect_options.entries:
        found.append(
            IgnoredOption(
                dialect_options.key_location("pool"),
                "`pool` inside `dialectOptions` is never read: Sequelize passes only some of `dialectOptions` to"
                " node-postgres and sizes its own pool from the top-level `pool`",
                "move `pool` out of `dialectOptions`, beside it",
            )
        )
    if isinstance(pool, Obj):
        keys = _SEQUELIZE_POOL_KEYS
        found += _misspelled(pool, keys, keys, _SEQUELIZE_MISTAKES, "Sequelize", "pool.")
    return found


# --- Prisma ------------------------------------------------------------------------------------------------------


def _prisma(facts: list[NodePool], settings: list[NodePool], env: Environment) -> list[NodeConnection | None]:
    """Each client (`new PrismaClient()`, `class … extends PrismaClient`) with the datasource of the schema the package
    generates its client from; one client when none is seen (the generated client is there to be used)."""
    datasources = sorted((fact for fact in facts if fact.config_file), key=lambda fact: fact.location.path)
    clients: list[NodePool | None] = [fact for fact in facts if not fact.config_file]
    datasource, missing = _schema_in_use(datasources, settings)
    if not clients and datasource is not None:
        clients = [None]
    return [_prisma_client(client, datasource, env, missing) for client in clients]


def _schema_in_use(datasources: list[NodePool], settings: list[NodePool]) -> tuple[NodePool | None, Unknown | None]:
    """The datasource `prisma generate` reads (pgconnlint/extract/prisma.py lists Prisma's order): the schema that
    prisma.config.ts or package.json `prisma.schema` names (a file, or a folder of .prisma files), else
    `./schema.prisma`, then `./prisma/schema.prisma`, then the folder `./prisma/schema` of the package. Without a
    package.json that uses Prisma, or when none of those exists (a `--schema` flag may name another), the first schema
    of the package, by path."""
    named = next((f for f in settings if f.library == "prisma-config" and "schema" in f.options.entries), None)
    named = named or next((f for f in settings if "schema" in f.options.entries), None)
    if named is not None:
        value = named.options.entries["schema"]
        if not isinstance(value, Lit) or not isinstance(value.value, str):
            why = f"{named.source} names the schema as `{value.text}`, a path pgconnlint cannot follow"
            return None, Unknown(value.text, value.location, why)
        target = value.value
        inside = [d for d in datasources if not target or d.location.path == target or _under(d.location.path, target)]
        if inside:
            return inside[0], None
        why = f"{named.source} names {target or 'the package folder'}, where pgconnlint read no datasource"
        return None, Unknown(value.text, value.location, why)
    projects = [f for f in settings if f.library == "prisma-project"]
    if projects:
        folder = projects[0].location.path.rpartition("/")[0]
        prefix = f"{folder}/" if folder else ""
        for candidate in (f"{prefix}schema.prisma", f"{prefix}prisma/schema.prisma"):
            found = [d for d in datasources if d.location.path == candidate]
            if found:
                return found[0], None
        in_folder = [d for d in datasources if _under(d.location.path, f"{prefix}prisma/schema")]
        if in_folder:
            return in_folder[0], None
    return (datasources[0] if datasources else None), None


def _under(path: str, folder: str) -> bool:
    return path.startswith(f"{folder}/")


def per_module(connections: list, facts: list[NodePool]) -> list:
    """A NestJS provider that creates a pool (a field or its constructor: `new Pool()`, `knex()`, `new Sequelize()`,
    `postgres()`, `new DataSource()`, a PrismaClient subclass; or a factory provider's `useFactory`) and is listed in
    the `providers` of several modules is instantiated once per module that lists it (a module that imports another
    shares that one's instance instead): one pool per listing. Works on Node connections and TypeORM's alike."""
    owners = {fact.location: fact.source for fact in facts if fact.library == "nest-owner"}
    listings: dict[str, list[Location]] = {}
    built = {
        fact.location for fact in facts if fact.library == "nest-provider" and fact.options.text.startswith("new ")
    }
    for fact in facts:
        if fact.library == "nest-provider" and fact.location not in listings.get(fact.source, []):
            listings.setdefault(fact.source, []).append(fact.location)
    result = []
    for connection in connections:
        created = connection.created if isinstance(connection, NodeConnection) else connection.config
        modules = listings.get(owners.get(created.location, ""), [])
        if len(modules) < 2:
            result.append(connection)
            continue
        for number, module in enumerate(modules, start=1):
            how = (
                "built with `new` outside dependency injection at" if module in built else "a provider of the module at"
            )
            where = f"instance {number} of {len(modules)}: {how} {module.short}"
            pools = tuple(replace(pool, label=f"{pool.label} ({where})") for pool in connection.pools)
            result.append(replace(connection, pools=pools))
    return result


def _prisma_client(
    client: NodePool | None, datasource: NodePool | None, env: Environment, missing: Unknown | None = None
) -> NodeConnection | None:
    adapter = client.options.get("adapter") if client is not None else None
    if client is not None and adapter is not None:
        if isinstance(adapter, Obj) and EXTERNAL_POOL in adapter.entries:
            return None  # `new PrismaPg(pool)` with `pool = new Pool(…)` in the same code: counted as that pool
        if not isinstance(adapter, Obj):
            why = f"the driver adapter `{adapter.text}` is built elsewhere: its pool size is not known"
            unknown = Unknown(adapter.text, adapter.location, why)
            label = f"{client.source} in {client.location.path}"
            return NodeConnection(client, (Pool(label, adapter.location, unknown),), unknown, "")
        pg_pool = replace(client, library="pg", options=adapter)
        label = f"{client.source} with {adapter.text} in {client.location.path}"
        connection = _pg(pg_pool, env, label)
        return replace(connection, config=client, ignored=connection.ignored + _adapter_url_ignored(adapter, env))
    help_text = "set connect_timeout in the URL to a positive number of seconds, or leave it out (Prisma: 5 s)"
    environment = dict(env)
    for binding in datasource.fallback_env if datasource else ():
        environment.setdefault(binding.name, binding)
    config = datasource or client
    label = _prisma_label(client, datasource)
    url_expr = _prisma_url_expr(client, datasource)
    provider = evaluate(datasource.options.get("provider"), environment) if datasource else None
    if isinstance(provider, Known) and str(provider.value).lower() not in ("postgresql", "postgres"):
        return None
    url = evaluate(url_expr, environment) if url_expr is not None else None
    if url is None or isinstance(url, Unknown):
        unknown = (
            url
            or missing
            or Unknown("new PrismaClient()", config.location, "no schema.prisma datasource in this package")
        )
        return NodeConnection(config, (Pool(label, config.location, unknown),), unknown, help_text, call=client)
    text = str(url.value)
    if datasource is None and not text.startswith(("postgres://", "postgresql://")):
        return None
    size, timeout, ignored = _prisma_url(text, url, _origin(url_expr, url, environment), environment)
    pool = Pool(label, config.location, size, cpu_dependent=isinstance(size, Default))
    return NodeConnection(config, (pool,), timeout, help_text, call=client, ignored=tuple(ignored))


def _adapter_url_ignored(adapter: Obj, env: Environment) -> tuple[IgnoredOption, ...]:
    """Prisma 7 with a driver adapter: the pool is pg's, built from the adapter's config, so the URL's Prisma
    parameters `connection_limit` and `pool_timeout` no longer size or time it (Prisma 7 upgrade guide)."""
    url = evaluate(adapter.get("connectionString"), env)
    if not isinstance(url, Known) or not isinstance(url.value, str):
        return ()
    params = dict(parse_qsl(url.value.partition("?")[2], keep_blank_values=True))
    return tuple(
        IgnoredOption(
            url.location,
            f"`{name}` in the database URL is ignored with a Prisma 7 driver adapter: node-postgres' pool is built"
            " from the adapter's options",
            "set `max` (and `connectionTimeoutMillis`) in the options given to the adapter instead",
        )
        for name in ("connection_limit", "pool_timeout")
        if name in params
    )


def _prisma_label(client: NodePool | None, datasource: NodePool | None) -> str:
    if client is None:
        return f"{datasource.source} (no PrismaClient seen: one client)"
    return f"{client.source} in {client.location.path}"


def _prisma_url_expr(client: NodePool | None, datasource: NodePool | None) -> Expr | None:
    """`datasourceUrl` or `datasources.<name>.url` of the client override the schema's `url`."""
    if client is not None:
        override = client.options.get("datasourceUrl")
        sources = client.options.get("datasources")
        if override is None and isinstance(sources, Obj):
            for value in sources.entries.values():
                override = value.get("url") if isinstance(value, Obj) else None
        if override is not None:
            return override
    return datasource.options.get("url") if datasource is not None else None


def _origin(expr: Expr, url: Known, env: Environment) -> str:
    """Where the URL was set, without its text: it may hold a password."""
    if isinstance(expr, EnvVar) and expr.name in env:
        binding = env[expr.name]
        where = binding.location.short
        return (
            f"{expr.name} from {where}"
            if binding.source == binding.location.path
            else f"{expr.name} from {binding.source}, {where}"
        )
    return url.location.short


def _prisma_url(text: str, url: Known, source: str, env: Environment):
    """connection_limit and connect_timeout from the URL's query, as quaint reads it (last one wins)."""
    ignored = []
    query = text.partition("?")[2]
    if "?" in query:
        before, _, after = query.partition("?")
        last = before.rsplit("&", 1)[-1].split("=", 1)[0] or "the previous parameter"
        ignored.append(
            IgnoredOption(
                url.location,
                f"the database URL has a second `?`: `{after}` becomes part of the value of `{last}`, so Prisma never"
                " reads it",
                "separate URL parameters with `&`; only the first one follows `?`",
            )
        )
        query = before
    params = dict(parse_qsl(query, keep_blank_values=True))
    for name in params:
        if name not in PRISMA_PARAMETERS:
            import difflib  # only for a mistake: ~1 ms to import (issue 19)

            close = difflib.get_close_matches(name, PRISMA_PARAMETERS, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            ignored.append(
                IgnoredOption(
                    url.location,
                    f"Prisma does not know the URL parameter `{name}` and discards it{hint}",
                    f"write `{close[0]}`" if close else "remove it, or write one Prisma reads (connection_limit, …)",
                )
            )
    size: Known | Default | Unknown
    if "connection_limit" in params:
        raw = params["connection_limit"]
        if raw.isdigit():
            size = Known(int(raw), url.location, f"connection_limit={raw} in the URL ({source})")
        else:
            size = Unknown(f"connection_limit={raw}", url.location, "Prisma refuses a limit that is not a whole number")
    else:
        cpus = env.get(CPU_COUNT_VARIABLE)
        if cpus is None:
            size = Unknown("2 × physical CPUs + 1", url.location, "the CPU count is not known")
        else:
            why = (
                f"Prisma default connection_limit = 2 × {cpus.value} CPUs ({cpus.source}) + 1; the URL ({source})"
                " sets none"
            )
            size = Default(2 * int(cpus.value) + 1, url.location, why)
    if "connect_timeout" in params:
        raw = params["connect_timeout"]
        timeout = (
            Known(int(raw) * 1000, url.location, f"connect_timeout={raw} in the URL")
            if raw.isdigit()
            else Unknown(raw, url.location, "not a whole number")
        )
    else:
        timeout = Default(PRISMA_DEFAULT_CONNECT_S * 1000, url.location, "Prisma default connect_timeout 5 s")
    return size, timeout, ignored


# --- small helpers -----------------------------------------------------------------------------------------------


def _label(fact: NodePool) -> str:
    return fact.source if fact.config_file else f"{fact.source} in {fact.location.path}"


def _elsewhere(options: Obj, key: str) -> Unknown | None:
    """Options passed as a variable or import, or spread from one, may set `key`: unknown, never guessed."""
    if options.opaque_spreads and key not in options.entries:
        spread = options.opaque_spreads[0]
        return Unknown(spread, options.location, f"the options come from `{spread}`, which may set {key}")
    return None


def pg_pool_options_ignored(options: Obj, library: str, prefix: str = "") -> list[IgnoredOption]:
    """Keys of a node-postgres Pool configuration that pg never reads (TypeORM passes `extra` to it as is)."""
    return _misspelled(options, _PG_KEYS, _PG_POOL_KEYS, _PG_MISTAKES, library, prefix)


def _misspelled(
    options: Obj, known: tuple[str, ...], pool_keys: tuple[str, ...], mistakes: dict, library: str = "", prefix=""
) -> list[IgnoredOption]:
    """Keys the library does not read that are a known mistake or close to one of its pool options."""
    found = []
    for key in options.entries:
        if key in known:
            continue
        import difflib  # only for a key the library does not read: ~1 ms to import (issue 19)

        target = mistakes.get(key) or next(iter(difflib.get_close_matches(key, pool_keys, n=1, cutoff=0.8)), None)
        if target:
            found.append(_mistake(options, key, target, library, prefix))
    return found


def _mistake(options: Obj, key: str, target: str, library: str, prefix: str = "") -> IgnoredOption:
    shown = target if target.startswith("the ") else f"`{prefix}{target}`"
    return IgnoredOption(
        options.key_location(key),
        f"{library or 'the library'} never reads `{prefix}{key}`: did you mean {shown}?",
        f"rename it to {shown}",
    )


def _query(url: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(urlsplit(url).query))
    except ValueError:
        return {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return None


def _shown(value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if value is None:
        return "undefined"
    return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _value_text(value: Known | Default | Unknown) -> str:
    if isinstance(value, Unknown):
        return f"unknown (`{value.expression}`)"
    return f"{value.value} ({value.why})" if isinstance(value, Default) else str(value.value)

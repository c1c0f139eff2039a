"""Bun's built-in SQL client (`import { SQL, sql } from "bun"`) as one process runs it, read in Bun's source
(oven-sh/bun, src/js/internal/sql/shared.ts `normalizeOptionsForAdapter` at commit 00099222, and
src/js/internal/sql/postgres.ts `PooledPostgresConnection.createConnection` at commit 00f175cd; docs/budget.md):

- `max: max || 10`, where `max` is only `options.max`: a `?max=` in the URL is sent to the server as a startup
  parameter, and no environment variable sets it. A `max` that is not a number from 1 to 2^31 throws at start.
- `connectionTimeout` (also `connection_timeout`, `connectTimeout`, `connect_timeout`) is in seconds; unset, the
  connection is created with `connectionTimeout = 30 * 1000` ms.
- The adapter follows `adapter`, else the URL's scheme (mysql://, sqlite://, file:, `:memory:` are not PostgreSQL),
  else PostgreSQL; without a URL nor host/port/… options the first of POSTGRES_URL, DATABASE_URL, PGURL, PG_URL,
  TLS_POSTGRES_DATABASE_URL, TLS_DATABASE_URL set (extract/node_pools.py builds that expression).
- The default `sql` export is one pool per process, however many files import it.
"""

from __future__ import annotations

from pgconnlint.expr import Environment, evaluate
from pgconnlint.extract.node_pools import BUN_DEFAULT
from pgconnlint.link_node import _elsewhere, _label, _misspelled, _number, _shown
from pgconnlint.linked import NodeConnection, Pool
from pgconnlint.model import Default, Known, NodePool, Unknown

DEFAULT_MAX = 10  # shared.ts: `max: max || 10`
DEFAULT_CONNECTION_TIMEOUT_S = 30  # postgres.ts: `connectionTimeout = 30 * 1000`
_TIMEOUT_KEYS = ("connectionTimeout", "connection_timeout", "connectTimeout", "connect_timeout")
_KEYS = (
    *("adapter", "url", "host", "hostname", "port", "username", "user", "password", "pass", "database", "db"),
    *("path", "tls", "ssl", "connection", "max", "idleTimeout", "idle_timeout", *_TIMEOUT_KEYS, "maxLifetime"),
    *("max_lifetime", "bigint", "prepare", "onconnect", "onclose", "filename", "readonly", "create", "safeIntegers"),
    "strict",
)
_MISTAKES = {
    "poolSize": "max",
    "maxConnections": "max",
    "connectionTimeoutMillis": "connectionTimeout",
    "idleTimeoutMillis": "idleTimeout",
}
_OTHER_SCHEMES = ("mysql", "mysql2", "mariadb", "mysqls", "sqlite", "file")


def bun_connections(facts: list[NodePool], env: Environment) -> list[NodeConnection]:
    """Each `new SQL(…)`, and the default `sql` once, when they connect to PostgreSQL."""
    defaults = [fact for fact in facts if fact.source == BUN_DEFAULT][:1]
    chosen = [fact for fact in facts if fact.source != BUN_DEFAULT] + defaults
    return [_connection(fact, env) for fact in chosen if _postgres(fact, env)]


def _postgres(fact: NodePool, env: Environment) -> bool:
    adapter = evaluate(fact.options.get("adapter"), env)
    if isinstance(adapter, Known):
        return adapter.value in ("postgres", "postgresql")
    url = evaluate(fact.url, env) if fact.url is not None else None
    if isinstance(url, Known) and isinstance(url.value, str):
        return url.value != ":memory:" and url.value.partition(":")[0].lower() not in _OTHER_SCHEMES
    return True


def _connection(fact: NodePool, env: Environment) -> NodeConnection:
    options = fact.options
    size = _elsewhere(options, "max") or _max(fact, env)
    ignored = _misspelled(options, _KEYS, ("max", "idleTimeout", "connectionTimeout"), _MISTAKES, "Bun SQL")
    pool = Pool(_label(fact), options.location, size)
    help_text = "set connectionTimeout (seconds) to a positive number, e.g. 10"
    return NodeConnection(fact, (pool,), _timeout(fact, env), help_text, ignored=tuple(ignored))


def _max(fact: NodePool, env: Environment) -> Known | Default | Unknown:
    options = fact.options
    value = evaluate(options.get("max"), env) if "max" in options.entries else None
    if value is None or (isinstance(value, Known) and value.value is None):
        return Default(DEFAULT_MAX, options.location, "Bun SQL default; max is not set")
    if isinstance(value, Unknown):
        return value
    number = _number(value.value)
    if number is None or number < 1 or number > 2**31:
        why = "Bun SQL throws at start: options.max must be a number from 1 to 2^31"
        return Unknown(_shown(value.value), value.location, why)
    if number != int(number):
        return Unknown(_shown(value.value), value.location, "max is not a whole number of connections")
    return Known(int(number), value.location, value.via)


def _timeout(fact: NodePool, env: Environment) -> Known | Default | Unknown:
    options = fact.options
    key = next((key for key in _TIMEOUT_KEYS if key in options.entries), None)
    if key is None:
        if options.opaque_spreads:
            return Unknown(options.opaque_spreads[0], options.location, "the options come from elsewhere")
        why = f"Bun SQL default connectionTimeout {DEFAULT_CONNECTION_TIMEOUT_S} s"
        return Default(DEFAULT_CONNECTION_TIMEOUT_S * 1000, options.location, why)
    value = evaluate(options.get(key), env)
    if not isinstance(value, Known):
        return value or Unknown(key, options.location, "undefined")
    seconds = _number(value.value)
    if seconds is None:
        return Unknown(_shown(value.value), value.location, f"{key} is not a number")
    return Known(seconds * 1000, value.location, value.via)

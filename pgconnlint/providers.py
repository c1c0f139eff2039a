"""Managed PostgreSQL providers' connection limits, from their published tables (pgconnlint/data/providers.toml).

`profile_server("rds:db.t3.medium", where)` gives the server a repository does not describe: its max_connections
and the slots the provider keeps for itself, each a `Default` whose `why` shows the arithmetic and cites the page.
The Terraform resolver (extract/terraform.py) reads the same tables through the functions below.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

from pgconnlint.model import Default, Known, Location, ServerConfig, Unknown, cite

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).parent / "data" / "providers.toml"
GIB = 1024**3
PROVIDERS = ("rds", "aurora", "cloudsql", "azure", "neon", "supabase", "heroku")

#: The DATABASE_URL app.json's `heroku-postgresql` add-on gives every dyno (extract/platforms.py): a PostgreSQL URL
#: whose host is no server of the repository; deployments.py knows by it that Heroku provides the server.
HEROKU_ADDON_URL = "postgres://heroku-postgresql-add-on/"


@functools.cache
def tables() -> dict:
    return tomllib.loads(DATA.read_text(encoding="utf-8"))


# --- RDS and Aurora: the default formula over the class memory --------------------------------------------------


def instance_memory(instance_class: str) -> float | None:
    """GiB of an RDS/Aurora DB instance class, None when the table does not hold it."""
    return tables()["rds"]["memory_gib"].get(instance_class)


def memory_source(instance_class: str) -> str:
    family = instance_class.rpartition(".")[0]
    return tables()["rds"]["memory_sources"].get(family, tables()["rds"]["source"])


def rds_formula_value(formula: str, instance_class: str) -> tuple[int, str] | None:
    """An RDS parameter formula (`{DBInstanceClassMemory/9531392}`, `LEAST(…, 5000)`, `GREATEST`, `SUM`) evaluated
    with the class's memory: the value and its arithmetic; None when the class or the formula cannot be told."""
    memory = instance_memory(instance_class)
    if memory is None:
        return None
    try:
        value = _Formula(formula, int(memory * GIB)).parse()
    except ValueError:
        return None
    shown = f"{memory:g} GiB = {int(memory * GIB)} bytes"
    return value, f"{formula} for {instance_class} ({shown}) = {value}"


def rds_default_max_connections(instance_class: str, where: Location, engine: str = "RDS") -> Default | None:
    rds = tables()["rds"]
    evaluated = rds_formula_value(rds["formula"], instance_class)
    if evaluated is None:
        return None
    _, arithmetic = evaluated
    why = (
        f"{engine} default {arithmetic}; an upper estimate, DBInstanceClassMemory being the class memory less what the "
        f"OS and RDS use (memory: {memory_source(instance_class)}; formula: {rds['source']})"
    )
    return Default(evaluated[0], where, why)


def rds_reserved(where: Location) -> tuple[Default, Default]:
    """superuser_reserved_connections and RDS's own rds.rds_superuser_reserved_connections (counted by pgconnlint as
    reserved_connections: both are slots ordinary roles cannot use)."""
    rds = tables()["rds"]
    source = rds["reserved_source"]
    why = f"RDS default superuser_reserved_connections ({source})"
    superuser = Default(rds["superuser_reserved_connections"], where, why)
    extra = Default(
        rds["rds_superuser_reserved_connections"],
        where,
        f"RDS default rds.rds_superuser_reserved_connections, slots for rds_superuser ({source})",
    )
    return superuser, extra


# --- Cloud SQL and Azure: tables by tier or SKU -------------------------------------------------------------------


def cloudsql_max_connections(tier: str, where: Location) -> Default | None:
    table = tables()["cloudsql"]
    value = table["max_connections"].get(tier)
    if value is None:
        return None
    return Default(value, where, f"Cloud SQL default max_connections for {tier} ({table['source']})")


def azure_sku(sku: str) -> str:
    """`GP_Standard_D2ds_v4` (Terraform's sku_name), `Standard_D2ds_v4` (the API) and `D2ds_v4` all name one SKU."""
    return re.sub(r"^(?:(?:B|GP|MO)_)?(?:Standard_)?", "", sku)


def azure_defaults(sku: str, where: Location) -> dict[str, Default] | None:
    table = tables()["azure"]
    key = _lookup(table["max_connections"], azure_sku(sku))
    if key is None:
        return None
    source = table["source"]
    reserved = table["reserved"]
    return {
        "max_connections": Default(table["max_connections"][key], where, f"Azure default for {key} ({source})"),
        # Azure names 15 reserved slots without naming the parameter; counting them here keeps usable exact.
        "superuser_reserved_connections": Default(
            reserved, where, f"Azure reserves {reserved} connections for replication and monitoring ({source})"
        ),
        "reserved_connections": Default(0, where, f"no further reserved slots in Azure's table ({source})"),
    }


def _lookup(table: dict, key: str) -> str | None:
    """The table's own spelling of `key`, compared without case (`D8ds_V4` appears in Azure's page)."""
    return next((name for name in table if name.lower() == key.lower()), None)


# --- profiles from configuration -------------------------------------------------------------------------------


def profile_server(profile: str, where: Location) -> ServerConfig:
    """The server a `server-profile` value describes, e.g. "rds:db.t3.medium", "neon:1", "supabase:small".
    Raises ValueError naming the providers or sizes it knows, with the closest match."""
    provider, _, size = profile.partition(":")
    provider, size = provider.strip().lower(), size.strip()
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r} in {profile!r}{_did_you_mean(provider, PROVIDERS)}")
    if not size:
        raise ValueError(f"{profile!r} names no size: write {provider}:<size>, e.g. {_EXAMPLES[provider]}")
    defaults = _PROFILES[provider](size, where)
    return ServerConfig(f"profile {provider}:{size}", where, defaults=defaults, managed=provider)


_EXAMPLES = {
    "rds": "rds:db.t3.medium",
    "aurora": "aurora:db.r4.large",
    "cloudsql": "cloudsql:db-f1-micro",
    "azure": "azure:Standard_D2ds_v4",
    "neon": "neon:1",
    "supabase": "supabase:small",
    "heroku": "heroku:standard-0",
}


def _rds_profile(size: str, where: Location, engine: str = "RDS") -> dict[str, Default]:
    default = rds_default_max_connections(size, where, engine)
    if default is None:
        raise ValueError(_unknown_size(engine, size, tables()["rds"]["memory_gib"]))
    superuser, extra = rds_reserved(where)
    pooler = tables()["rds"]["pooler"]
    default = Default(default.value, where, f"{default.why}; {pooler}")
    return {"max_connections": default, "superuser_reserved_connections": superuser, "reserved_connections": extra}


def _aurora_profile(size: str, where: Location) -> dict[str, Default]:
    defaults = _rds_profile(size, where, "Aurora PostgreSQL")
    # rds.rds_superuser_reserved_connections was read for RDS only: Aurora's value is not assumed.
    del defaults["reserved_connections"]
    return defaults


_NOT_GUESSED = "pgconnlint does not guess one; describe the server in the repository (Terraform, a postgresql.conf)"


def _cloudsql_profile(size: str, where: Location) -> dict[str, Default]:
    table = tables()["cloudsql"]
    default = cloudsql_max_connections(size, where)
    if default is None:
        raise ValueError(
            _unknown_size("Cloud SQL", size, table["max_connections"])
            + f" (only the tiers Google's own page lists could be encoded: {table['source']}); "
            f"{_NOT_GUESSED}"
        )
    return {"max_connections": default}


def _azure_profile(size: str, where: Location) -> dict[str, Default]:
    defaults = azure_defaults(size, where)
    if defaults is None:
        raise ValueError(_unknown_size("Azure", azure_sku(size), tables()["azure"]["max_connections"]))
    first = defaults["max_connections"]
    defaults["max_connections"] = Default(first.value, where, f"{first.why}; {tables()['azure']['pooler']}")
    return defaults


def _neon_profile(size: str, where: Location) -> dict[str, Default]:
    table = tables()["neon"]
    key = _neon_key(size)
    if key not in table["max_connections"]:
        raise ValueError(_unknown_size("Neon", size, table["max_connections"]))
    source = table["source"]
    return {
        "max_connections": Default(
            table["max_connections"][key], where, f"Neon default for {key} CU ({source}); {table['pooler']}"
        ),
        "superuser_reserved_connections": Default(
            table["reserved"], where, f"Neon reserves {table['reserved']} connections for its superuser ({source})"
        ),
    }


def _neon_key(size: str) -> str:
    """`1`, `1.0`, `1cu`, `0.50` → the table's spelling."""
    text = size.lower().removesuffix("cu").strip()
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def _supabase_profile(size: str, where: Location) -> dict[str, Default]:
    table = tables()["supabase"]
    key = size.lower()
    if key not in table["connections"]:
        raise ValueError(_unknown_size("Supabase", key, table["connections"]))
    direct, pooled = table["connections"][key]
    why = (
        f"Supabase {key} compute: {direct} direct connections ({table['source']}); {table['pooler']} "
        f"accepts {pooled} clients"
    )
    return {"max_connections": Default(direct, where, why)}


# --- the poolers of Supabase and Neon ----------------------------------------------------------------------------


def pooler_settings(provider: str, mode: str, size: str | None, where: Location) -> dict[str, Default | Unknown]:
    """A provider pooler's settings in PgBouncer's names (pgconnlint/pooler.py reads them as it reads pgbouncer.ini):
    pool_mode, max_client_conn, default_pool_size, max_prepared_statements. `size` is the compute size a
    `server-profile` names, None when none does: then what depends on it is Unknown, never a guess."""
    table = tables()[provider]
    source = table["pooler_source"]
    if provider == "neon":
        limits = table["max_connections"].get(_neon_key(size)) if size else None
        percent = table["pooler_pool_percent"]
        pool: Default | Unknown = (
            Default(
                limits * percent // 100, where, f"Neon: {percent}% of max_connections {limits} for {size} CU ({source})"
            )
            if limits
            else _unknown_size_of("Neon", "the pool size (90% of max_connections)", where)
        )
        return {
            "pool_mode": Default(mode, where, f"Neon's -pooler endpoint is PgBouncer in transaction mode ({source})"),
            "max_client_conn": Default(table["pooler_max_client_conn"], where, f"Neon pooler limit ({source})"),
            "default_pool_size": pool,
            "max_prepared_statements": Default(
                table["pooler_prepared_statements"],
                where,
                f"Neon supports protocol-level prepared statements ({source})",
            ),
        }
    port = table["transaction_port" if mode == "transaction" else "session_port"]
    pool = Unknown(
        "Pool Size", where, "set in Supabase's dashboard (Database Settings); no default per compute is published"
    )
    clients: Default | Unknown = pool  # session mode: "the max amount of clients is restricted to the Pool Size"
    if mode == "transaction":
        row = table["connections"].get(size.lower()) if size else None
        clients = (
            Default(row[1], where, f"Supabase {size.lower()} compute: {row[1]} pooler clients ({table['source']})")
            if row
            else _unknown_size_of("Supabase", "the pooler's client limit", where)
        )
    return {
        "pool_mode": Default(mode, where, f"Supabase pools by {mode} on port {port} ({source})"),
        "max_client_conn": clients,
        "default_pool_size": pool,
        "max_prepared_statements": Default(
            0, where, f"Supabase: transaction mode does not support prepared statements ({table['prepared_source']})"
        ),
    }


def rds_proxy_settings(percent, server_max, where: Location) -> dict[str, Known | Default | Unknown]:
    """RDS Proxy's settings in PgBouncer's names: its server pool is `percent` (Terraform's
    connection_pool_config.max_connections_percent, else AWS's default 100) of the server's max_connections; its client
    limit is not modelled; it multiplexes transactions and pins a session that keeps state instead of failing."""
    table = tables()["rds"]
    if percent is None:
        why = f"RDS Proxy default max_connections_percent ({table['proxy_source']})"
        percent = Default(table["proxy_max_connections_percent"], where, why)
    pool: Known | Default | Unknown = percent if isinstance(percent, Unknown) else _share(percent, server_max)
    return {
        "pool_mode": Default(
            "multiplexed", where, f"RDS Proxy pins a session that keeps state ({table['pinning_source']})"
        ),
        "max_client_conn": Unknown("client connections", where, "RDS Proxy's client limit is not modelled"),
        "default_pool_size": pool,
    }


def _share(percent, server_max) -> Known | Default:
    """`percent` % of the server's max_connections, rounded down, with both terms cited."""
    value = int(server_max.value) * int(percent.value) // 100
    via = f"max_connections_percent {cite(percent)} of max_connections {cite(server_max)}"
    return Known(value, percent.location, via) if isinstance(percent, Known) else Default(value, percent.location, via)


def _unknown_size_of(provider: str, what: str, where: Location) -> Unknown:
    name = provider.lower()
    return Unknown(
        "compute size",
        where,
        f"{provider} sets {what} by compute size and no server-profile names it; "
        f'set server-profile = "{_EXAMPLES[name]}" (your size)',
    )


def _heroku_profile(size: str, where: Location) -> dict[str, Default]:
    table = tables()["heroku"]
    if size.lower() in table["max_connections"]:
        value = table["max_connections"][size.lower()]
        return {"max_connections": Default(value, where, f"Heroku {size} plan limit ({table['source']})")}
    raise ValueError(
        f"Heroku plan limits are not encoded: they could not be verified in Heroku's own documentation "
        f"({table['source']}); {_NOT_GUESSED}"
    )


_PROFILES = {
    "rds": _rds_profile,
    "aurora": _aurora_profile,
    "cloudsql": _cloudsql_profile,
    "azure": _azure_profile,
    "neon": _neon_profile,
    "supabase": _supabase_profile,
    "heroku": _heroku_profile,
}


def _unknown_size(provider: str, size: str, known) -> str:
    return f"{provider} size {size!r} is not in pgconnlint's table{_did_you_mean(size, list(known))}"


def _did_you_mean(word: str, choices) -> str:
    import difflib  # only for a mistake: ~1 ms to import (issue 19)

    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    if close:
        return f"; did you mean {' or '.join(repr(c) for c in close)}?"
    return f"; known: {', '.join(list(choices)[:12])}"


class _Formula:
    """RDS's parameter formula language, the part max_connections uses: `{DBInstanceClassMemory/9531392}` (integer
    `*` and `/`, left to right), LEAST, GREATEST and SUM of such terms, and plain integers. Nothing else is read."""

    _TOKEN = re.compile(r"\s*(LEAST|GREATEST|SUM|DBInstanceClassMemory|\d+|[{}(),*/])", re.IGNORECASE)

    def __init__(self, text: str, memory: int) -> None:
        self.tokens, self.memory, self.at = self._tokenize(text), memory, 0

    def _tokenize(self, text: str) -> list[str]:
        tokens, position = [], 0
        while position < len(text.rstrip()):
            match = self._TOKEN.match(text, position)
            if match is None:
                raise ValueError(text)
            tokens.append(match.group(1))
            position = match.end()
        return tokens

    def parse(self) -> int:
        value = self._term()
        if self.at != len(self.tokens):
            raise ValueError("trailing text")
        return value

    def _next(self) -> str:
        if self.at >= len(self.tokens):
            raise ValueError("unexpected end")
        self.at += 1
        return self.tokens[self.at - 1]

    def _term(self) -> int:
        token = self._next()
        if token.upper() in ("LEAST", "GREATEST", "SUM"):
            return self._call(token.upper())
        if token == "{":
            value = self._product()
            if self._next() != "}":
                raise ValueError("unclosed {")
            return value
        if token.isdigit():
            return int(token)
        raise ValueError(token)

    def _call(self, function: str) -> int:
        if self._next() != "(":
            raise ValueError("expected (")
        values = [self._term()]
        while (token := self._next()) == ",":
            values.append(self._term())
        if token != ")":
            raise ValueError("expected )")
        return {"LEAST": min, "GREATEST": max, "SUM": sum}[function](values)

    def _product(self) -> int:
        value = self._factor()
        while self.at < len(self.tokens) and self.tokens[self.at] in ("*", "/"):
            operator, operand = self._next(), self._factor()
            if operator == "/" and operand == 0:
                raise ValueError("division by zero")
            value = value * operand if operator == "*" else value // operand
        return value

    def _factor(self) -> int:
        token = self._next()
        if token.lower() == "dbinstanceclassmemory":
            return self.memory
        if token.isdigit():
            return int(token)
        raise ValueError(token)

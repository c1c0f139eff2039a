"""PGC403 password-in-repository. Docs and examples: rules/PGC403.md."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.expr import Lit
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, NodeConnection, OrmConnection, Project
from pgconnlint.model import Location

# The password ends at the last `@` before the host: an unencoded `@` belongs to it (as libpq reads it).
_DSN = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://[^:/@\s]+:(?P<password>[^\s/]+)@[^@\s/]*(?:[/?]|$)")


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    seen: set[Location] = set()
    for place, what, secret in _literals(project):
        if place in seen or not secret or secret.startswith(("${", "$")):
            continue
        seen.add(place)
        yield finding(
            "PGC403",
            place,
            f"{what} holds a literal password ({_masked(secret)}) committed to the repository: anyone who can read"
            " the repository, its forks and its CI logs can connect",
            help="read it from the environment or a secret store (POSTGRES_PASSWORD_FILE, process.env, os.environ)",
        )


def _literals(project: Project):
    for group in project.groups:
        for connection in group.connections:
            if isinstance(connection, OrmConnection):
                options = connection.config.options
                password = options.get("password")
                if isinstance(password, Lit) and isinstance(password.value, str):
                    yield (
                        password.location,
                        f"the TypeORM option `password` of {connection.pools[0].label}",
                        password.value,
                    )
                yield from _dsn(options.get("url"), "the TypeORM `url`")
            elif isinstance(connection, EngineConnection):
                if connection.source.url is not None:
                    yield from _dsn(connection.source.url.get("url"), f"the URL of {connection.source.source}")
                password = connection.source.options.get("PASSWORD")  # Django's DATABASES alias
                if connection.source.library == "django" and isinstance(password, Lit):
                    yield password.location, f"PASSWORD of {connection.source.source}", str(password.value)
            elif isinstance(connection, NodeConnection):
                facts = (
                    (connection.created,)
                    if connection.created is connection.config
                    else (connection.created, connection.config)
                )
                for fact in facts:
                    yield from _dsn(fact.url, f"the URL of {fact.source}")
                    for key in ("connectionString", "url", "connection"):
                        yield from _dsn(fact.options.get(key), f"`{key}` of {fact.source}")
                    password = fact.options.get("password")
                    if isinstance(password, Lit) and isinstance(password.value, str):
                        yield password.location, f"the option `password` of {fact.source}", password.value
        for binding in group.environment.values():
            yield from _binding(binding)
    for server in project.servers:
        for binding in server.environment:
            yield from _binding(binding)
    for binding in project.credentials:
        yield from _binding(binding)


# Variables that hold a password by name (`POSTGRES_PASSWORD`, `PGPASSWORD`, `DB_PASS`), in any file that sets
# environment: a committed .env (templates such as .env.example are never read), pm2 `env`, compose, Kubernetes.
_PASSWORD_NAME = re.compile(r"(?i)(?:^|_)(?:PG)?PASS(?:WORD|WD)?$")


def _binding(binding):
    value = str(binding.value)
    match = _DSN.match(value)
    if match:
        yield binding.location, f"{binding.name} in {binding.source}", match.group("password")
    elif _PASSWORD_NAME.search(binding.name) and value and not binding.name.endswith("_FILE"):
        yield binding.location, f"{binding.name} in {binding.source}", value


def _dsn(value, what: str):
    if isinstance(value, Lit) and isinstance(value.value, str):
        match = _DSN.match(value.value)
        if match:
            yield value.location, what, match.group("password")


def _masked(secret: str) -> str:
    """Enough to recognise it, never enough to use it."""
    return f"{secret[0]}{'•' * 3}, {len(secret)} characters"

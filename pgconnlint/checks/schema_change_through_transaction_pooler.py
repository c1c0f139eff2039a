"""PGC121 schema-change-through-transaction-pooler. Docs and examples: rules/PGC121.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._typeorm_flags import describe, enabled
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.pooler import bouncer_for, endpoints, setting

_OPTIONS = (("synchronize", "synchronize"), ("migrations_run", "migrationsRun"))


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    if not project.bouncers:
        return
    for attribute, option in _OPTIONS:
        for group, connection, value in enabled(project, attribute):
            bouncer = bouncer_for(endpoints(group).get(connection.pools[0].location), project.bouncers)
            mode = setting(bouncer, "pool_mode") if bouncer else None
            if mode is None or mode.value not in ("transaction", "statement"):
                continue
            yield finding(
                "PGC121",
                connection.key_location(option),
                f"{describe(option, value)} changes the schema through PgBouncer {bouncer.name} in pool_mode"
                f" {mode.value} [{mode.location.short}]: TypeORM's migration lock and the session settings DDL relies"
                " on do not survive a server connection that changes between transactions",
                help="run migrations over a direct connection to PostgreSQL (a second URL that skips the bouncer)",
                related=(mode.location,),
            )

"""PGC208 pool-option-ignored. Docs and examples: rules/PGC208.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.expr import Obj
from pgconnlint.findings import Finding, finding
from pgconnlint.link_node import pg_pool_options_ignored
from pgconnlint.linked import NodeConnection, OrmConnection, Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        for connection in group.connections:
            for ignored in _ignored(connection):
                yield finding(
                    "PGC208",
                    ignored.location,
                    f"{ignored.message} ({connection.pools[0].label})",
                    help=ignored.help,
                )


def _ignored(connection):
    if isinstance(connection, NodeConnection):
        return connection.ignored
    if isinstance(connection, OrmConnection):  # `extra` goes to node-postgres' Pool unchanged (PostgresDriver)
        extra = connection.config.options.get("extra")
        if isinstance(extra, Obj):
            return pg_pool_options_ignored(extra, "node-postgres (TypeORM's `extra`)", "extra.")
    return ()

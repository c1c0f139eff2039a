"""PGC206 pool-liveness-unchecked. Docs and examples: rules/PGC206.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        if not group.web:
            continue
        for connection in group.connections:
            if _sqlalchemy(connection) and not connection.liveness_checked and not connection.null_pool:
                yield finding(
                    "PGC206",
                    connection.anchor,
                    f"{connection.pools[0].label} keeps connections between requests of {group.name} without"
                    " pool_pre_ping or pool_recycle: one closed by the server, a restart or a firewall's idle"
                    " timeout fails the next request that gets it",
                    help="pass pool_pre_ping=True, or pool_recycle=<seconds below the idle timeout>",
                )


def _sqlalchemy(connection) -> bool:
    return isinstance(connection, EngineConnection) and connection.source.library in ("sqlalchemy", "flask-sqlalchemy")

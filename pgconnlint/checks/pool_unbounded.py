"""PGC111 pool-unbounded. Docs and examples: rules/PGC111.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        for connection in group.connections:
            if isinstance(connection, EngineConnection) and connection.unbounded:
                yield finding(
                    "PGC111",
                    connection.pools[0].max.location,
                    f"the pool of {connection.pools[0].label} has no ceiling: {connection.unbounded}; each process"
                    f" of {group.name} can open connections until the server refuses them",
                    help="set a finite max_overflow (e.g. 0) and a pool_size sized to the process's threads",
                )

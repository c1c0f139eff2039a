"""PGC112 null-pool-with-concurrency. Docs and examples: rules/PGC112.md."""

from __future__ import annotations

import math
from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, Project
from pgconnlint.model import Unknown, cite


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        units = group.units
        if isinstance(units, Unknown) or units.value <= 1:
            continue
        for connection in group.connections:
            if isinstance(connection, EngineConnection) and connection.null_pool:
                at_once = "any number of" if math.isinf(units.value) else str(int(units.value))
                yield finding(
                    "PGC112",
                    connection.pools[0].max.location,
                    f"NullPool opens a new connection for every checkout, and each process of {group.name} runs"
                    f" {at_once} requests at once ({cite(units)}): its connections follow the traffic, not a pool",
                    help="use NullPool only behind a pooler such as PgBouncer; otherwise use a sized QueuePool",
                )

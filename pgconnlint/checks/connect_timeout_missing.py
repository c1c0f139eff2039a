"""PGC204 connect-timeout-missing. Docs and examples: rules/PGC204.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.link import Project
from pgconnlint.model import Default, Known


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        for connection in group.connections:
            timeout = connection.connect_timeout_ms
            if isinstance(timeout, Default):
                why = f"{timeout.why}, so node-postgres' connectionTimeoutMillis stays 0"
            elif isinstance(timeout, Known) and timeout.value in (0, "0"):
                why = f"the connect timeout is 0 ({timeout.location.short}), which node-postgres reads as none"
            else:
                continue
            label = connection.pools[0].label
            yield finding(
                "PGC204",
                connection.key_location("type"),
                f"no connect timeout on the pool of {label}: {why}; when the pool is full or the server"
                " unreachable, queries and start-up wait forever without an error",
                help="set connectTimeoutMS (or extra.connectionTimeoutMillis) to a few seconds, e.g. 5000",
            )

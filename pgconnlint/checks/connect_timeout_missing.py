"""PGC204 connect-timeout-missing. Docs and examples: rules/PGC204.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, Project
from pgconnlint.model import Default, Known


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        for connection in group.connections:
            timeout = connection.connect_timeout_ms
            python = isinstance(connection, EngineConnection)
            if isinstance(timeout, Default) and not timeout.value:
                consequence = (
                    "libpq waits for the operating system's TCP timeout"
                    if python
                    else ("node-postgres' connectionTimeoutMillis stays 0")
                )
                why = f"{timeout.why}, so {consequence}"
            elif isinstance(timeout, (Known, Default)) and timeout.value in (0, "0"):
                why = f"the connect timeout is 0 ({timeout.location.short}), which means none"
            else:
                continue
            yield finding(
                "PGC204",
                connection.anchor,
                f"no connect timeout on the pool of {connection.pools[0].label}: {why}; when the pool is full or"
                " the server unreachable, queries and start-up wait without an error",
                help=getattr(connection, "timeout_help", "") or (_PYTHON_HELP if python else _NODE_HELP),
            )


_NODE_HELP = "set connectTimeoutMS (or extra.connectionTimeoutMillis) to a few seconds, e.g. 5000"
_PYTHON_HELP = 'pass connect_args={"connect_timeout": 5} (psycopg) or add ?connect_timeout=5 to the URL'

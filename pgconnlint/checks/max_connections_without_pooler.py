"""PGC313 max-connections-without-pooler. Docs and examples: rules/PGC313.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._server_settings import catalogue, setting_value
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.model import Known
from pgconnlint.parameters import bytes_of

THRESHOLD = 500  # "if you need more than a few hundred connections, use a pooler" (FACTS.md, postgresqlco.nf)


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    if project.poolers or project.bouncers:
        return
    known = catalogue(project)
    for server in project.servers:
        limit = server.max_connections
        if not isinstance(limit, Known) or limit.value <= THRESHOLD:
            continue
        work_mem = setting_value(server, "work_mem")
        per_sort = bytes_of(known.parameters["work_mem"], work_mem.text) if work_mem else 4 * 1024**2
        where = work_mem.value.location.short if work_mem else "PostgreSQL default"
        cost = limit.value * per_sort // 1024**2
        yield finding(
            "PGC313",
            limit.location,
            f"max_connections {limit.value} [{limit.location.short}] with no connection pooler in the repository:"
            f" each connection is a backend process, and at one sort each {limit.value} × work_mem"
            f" {per_sort // 1024**2}MB [{where}] = {cost}MB",
            help="put PgBouncer in front of the server and lower max_connections to what the server can run at once",
        )

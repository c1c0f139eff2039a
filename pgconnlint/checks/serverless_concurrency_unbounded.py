"""PGC105 serverless-concurrency-unbounded. Docs and examples: rules/PGC105.md."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.link_functions import unbounded
from pgconnlint.linked import Project
from pgconnlint.model import cite
from pgconnlint.pooler import bouncer_for, endpoints

#: hosts of the poolers that managed platforms put in front of PostgreSQL (RDS Proxy, Supabase Supavisor, Neon)
_POOLER_HOST = re.compile(r"proxy|pooler|bouncer|pgcat|supavisor", re.IGNORECASE)
_POOLER_PORTS = (6432, 6543)  # PgBouncer's default; Supabase's transaction pooler


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        function = group.serverless
        if function is None or not unbounded(function):
            continue
        where = endpoints(group)
        for connection in group.connections:
            for pool in connection.pools:
                size = pool.max.value if hasattr(pool.max, "value") else None
                if size is None or size <= 1 or _through_pooler(where.get(pool.location), project):
                    continue
                yield finding(
                    "PGC105",
                    function.location,
                    f"{function.source} has no concurrency limit ({function.concurrency.why}), and every instance"
                    f" opens the pool of {pool.label} with up to {cite(pool.max, 'connections')}: n instances at"
                    f" once can hold n × {'unbounded' if size == float('inf') else int(size)} connections, and"
                    " nothing in the repository puts a pooler between them and the server",
                    help="cap the function's concurrency (reservedConcurrency; reserved_concurrent_executions in "
                    "Terraform), use a pool of 1 per instance, or connect through a pooler (RDS Proxy, PgBouncer, "
                    "the provider's pooled endpoint)",
                    related=(pool.max.location,),
                )


def _through_pooler(endpoint: tuple[str | None, int | None] | None, project: Project) -> bool:
    if endpoint is None:
        return False
    host, port = endpoint
    return (
        bouncer_for(endpoint, project.bouncers) is not None
        or bool(host and _POOLER_HOST.search(host))
        or (port is not None and int(port) in _POOLER_PORTS)
    )

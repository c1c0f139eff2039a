"""PGC301 instances-depend-on-cpu-count. Docs and examples: rules/PGC301.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import ProcessGroup, Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    origin = "as configured" if project.cpus_given else "this machine's count; pass --cpus N for the production host"
    for group in project.groups:
        yield from _pools(project, group, origin)
        if not group.cpu_dependent:
            continue
        processes = group.processes
        yield finding(
            "PGC301",
            group.location,
            f"{group.name} sizes its process count by the CPUs: {processes.via} = {processes.value}"
            f" process{'es' if processes.value != 1 else ''} ({project.cpus} CPUs: {origin});"
            f" its connections grow with the host{_limit(group)}",
            help="set the count (pm2 instances, gunicorn workers, celery --concurrency) to a fixed number",
            data={"cpus": project.cpus, "processes": processes.value},
        )


def _pools(project: Project, group: ProcessGroup, origin: str) -> Iterator[Finding]:
    """A pool whose default size follows the CPUs (Prisma's connection_limit = 2 × physical CPUs + 1), or whose
    size the application computes from `os.cpus()`."""
    for connection in group.connections:
        for pool in connection.pools:
            why = getattr(pool.max, "why", None) or getattr(pool.max, "via", None)
            if not pool.cpu_dependent or not why:
                continue
            yield finding(
                "PGC301",
                pool.max.location,
                f"the pool of {pool.label} in {group.name} is sized by the CPUs: {why} = {pool.max.value}"
                f" connections per process ({project.cpus} CPUs: {origin}); its connections grow with the host",
                help="set the pool size to a fixed number (Prisma: connection_limit=N in the database URL)",
                data={"cpus": project.cpus, "pool_max": pool.max.value},
            )


def _limit(group: ProcessGroup) -> str:
    """A container's CPU limit does not change what `os.cpus()` or `multiprocessing.cpu_count()` return: they
    count the node's CPUs, so the limit only slows the same number of processes down."""
    limit = group.cpu_limit
    if limit is None:
        return ""
    return (
        f"; the container's CPU limit {limit.value} [{limit.location.short}] does not lower it: the count follows"
        " the node's CPUs, not resources.limits.cpu"
    )

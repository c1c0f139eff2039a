"""PGC301 instances-depend-on-cpu-count. Docs and examples: rules/PGC301.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.link import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    origin = "as configured" if project.cpus_given else "this machine's count; pass --cpus N for the production host"
    for group in project.groups:
        if not group.cpu_dependent:
            continue
        processes = group.processes
        yield finding(
            "PGC301",
            group.location,
            f"{group.name} sizes its process count by the CPUs: {processes.via} = {processes.value}"
            f" process{'es' if processes.value != 1 else ''} ({project.cpus} CPUs: {origin});"
            " its connections grow with the host",
            help="set the count (pm2 instances, gunicorn workers, celery --concurrency) to a fixed number",
            data={"cpus": project.cpus, "processes": processes.value},
        )

"""PGC108 role-connection-limit-exceeded. Docs and examples: rules/PGC108.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._role_connection_limit_message import limit_finding
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding
from pgconnlint.linked import Project
from pgconnlint.role_limits import limit_budgets


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for found in limit_budgets(project, options.budgets_of(project), "role"):
        if found.exceeded:
            yield limit_finding("PGC108", found)

"""PGC101 connection-budget-exceeded. Docs and examples: rules/PGC101.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._budget_message import budget_finding
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for budget in options.budgets_of(project):
        if budget.terms and budget.total > budget.server.usable:
            yield budget_finding(
                "PGC101",
                budget,
                "exceed",
                "lower the pool max or the process count, put PgBouncer in front, or raise max_connections",
            )

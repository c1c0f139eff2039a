"""PGC103 pool-ceiling-exceeds-slots. Docs and examples: rules/PGC103.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._budget_message import budget_finding
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for budget in options.budgets_of(project):
        usable = budget.server.usable
        if budget.terms and budget.total <= usable < budget.ceiling:
            yield budget_finding(
                "PGC103",
                budget,
                "exceed",
                "reach the ceiling only through leaked or nested connections or background threads: size the pools"
                " to what a process uses at once (pool_size = threads, max_overflow = 0)",
                ceiling=True,
            )

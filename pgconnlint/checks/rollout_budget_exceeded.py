"""PGC104 rollout-budget-exceeded. Docs and examples: rules/PGC104.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._budget_message import budget_finding
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for budget in options.budgets_of(project):
        usable = budget.server.usable
        # A steady state that already exceeds is PGC101's: one finding per server, for the state that breaks first.
        if budget.rolls_out and budget.total <= usable < budget.rollout_total:
            yield budget_finding(
                "PGC104",
                budget,
                "exceed",
                "lower maxSurge (or use maxUnavailable instead), size the pools for replicas + surge, "
                "or put PgBouncer in front",
                rollout=True,
            )

"""PGC102 connection-budget-near-limit. Docs and examples: rules/PGC102.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._budget_message import budget_finding
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for budget in options.budgets_of(project):
        usable = budget.server.usable
        if budget.terms and options.headroom * usable < budget.total <= usable:
            share = round(100 * budget.total / usable) if usable > 0 else 100
            yield budget_finding(
                "PGC102",
                budget,
                f"use {share}% (over {round(100 * options.headroom)}%) of",
                "leave room for migrations, psql and deploys: shrink the pools or raise max_connections",
            )

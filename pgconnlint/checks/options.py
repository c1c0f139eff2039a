"""Options every check may read; frozen, never mutated by a check."""

from __future__ import annotations

from dataclasses import dataclass

from pgconnlint.budget import Budget, budgets
from pgconnlint.linked import Project


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What every check receives besides the project."""

    headroom: float = 0.8  #: warn when the concurrent total is above this share of the usable slots
    rule_names: frozenset[str] = frozenset()  #: every code and name in the catalogue, for suppressions
    server_memory: int | None = None  #: bytes of RAM the configuration declares for the database server
    budgets: tuple[Budget, ...] | None = None  #: the run's budgets, computed once (pgconnlint/lint.py)

    def budgets_of(self, project: Project) -> tuple[Budget, ...]:
        """The budgets of the run; computed here only when a check runs on its own (tests)."""
        return self.budgets if self.budgets is not None else tuple(budgets(project))

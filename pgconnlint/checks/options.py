"""Options every check may read; frozen, never mutated by a check."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CheckOptions:
    headroom: float = 0.8  #: warn when the concurrent total is above this share of the usable slots
    rule_names: frozenset[str] = frozenset()  #: every code and name in the catalogue, for suppressions
    server_memory: int | None = None  #: bytes of RAM the configuration declares for the database server

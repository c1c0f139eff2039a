"""The connection budget of a server: what the processes can hold at once, term by term (DESIGN.md).

For the stacks linked so far (Node with node-postgres pools) every process can use its whole pool at
once, so the concurrent total equals the ceiling; both are kept so the two numbers stay explicit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pgconnlint.link import Pool, ProcessGroup, Project, Server
from pgconnlint.model import Default, Known, Location, Unknown, cite


@dataclass(frozen=True, slots=True)
class Term:
    group: ProcessGroup
    pool: Pool

    @property
    def processes(self) -> int | None:
        return None if isinstance(self.group.processes, Unknown) else int(self.group.processes.value)

    @property
    def pool_max(self) -> int | None:
        return None if isinstance(self.pool.max, Unknown) else int(self.pool.max.value)

    @property
    def product(self) -> int | None:
        if self.processes is None or self.pool_max is None:
            return None
        return self.processes * self.pool_max

    @property
    def anchor(self) -> Location:
        """The process count when something sets it, else the pool."""
        return self.pool.location if isinstance(self.group.processes, Default) else self.group.location

    def describe(self) -> str:
        """`orders-api: 16 processes [ecosystem.config.js:7] × pool 10 [node-postgres default, …] = 160`."""
        product = "unknown" if self.product is None else str(self.product)
        return f"{self.group.name}: {self.factors()} = {product}"

    def factors(self) -> str:
        noun = "process" if self.processes == 1 else "processes"
        return f"{cite(self.group.processes, noun)} × pool {cite(self.pool.max)} of {self.pool.label}"

    def as_data(self) -> dict:
        return {
            "group": self.group.name,
            "processes": self.processes,
            "processes_from": _origin(self.group.processes),
            "pool": self.pool.label,
            "pool_max": self.pool_max,
            "pool_max_from": _origin(self.pool.max),
            "connections": self.product,
        }


@dataclass(frozen=True, slots=True)
class Budget:
    server: Server
    terms: tuple[Term, ...]

    @property
    def total(self) -> int:
        """Concurrent connections the known terms can hold (DESIGN.md "concurrent"); unknown terms excluded."""
        return sum(term.product for term in self.terms if term.product is not None)

    @property
    def ceiling(self) -> int:
        """What the pools permit; equal to `total` while every linked process can use its whole pool."""
        return self.total

    @property
    def unknown_terms(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.product is None)

    @property
    def formula(self) -> str:
        """`16 × 10 + 2 × 5 = 170`: the arithmetic, redoable from the message alone."""
        known = [term for term in self.terms if term.product is not None]
        sums = " + ".join(f"{term.processes} × {term.pool_max}" for term in known) or "0"
        unknown = f" + {len(self.unknown_terms)} unknown" if self.unknown_terms else ""
        return f"{sums}{unknown} = {'at least ' if unknown else ''}{self.total}"

    @property
    def largest_term(self) -> Term:
        return max(self.terms, key=lambda term: term.product or 0)

    def as_data(self) -> dict:
        return {
            "server": self.server.name,
            "total": self.total,
            "ceiling": self.ceiling,
            "usable": self.server.usable,
            "complete": not self.unknown_terms,
            "terms": [term.as_data() for term in self.terms],
        }


def budgets(project: Project) -> list[Budget]:
    """One budget per server. Until servers can be told apart, every primary pool counts against the first
    one; the pools of each read replica count against that standby, checked with the same settings (a
    standby's max_connections must be at least the primary's, so they are the least it can have)."""
    terms = [Term(group, pool) for group in project.groups for conn in group.connections for pool in conn.pools]
    primary = tuple(term for term in terms if term.pool.replica is None)
    result = [Budget(server, primary if index == 0 else ()) for index, server in enumerate(project.servers)]
    replicas: dict[str, list[Term]] = {}
    for term in terms:
        if term.pool.replica is not None:
            replicas.setdefault(term.pool.replica, []).append(term)
    server = project.servers[0]
    for host, host_terms in replicas.items():
        standby = replace(server, name=f"replica {host} (settings of {server.name})")
        result.append(Budget(standby, tuple(host_terms)))
    return result


def _origin(value: Known | Default | Unknown) -> dict:
    kind = {Known: "set", Default: "default", Unknown: "unknown"}[type(value)]
    origin = {"kind": kind, "path": value.location.path, "line": value.location.line}
    if isinstance(value, Default):
        origin["why"] = value.why
    if isinstance(value, Unknown):
        origin["expression"] = value.expression
    return origin

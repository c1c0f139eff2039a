"""`pgconnlint budget --suggest`: pool sizes that fit a server with headroom, and the max_connections
that today's pools would need. Pure arithmetic on a `Budget`; every number is printed with its origin."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pgconnlint.budget import Budget, Term
from pgconnlint.model import Location


@dataclass(frozen=True, slots=True)
class PoolChange:
    pool: str
    location: Location  #: where the pool's size is (or would be) set
    instances: int  #: pools this setting sizes: processes × pools per process (replicas), over every group
    current: int
    suggested: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    target: int  #: connections allowed: headroom × usable, rounded down
    changes: tuple[PoolChange, ...]
    total_after: int
    fits: bool  #: False when even one connection per pool exceeds the target
    max_connections_needed: int  #: for today's pools, with the same headroom
    unknown_terms: int  #: pools left out because their size is unknown


def suggest(budget: Budget, headroom: float) -> Suggestion:
    server = budget.server
    target = math.floor(headroom * server.usable)
    pools = _pools(budget.terms)
    total = sum(instances * size for _, _, instances, size in pools)
    sizes = {location: size for location, _, _, size in pools}
    if total > target and total > 0:
        factor = target / total
        sizes = {location: max(1, math.floor(size * factor)) for location, _, _, size in pools}
        _shrink_until_fits(pools, sizes, target)
    total_after = sum(instances * sizes[location] for location, _, instances, _ in pools)
    reserved = server.superuser_reserved_connections.value + server.reserved_connections.value
    changes = tuple(
        PoolChange(label, location, instances, size, sizes[location]) for location, label, instances, size in pools
    )
    return Suggestion(
        target=target,
        changes=changes,
        total_after=total_after,
        fits=total_after <= target,
        max_connections_needed=math.ceil(budget.total / headroom) + int(reserved),
        unknown_terms=len(budget.unknown_terms),
    )


def _pools(terms: tuple[Term, ...]) -> list[tuple[Location, str, int, int]]:
    """One entry per pool-size setting: a config run by two apps, or its replica pools, is sized once."""
    merged: dict[Location, list] = {}
    for term in terms:
        if term.product is None:
            continue
        entry = merged.setdefault(term.pool.max.location, [term.pool.label, 0, term.pool_max])
        entry[1] += term.processes
    return [(location, label, processes, size) for location, (label, processes, size) in merged.items()]


def _shrink_until_fits(pools, sizes: dict[Location, int], target: int) -> None:
    """Flooring leaves the sum at or under the target except when pools hit the floor of 1; take one
    connection at a time from the pool that costs the most until it fits or nothing can shrink."""
    while sum(instances * sizes[location] for location, _, instances, _ in pools) > target:
        shrinkable = [
            (instances * sizes[location], location) for location, _, instances, _ in pools if sizes[location] > 1
        ]
        if not shrinkable:
            return
        sizes[max(shrinkable)[1]] -= 1

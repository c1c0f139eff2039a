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
    current: float  #: math.inf for an unbounded pool
    suggested: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    target: int  #: connections allowed: headroom × usable, rounded down
    changes: tuple[PoolChange, ...]
    total_after: int
    fits: bool  #: False when even one connection per pool exceeds the target
    max_connections_needed: int | None  #: for today's pools' ceiling, with the same headroom; None if unbounded
    unknown_terms: int  #: pools left out because their size is unknown
    reason: str | None = None  #: why there is nothing to suggest, or why the suggestion cannot do better


def suggest(budget: Budget, headroom: float) -> Suggestion:
    """Pool sizes whose ceiling (every process holding its whole pool) fits `headroom` of the usable slots.

    Sizes shrink in proportion, never below what a process uses at once (its threads, for gthread), and an
    unbounded pool is given a size. `max_connections_needed` is what today's ceiling would need instead.
    """
    server = budget.server
    target = math.floor(headroom * server.usable)
    if not budget.terms:  # a CI or test server no deployment's process uses: its size is nobody's budget
        return Suggestion(target, (), 0, True, None, 0, _UNUSED)
    pools = _pools(budget.terms)
    # An unbounded pool can use at most the whole target: size it from there.
    current = {location: min(size, max(target, 1)) for location, _, _, size, _ in pools}
    total = sum(instances * current[location] for location, _, instances, _, _ in pools)
    sizes = dict(current)
    if total > target and total > 0:
        factor = target / total
        sizes = {location: max(floor, math.floor(current[location] * factor)) for location, _, _, _, floor in pools}
        _shrink_until_fits(pools, sizes, target)
    total_after = sum(instances * sizes[location] for location, _, instances, _, _ in pools)
    reserved = server.superuser_reserved_connections.value + server.reserved_connections.value
    changes = tuple(
        PoolChange(label, location, instances, size, sizes[location]) for location, label, instances, size, _ in pools
    )
    needed = None if math.isinf(budget.ceiling) else math.ceil(budget.ceiling / headroom) + int(reserved)
    return Suggestion(
        target=target,
        changes=changes,
        total_after=total_after,
        fits=total_after <= target,
        max_connections_needed=needed,
        unknown_terms=len(budget.unknown_terms),
        reason=_floor_reason(changes, total_after, target),
    )


_UNUSED = "no process of the budgeted deployments connects to this server: nothing to size"


def _floor_reason(changes: tuple[PoolChange, ...], total_after: int, target: int) -> str | None:
    """Why every pool is down to 1: the processes alone take the slots, and a smaller pool cannot help."""
    if not changes or any(change.suggested > 1 for change in changes):
        return None
    processes = sum(change.instances for change in changes)
    verdict = "more than" if total_after > target else f"{total_after} of"
    return (
        f"every pool would have to be 1: the {processes} processes alone hold {verdict} the {target} connections"
        " allowed, so pool sizes cannot make room; run fewer processes, or put PgBouncer in front"
    )


def _pools(terms: tuple[Term, ...]) -> list[tuple[Location, str, int, float, int]]:
    """One entry per pool-size setting: a config run by two apps, or its replica pools, is sized once.
    Each: (where it is set, label, pools it sizes, current size, the least it should keep)."""
    merged: dict[Location, list] = {}
    for term in terms:
        if term.product is None:
            continue
        keep = 1 if term.units is None or math.isinf(term.units) else max(1, int(min(term.units, term.pool_max)))
        entry = merged.setdefault(term.pool.max.location, [term.pool.label, 0, term.pool_max, keep])
        entry[1] += term.processes
        entry[3] = max(entry[3], keep)
    return [(location, label, n, size, keep) for location, (label, n, size, keep) in merged.items()]


def _shrink_until_fits(pools, sizes: dict[Location, int], target: int) -> None:
    """Flooring leaves the sum at or under the target except when pools hit the floor of 1; take one
    connection at a time from the pool that costs the most until it fits or nothing can shrink."""
    while sum(instances * sizes[location] for location, _, instances, _, _ in pools) > target:
        shrinkable = [
            (instances * sizes[location], location)
            for location, _, instances, _, keep in pools
            if sizes[location] > keep
        ]
        if not shrinkable:
            return
        sizes[max(shrinkable)[1]] -= 1

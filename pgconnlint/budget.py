"""The connection budget of a server: what the processes can hold at once, term by term (DESIGN.md).

Two numbers: the ceiling, what the pools permit (processes × pool maximum), and the concurrent total, what
the processes can use at once (processes × min(pool maximum, max(connections kept open, units))). For Node
and ASGI processes, which serve any number of requests at once, the two are equal; a gunicorn sync worker
serves one request at a time, so its pool of 15 holds one connection.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from pgconnlint.deployments import (
    DEVELOPMENT,
    PRODUCTION,
    Deployment,
    deployments,
    document_of,
    project_key,
    role_of,
    selected,
)
from pgconnlint.linked import Pool, ProcessGroup, Project, Server, UnknownDeployment
from pgconnlint.model import Default, Known, Location, Unknown, cite, origin
from pgconnlint.pooler import bouncer_for, client_side, endpoints, is_provider, server_side
from pgconnlint.servers import defaults_server as _defaults_server


def show(number: float | None) -> str:
    """A count as messages print it: `unbounded` for no limit, `unknown` for None."""
    if number is None:
        return "unknown"
    return "unbounded" if math.isinf(number) else str(int(number))


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a budget: a process group times the size of one of its pools."""

    group: ProcessGroup
    pool: Pool

    @property
    def processes(self) -> int | None:
        return None if isinstance(self.group.processes, Unknown) else int(self.group.processes.value)

    @property
    def pool_max(self) -> float | None:
        """The pool's maximum; math.inf when it sets none."""
        return None if isinstance(self.pool.max, Unknown) else self.pool.max.value

    @property
    def units(self) -> float | None:
        return None if isinstance(self.group.units, Unknown) else self.group.units.value

    @property
    def at_once(self) -> float | None:
        """Connections one process can hold at once; the pool maximum when the units are unknown."""
        if self.pool_max is None:
            return None
        if self.units is None:
            return self.pool_max
        return min(self.pool_max, max(self.pool.kept_open, self.units))

    @property
    def product(self) -> float | None:
        """Concurrent connections of the whole group (DESIGN.md "concurrent")."""
        return None if self.processes is None or self.at_once is None else self.processes * self.at_once

    @property
    def ceiling(self) -> float | None:
        return None if self.processes is None or self.pool_max is None else self.processes * self.pool_max

    @property
    def rollout_processes(self) -> int | None:
        """Processes while a rolling deploy adds surge pods; the steady count for a group that has none."""
        rollout = self.group.rollout
        if rollout is None:
            return self.processes
        return None if isinstance(rollout, Unknown) else int(rollout.value)

    @property
    def rollout_product(self) -> float | None:
        count = self.rollout_processes
        return None if count is None or self.at_once is None else count * self.at_once

    @property
    def anchor(self) -> Location:
        """The process count when something sets it, else the pool."""
        return self.pool.location if isinstance(self.group.processes, Default) else self.group.location

    def describe(self) -> str:
        """`orders-api: 16 processes [ecosystem.config.js:7] × pool 10 [node-postgres default, …] = 160`."""
        return f"{self.group.name}: {self.factors()} = {show(self.product)}"

    def factors(self) -> str:
        noun = "process" if self.processes == 1 else "processes"
        pool = f"pool {cite(self.pool.max)} of {self.pool.label}"
        if self.units is None and self.at_once is not None:
            why = f"units unknown ({self.group.units.reason}), so the whole pool"
            return f"{cite(self.group.processes, noun)} × {pool} [{why}]"
        if self.at_once == self.pool_max or self.at_once is None:
            return f"{cite(self.group.processes, noun)} × {pool}"
        why = origin(self.group.units) if self.at_once == self.units else f"[{self.pool.kept_open} kept open]"
        return f"{cite(self.group.processes, noun)} × {show(self.at_once)} at once {why} ({pool})"

    def as_data(self) -> dict:
        return {
            "group": self.group.name,
            "processes": self.processes,
            "processes_from": _origin(self.group.processes),
            "pool": self.pool.label,
            "pool_max": _number(self.pool_max),
            "pool_max_from": _origin(self.pool.max),
            "units": _number(self.units),
            "units_from": _origin(self.group.units),
            "connections": _number(self.product),
            "ceiling": _number(self.ceiling),
            "rollout_processes": self.rollout_processes if self.group.rollout is not None else None,
            "rollout_from": _origin(self.group.rollout) if self.group.rollout is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Budget:
    """The connections the processes can open against one server, term by term."""

    server: Server
    terms: tuple[Term, ...]
    note: str = ""  #: an assumption the reader should know, e.g. which of several servers the pools count against
    deployment: str = ""  #: the deployment whose processes these are (pgconnlint/deployments.py); "" for the tree
    #: connections of these processes that could not be counted (a TypeORM config whose database type is unknown)
    dropped: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Every term known and nothing dropped: only then is the total more than "at least"."""
        return not self.unknown_terms and not self.dropped

    @property
    def total(self) -> float:
        """Concurrent connections the known terms can hold (DESIGN.md "concurrent"); unknown terms excluded."""
        return sum(term.product for term in self.terms if term.product is not None)

    @property
    def ceiling(self) -> float:
        """What the known pools permit: every process with its whole pool."""
        return sum(term.ceiling for term in self.terms if term.ceiling is not None)

    @property
    def rollout_total(self) -> float:
        """Concurrent connections while every rolling deploy runs its surge pods beside the old ones."""
        return sum(term.rollout_product for term in self.terms if term.rollout_product is not None)

    @property
    def rolls_out(self) -> bool:
        return any(term.group.rollout is not None for term in self.terms)

    @property
    def rollout_formula(self) -> str:
        known = [term for term in self.terms if term.rollout_product is not None]
        sums = " + ".join(f"{term.rollout_processes} × {show(term.at_once)}" for term in known) or "0"
        unknown = [term for term in self.terms if term.rollout_product is None]
        more = f" + {len(unknown)} unknown" if unknown else ""
        return f"{sums}{more} = {'at least ' if unknown else ''}{show(self.rollout_total)}"

    @property
    def unknown_terms(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.product is None)

    @property
    def formula(self) -> str:
        """`16 × 10 + 2 × 5 = 170`: the arithmetic of the concurrent total, redoable from the message alone."""
        return self._formula(lambda term: term.at_once, self.total)

    @property
    def ceiling_formula(self) -> str:
        return self._formula(lambda term: term.pool_max, self.ceiling)

    def _formula(self, per_process, total: float) -> str:
        known = [term for term in self.terms if term.product is not None]
        sums = " + ".join(f"{term.processes} × {show(per_process(term))}" for term in known) or "0"
        unknown = f" + {len(self.unknown_terms)} unknown" if self.unknown_terms else ""
        return f"{sums}{unknown} = {'at least ' if unknown else ''}{show(total)}"

    @property
    def largest_term(self) -> Term:
        return max(self.terms, key=lambda term: term.product or 0)

    def as_data(self) -> dict:
        return {
            "server": self.server.name,
            "deployment": self.deployment or None,
            "total": _number(self.total),
            "ceiling": _number(self.ceiling),
            "usable": self.server.usable,
            "unbounded": math.isinf(self.ceiling),
            "complete": self.complete,
            "dropped": list(self.dropped),
            "note": self.note or None,
            "rollout": _number(self.rollout_total) if self.rolls_out else None,
            "terms": [term.as_data() for term in self.terms],
        }


def budgets(project: Project) -> list[Budget]:
    """One budget per deployment and server (pgconnlint/deployments.py): each production deployment's groups
    against the servers it starts, else the servers no deployment starts (a postgresql.conf, a managed server), else
    those of a deployment that only runs servers. With no deployment in the tree, every group counts against the
    servers of the tree, as one."""
    chosen, found = _plan(project)
    if not chosen:  # nothing attached to a deployment: every group against the servers a deployment would use
        servers = _deployable(project.servers, project.deployment)
        return _budgets(project, project.groups, servers, "", project.bouncers, _not_followed(project, None))
    per_deployment = []
    alone = _servers_only(found)
    for deployment in chosen:
        fallback = _fallback(project, found, deployment)
        if _elsewhere(deployment, chosen, fallback):
            continue  # its server is not in the repository: reported by unchecked(), never against another's
        servers = deployment.servers + fallback or (_defaults_server(),)
        groups = _in_order(project, deployment)
        bouncers, dropped = _bouncers_of(project, deployment), _not_followed(project, deployment)
        own = _budgets(project, groups, servers, deployment.name, bouncers, dropped)
        # a database another deployment starts alone, which none of these pools names, is no budget of this one
        own = [budget for budget in own if budget is own[0] or budget.terms or budget.server not in alone]
        if deployment.elsewhere and servers[0].assumed:
            stand_in = f"PostgreSQL's defaults stand in for {deployment.elsewhere}, a server not in the repository"
            own[0] = replace(own[0], note=stand_in)
        per_deployment.append(own)
    # the worst alternative first: the one whose servers are fullest (20 of 97 before 20 of 197)
    per_deployment.sort(key=lambda found: -max((_fullness(budget) for budget in found), default=0))
    return [budget for found in per_deployment for budget in found]


def _servers_only(found: list[Deployment]) -> tuple[Server, ...]:
    """The servers of the production deployments that run servers only (a compose file that starts the database for
    apps pm2 or a Procfile runs, another folder's database manifests)."""
    return tuple(server for d in found if not d.groups and d.role == PRODUCTION for server in d.servers)


def _fullness(budget: Budget) -> float:
    usable = budget.server.usable
    return budget.total / usable if usable > 0 else math.inf if budget.total else 0


def _bouncers_of(project: Project, deployment: Deployment) -> tuple:
    """The PgBouncers a deployment runs: a compose file's PgBouncer service only with that file (its alternative
    runs its own, or none), a Kubernetes manifest's only with its folder; a pgbouncer.ini no deployment declares
    with each of them."""
    compose_files = {service.path for service in project.compose_services}
    manifests = {b.location.path for b in project.bouncers if project_key(b.location.path, compose_files).endswith("/")}
    parts = set(deployment.keys)
    return tuple(
        bouncer
        for bouncer in project.bouncers
        if not (document := document_of(bouncer.name, "", compose_files | manifests))
        or project_key(document, compose_files) in parts
    )


def _not_followed(project: Project, deployment: Deployment | None) -> tuple[str, ...]:
    """Where a command of the deployment could not be followed and its processes are not counted (PGC002): the
    budget is then "at least" its total. With no deployment, every such place in the tree."""
    compose_files = {service.path for service in project.compose_services}
    parts = set(deployment.keys) if deployment is not None else None
    return tuple(
        f"not followed: {problem.location.short}"
        for problem in project.problems
        if problem.drops and (parts is None or project_key(problem.location.path, compose_files) in parts)
    )


def unchecked(project: Project) -> list[tuple[Budget, str]]:
    """The deployments whose server is not in the repository while an alternative's is (a Kubernetes overlay or a
    pm2 file against an external database, beside a compose file that starts its own): their connections, summed
    with no server, and the alternative whose server is there. They are never counted against that alternative's
    server, nor against PostgreSQL's defaults standing in for a server the repository does not describe."""
    chosen, found = _plan(project)
    result = []
    for deployment in chosen:
        if _elsewhere(deployment, chosen, _fallback(project, found, deployment)):
            groups = _in_order(project, deployment)
            terms = tuple(Term(group, pool) for group in groups for c in group.connections for pool in c.pools)
            other = next(d.name for d in chosen if d.servers)
            budget = Budget(_defaults_server(), terms, note=deployment.elsewhere, deployment=deployment.name)
            result.append((budget, other))
    return result


def _plan(project: Project) -> tuple[list[Deployment], list[Deployment]]:
    """The deployments to budget and every deployment found, shared by budgets() and unchecked()."""
    found = deployments(project, project.compose_services, project.documents)
    chosen = selected(found, project.deployment)
    if project.deployment is not None and not chosen:  # budgeting everything instead would answer another question
        names = ", ".join(sorted({d.name for d in found})) or "none (no compose, manifests, pm2 file, Procfile…)"
        raise UnknownDeployment(f"`deployment` is {project.deployment!r}, but the deployments found are: {names}")
    return chosen, found


def _in_order(project: Project, deployment: Deployment) -> list[ProcessGroup]:
    """A deployment's groups, those no deployment runs included, in the order the linker found them."""
    order = {id(group): index for index, group in enumerate(project.groups)}
    return sorted(deployment.shared + deployment.groups, key=lambda group: order[id(group)])


def _fallback(project: Project, found: list[Deployment], deployment: Deployment) -> tuple[Server, ...]:
    """The servers of a deployment that only runs servers (the compose file that starts the database for apps that
    pm2 or a Procfile runs), then those no deployment starts (a postgresql.conf, a managed server), the nearest to
    the deployment's documents first. A deployment on its platform's database (a Heroku add-on) never takes another
    deployment's: the platform does not run them."""
    started = {server.name for other in found for server in other.servers}
    server_only = _servers_only(found)
    unstarted = tuple(server for server in project.servers if server.name not in started)
    fallback = unstarted if deployment.elsewhere else server_only + unstarted
    return tuple(sorted(fallback, key=lambda server: -_nearness(deployment, server)))


def _nearness(deployment: Deployment, server: Server) -> int:
    """How many folders the server's document shares with the deployment's: the database of a sibling folder of
    manifests (kubernetes-deployment/postgres/ for kubernetes-deployment/backend/) before a compose file's at the
    root, so a pool's host names it first where both call their server `postgres` (skyvern)."""
    document = _folders(server.name.split(" ", 1)[0])
    return max((_shared(_folders(key), document) for key in deployment.keys), default=0)


def _folders(path: str) -> list[str]:
    """The folders of a document (`a/b/file.yml`) or of a deployment's folder key (`a/b/`)."""
    return path.rstrip("/").split("/") if path.endswith("/") else path.split("/")[:-1]


def _shared(left: list[str], right: list[str]) -> int:
    count = 0
    for one, other in zip(left, right, strict=False):
        if one != other:
            break
        count += 1
    return count


def _elsewhere(deployment: Deployment, chosen: list[Deployment], fallback: tuple[Server, ...]) -> bool:
    """No server of its own nor one every deployment shares, while another chosen deployment starts one."""
    return not deployment.servers and not fallback and any(other.servers for other in chosen)


def _deployable(servers: tuple[Server, ...], asked: str | None) -> tuple[Server, ...]:
    """The servers that may be the deployment's: a CI, test or devcontainer database only when asked for, and a
    development one only when no other is there."""
    by_role: dict[str, list[Server]] = {}
    for server in servers:
        by_role.setdefault(role_of(server.name.split(" ", 1)[0]), []).append(server)
    if asked is not None:
        return servers
    return tuple(by_role.get(PRODUCTION) or by_role.get(DEVELOPMENT) or ()) or (_defaults_server(),)


def _budgets(
    project: Project, groups, servers: tuple[Server, ...], deployment: str, bouncers, not_followed: tuple[str, ...]
) -> list[Budget]:
    """One budget per server. A pool whose host is one of a server's names (a compose service, a Kubernetes
    Service) counts against that server; every other primary pool against the first one. The pools of each read
    replica count against that standby, checked with the same settings (a standby's max_connections must be at
    least the primary's, so they are the least it can have). Pools that go through a PgBouncer count against its
    max_client_conn instead, and its own server pools against the server (pgconnlint/pooler.py)."""
    named = any(server.config and server.config.hosts for server in servers)
    by_server: dict[int, list[Term]] = {}
    replicas: dict[str, list[Term]] = {}
    through: dict[str, list[Term]] = {}
    for group in groups:
        where = endpoints(group) if bouncers or named else {}
        for connection in group.connections:
            for pool in connection.pools:
                endpoint = where.get(pool.location)
                bouncer = bouncer_for(endpoint, bouncers)
                if bouncer:
                    through.setdefault(bouncer.name, []).append(Term(group, pool))
                elif pool.replica is not None:
                    replicas.setdefault(pool.replica, []).append(Term(group, pool))
                else:
                    by_server.setdefault(_server_named(endpoint, servers), []).append(Term(group, pool))
    for bouncer in bouncers:
        if not is_provider(bouncer) or bouncer.name in through:  # a provider's pooler only where pools use it
            by_server.setdefault(0, []).append(Term(*server_side(bouncer, through.get(bouncer.name, ()))))
    note = ""
    if len(servers) > 1 and by_server.get(0):
        others = ", ".join(server.name for server in servers[1:])
        which = "pools whose host names no server count against " if named else ""
        note = f"{which}the first of {len(servers)} servers (also: {others}); set `server` to choose"
    dropped = tuple(f"{group.name}: {unknown.location.short}" for group in groups for unknown in group.unresolved)
    dropped += not_followed
    result = [
        Budget(
            server,
            tuple(by_server.get(index, ())),
            note if index == 0 else "",
            deployment,
            dropped if index == 0 else (),
        )
        for index, server in enumerate(servers)
    ]
    server = servers[0]
    for host, host_terms in replicas.items():
        standby = replace(server, name=f"replica {host} (settings of {server.name})")
        result.append(Budget(standby, tuple(host_terms), deployment=deployment))
    for bouncer in bouncers:
        if (clients := client_side(bouncer)) is not None:  # None: a provider's limit nothing names (PGC122)
            result.append(Budget(clients, tuple(through.get(bouncer.name, ())), deployment=deployment))
    return result


def _server_named(endpoint: tuple[str | None, int | None] | None, servers: tuple[Server, ...]) -> int:
    """The server whose names include the pool's host (`db`, or `pg-rw.prod.svc.cluster.local` for a Kubernetes
    Service `pg-rw`); 0, the first server, when the host is unknown or names none of them."""
    host = (endpoint[0] or "").lower() if endpoint else ""
    name, _, domain = host.partition(".")
    if domain and not _CLUSTER_DOMAIN.fullmatch(domain):
        return 0  # `db.example.internal` is some other machine, not the Service `db`
    for index, server in enumerate(servers):
        if name and name in (written.lower() for written in (server.config.hosts if server.config else ())):
            return index
    return 0


#: what may follow a Kubernetes Service's name in a host: `.<namespace>`, `.<namespace>.svc[.cluster.local]`
_CLUSTER_DOMAIN = re.compile(r"[a-z0-9-]+(\.svc(\.cluster\.local)?)?")


def _number(value: float | None) -> int | None:
    """JSON has no infinity: an unbounded count is null, and `unbounded` says so."""
    return None if value is None or math.isinf(value) else int(value)


def _origin(value: Known | Default | Unknown) -> dict:
    kind = {Known: "set", Default: "default", Unknown: "unknown"}[type(value)]
    origin = {"kind": kind, "path": value.location.path or None, "line": value.location.line or None}
    if isinstance(value, Default):
        origin["why"] = value.why
    if isinstance(value, Unknown):
        origin["expression"] = value.expression
    return origin

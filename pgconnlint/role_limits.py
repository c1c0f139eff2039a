"""Role and database connection limits: a second, tighter budget for the pools that log in as a role or connect to a
database (docs/budget.md "Role and database limits").

A server's budget (pgconnlint/budget.py) counts every pool against max_connections. PostgreSQL also refuses a
connection past its role's `rolconnlimit` (`too many connections for role "x"`) or its database's `datconnlimit`
(`too many connections for database "x"`), both SQLSTATE 53300, -1 meaning no limit. Neither binds a superuser:
`!AuthenticatedUserIsSuperuser` in InitializeSessionUserId (src/backend/utils/init/miscinit.c) and `!am_superuser`
in CheckMyDatabase (src/backend/utils/init/postinit.c). Here the terms of each server's budget are grouped by the
role and the database their pools log in with, and each group is set against the limit the repository gives it.

Which role and database a pool uses comes from its configuration: a URL's user and path, TypeORM `username` and
`database`, node-postgres and Knex `user`/`database`, Django `USER`/`NAME`; else PGUSER/PGDATABASE in the process
environment, which libpq and node-postgres read. A database that nothing names is the user's name (libpq's default,
and node-postgres' `if (this.database === undefined) this.database = this.user`, pg/lib/connection-parameters.js).
A pool whose role or database cannot be told is never guessed: it is left out of that limit, and said.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from pgconnlint.budget import Budget, Term
from pgconnlint.expr import Obj, evaluate
from pgconnlint.linked import EngineConnection, NodeConnection, OrmConnection, ProcessGroup, Project
from pgconnlint.model import Default, Known, Location, origin
from pgconnlint.pooler import node_url_known

ERRORS = {"role": 'too many connections for role "{}"', "database": 'too many connections for database "{}"'}


@dataclass(frozen=True, slots=True)
class Login:
    """The role and the database one pool connects with; None where the repository does not tell."""

    user: Known | Default | None = None
    database: Known | Default | None = None

    def of(self, kind: str) -> Known | Default | None:
        return self.user if kind == "role" else self.database


@dataclass(frozen=True, slots=True)
class Limit:
    """A role's or a database's limit, once every statement is read: the last one that sets it wins."""

    kind: str  #: "role" or "database"
    name: str
    value: Known | Default  #: -1 = no limit
    overridden: tuple[Known | Default, ...] = ()  #: earlier statements, in order
    superuser: Location | None = None  #: where the role is made a superuser (the last word on it), exempting it


@dataclass(frozen=True, slots=True)
class LimitBudget:
    """The terms of one server's budget that a limit binds, and those it might bind but whose login is unknown."""

    limit: Limit
    within: Budget  #: the server's budget, restricted to the terms that log in with this role or database
    logins: tuple[Known | Default, ...]  #: for each term of `within`, where its role or database comes from
    unknown: tuple[Term, ...]  #: terms of the server whose role or database cannot be told: not counted

    @property
    def total(self) -> float:
        return self.within.total

    @property
    def exceeded(self) -> bool:
        return bool(self.within.terms) and self.within.total > self.limit.value.value


def limits(project: Project) -> list[Limit]:
    """Each role's and database's limit: the later statement wins, in the order the files are read (paths sorted, as
    migration tools name their files to run in order; Terraform after SQL)."""
    merged: dict[tuple[str, str], Limit] = {}
    for fact in project.connection_limits:
        key = (fact.kind, fact.name)
        if fact.limit is not None:
            current = merged.get(key)
            earlier = (*current.overridden, current.value) if current else ()
            merged[key] = Limit(fact.kind, fact.name, fact.limit, earlier)
    supers = superusers(project)
    return [
        dataclasses.replace(limit, superuser=supers.get(limit.name)) if limit.kind == "role" else limit
        for limit in merged.values()
    ]


def superusers(project: Project) -> dict[str, Location]:
    """The roles the repository makes superusers (the last SUPERUSER / NOSUPERUSER of each wins): where."""
    found: dict[str, Location | None] = {}
    for fact in project.connection_limits:
        if fact.kind == "role" and fact.superuser is not None:
            found[fact.name] = fact.location if fact.superuser else None
    return {name: where for name, where in found.items() if where is not None}


def limit_budgets(project: Project, budgets: tuple[Budget, ...], kind: str) -> list[LimitBudget]:
    """For each server budget and each limit of `kind` that binds (not -1, not a superuser's): its terms. The pools
    of a superuser are bound by neither a role's nor a database's limit."""
    binding = [limit for limit in limits(project) if limit.kind == kind and limit.value.value >= 0]
    if not binding:
        return []
    supers = superusers(project)
    found = []
    cache: dict[int, dict[Location, Login]] = {}
    for budget in budgets:
        if budget.server.limit_name != "max_connections" or not budget.terms:
            continue  # a PgBouncer's clients: the server sees its own pools, counted in the server's budget
        exempt = set(supers) | {b.value for b in budget.server.environment if b.name == "POSTGRES_USER"}
        for limit in binding:
            if kind == "role" and limit.name in exempt:
                continue
            matched, origins, unknown = [], [], []
            for term in budget.terms:
                login = _login(term, cache)
                if login.user is not None and login.user.value in exempt:
                    continue
                named = login.of(kind)
                if named is None:
                    unknown.append(term)
                elif named.value == limit.name:
                    matched.append(term)
                    origins.append(named)
            within = dataclasses.replace(budget, terms=tuple(matched), dropped=(), note="")
            found.append(LimitBudget(limit, within, tuple(origins), tuple(unknown)))
    return found


def _login(term: Term, cache: dict[int, dict[Location, Login]]) -> Login:
    group = term.group
    if id(group) not in cache:
        cache[id(group)] = logins(group)
    return cache[id(group)].get(term.pool.location, Login())


# --- which role and database each pool uses ---------------------------------------------------------------------


def logins(group: ProcessGroup) -> dict[Location, Login]:
    """The role and database of each pool of the group, where the repository says them."""
    env = group.environment
    found = {}
    for connection in group.connections:
        login = _connection_login(connection, env)
        login = _with_environment(login, env)
        found.update({pool.location: login for pool in connection.pools})
    return found


def _connection_login(connection, env) -> Login:
    if isinstance(connection, OrmConnection):
        options = connection.config.options
        url = _known(options.get("url"), env)
        return _from_url(url) if url else _from_keys(options, ("username",), ("database",), env)
    if isinstance(connection, NodeConnection):
        url = node_url_known(connection, env)
        if url is not None:
            return _from_url(url)
        options = connection.created.options
        place = options.get("connection") if isinstance(options.get("connection"), Obj) else options
        return _from_keys(place, ("user", "username"), ("database",), env)
    if isinstance(connection, EngineConnection):
        source = connection.source
        if source.library == "django" and not source.url:
            return _from_keys(source.options, ("USER",), ("NAME",), env)
        url = _known(source.url.get("url"), env) if source.url is not None else None
        return _from_url(url) if url else Login()
    return Login()


def _from_keys(options: Obj, users: tuple[str, ...], databases: tuple[str, ...], env) -> Login:
    user = next((value for key in users if (value := _known(options.get(key), env))), None)
    database = next((value for key in databases if (value := _known(options.get(key), env))), None)
    return Login(user, database)


def _from_url(url: Known) -> Login:
    """`postgresql://app:…@db:5432/shop`: the user and the path's database, each cited to where the URL is written."""
    try:
        parts = urlsplit(url.value)
    except ValueError:
        return Login()
    if "://" not in url.value:
        return Login()  # a libpq key=value string: not read here
    where = f"the URL {url.via}" if url.via else f"the URL, {url.location.short}"
    user = Known(unquote(parts.username), url.location, f"user of {where}") if parts.username else None
    name = unquote(parts.path.lstrip("/"))
    database = Known(name, url.location, f"database of {where}") if name else None
    return Login(user, database)


def _with_environment(login: Login, env) -> Login:
    """PGUSER and PGDATABASE where the configuration names neither (libpq and node-postgres read both); then the
    database named like the user, both libraries' default."""
    user, database = login.user or _variable(env, "PGUSER"), login.database or _variable(env, "PGDATABASE")
    if database is None and user is not None:
        why = f"no database set, so libpq's and node-postgres' default: the user's name, {user.value} {origin(user)}"
        database = Default(user.value, user.location, why)
    return Login(user, database)


def _variable(env, name: str) -> Known | None:
    binding = env.get(name)
    if binding is None or not isinstance(binding.value, str) or not binding.value:
        return None
    return Known(binding.value, binding.location, f"{name} from {binding.source}, {binding.location.short}")


def _known(expr, env) -> Known | None:
    value = evaluate(expr, env) if expr is not None else None
    return value if isinstance(value, Known) and isinstance(value.value, str) and value.value else None

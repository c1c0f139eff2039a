"""PGC121 schema-change-through-transaction-pooler (TypeORM, Prisma Migrate, Alembic). Docs: rules/PGC121.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._typeorm_flags import describe, enabled
from pgconnlint.checks.options import CheckOptions
from pgconnlint.expr import evaluate
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import NodeConnection, Project
from pgconnlint.model import Bouncer, Default, Known, Unknown
from pgconnlint.pooler import bouncer_for, classify, endpoints, from_url, is_provider, label, setting

_OPTIONS = (("synchronize", "synchronize"), ("migrations_run", "migrationsRun"))
_TRANSACTION = ("transaction", "statement")


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    yield from _alembic_through_pooler(project)
    if not project.bouncers:
        return
    for attribute, option in _OPTIONS:
        for group, connection, value in enabled(project, attribute):
            bouncer = bouncer_for(endpoints(group).get(connection.pools[0].location), project.bouncers)
            mode = _transaction_mode(bouncer)
            if mode is None:
                continue
            yield finding(
                "PGC121",
                connection.key_location(option),
                f"{describe(option, value)} changes the schema through {_through(bouncer, mode)}: TypeORM's"
                " migration lock and the session settings DDL relies on do not survive a server connection that"
                " changes between transactions",
                help=_help(bouncer),
                related=(mode.location,),
            )
    yield from _prisma_without_direct_url(project)


def _alembic_through_pooler(project: Project) -> Iterator[Finding]:
    """`alembic upgrade head` run before a server starts (`alembic upgrade head && gunicorn …`, an entrypoint
    script) whose URL, alembic.ini's `sqlalchemy.url` or what env.py sets, resolved in the processes' environment,
    goes through a transaction pooler. The DDL transaction itself survives one, but what migrations keep on the
    session does not: the `SET`s and session advisory locks an env.py takes, asyncpg's prepared statements, the
    statements of an `autocommit_block` (CREATE INDEX CONCURRENTLY)."""
    reported = set()  # a Procfile release step precedes each of its processes: said once
    for group in project.groups:
        config = group.alembic
        steps = [step for step in group.one_offs if step.tool == "alembic" and step.location not in reported]
        if config is None or config.url is None or not steps:
            continue
        url = evaluate(config.url, {**group.environment, **{b.name: b for b in steps[0].env}})
        if not isinstance(url, Known) or not isinstance(url.value, str) or "://" not in url.value:
            continue  # a URL that cannot be told is not guessed
        endpoint = from_url(url.value)
        bouncer = bouncer_for(endpoint, project.bouncers)
        mode = _transaction_mode(bouncer)
        provider = classify(*endpoint)
        if mode is not None:
            through, fix, related = _through(bouncer, mode), _help(bouncer), (mode.location, config.url.location)
        elif provider is not None and provider.mode == "transaction":  # a provider's pooler no pool of the app uses
            through, fix, related = provider.describe, _help(None), (config.url.location,)
        else:
            continue
        host, port = endpoint
        reported.add(steps[0].location)
        yield finding(
            "PGC121",
            steps[0].location,
            f"`{steps[0].text}` migrates the schema through {through}: its URL"
            f" [{config.url.location.short}] reaches {host}{f':{port}' if port else ''}, and the session state"
            " migrations rely on (SETs such as lock_timeout or search_path, the advisory lock an env.py takes so one"
            " replica migrates, asyncpg's prepared statements, autocommit blocks) does not survive a server"
            " connection that changes between transactions",
            help=fix + ": set sqlalchemy.url for Alembic from a second variable (e.g. DIRECT_URL)",
            related=related,
        )


def _prisma_without_direct_url(project: Project) -> Iterator[Finding]:
    """A schema.prisma datasource whose `url` goes through a transaction pooler and that has no `directUrl`: Prisma
    Migrate (`migrate deploy`, `migrate dev`, `db push`) then runs over the pooler, taking its session advisory lock
    there (Prisma's docs: configure directUrl when the url goes through PgBouncer or Supavisor)."""
    for group in project.groups:
        where = endpoints(group)
        for connection in group.connections:
            if not isinstance(connection, NodeConnection) or connection.library != "prisma":
                continue
            datasource = connection.config
            if not datasource.config_file or "directUrl" in datasource.options.entries:
                continue
            bouncer = bouncer_for(where.get(connection.pools[0].location), project.bouncers)
            mode = _transaction_mode(bouncer)
            if mode is None:
                continue
            url = datasource.options.key_location("url") if "url" in datasource.options.entries else datasource.location
            yield finding(
                "PGC121",
                url,
                f"the url of {datasource.source} goes through {_through(bouncer, mode)} and the datasource has no"
                " directUrl: Prisma Migrate (`prisma migrate deploy`, `db push`) runs over it, and its session advisory"
                " lock and the session settings DDL relies on do not survive a server connection that changes"
                " between transactions",
                help='add directUrl = env("DIRECT_URL") to the datasource, set to a connection that skips the pooler'
                + (
                    " (Supabase: the session pooler on 5432 or db.<ref>.supabase.co; Neon: the host without -pooler)"
                    if is_provider(bouncer)
                    else ""
                ),
                related=(mode.location,),
            )


def _transaction_mode(bouncer: Bouncer | None) -> Known | Default | None:
    mode = setting(bouncer, "pool_mode") if bouncer else None
    return mode if mode is not None and not isinstance(mode, Unknown) and mode.value in _TRANSACTION else None


def _through(bouncer: Bouncer, mode: Known | Default) -> str:
    cited = mode.location.short if isinstance(mode, Known) else mode.why
    return f"{label(bouncer)} in pool_mode {mode.value} [{cited}]"


def _help(bouncer: Bouncer | None) -> str:
    """How to migrate past the pooler: a provider's direct endpoint (None: a provider's pooler no bouncer models)."""
    if bouncer is None or is_provider(bouncer):
        return (
            "run migrations over a direct connection (Supabase: port 5432 or db.<ref>.supabase.co; Neon: the host"
            " without -pooler), from a release step"
        )
    return "run migrations over a direct connection to PostgreSQL (a second URL that skips the bouncer)"

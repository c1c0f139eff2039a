"""PGC210 django-server-side-cursors-through-transaction-pooler. Docs and examples: rules/PGC210.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.expr import evaluate, truthy
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, Project
from pgconnlint.model import Known
from pgconnlint.pooler import bouncer_for, endpoints, label, setting


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        where = endpoints(group) if project.bouncers else {}
        for connection in group.connections:
            if not isinstance(connection, EngineConnection) or connection.source.library != "django":
                continue
            bouncer = bouncer_for(where.get(connection.pools[0].location), project.bouncers)
            if bouncer is None:
                continue
            mode = setting(bouncer, "pool_mode")
            if mode.value not in ("transaction", "statement"):
                continue
            switch = connection.source.options.get("DISABLE_SERVER_SIDE_CURSORS")
            value = evaluate(switch, group.environment) if switch is not None else None
            if isinstance(value, Known) and truthy(value.value):
                continue
            if switch is not None and not isinstance(value, Known):
                continue  # set from something unknown: not guessed
            yield finding(
                "PGC210",
                connection.anchor,
                f"{connection.pools[0].label} reaches {label(bouncer)} in pool_mode {mode.value}"
                f" [{mode.location.short if isinstance(mode, Known) else mode.why}] without"
                " DISABLE_SERVER_SIDE_CURSORS: QuerySet.iterator() declares a"
                " server-side cursor outside a transaction, and the next fetch runs on another server connection"
                ' and fails with `cursor "_django_curs_…" does not exist`',
                help="set DISABLE_SERVER_SIDE_CURSORS = True on this DATABASES entry (or use session pool_mode)",
                related=(mode.location,),
            )

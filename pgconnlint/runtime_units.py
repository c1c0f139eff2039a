"""What a Python process runs besides its own pools, measured against real runs (issue 17, tests/e2e):

- Celery's database result backend (`db+postgresql…`) keeps a second SQLAlchemy engine in each prefork child for
  the life of the process: `SessionManager.get_engine` caches a pooled engine once the process is forked, and
  uses NullPool (a connection per use) in a process that was not (celery/backends/database/session.py, 5.4-5.7);
- FastAPI/Starlette run a sync `def` endpoint through `anyio.to_thread.run_sync` (starlette/concurrency.py
  `run_in_threadpool`), whose default limiter has 40 tokens per event loop (anyio/_backends/_asyncio.py
  `current_default_thread_limiter`, `CapacityLimiter(40)`, anyio 3.x-4.x); `async def` endpoints are not limited;
- psycopg2 waits in C: under gevent or eventlet it blocks the whole worker unless psycogreen patches it;
- Celery's gevent/eventlet/threads pools run `concurrency` tasks at once in one process (default `cpu_count()` for
  every pool: celery/worker/worker.py `WorkController.setup_instance`, 5.6.2), each in its own greenlet or thread;
- Celery's Django fixup closes the task's connections on task_prerun and task_postrun: with `conn.close()` since
  Celery 5.6.0 (celery/fixups/django.py `DjangoWorkerFixup._close_database`, the revert of #9824), so CONN_MAX_AGE
  keeps nothing past a task; up to 5.5 with `close_if_unusable_or_obsolete()`, which keeps it for CONN_MAX_AGE, and a
  gevent/eventlet task's greenlet never comes back for it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pgconnlint.expr import Environment, Obj, evaluate
from pgconnlint.linked import EngineConnection, Pool
from pgconnlint.model import Default, Known, Location, PythonPool, PythonRuntime, Unknown

if TYPE_CHECKING:
    from packaging.version import Version

CELERY_BACKEND = "celery-result-backend"
ANYIO_DEFAULT_TOKENS = 40
_SESSION_PY = "celery/backends/database/session.py SessionManager.get_engine"
_GREENLETS = ("gevent", "eventlet")
CELERY_CLOSES_DJANGO_CONNECTIONS = "5.6.0"


def celery_backends(pools: Iterable[PythonPool], env: Environment, manager: str) -> list[EngineConnection]:
    """The result backend a Celery worker stores its results through, when its URL is a database (`db+…`): one
    engine, the first such setting in file order; a URL that cannot be read is an unknown pool, never dropped."""
    candidates = sorted((p for p in pools if p.library == CELERY_BACKEND), key=lambda p: p.location.path)
    unknown = None
    for pool in candidates:
        url = evaluate(pool.options.get("url"), env)
        if isinstance(url, Unknown):
            unknown = unknown or (pool, Unknown(url.expression, url.location, _unknown_why(url)))
            continue
        if url is not None and isinstance(url.value, str) and url.value.startswith("db+"):
            return [_connection(pool, _backend_size(url.location, manager), _url_timeout(url))]
    return [_connection(*unknown, unknown[1])] if unknown else []


def _unknown_why(url: Unknown) -> str:
    return f"the Celery result backend's URL is not known ({url.reason}); a db+ URL opens an engine per process"


def _backend_size(where: Location, manager: str) -> Known:
    if manager == "celery prefork":
        why = f"Celery database result backend: a pooled engine kept by each prefork child ({_SESSION_PY})"
        return Known(1, where, why)
    why = f"Celery database result backend in an unforked {manager} process: NullPool, a connection per result"
    why += f" ({_SESSION_PY})"
    return Known(math.inf, where, why)


def _url_timeout(url: Known) -> Known | Default:
    match = re.search(r"connect_timeout=(\d+)", url.value)
    if match:
        return Known(int(match.group(1)) * 1000, url.location, "connect_timeout in the result backend's URL")
    return Default(0, url.location, "no connect_timeout in the result backend's URL")


def _connection(pool: PythonPool, size: Known | Unknown, timeout: Known | Default | Unknown) -> EngineConnection:
    label = f"Celery result backend ({pool.source})"
    return EngineConnection(
        source=pool,
        pools=(Pool(label, pool.options.location, size, kept_open=0),),
        connect_timeout_ms=timeout,
        unbounded=None,
        null_pool=False,
        liveness_checked=True,  # Celery retries a result store that finds its connection closed
    )


def celery_config(options: Obj, runtime: Iterable[PythonRuntime]) -> Obj:
    """A Celery worker's command line with its project's configured pool and concurrency (`worker_pool`,
    `CELERY_WORKER_POOL`, …; the first in file order) as `config_pool` / `config_concurrency`, which the command line
    overrides as celery/bin/worker.py does (pgconnlint/link_python.py `_celery`)."""
    entries, keys = dict(options.entries), dict(options.key_locations)
    facts = sorted(runtime, key=lambda fact: (fact.location.path, fact.location.line))
    for kind, key in (("celery-pool", "config_pool"), ("celery-concurrency", "config_concurrency")):
        fact = next((fact for fact in facts if fact.kind == kind and fact.value is not None), None)
        if fact is not None:
            entries[key], keys[key] = fact.value, fact.location
    return Obj(options.location, options.text, entries, keys, options.opaque_spreads)


def unpatched_pool(options: Obj, runtime: Iterable[PythonRuntime], env: Environment) -> Location | None:
    """Where a Celery worker's gevent or eventlet pool is configured (`worker_pool`), when the command line has no
    `-P`/`--pool` naming it: Celery monkey-patches only for the command-line option (celery/__init__.py
    `maybe_patch_concurrency`, called from celery/__main__.py) and otherwise warns `W_POOL_SETTING`
    (celery/worker/components.py), so unless the project patches itself, every greenlet blocks the others."""
    written = evaluate(options.get("pool"), env)
    if isinstance(written, Known) and celery_pool_name(str(written.value)) != "prefork":
        return None  # the command line chose the pool: patched when it is gevent or eventlet
    configured = evaluate(options.get("config_pool"), env)
    if not isinstance(configured, Known) or celery_pool_name(str(configured.value)) not in _GREENLETS:
        return None
    if any(fact.kind == "monkey-patch" for fact in runtime):
        return None
    return options.key_location("config_pool")


def celery_pool_name(written: str) -> str:
    """`gevent`, or a class path such as `celery.concurrency.gevent:TaskPool`, as Celery's short name
    (celery/concurrency/__init__.py ALIASES)."""
    lower = written.lower()
    for name in ("prefork", "eventlet", "gevent", "solo", "threads", "processes"):
        if name in lower:
            return name
    return written


def celery_closes_django_connections(runtime: Iterable[PythonRuntime]) -> PythonRuntime | None:
    """The project's celery requirement when every version it allows is 5.6.0 or later, whose Django fixup closes a
    task's connections after the task; None when none is declared or an older one may be installed."""
    for fact in runtime:
        lowest = _lowest_version(fact.name) if fact.kind == "celery" else None
        if lowest is not None and lowest >= _version(CELERY_CLOSES_DJANGO_CONNECTIONS):
            return fact
    return None


def _lowest_version(requirement: str) -> Version | None:
    """The lowest version a PEP 508 requirement allows (`==5.6.2`, `>=5.6,<6`, `~=5.6.0`), as its largest lower bound;
    None when it has none or is not PEP 508 (Poetry's `celery = "^5.6"`)."""
    from packaging.requirements import InvalidRequirement, Requirement  # rare path: see _version
    from packaging.version import InvalidVersion

    try:
        specifier = Requirement(requirement).specifier
    except InvalidRequirement:
        return _poetry_lowest(requirement)
    bounds = []
    for item in specifier:
        if item.operator in (">=", ">", "==", "~=", "==="):
            try:
                bounds.append(_version(item.version.removesuffix(".*")))
            except InvalidVersion:
                continue
    return max(bounds, default=None)


def _poetry_lowest(written: str) -> Version | None:
    """Poetry's `celery = "^5.6"`, `celery = {version = "~5.6.1", extras = ["redis"]}`: the version a caret, tilde
    or bare constraint starts from, or a PEP 440 range's lowest bound."""
    match = re.match(r"""celery\s*=\s*(?:\{[^}]*?version\s*=\s*)?["']([^"']+)["']""", written)
    if match is None:
        return None
    constraint = match.group(1).strip()
    if re.fullmatch(r"[\^~]?\s*\d+(?:\.\d+)*", constraint):
        return _version(constraint.lstrip("^~ "))
    return _lowest_version(f"celery{constraint}") if constraint[:1] in "<>=!~" else None


def _version(text: str) -> Version:
    """packaging is imported here, not at the top: ~10 ms (30-60 under -X importtime) that only a project declaring
    celery needs (issue 19)."""
    from packaging.version import Version

    return Version(text)


def asgi_units(units, runtime: Iterable[PythonRuntime], env: Environment):
    """An ASGI process whose FastAPI/Starlette endpoints are all sync `def`: anyio's limiter (40 tokens, or what the
    app sets); any `async def` endpoint keeps the process unbounded (the larger of the two)."""
    facts = list(runtime)
    sync = [fact for fact in facts if fact.kind == "sync-endpoint"]
    if not sync or any(fact.kind == "async-endpoint" for fact in facts):
        return units
    return _tokens(facts, env) or Default(
        ANYIO_DEFAULT_TOKENS,
        sync[0].location,
        f"{len(sync)} sync `def` endpoints run on anyio's default thread limiter: 40 tokens per process",
    )


def _tokens(facts: list[PythonRuntime], env: Environment) -> Known | Unknown | None:
    limiter = next((fact for fact in facts if fact.kind == "thread-limiter"), None)
    if limiter is None:
        return None
    value = evaluate(limiter.value, env)
    if isinstance(value, Known) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
        return Known(value.value, limiter.location, "anyio's default thread limiter total_tokens, set by the app")
    reason = "anyio's thread limiter is resized to a value that cannot be read"
    return Unknown(limiter.name, limiter.location, reason)


def unpatched_psycopg2(manager: str, runtime: Iterable[PythonRuntime]) -> Location | None:
    """Where psycopg2 is declared or imported, when the processes run greenlets and neither psycogreen nor
    psycopg 3 (which cooperates with gevent) is in the project."""
    if not any(name in manager for name in _GREENLETS):
        return None
    facts = list(runtime)
    kinds = {fact.kind for fact in facts}
    if "psycopg2" not in kinds or kinds & {"psycogreen", "psycopg"}:
        return None
    return min((fact.location for fact in facts if fact.kind == "psycopg2"), key=lambda at: (at.path, at.line))

"""What a Python process runs besides its own pools, measured against real runs (issue 17, tests/e2e):

- Celery's database result backend (`db+postgresql…`) keeps a second SQLAlchemy engine in each prefork child for
  the life of the process: `SessionManager.get_engine` caches a pooled engine once the process is forked, and
  uses NullPool (a connection per use) in a process that was not (celery/backends/database/session.py, 5.4-5.7);
- FastAPI/Starlette run a sync `def` endpoint through `anyio.to_thread.run_sync` (starlette/concurrency.py
  `run_in_threadpool`), whose default limiter has 40 tokens per event loop (anyio/_backends/_asyncio.py
  `current_default_thread_limiter`, `CapacityLimiter(40)`, anyio 3.x-4.x); `async def` endpoints are not limited;
- psycopg2 waits in C: under gevent or eventlet it blocks the whole worker unless psycogreen patches it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from pgconnlint.expr import Environment, evaluate
from pgconnlint.linked import EngineConnection, Pool
from pgconnlint.model import Default, Known, Location, PythonPool, PythonRuntime, Unknown

CELERY_BACKEND = "celery-result-backend"
ANYIO_DEFAULT_TOKENS = 40
_SESSION_PY = "celery/backends/database/session.py SessionManager.get_engine"
_GREENLETS = ("gevent", "eventlet")


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

"""What a Python process runs besides its own pools, read with libcst and never imported (issue 17):

- a Celery result backend (`result_backend`, `CELERY_RESULT_BACKEND`, `Celery(backend=…)`, `app.conf.update(…)`):
  a `PythonPool` of library "celery-result-backend" whose `url` the linker evaluates (only `db+…` URLs open an
  engine: celery/backends/database/session.py);
- a Celery worker's pool and concurrency set in its configuration (`worker_pool`, `worker_concurrency`, Django's
  `CELERY_WORKER_POOL`, Celery 3's `CELERYD_POOL`): a `PythonRuntime` of kind "celery-pool" or "celery-concurrency";
- FastAPI/Starlette route functions, sync `def` or `async def`, and an app's own
  `to_thread.current_default_thread_limiter().total_tokens = N`, which decide an ASGI process' units;
- `import psycopg2`, psycogreen and psycopg (3), and the same names among a project's declared requirements:
  psycopg2 blocks a gevent or eventlet worker unless psycogreen patches it (psycopg 3 cooperates with gevent);
- celery's requirement as written (kind "celery"), whose version decides what happens to Django's connections;
- `gevent.monkey.patch_all()` / `eventlet.monkey_patch()` called by the project itself (kind "monkey-patch").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pgconnlint.expr import Obj
from pgconnlint.extract.python import PySource
from pgconnlint.model import Location, PythonPool, PythonRuntime

if TYPE_CHECKING:
    import libcst as cst

MARKERS = ("result_backend", "RESULT_BACKEND", "Celery(", "fastapi", "starlette", "total_tokens", "psycog")
MARKERS += ("worker_pool", "WORKER_POOL", "CELERYD_", "worker_concurrency", "WORKER_CONCURRENCY")
MARKERS += ("patch_all", "monkey_patch")  # gevent.monkey.patch_all(), eventlet.monkey_patch()
BACKEND_SETTINGS = ("result_backend", "CELERY_RESULT_BACKEND")
# celery/app/defaults.py (5.6): `worker.pool`, `worker.concurrency`, old names `celeryd_*`; Django's namespace CELERY_
WORKER_SETTINGS = {
    **dict.fromkeys(("worker_pool", "CELERY_WORKER_POOL", "CELERYD_POOL"), "celery-pool"),
    **dict.fromkeys(("worker_concurrency", "CELERY_WORKER_CONCURRENCY", "CELERYD_CONCURRENCY"), "celery-concurrency"),
}
_ROUTE_METHODS = ("get", "post", "put", "patch", "delete", "options", "head", "api_route", "route")
_WEB_FRAMEWORKS = ("fastapi", "starlette")
# psycopg2 and psycogreen as a requirement line (requirements.txt, Pipfile, pyproject.toml, setup.py): a name at a
# line's or a quoted string's start, not psycopg (3)
_NAMES = r"(psycopg2(?:-binary)?|psycogreen|psycopg(?=\[|-binary|[\s<>=~!;,\"']|$))"
_REQUIREMENT = re.compile(r"""^[\s"'\[]*""" + _NAMES)
_QUOTED = re.compile(r"""["']""" + _NAMES)
# celery's own requirement (`celery[redis]==5.5.3`, `"celery>=5.6"`), whose version decides whether the Django fixup
# closes persistent connections after each task (pgconnlint/runtime_units.py `celery_closes_django_connections`)
_CELERY = re.compile(r"""^\s*(celery(?=[\s\[<>=~!;,"']|$)[^#\n]*)|["'](celery(?=[\s\[<>=~!;,]|["']|$)[^#"'\n]*)""")


def extract_source(source: PySource, text: str, routes: list[PythonRuntime] | None = None) -> list:
    """The facts of one parsed Python file (called from the "python-code" extractor, extract/django.py); `routes`
    when extract/python_scan.py has already read the endpoints with `ast`."""
    if not any(marker in text for marker in MARKERS):
        return []
    found: list = _backends(source)
    found += _imports(source)
    found += _monkey_patches(source)
    if routes is not None:
        found += routes
    elif any(qualified.startswith(_WEB_FRAMEWORKS) for qualified in source.imports.values()):
        found += _routes(source)
    found += _limiters(source)
    return found


def extract_requirements(path: str, text: str) -> tuple[list[PythonRuntime], list]:
    """psycopg2 and psycogreen declared in a project file, located at their line."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _REQUIREMENT.match(line) or _QUOTED.search(line)
        if match:
            kind = match.group(1).removesuffix("-binary")
            found.append(PythonRuntime(kind, Location(path, number, match.start(1) + 1), match.group(1)))
        celery = _CELERY.search(line)
        if celery:
            group = 1 if celery.group(1) else 2  # a requirement line (or Poetry's `celery = "^5.6"`), or a quoted one
            where = Location(path, number, celery.start(group) + 1)
            found.append(PythonRuntime("celery", where, celery.group(group).strip()))
    return found, []


# --- the Celery result backend -----------------------------------------------------------------------------


def _backends(source: PySource) -> list[PythonPool]:
    import libcst as cst

    found = []
    for node in source.nodes((cst.Assign, cst.AnnAssign, cst.Call)):
        if isinstance(node, cst.Call):
            for argument in node.args:
                keyword = argument.keyword.value if argument.keyword else ""
                if _is_backend_call(source, node, keyword):
                    found.append(_backend(source, node, argument.value, f"{keyword}= in {source.text(node.func)}(…)"))
                elif keyword in WORKER_SETTINGS and _is_update(source, node):
                    found.append(_worker_setting(source, argument.value, keyword))
            continue
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        for target in targets:
            name = target.value if isinstance(target, cst.Name) else getattr(target, "attr", None)
            name = name.value if isinstance(name, cst.Name) else name
            if name in BACKEND_SETTINGS and node.value is not None:
                found.append(_backend(source, node, node.value, f"{name} in {source.path}"))
            elif name in WORKER_SETTINGS and node.value is not None:
                found.append(_worker_setting(source, node.value, name))
    return found


def _is_backend_call(source: PySource, node: cst.Call, keyword: str) -> bool:
    """`Celery(…, backend=…)`, and `…conf.update(result_backend=…)` / `config_from_object`-free updates."""
    name = source.qualified(node.func)
    if keyword == "backend":
        return name.rsplit(".", 1)[-1] == "Celery"
    return keyword in BACKEND_SETTINGS and _is_update(source, node)


def _is_update(source: PySource, node: cst.Call) -> bool:
    return source.qualified(node.func).endswith((".update", ".setdefault"))


def _worker_setting(source: PySource, value: cst.BaseExpression, name: str) -> PythonRuntime:
    expr = source.expr(value)
    return PythonRuntime(WORKER_SETTINGS[name], expr.location, name, expr)


def _backend(source: PySource, node: cst.CSTNode, value: cst.BaseExpression, label: str) -> PythonPool:
    url = source.expr(value)
    options = Obj(source.location(node), source.text(node), {"url": url}, {"url": url.location})
    return PythonPool("celery-result-backend", options, label, Obj(url.location, url.text, {"url": url}))


# --- FastAPI / Starlette endpoints and anyio's thread limiter ------------------------------------------------


def _routes(source: PySource) -> list[PythonRuntime]:
    import libcst as cst

    found = []
    for node in source.nodes((cst.FunctionDef,)):
        for decorator in node.decorators:
            call = decorator.decorator
            target = call.func if isinstance(call, cst.Call) else call
            if isinstance(target, cst.Attribute) and target.attr.value in _ROUTE_METHODS:
                kind = "async-endpoint" if node.asynchronous is not None else "sync-endpoint"
                found.append(PythonRuntime(kind, source.location(node.name), node.name.value))
                break
    return found


def _limiters(source: PySource) -> list[PythonRuntime]:
    """`…current_default_thread_limiter().total_tokens = N` (anyio's documented way to resize the pool)."""
    import libcst as cst

    found = []
    for node in source.nodes((cst.Assign,)):
        for target in node.targets:
            held = target.target
            limiter = isinstance(held, cst.Attribute) and held.attr.value == "total_tokens"
            if limiter and "current_default_thread_limiter" in source.text(held.value, limit=400):
                value = source.expr(node.value)
                found.append(PythonRuntime("thread-limiter", source.location(node), value.text, value))
    return found


# --- psycopg2 and psycogreen --------------------------------------------------------------------------------


def _imports(source: PySource) -> list[PythonRuntime]:
    import libcst as cst

    found = []
    for node in source.nodes((cst.Import, cst.ImportFrom)):
        names = (
            [source.text(alias.name) for alias in node.names]
            if isinstance(node, cst.Import)
            else [source.text(node.module)]
            if node.module is not None
            else []
        )
        for name in names:
            top = name.split(".")[0]
            if top in ("psycopg2", "psycogreen", "psycopg"):
                found.append(PythonRuntime(top, source.location(node), name))
    return found


def _monkey_patches(source: PySource) -> list[PythonRuntime]:
    """`monkey.patch_all()` (gevent), `eventlet.monkey_patch()`: the project patches the standard library itself."""
    import libcst as cst

    found = []
    for node in source.nodes((cst.Call,)):
        name = source.qualified(node.func)
        if name.endswith(("monkey.patch_all", "eventlet.monkey_patch")) or name in ("patch_all", "monkey_patch"):
            found.append(PythonRuntime("monkey-patch", source.location(node), name))
    return found

"""What the standard library's `ast` can tell about a Python file before libcst is needed (issue 19).

libcst keeps every token, which the extractors need for exact text and positions, and costs about fifty times what
`ast` (C) costs: on real repositories most files that pass the text pre-filter (a FastAPI router mentions
"fastapi") hold nothing but endpoints. `scan` parses with `ast` and says whether anything libcst reads can be there
(a superset: an engine or pool call by any name or alias, a Flask or Django settings key, a Celery result backend,
a psycopg import, anyio's limiter); if not, the file's only facts are its FastAPI/Starlette endpoints, read here
with the position libcst would give the function's name. A file `ast` cannot parse (newer syntax than this
interpreter's) goes through libcst as before.

Keep `_needs_libcst` in step with extract/sqlalchemy.py, django.py and python_runtime.py: anything they find must
make it true (tests/extract/test_python_scan.py compares both paths on every Python fixture).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from pgconnlint.collector import gc_paused
from pgconnlint.extract.sqlalchemy import FROM_FILE_CALLS  # extract/django.py reads them from the whole tree
from pgconnlint.model import Location, PythonRuntime
from pgconnlint.pyskeleton import skeleton
from pgconnlint.reach_python import reads_calls, remember

_ROUTE_METHODS = ("get", "post", "put", "patch", "delete", "options", "head", "api_route", "route")
_WEB_FRAMEWORKS = ("fastapi", "starlette")
#: texts whose presence sends the file to libcst whole (each extractor's own gate, rare in files), and
LIBCST_TEXTS = ("DJANGO_SETTINGS_MODULE", "current_default_thread_limiter")
#: DATABASES, or a key of it, assigned (extract/django.py `_databases`): a view that reads `settings.DATABASES` is
#: no settings module (TandoorRecipes: a 177 KB views file went to libcst for it)
_DATABASES_SET = re.compile(r"DATABASES[\s\\]*(?:\[[^\]\n]*\][\s\\]*)*(?::|=(?!=))")
_FLASK_URI = "SQLALCHEMY_DATABASE_URI"  #: a Flask-SQLAlchemy pool where it is set (extract/sqlalchemy.py `_collect`)
_BACKEND_NAMES = ("result_backend", "CELERY_RESULT_BACKEND")  #: extract/python_runtime.py BACKEND_SETTINGS
_BACKEND_NAMES += ("worker_pool", "CELERY_WORKER_POOL", "CELERYD_POOL")  #: … and WORKER_SETTINGS
_BACKEND_NAMES += ("worker_concurrency", "CELERY_WORKER_CONCURRENCY", "CELERYD_CONCURRENCY")
_BACKEND_KEYWORD = re.compile(r"backend\s*=")  #: Celery(…, backend=…)
_DRIVERS = ("psycopg2", "psycogreen", "psycopg")
_PATCHES = ("patch_all", "monkey_patch")  #: extract/python_runtime.py `_monkey_patches`
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")  #: the fields of a statement that hold statements
_DEF = re.compile(r"(?:async\s+)?def\s+(\w+)")


@dataclass(frozen=True, slots=True)
class Scan:
    """A Python file read by `ast`, and whether libcst must read it too."""

    tree: ast.Module
    needs_libcst: bool


def scan(text: str, engine_names: frozenset[str]) -> Scan | None:
    """The file's `ast`, and whether libcst must read it; None when `ast` cannot parse a file it reads (libcst
    decides). Its imports are kept for reach_python.py, which would otherwise parse the file again. Where no name
    `_needs_libcst` looks for is written, only the endpoints are read: from the module's skeleton
    (pgconnlint/pyskeleton.py, its functions' headers and decorators) when it may have some, from nothing when it
    imports no web framework."""
    whole = _may_need_libcst(text, engine_names) or any(call in text for call in FROM_FILE_CALLS)
    if not whole and not any(framework in text for framework in _WEB_FRAMEWORKS):
        return Scan(ast.Module(body=[], type_ignores=[]), False)  # reach_python.py parses it if a process imports it
    data = text.encode("utf-8", "surrogatepass")
    reduced = None if whole or reads_calls(data) else skeleton(data)
    with gc_paused():
        tree = (_parsed(reduced) if reduced is not None else None) or _parsed(text)
        if tree is None:
            return None
        remember(data, tree)
        return _scanned(text, tree, engine_names) if whole else Scan(tree, False)


def _parsed(source: str | bytes) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _may_need_libcst(text: str, engine_names: frozenset[str]) -> bool:
    """Whether a text `_scanned` looks for is in the file."""
    return _libcst_text(text) or _FLASK_URI in text or _names_written(text, engine_names)


def _scanned(text: str, tree: ast.Module, engine_names: frozenset[str]) -> Scan:
    if _libcst_text(text) or (_FLASK_URI in text and _sets_flask_uri(tree)):
        return Scan(tree, True)
    return Scan(tree, _names_written(text, engine_names) and _needs_libcst(tree, engine_names))


def _libcst_text(text: str) -> bool:
    """A text whose extractor reads the file with libcst whatever else it holds."""
    if any(marker in text for marker in LIBCST_TEXTS):
        return True
    return "DATABASES" in text and _DATABASES_SET.search(text) is not None


def _names_written(text: str, engine_names: frozenset[str]) -> bool:
    """Every name `_needs_libcst` looks for is written in the file (an alias is imported by its own name); the
    keyword `backend=` as such, not the word (skyvern: 25 of 27 files parsed whole for nothing)."""
    if any(name in text for name in (*engine_names, *_BACKEND_NAMES, *_DRIVERS, *_PATCHES)):
        return True
    return _BACKEND_KEYWORD.search(text) is not None


def _needs_libcst(tree: ast.Module, engine_names: frozenset[str]) -> bool:
    """An engine or pool call (by its name or an import alias of it), a result backend, a psycopg import."""
    names = set(engine_names)
    nodes = list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = (node.module or "") if isinstance(node, ast.ImportFrom) else ""
            if any(name.split(".")[0] in _DRIVERS for name in [module, *(a.name for a in node.names)] if name):
                return True
            names.update(a.asname for a in node.names if a.asname and a.name.rsplit(".", 1)[-1] in engine_names)
    for node in nodes:
        if isinstance(node, ast.Call):
            if _terminal(node.func) in (*names, *_PATCHES) or any(
                k.arg in ("backend", *_BACKEND_NAMES) for k in node.keywords
            ):
                return True
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_terminal(target) in _BACKEND_NAMES for target in targets):
                return True
    return False


def _sets_flask_uri(tree: ast.Module) -> bool:
    """`SQLALCHEMY_DATABASE_URI = …` or `x.config["SQLALCHEMY_DATABASE_URI"] = …` anywhere: a command-line tool
    that only reads it (`app.config.get("SQLALCHEMY_DATABASE_URI")`, a 4,500-line tsctl.py) opens no pool."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        else:
            continue
        for target in targets:
            key = target.slice if isinstance(target, ast.Subscript) else target
            if _FLASK_URI in (getattr(key, "id", None), getattr(key, "value", None)):
                return True
    return False


def _terminal(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def routes(path: str, text: str, tree: ast.Module) -> list[PythonRuntime] | None:
    """FastAPI/Starlette endpoints (a function decorated `@x.get(…)`, `@x.route(…)`…) of a module that imports either
    at its top level, in source order, located at the function's name; None when a name's position cannot be told
    from the line (then libcst reads the file)."""
    if not any(value.startswith(_WEB_FRAMEWORKS) for value in _top_level_imports(tree).values()):
        return []
    if "\r" in text.replace("\r\n", "\n"):
        return None  # lone carriage returns: line numbers may differ between ast and libcst
    lines = text.split("\n")
    found = []
    functions = [node for node in _statements(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    for node in sorted(functions, key=lambda f: (f.lineno, f.col_offset)):
        if not any(_is_route(decorator) for decorator in node.decorator_list):
            continue
        line = lines[node.lineno - 1]
        column = len(line.encode()[: node.col_offset].decode(errors="replace"))  # ast counts bytes, libcst characters
        match = _DEF.match(line, column)
        if match is None or match.group(1) != node.name:
            return None
        kind = "async-endpoint" if isinstance(node, ast.AsyncFunctionDef) else "sync-endpoint"
        start, end = match.start(1) + 1, match.end(1) + 1
        found.append(PythonRuntime(kind, Location(path, node.lineno, start, node.lineno, end), node.name))
    return found


def _statements(tree: ast.Module) -> list[ast.stmt]:
    """Every statement, nested ones included, without walking expressions (a `def` is never inside one): a
    fraction of `ast.walk`'s nodes."""
    found: list[ast.stmt] = []
    blocks = [tree.body]
    while blocks:
        for node in blocks.pop():
            if isinstance(node, ast.stmt):
                found.append(node)
            # a compound statement's blocks; an `except` clause or a `match` case holds its own body
            blocks += [getattr(node, field) for field in _BLOCKS if hasattr(node, field)]
    return found


def _is_route(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in _ROUTE_METHODS


def _top_level_imports(tree: ast.Module) -> dict[str, str]:
    """local name -> qualified name, as extract/python.py `PySource._index` reads the module's own statements."""
    imports: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                local = alias.asname or alias.name.split(".")[0]
                imports[local] = alias.name if alias.asname else local
        elif isinstance(statement, ast.ImportFrom) and statement.module and statement.names[0].name != "*":
            for alias in statement.names:
                imports[alias.asname or alias.name] = f"{statement.module}.{alias.name}"
    return imports

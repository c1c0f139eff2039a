"""Python pools: SQLAlchemy (and SQLModel) `create_engine` / `create_async_engine` / `engine_from_config`,
Flask-SQLAlchemy's configuration keys, psycopg_pool and asyncpg pools. Read with libcst after a text pre-filter;
never imported."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from pgconnlint.expr import Expr, Lit, Not, Obj
from pgconnlint.extract.python import PySource
from pgconnlint.model import Location, ParseProblem, PythonPool

if TYPE_CHECKING:
    import libcst as cst

_ENGINES = {
    "sqlalchemy.create_engine": ("sqlalchemy", False),
    "sqlalchemy.engine.create_engine": ("sqlalchemy", False),
    "sqlalchemy.ext.asyncio.create_async_engine": ("sqlalchemy", True),
    "sqlalchemy.engine_from_config": ("sqlalchemy", False),
    "sqlmodel.create_engine": ("sqlalchemy", False),  # SQLModel's wrapper: SQLAlchemy's engine and pool defaults
    "psycopg_pool.ConnectionPool": ("psycopg_pool", False),
    "psycopg_pool.AsyncConnectionPool": ("psycopg_pool", True),
    "asyncpg.create_pool": ("asyncpg", True),
    "asyncpg.pool.create_pool": ("asyncpg", True),
}
#: the last part of each name above: a call by one of these (or an alias of it) sends a file to libcst
ENGINE_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in _ENGINES)
_CACHING_DECORATORS = ("cache", "lru_cache", "cached_property", "cached")
_FLASK_KEYS = {
    "SQLALCHEMY_POOL_SIZE": "pool_size",
    "SQLALCHEMY_MAX_OVERFLOW": "max_overflow",
    "SQLALCHEMY_POOL_TIMEOUT": "pool_timeout",
    "SQLALCHEMY_POOL_RECYCLE": "pool_recycle",
}


def extract(path: str, text: str) -> tuple[list[PythonPool], list[ParseProblem]]:
    source = PySource.parse(path, text)
    if isinstance(source, ParseProblem):
        return [], [source]
    pools = list(_calls(source))
    pools += _flask_config(source)
    return pools, []


# --- engine and pool calls ------------------------------------------------------------------------


def _calls(source: PySource) -> list[PythonPool]:
    """Every engine or pool call, in source order, with the functions around it (outermost first), from the
    positions already computed: a libcst visitor rebuilds the whole tree (issue 19)."""
    import libcst as cst

    functions = [(function, _extent(source, function)) for function in source.nodes((cst.FunctionDef,))]
    found = []
    for node in source.nodes((cst.Call,)):
        qualified = source.qualified(node.func)
        known = _ENGINES.get(qualified) or _ENGINES.get(_by_last_name(qualified))
        if not known:
            continue
        span = source.positions[node]
        at = ((span.start.line, span.start.column), (span.end.line, span.end.column))
        around = [function for function, (start, end) in functions if start <= at[0] and at[1] <= end]
        per_call = bool(around) and not any(_runs_once(f) for f in around)
        pool = _pool(source, node, qualified, *known, per_call=per_call)
        if around and _disposed(source, around[-1], node):
            pool = replace(pool, per_call=False, disposed=True)
        elif around:
            pool = _in_branch(source, around[-1], node, pool)
        found.append(pool)
    return found


def _extent(source: PySource, function) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where a function's text starts (its first decorator) and ends: libcst's span starts at `def`."""
    spans = [source.positions[node] for node in (function, *function.decorators)]
    start = min((span.start.line, span.start.column) for span in spans)
    return start, (spans[0].end.line, spans[0].end.column)


def _disposed(source: PySource, function: cst.FunctionDef, call: cst.Call) -> bool:
    """`engine = create_async_engine(…)` and `engine.dispose()` (awaited or not) in the same function, read from the
    node lists already made (libcst's matchers cost 0.15 s to import, issue 19)."""
    import libcst as cst

    start, end = _extent(source, function)

    def inside(node: cst.CSTNode) -> bool:
        span = source.positions[node]
        return start <= (span.start.line, span.start.column) and (span.end.line, span.end.column) <= end

    disposed = {node.func.value.value for node in source.nodes((cst.Call,)) if _is_dispose(node) and inside(node)}
    for assign in source.nodes((cst.Assign, cst.AnnAssign)) if disposed else ():
        if assign.value is call and inside(assign):
            targets = [t.target for t in assign.targets] if isinstance(assign, cst.Assign) else [assign.target]
            if any(isinstance(target, cst.Name) and target.value in disposed for target in targets):
                return True
    return False


def _is_dispose(node: cst.Call) -> bool:
    """`x.dispose()`"""
    import libcst as cst

    func = node.func
    return isinstance(func, cst.Attribute) and func.attr.value == "dispose" and isinstance(func.value, cst.Name)


def _in_branch(source: PySource, function: cst.FunctionDef, call: cst.Call, pool: PythonPool) -> PythonPool:
    """The conditions of the `if` branches a call lies in, and the negation of each earlier `if` of its blocks that
    returns or raises (`if settings.NO_POOL: return create_engine(…, poolclass=NullPool)` then the pooled engine)."""
    import libcst as cst

    path = _path_to(function, call)
    if path is None:
        return pool
    when = []
    for parent, child in zip(path, path[1:], strict=False):
        if isinstance(parent, cst.If):
            test = source.expr(parent.test)
            when.append(test if child is parent.body else Not(test.location, f"not {test.text}", test))
        for statement in _block(parent):
            if statement is child:
                break
            if isinstance(statement, cst.If) and _leaves(statement.body):
                test = source.expr(statement.test)
                when.append(Not(test.location, f"not {test.text}", test))
    return replace(pool, branch=source.location(function).short, conditions=tuple(when)) if when else pool


def _path_to(node: cst.CSTNode, target: cst.CSTNode) -> list | None:
    if node is target:
        return [node]
    for child in node.children:
        found = _path_to(child, target)
        if found is not None:
            return [node, *found]
    return None


def _block(node: cst.CSTNode) -> tuple:
    import libcst as cst

    return tuple(node.body) if isinstance(node, (cst.IndentedBlock, cst.Module)) else ()


def _leaves(body: cst.BaseSuite) -> bool:
    """A branch that ends with `return` or `raise`: what follows it runs only when its test is false."""
    import libcst as cst

    statements = _block(body)
    last = statements[-1] if statements else None
    small = last.body[-1] if isinstance(last, cst.SimpleStatementLine) and last.body else None
    return isinstance(small, (cst.Return, cst.Raise))


def _by_last_name(qualified: str) -> str:
    """`create_engine` imported by a path we do not list (a re-export): matched by its own name."""
    last = qualified.rsplit(".", 1)[-1]
    return next((name for name in _ENGINES if name.endswith("." + last) and qualified == last), "")


#: the names of start-up code, which runs once: a pool made there is not per call, an import there runs at start
STARTUP = re.compile(r"(^|_)(startup|lifespan|init|setup|main|connect|create_app|start|open|build)(_|$)")


def _runs_once(function: cst.FunctionDef) -> bool:
    """A cached function, or one named like start-up code (`lifespan`, `on_startup`, `init_db`): the
    standard place to create an asyncpg or psycopg pool once."""
    return any(_caches(d) for d in function.decorators) or bool(STARTUP.search(function.name.value.lower()))


def _caches(decorator: cst.Decorator) -> bool:
    import libcst as cst

    target = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
    name = target.attr.value if isinstance(target, cst.Attribute) else getattr(target, "value", "")
    return name in _CACHING_DECORATORS


def _pool(source: PySource, node: cst.Call, qualified: str, library: str, asynchronous: bool, per_call: bool):
    location = source.location(node)
    entries: dict[str, Expr] = {}
    keys = {}
    for argument in node.args:
        if argument.keyword is not None:
            entries[argument.keyword.value] = source.expr(argument.value)
            keys[argument.keyword.value] = source.location(argument.keyword)
    positional = [a for a in node.args if a.keyword is None and not a.star]
    url = None
    if qualified.endswith("engine_from_config"):
        entries, keys = _from_config_dict(source, positional, entries, keys)
    elif positional:
        url_expr = source.expr(positional[0].value)
        url = Obj(url_expr.location, url_expr.text, {"url": url_expr})
    for keyword in ("url", "dsn", "conninfo"):
        if keyword in entries and url is None:
            url = Obj(entries[keyword].location, entries[keyword].text, {"url": entries[keyword]})
    name = qualified.rsplit(".", 1)[-1]
    options = Obj(location, source.text(node), entries, keys)
    return PythonPool(library, options, f"{name}(…)", url, per_call, asynchronous)


def _from_config_dict(source: PySource, positional, entries, keys):
    """`engine_from_config({"sqlalchemy.pool_size": "10", …}, prefix="sqlalchemy.")`: the prefixed keys."""
    prefix_expr = entries.get("prefix")
    prefix = prefix_expr.value if isinstance(prefix_expr, Lit) and isinstance(prefix_expr.value, str) else "sqlalchemy."
    config = source.expr(positional[0].value) if positional else None
    if not isinstance(config, Obj):
        return entries, keys
    for key, value in config.entries.items():
        if key.startswith(prefix):
            entries[key[len(prefix) :]] = value
            keys[key[len(prefix) :]] = config.key_location(key)
    return entries, keys


# --- Flask-SQLAlchemy configuration ----------------------------------------------------------------


def _flask_config(source: PySource) -> list[PythonPool]:
    """One pool per configuration scope (the module, or a config class) that sets SQLALCHEMY_DATABASE_URI, plus
    one per SQLALCHEMY_BINDS entry; a class inherits its bases' settings, as Python does."""
    scopes = _scopes(source)
    pools = []
    for scope, values in scopes.items():
        if "SQLALCHEMY_DATABASE_URI" not in values:
            continue
        options = _flask_options(source, values)
        where = values["SQLALCHEMY_DATABASE_URI"]
        label = f"SQLALCHEMY_DATABASE_URI in {f'{scope} in {source.path}' if scope else source.path}"
        url = Obj(where.location, where.text, {"url": where})
        pools.append(PythonPool("flask-sqlalchemy", _relocate(options, where), label, url, scope=scope))
        binds = values.get("SQLALCHEMY_BINDS")
        for bind, bind_url in binds.entries.items() if isinstance(binds, Obj) else ():
            bind_options = _relocate(options, bind_url)
            if isinstance(bind_url, Obj) and "url" in bind_url.entries:  # Flask-SQLAlchemy 3: a dict per bind
                bind_options = Obj(
                    bind_url.location,
                    bind_url.text,
                    {**options.entries, **bind_url.entries},
                    {**options.key_locations, **bind_url.key_locations},
                )
            label = f"SQLALCHEMY_BINDS[{bind!r}] in {f'{scope} in {source.path}' if scope else source.path}"
            pools.append(PythonPool("flask-sqlalchemy", bind_options, label, scope=scope))
    return pools


def _flask_options(source: PySource, values: dict[str, Expr]) -> Obj:
    engine_options = values.get("SQLALCHEMY_ENGINE_OPTIONS")
    entries = dict(engine_options.entries) if isinstance(engine_options, Obj) else {}
    keys = dict(engine_options.key_locations) if isinstance(engine_options, Obj) else {}
    for key, option in _FLASK_KEYS.items():  # Flask-SQLAlchemy 2.x keys; ENGINE_OPTIONS wins over them
        if key in values and option not in entries:
            entries[option] = values[key]
            keys[option] = values[key].location
    location = engine_options.location if isinstance(engine_options, Obj) else None
    return Obj(location, "", entries, keys)  # type: ignore[arg-type]  # relocated by the caller


def _relocate(options: Obj, anchor: Expr) -> Obj:
    return Obj(anchor.location, anchor.text, options.entries, options.key_locations, options.opaque_spreads)


def _scopes(source: PySource) -> dict[str, dict[str, Expr]]:
    import libcst as cst

    scopes: dict[str, dict[str, Expr]] = {"": {}}
    bases: dict[str, list[str]] = {}
    for statement in source.module.body:
        if isinstance(statement, cst.ClassDef):
            name = statement.name.value
            bases[name] = [source.text(arg.value) for arg in statement.bases]
            scopes[name] = {}
            body = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
            for inner in body:
                _collect(source, inner, scopes[name])
        else:
            _collect(source, statement, scopes[""])
    resolved = {}
    for name in scopes:
        values: dict[str, Expr] = {}
        for ancestor in reversed(_lineage(name, bases)):
            values.update(scopes.get(ancestor, {}))
        resolved[name] = values
    return resolved


def _lineage(name: str, bases: dict[str, list[str]], depth: int = 0) -> list[str]:
    if depth > 10 or name not in bases:
        return [name]
    return [name] + [a for base in bases[name] for a in _lineage(base, bases, depth + 1)]


def _collect(source: PySource, statement, values: dict[str, Expr]) -> None:
    """`SQLALCHEMY_X = …` (module or class) and `app.config["SQLALCHEMY_X"] = …`."""
    import libcst as cst

    if not isinstance(statement, cst.SimpleStatementLine):
        return
    for small in statement.body:
        if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
            continue
        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        for target in targets:
            key = _config_key(source, target)
            if key and key.startswith("SQLALCHEMY_"):
                values[key] = source.expr(small.value)


def _config_key(source: PySource, target) -> str | None:
    import libcst as cst

    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Subscript) and source.text(target.value).endswith("config") and len(target.slice) == 1:
        index = target.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            value = index.value.evaluated_value
            return value if isinstance(value, str) else None
    return None


# --- Flask configuration files ----------------------------------------------------------------------

#: the library of a stand-in pool: `app.config.from_pyfile(NAME)`, replaced by the pools of the file NAME once the
#: tree can be read (extract/imported_values.py `config_files`)
FROM_PYFILE = "flask-from-pyfile"
FROM_FILE_CALLS = ("from_pyfile", "from_envvar")  #: Flask's `Config` methods that load a Python file


def config_files(path: str, text: str, tree: ast.Module) -> tuple[list[PythonPool], list[ParseProblem]]:
    """`app.config.from_pyfile("config.cfg")`: Flask executes the file (Python, whatever its suffix) relative to the
    app's root_path, or to its instance folder with `Flask(…, instance_relative_config=True)`; its SQLALCHEMY_ keys
    configure the pool. Each call becomes a stand-in pool holding the name. `from_envvar("X")`, or a name that is
    not a literal, is chosen at run time: a PGC002 that says the file was not followed."""
    instance = _instance_relative(tree)
    pools, problems = [], []
    for node in ast.walk(tree):
        method = node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
        owner = ast.get_source_segment(text, node.func.value) if method in FROM_FILE_CALLS else None
        if not (owner or "").endswith("config"):  # app.config, self.config, config
            continue
        where = Location(path, node.lineno, node.col_offset + 1, node.end_lineno or 0, (node.end_col_offset or 0) + 1)
        call = " ".join((ast.get_source_segment(text, node) or method).split())
        named = node.args[0] if node.args else None
        if method == "from_pyfile" and isinstance(named, ast.Constant) and isinstance(named.value, str):
            entries = {"file": Lit(where, repr(named.value), named.value), "instance": Lit(where, "", instance)}
            pools.append(PythonPool(FROM_PYFILE, Obj(where, call, entries), call))
            continue
        chooser = f"${named.value}" if method == "from_envvar" and isinstance(named, ast.Constant) else "its argument"
        problems.append(
            ParseProblem(
                where,
                f"`{call}`: the configuration file is chosen at run time by {chooser}; its SQLALCHEMY_ settings (the"
                " pool's URL and size) are not read",
                skipped=True,
                help="write the pool settings in a module the app imports, or load a file named by a literal",
            )
        )
    return pools, problems


def _instance_relative(tree: ast.Module) -> bool:
    """`Flask(__name__, instance_relative_config=True)` in the module: its files load from the instance folder."""
    return any(
        isinstance(node, ast.Call)
        and any(k.arg == "instance_relative_config" and getattr(k.value, "value", None) is True for k in node.keywords)
        for node in ast.walk(tree)
    )


def config_file_pools(stand_in: PythonPool, named: str, text: str) -> tuple[list[PythonPool], list[ParseProblem]]:
    """The Flask-SQLAlchemy pools of the file a stand-in names (`named`, its path in the tree), read as Python. They
    lie where the app loads the file, so a process that imports that module reaches them; their values keep the
    file's own lines."""
    source = PySource.parse(named, text)
    if isinstance(source, ParseProblem):
        return [], [source]
    loaded = f"{stand_in.source} at {stand_in.location.short}"
    return [
        replace(pool, options=_relocate(pool.options, stand_in.options), source=f"{pool.source} (loaded by {loaded})")
        for pool in _flask_config(source)
    ], []

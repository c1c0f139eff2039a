"""Django: `DATABASES` in a settings module, and the settings module that manage.py, wsgi.py, asgi.py or a Celery
app names through `os.environ.setdefault("DJANGO_SETTINGS_MODULE", …)`. Python files reach this extractor through
the "python-code" kind, so it also returns SQLAlchemy's pools (extract/sqlalchemy.py) from one parse.

Each PostgreSQL alias (`django.db.backends.postgresql`, the older `postgresql_psycopg2`, PostGIS) becomes a
`PythonPool` of library "django" whose options are the alias' keys (ENGINE, CONN_MAX_AGE, OPTIONS, HOST, PORT,
DISABLE_SERVER_SIDE_CURSORS…). `dj_database_url.config(...)` reads $DATABASE_URL (or `env=`), else `default=`;
`dj_database_url.parse(url, ...)` reads its argument; both take `conn_max_age` (default 0) and
`disable_server_side_cursors`. Other engines (sqlite, mysql…) are ignored.
"""

from __future__ import annotations

import ast

from pgconnlint.expr import EnvVar, Expr, Lit, Logical, Not, Obj
from pgconnlint.extract import python_runtime, python_scan, sqlalchemy
from pgconnlint.extract.python import PySource
from pgconnlint.model import DjangoSettingsRef, ParseProblem, PendingPools, PythonPool

POSTGRES_ENGINES = (
    "django.db.backends.postgresql",
    "django.db.backends.postgresql_psycopg2",
    "django.contrib.gis.db.backends.postgis",
)
_POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")  # dj_database_url's SCHEMES for PostgreSQL
_URL_KEYWORDS = {  # dj_database_url keyword -> the DATABASES key it sets
    "conn_max_age": "CONN_MAX_AGE",
    "conn_health_checks": "CONN_HEALTH_CHECKS",
    "disable_server_side_cursors": "DISABLE_SERVER_SIDE_CURSORS",
}
_MARKERS = ("DATABASES", "DJANGO_SETTINGS_MODULE")
#: what makes libcst find more than engine calls in a file (Django settings, Flask's configuration keys, what
#: extract/python_runtime.py reads): a file with none of these holds pools only, and can wait (`PendingPools`)
_OTHER_FACTS = (*_MARKERS, *python_scan.LIBCST_TEXTS, "SQLALCHEMY_", *python_runtime.MARKERS)


def extract(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    scanned = python_scan.scan(text, sqlalchemy.ENGINE_NAMES)  # ast first: libcst only where it can find something
    routes = python_scan.routes(path, text, scanned.tree) if scanned is not None else None
    loads, problems = _config_files(path, text, scanned)
    if scanned is not None and not scanned.needs_libcst and routes is not None:
        return [*routes, *loads], problems
    if scanned is not None and routes is not None and not any(marker in text for marker in _OTHER_FACTS):
        return [PendingPools(path), *loads], problems  # engine calls only (so no endpoint): parsed if reached
    source = PySource.parse(path, text)
    if isinstance(source, ParseProblem):
        return [], [source]
    found: list = list(sqlalchemy._calls(source)) + sqlalchemy._flask_config(source)
    if any(marker in text for marker in _MARKERS):
        found += _settings_refs(source)
        pools, unread = _databases(source)
        found += pools
        problems = [*problems, *unread]
    found += python_runtime.extract_source(source, text, routes)  # Celery's result backend, endpoints, psycopg2
    return [*found, *loads], problems


def _config_files(path: str, text: str, scanned) -> tuple[list[PythonPool], list[ParseProblem]]:
    """Flask's `app.config.from_pyfile(…)` / `from_envvar(…)` (extract/sqlalchemy.py `config_files`), by `ast`."""
    if not any(call in text for call in sqlalchemy.FROM_FILE_CALLS):
        return [], []
    try:
        tree = scanned.tree if scanned is not None else ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [], []  # syntax `ast` cannot read: libcst reports it
    return sqlalchemy.config_files(path, text, tree)


def pools_of(path: str, text: str) -> tuple[list[PythonPool], list[ParseProblem]]:
    """The pools of a file `extract` left pending: what it would have found there (its endpoints came from `ast`)."""
    source = PySource.parse(path, text)
    if isinstance(source, ParseProblem):
        return [], [source]
    return list(sqlalchemy._calls(source)), []


# --- the settings module named by manage.py, wsgi.py, asgi.py ---------------------------------------------


def _settings_refs(source: PySource) -> list[DjangoSettingsRef]:
    import libcst as cst

    refs = []
    for node in source.nodes((cst.Call,)):
        name = source.qualified(node.func)
        if not name.endswith(("environ.setdefault", "os.putenv")) or len(node.args) < 2:
            continue
        key, value = source.expr(node.args[0].value), source.expr(node.args[1].value)
        named = isinstance(key, Lit) and key.value == "DJANGO_SETTINGS_MODULE"
        if named and isinstance(value, Lit) and isinstance(value.value, str):
            refs.append(DjangoSettingsRef(value.value, source.location(node)))
    for statement in source.module.body:  # os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Subscript) and source._environ_subscript(target) == "DJANGO_SETTINGS_MODULE":
                    value = source.expr(small.value)
                    if isinstance(value, Lit) and isinstance(value.value, str):
                        refs.append(DjangoSettingsRef(value.value, source.location(small)))
    return refs


# --- DATABASES ---------------------------------------------------------------------------------------------


def _databases(source: PySource) -> tuple[list[PythonPool], list[ParseProblem]]:
    """Module-level `DATABASES = {...}`, then `DATABASES["alias"] = ...` and `DATABASES["alias"]["KEY"] = ...`.
    A whole assignment under a module-level `if` is an alternative: each becomes pools that hold when its test holds
    and no later alternative's does (`PythonPool.when`), decided once the process environment is known. DATABASES
    (or an alias) computed by a function of the module (`DATABASES = setup_database()`) is said (PGC002)."""
    import libcst as cst

    problems: list[ParseProblem] = []
    versions: list[tuple[Expr | None, dict[str, Obj]]] = [(None, {})]
    for statement, condition in _module_level(source, source.module.body):
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                continue
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
            for target in targets:
                path = _subscript_path(source, target)
                if not path or path[0] != "DATABASES":
                    continue
                value = source.expr(small.value)
                if len(path) == 1 and _local_call(source, small.value):
                    problems.append(_unread(value, "DATABASES"))
                if len(path) == 1 and isinstance(value, Obj):
                    aliases = {alias: _alias(source, entry) for alias, entry in value.entries.items()}
                    unread = [a for a, e in aliases.items() if e is None]
                    unread = [alias for alias in unread if _local_call(source, _node_of(small.value, alias))]
                    problems += [_unread(value.entries[alias], f"DATABASES[{alias!r}]") for alias in unread]
                    aliases = {alias: entry for alias, entry in aliases.items() if entry is not None}
                    versions = [(None, aliases)] if condition is None else [*versions, (condition, aliases)]
                for _, aliases in versions if len(path) > 1 else ():
                    _assign_key(source, aliases, path, value, target)
    pools = []
    for index, (condition, aliases) in enumerate(versions):
        when = _holds(condition, [later for later, _ in versions[index + 1 :]])
        pools += [
            PythonPool("django", options, f"DATABASES[{alias!r}]", _url(options), when=when, alternative=index)
            for alias, options in aliases.items()
            if _is_postgres(options)
        ]
    return pools, problems


def _local_call(source: PySource, node) -> bool:
    """A call of a function the settings module defines itself (`setup_database()`): DATABASES built in code that
    pgconnlint does not run. Other values it cannot read (`getattr(configuration, "DATABASES", …)`) stay quiet: they
    name another module, which is read on its own."""
    import libcst as cst

    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Name):
        return False
    return any(f.name.value == node.func.value for f in source.nodes((cst.FunctionDef,)))


def _node_of(node, alias: str):
    """The value node of `alias` in a DATABASES dict literal."""
    import libcst as cst

    for element in node.elements if isinstance(node, cst.Dict) else ():
        key = getattr(element, "key", None)
        if isinstance(key, cst.SimpleString) and key.evaluated_value == alias:
            return element.value
    return None


def _unread(value: Expr, what: str) -> ParseProblem:
    """A DATABASES (or alias) value that is neither a dict nor a dj-database-url/django-environ call: whether it is
    PostgreSQL and how its connections behave are unknown, and the budget leaves them out."""
    message = (
        f"{what} = `{value.text}` is computed by code pgconnlint does not follow; the Django connections it"
        " configures are not counted"
    )
    help = "write DATABASES as a dict literal (values may read os.environ), or use dj-database-url"
    # drops: the processes that run with this settings module hold connections the budget does not count
    return ParseProblem(value.location, message, skipped=True, help=help, drops=True)


def _assign_key(source: PySource, aliases: dict[str, Obj], path: list[str], value: Expr, target) -> None:
    """`DATABASES["alias"] = …` replaces an alias; `DATABASES["alias"]["KEY"] = …` sets one of its keys."""
    if len(path) == 2:
        entry = _alias(source, value)
        if entry is not None:
            aliases[path[1]] = entry
        else:
            aliases.pop(path[1], None)
    elif len(path) == 3 and path[1] in aliases:
        old = aliases[path[1]]
        entries = {**old.entries, path[2]: value}
        keys = {**old.key_locations, path[2]: source.location(target)}
        aliases[path[1]] = Obj(old.location, old.text, entries, keys, old.opaque_spreads)


def _holds(condition: Expr | None, later: list[Expr | None]) -> Expr | None:
    """`condition and not later₁ and not later₂…`: an alternative holds when no later one replaces it."""
    return _all([condition, *(_not(test) for test in later if test is not None)])


def _not(test: Expr) -> Expr:
    return Not(test.location, f"not ({test.text})", test)


def _all(parts: list[Expr | None]) -> Expr | None:
    present = [part for part in parts if part is not None]
    if not present:
        return None
    when = present[0]
    for part in present[1:]:
        when = Logical(when.location, f"{when.text} and {part.text}", "&&", when, part)
    return when


def _module_level(source: PySource, body, depth: int = 0, condition: Expr | None = None):
    """Module-level statements with the test they run under, also inside `if`/`elif`/`else` (only whole
    `DATABASES = …` assignments there) and `try` blocks, in order."""
    import libcst as cst

    for statement in body:
        if isinstance(statement, cst.If) and depth < 8:
            yield from _branches(source, statement, depth, condition)
        elif isinstance(statement, (cst.Try, cst.Else)) and depth < 8:
            yield from _module_level(source, getattr(statement.body, "body", ()), depth + 1, condition)
            for tail in (getattr(statement, "orelse", None), getattr(statement, "finalbody", None)):
                if tail is not None:
                    yield from _module_level(source, [tail], depth + 1, condition)
        else:
            yield statement, condition


def _branches(source: PySource, statement, depth: int, condition: Expr | None):
    """`if A: … elif B: … else: …`: A; not A and B; not A and not B."""
    import libcst as cst

    earlier: list[Expr] = []
    node = statement
    while node is not None:
        is_if = isinstance(node, cst.If)
        test = source.expr(node.test) if is_if else None
        branch = _all([condition, *(_not(e) for e in earlier), test])
        inner = getattr(node.body, "body", ())
        yield from ((s, c) for s, c in _module_level(source, inner, depth + 1, branch) if _whole_databases(s))
        if not is_if:
            break
        earlier.append(test)
        node = node.orelse


def _whole_databases(statement) -> bool:
    import libcst as cst

    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Assign) and any(getattr(t.target, "value", None) == "DATABASES" for t in small.targets)
        for small in statement.body
    )


def _subscript_path(source: PySource, target) -> list[str]:
    """`DATABASES["default"]["CONN_MAX_AGE"]` → ["DATABASES", "default", "CONN_MAX_AGE"]."""
    import libcst as cst

    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        inner = _subscript_path(source, target.value)
        if inner and isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            value = index.value.evaluated_value
            if isinstance(value, str):
                return [*inner, value]
    return []


def _alias(source: PySource, value: Expr) -> Obj | None:
    """An alias' settings: a dict literal, or a `dj_database_url` call turned into the keys it sets."""
    if isinstance(value, Obj):
        return value
    call = _call_node(source, value)
    if call is None:
        return None
    name = source.qualified(call.func)
    if name.endswith(("env.db", "env.db_url")) or (
        name.endswith((".db", ".db_url")) and "environ" in source.module.code[:5000]
    ):  # django-environ, also through `from .base import env`
        return _environ_db(source, call, value)
    if not name.endswith(("dj_database_url.config", "dj_database_url.parse", "db_url.config", "db_url.parse")):
        return None
    keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
    positional = [a for a in call.args if a.keyword is None and not a.star]
    entries: dict[str, Expr] = {}
    keys = {}
    if name.endswith(".parse"):
        url = source.expr(positional[0].value) if positional else source.expr(keywords["url"].value)
    else:
        variable = source.expr(keywords["env"].value) if "env" in keywords else None
        variable_name = variable.value if isinstance(variable, Lit) and isinstance(variable.value, str) else None
        lookup = EnvVar(value.location, variable_name or "DATABASE_URL", variable_name or "DATABASE_URL")
        default = keywords.get("default")
        url = Logical(value.location, value.text, "??", lookup, source.expr(default.value)) if default else lookup
    entries["URL"] = url
    keys["URL"] = url.location
    for keyword, key in _URL_KEYWORDS.items():
        if keyword in keywords:
            entries[key] = source.expr(keywords[keyword].value)
            keys[key] = source.location(keywords[keyword].keyword)
    return Obj(value.location, value.text, entries, keys)


def _environ_db(source: PySource, call, value: Expr) -> Obj:
    """django-environ `env.db("VAR", default=…)` (also `env.db_url`): the URL of $VAR (DATABASE_URL by default);
    its CONN_MAX_AGE is 0 unless the URL says otherwise."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
    variable = source.expr(positional[0].value) if positional else None
    name = variable.value if isinstance(variable, Lit) and isinstance(variable.value, str) else "DATABASE_URL"
    lookup = EnvVar(value.location, name, name)
    default = keywords.get("default") or (positional[1] if len(positional) > 1 else None)
    url = Logical(value.location, value.text, "??", lookup, source.expr(default.value)) if default else lookup
    return Obj(value.location, value.text, {"URL": url}, {"URL": url.location})


def _call_node(source: PySource, value: Expr):
    """The libcst Call behind an opaque expression, found again by its location."""
    import libcst as cst

    for node in source.nodes((cst.Call,)):
        where = source.location(node)
        if (where.line, where.column) == (value.location.line, value.location.column):
            return node if isinstance(node, cst.Call) else None
    return None


def _url(options: Obj) -> Obj | None:
    url = options.entries.get("URL")
    return Obj(url.location, url.text, {"url": url}) if url is not None else None


def _is_postgres(options: Obj) -> bool:
    engine = options.entries.get("ENGINE")
    if isinstance(engine, Lit) and isinstance(engine.value, str):
        return engine.value in POSTGRES_ENGINES
    url = options.entries.get("URL")
    if isinstance(url, Logical) and isinstance(url.left, EnvVar):
        # `config(default="sqlite:///db.sqlite3")`: the deployment's $DATABASE_URL decides; the default only where
        # the environment leaves it unset (link_python.py `_ruled_out`, once the process environment is known)
        return True
    literal = url.right if isinstance(url, Logical) else url
    if isinstance(literal, Lit) and isinstance(literal.value, str) and "://" in literal.value:
        return is_postgres_url(literal.value)
    return engine is None and url is not None  # an environment URL: counted, it may well be PostgreSQL


def is_postgres_url(value: object) -> bool:
    """Whether a database URL names PostgreSQL, with or without a driver (SQLAlchemy's `postgresql+asyncpg://`); a
    value that is no URL is not ruled out."""
    if not isinstance(value, str) or "://" not in value:
        return True
    return value.split("://", 1)[0].lower().partition("+")[0] in _POSTGRES_SCHEMES

"""alembic.ini and the env.py it names: the database URL `alembic upgrade` connects to (PGC121).

Alembic reads `sqlalchemy.url` from the ini's `[alembic]` section with configparser, `%(here)s` being the ini's
folder; env.py usually replaces it, `config.set_main_option("sqlalchemy.url", os.environ["DATABASE_URL"])`, and
what env.py sets wins. Nothing is run: env.py is read with libcst like any other Python file (extract/python.py).
"""

from __future__ import annotations

import configparser
import posixpath
import re
from pathlib import Path

from pgconnlint.expr import Expr, Lit
from pgconnlint.model import AlembicConfig, Location, ParseProblem

_SECTION = "alembic"
_URL_LINE = re.compile(r"\s*sqlalchemy\.url\s*[=:]")


def extract(root: Path, path: str, facts) -> None:
    from pgconnlint.discover import read_text

    text = read_text(root, path)
    if isinstance(text, ParseProblem):
        facts.problems.append(text)
        return
    folder = posixpath.dirname(path)
    parser = configparser.ConfigParser(defaults={"here": f"/{folder}" if folder else "/"})
    try:
        parser.read_string(text, path)
    except configparser.Error as error:
        facts.problems.append(ParseProblem(Location(path, 1), f"alembic.ini is not readable: {error.message}"))
        return
    if not parser.has_section(_SECTION):
        return
    url = _ini_url(parser, path, text)
    script = _option(parser, "script_location")
    env = _env_py(script, folder) if script else None
    if script:
        url = _env_py_url(root, env, facts) or url
    facts.alembic.append(AlembicConfig(Location(path, 1), folder, url, env))


def _option(parser: configparser.ConfigParser, name: str) -> str | None:
    try:
        return parser.get(_SECTION, name, fallback=None)
    except configparser.InterpolationError:
        return parser.get(_SECTION, name, raw=True, fallback=None)  # a `%(name)s` nothing defines: as written


def _ini_url(parser: configparser.ConfigParser, path: str, text: str) -> Expr | None:
    value = _option(parser, "sqlalchemy.url")
    if not value:
        return None
    line = next((n for n, written in enumerate(text.splitlines(), 1) if _URL_LINE.match(written)), 1)
    return Lit(Location(path, line), value, value)


def _env_py(script_location: str, folder: str) -> str | None:
    """Where env.py is: `%(here)s/alembic` (already interpolated to `/folder/alembic`), or a folder relative to the
    directory Alembic runs in, which is the ini's; a package resource (`myapp:migrations`) is not followed."""
    if ":" in script_location:
        return None
    base = script_location.lstrip("/") if script_location.startswith("/") else posixpath.join(folder, script_location)
    return posixpath.normpath(posixpath.join(base, "env.py")).removeprefix("./")


def _env_py_url(root: Path, path: str | None, facts) -> Expr | None:
    """The value env.py gives `sqlalchemy.url` through `set_main_option`: an environment lookup, a settings
    attribute, a literal; None when env.py sets none (or is not in the repository)."""
    import libcst as cst

    from pgconnlint.discover import read_text
    from pgconnlint.extract.python import PySource

    text = read_text(root, path) if path else None
    if not isinstance(text, str):
        return None
    source = PySource.parse(path, text)
    if isinstance(source, ParseProblem):
        facts.problems.append(source)
        return None
    for call in source.nodes((cst.Call,)):
        name = source.qualified(call.func)
        if not name.endswith("set_main_option") or len(call.args) < 2:
            continue
        key = source.expr(call.args[0].value)
        if isinstance(key, Lit) and key.value == "sqlalchemy.url":
            return source.expr(call.args[1].value)
    return None

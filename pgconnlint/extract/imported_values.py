"""Values a pool's module imports from another module of the repository: `from app.config import settings` and then
`create_engine(url, pool_size=settings.DB_POOL_SIZE)` takes the other module's constant, class attribute or
pydantic-settings field default (its environment variable first), as extract/python.py reads them inside one module.
The pool's options and the tests of the branch it lies in (`if settings.DISABLE_POOL:`) are rewritten; what cannot
be found stays opaque, and the linker says the value is unknown. Modules are found by their dotted name from the
pool's own folder upwards (the source root a process would put on sys.path); nothing is imported."""

from __future__ import annotations

import ast
import dataclasses
import posixpath
import re
from pathlib import Path

from pgconnlint.expr import Expr, Not, Obj, Opaque
from pgconnlint.extract.python import PySource

_MEMBER = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:\.(?P<attribute>[A-Za-z_]\w*))?")


def resolve(root: Path, facts) -> None:
    reader = _Reader(root)
    facts.python_pools[:] = [reader.pool(pool) for pool in facts.python_pools]


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._imports: dict[str, dict[str, tuple[str, str]]] = {}
        self._sources: dict[str, PySource | None] = {}

    def pool(self, pool):
        if not any(isinstance(value, Opaque) for value in [*pool.options.entries.values(), *_tests(pool.conditions)]):
            return pool
        path = pool.location.path
        options = pool.options
        entries = {key: self.value(path, value) for key, value in options.entries.items()}
        options = Obj(options.location, options.text, entries, options.key_locations, options.opaque_spreads)
        when = tuple(self.test(path, test) for test in pool.conditions)
        return dataclasses.replace(pool, options=options, conditions=when)

    def test(self, path: str, test: Expr) -> Expr:
        if isinstance(test, Not) and test.operand is not None:
            return dataclasses.replace(test, operand=self.value(path, test.operand))
        return self.value(path, test)

    def value(self, path: str, value: Expr) -> Expr:
        match = _MEMBER.fullmatch(value.text) if isinstance(value, Opaque) else None
        imported = self.imports(path).get(match["name"]) if match else None
        if imported is None:
            return value
        module, name = imported
        source = self.source(_module_file(self.root, path, module))
        if source is None:
            return value
        return source.member(name, match["attribute"], value.location, value.text)

    def imports(self, path: str) -> dict[str, tuple[str, str]]:
        """Local name → (module file's dotted name or relative form, name in it), for `from X import Y [as Z]`."""
        if path not in self._imports:
            found: dict[str, tuple[str, str]] = {}
            try:
                tree = ast.parse((self.root / path).read_bytes())
            except (OSError, SyntaxError, ValueError, RecursionError):
                tree = ast.Module(body=[], type_ignores=[])
            for node in tree.body:
                if isinstance(node, ast.ImportFrom):
                    module = "." * node.level + (node.module or "")
                    for alias in node.names:
                        found[alias.asname or alias.name] = (module, alias.name)
            self._imports[path] = found
        return self._imports[path]

    def source(self, path: str | None) -> PySource | None:
        if path is None:
            return None
        if path not in self._sources:
            try:
                parsed = PySource.parse(path, (self.root / path).read_text(encoding="utf-8", errors="replace"))
            except OSError:
                parsed = None
            self._sources[path] = parsed if isinstance(parsed, PySource) else None
        return self._sources[path]


def _tests(when: tuple) -> list[Expr]:
    return [test.operand if isinstance(test, Not) else test for test in when]


def _module_file(root: Path, importer: str, module: str) -> str | None:
    """The repository file of `module` as `importer` imports it: relative to its package, else from its folder or
    the first folder above it where the dotted path exists."""
    level = len(module) - len(module.lstrip("."))
    stem = module.lstrip(".").replace(".", "/")
    folder = posixpath.dirname(importer)
    if level:
        for _ in range(level - 1):
            folder = posixpath.dirname(folder)
        bases = [folder]
    else:
        bases = []
        while True:
            bases.append(folder)
            if not folder:
                break
            folder = posixpath.dirname(folder)
    for base in bases:
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            path = posixpath.join(base, candidate) if base else candidate
            if (root / path).is_file():
                return path
    return None

"""Values a pool's module imports from another module of the repository: `from app.config import settings` and then
`create_engine(url, pool_size=settings.DB_POOL_SIZE)` takes the other module's constant, class attribute or
pydantic-settings field default (its environment variable first), as extract/python.py reads them inside one module.
The pool's options and the tests of the branch it lies in (`if settings.DISABLE_POOL:`) are rewritten; what cannot
be found stays opaque, and the linker says the value is unknown. Modules are found by their dotted name from the
pool's own folder upwards (the source root a process would put on sys.path); nothing is imported.

In JS/TS, a Prisma client's driver adapter made by a factory function (`const { adapter } = createAdapter()`,
`createAdapter().adapter`, `const adapter = createAdapter()`), of the same module or imported from another one
(resolved as pgconnlint/reach_node.py resolves imports): the options of the `new PrismaPg(…)` the function returns,
read with the function's parameters bound to the call's arguments (or their defaults) and its locals as they are
where it returns (pgconnlint/extract/jsfunction.py). A factory with several returns, or one not found, leaves the
adapter unknown."""

from __future__ import annotations

import ast
import dataclasses
import posixpath
import re
from pathlib import Path

from pgconnlint.discover import read_text
from pgconnlint.expr import Expr, Not, Obj, Opaque
from pgconnlint.extract import sqlalchemy
from pgconnlint.extract.django import pools_of
from pgconnlint.extract.python import PySource
from pgconnlint.model import NodePool, ParseProblem, PythonPool, TypeOrmConfig

_MEMBER = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:\.(?P<attribute>[A-Za-z_]\w*))?")


def resolve(root: Path, facts) -> None:
    if any(isinstance(p, PythonPool) and p.library == sqlalchemy.FROM_PYFILE for p in facts.python_pools):
        facts.python_pools[:] = config_files(root, facts.python_pools, facts.problems)
    reader = _Reader(root)
    facts.python_pools[:] = [reader.pool(p) if isinstance(p, PythonPool) else p for p in facts.python_pools]
    if any(_factory_made(pool) or _spreads_names(pool) or _reads_members(pool) for pool in facts.node_pools):
        node_reader = _NodeReader(root, facts.packages)
        facts.node_pools[:] = [node_reader.node(pool) for pool in facts.node_pools]


def config_files(root: Path, pools: list, problems: list[ParseProblem]) -> list:
    """Each Flask `app.config.from_pyfile(NAME)` stand-in (extract/sqlalchemy.py `config_files`) replaced by the
    Flask-SQLAlchemy pools of the file it loads: NAME relative to the app's root_path, the folder of the module that
    loads it (Flask(__name__) there: its package's folder, or the module's own), or to the instance folder beside
    them with `instance_relative_config=True`. A file the tree lacks is a PGC002. The pools found in that file by
    itself (a `.py` read on its own) are the same settings: they are dropped, the loaded ones count."""
    loaded = {}
    for stand_in in (p for p in pools if isinstance(p, PythonPool) and p.library == sqlalchemy.FROM_PYFILE):
        named = _loaded_path(root, stand_in)
        text = read_text(root, named) if named and (root / named).is_file() else None
        if not isinstance(text, str):
            problems.append(_not_loaded(stand_in, named))
            continue
        found, bad = sqlalchemy.config_file_pools(stand_in, named, text)
        loaded[id(stand_in)] = (named, found)
        problems.extend(bad)
    files = {named for named, _ in loaded.values()}
    result = []
    for pool in pools:
        if isinstance(pool, PythonPool) and pool.library == sqlalchemy.FROM_PYFILE:
            result += loaded.get(id(pool), ("", []))[1]
        elif not (isinstance(pool, PythonPool) and pool.location.path in files and pool.library == "flask-sqlalchemy"):
            result.append(pool)
    return result


def _loaded_path(root: Path, stand_in: PythonPool) -> str:
    """The path in the tree of the file a stand-in loads, "" when it leads out of the tree or is absolute."""
    written = str(getattr(stand_in.options.get("file"), "value", ""))
    folder = posixpath.dirname(stand_in.location.path)
    if getattr(stand_in.options.get("instance"), "value", False):  # Flask's instance folder, beside the package
        package = (root / folder / "__init__.py").is_file()
        folder = posixpath.join(posixpath.dirname(folder) if package else folder, "instance")
    if posixpath.isabs(written):
        return ""
    named = posixpath.normpath(posixpath.join(folder, written))
    return "" if named.startswith("../") or named == ".." else named


def _not_loaded(stand_in: PythonPool, named: str) -> ParseProblem:
    where = f"{named} is not in the repository" if named else "the file lies outside the repository"
    return ParseProblem(
        stand_in.location,
        f"`{stand_in.source}`: {where}; its SQLALCHEMY_ settings (the pool's URL and size) are not read",
        skipped=True,
        help="commit the configuration file (or a template of it), or write the pool settings in a module",
    )


def pending_pools(root: Path):
    """How link_python.py parses a file extraction left pending (`PendingPools`): read again, its engine calls
    through extract/django.py, and their imported values resolved as `resolve` does for every other pool."""
    reader = _Reader(root)

    def parse(path: str) -> tuple[list[PythonPool], list[ParseProblem]]:
        text = read_text(root, path)
        if isinstance(text, ParseProblem):
            return [], [text]
        pools, problems = pools_of(path, text)
        return [reader.pool(pool) for pool in pools], problems

    return parse


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


# --- JS/TS: a Prisma driver adapter a factory function makes ----------------------------------------------------

_MAX_HOPS = 4  #: `const a = b` chains followed to the factory call


def _factory_made(pool) -> bool:
    """A Prisma client whose adapter extract/node_pools.py could not read in place."""
    return getattr(pool, "library", "") == "prisma" and isinstance(pool.options.entries.get("adapter"), Opaque)


_MEMBER_PATH = re.compile(r"(?P<name>[A-Za-z_$][\w$]*)(?P<path>(?:\.[A-Za-z_$][\w$]*)+)")


def _reads_members(pool) -> bool:
    """Options of a Node pool with a value read from an object (`env.TYPEORM_CONNECTION`, `config.db.max`)."""
    return isinstance(pool, (TypeOrmConfig, NodePool)) and any(_member_reads(pool.options))


def _member_reads(value: Expr):
    if isinstance(value, Opaque) and _MEMBER_PATH.fullmatch(value.text):
        yield value
    elif isinstance(value, Obj):
        for entry in value.entries.values():
            yield from _member_reads(entry)


def _spreads_names(pool) -> bool:
    """TypeORM options (extract/typeorm.py) made of a name the module does not define: `createConnection(ormConfig)`,
    `{ ...baseOptions, entities }`."""
    return isinstance(pool, TypeOrmConfig) and bool(pool.options.opaque_spreads) and not (pool.calls or pool.factory)


class _NodeReader:
    def __init__(self, root: Path, packages) -> None:
        from pgconnlint.reach_node import ImportGraph

        self.root = root
        self.graph = ImportGraph(root, [(m.directory, m.name) for m in packages])
        self._sources: dict[str, object] = {}

    def pool(self, pool):
        adapter = pool.options.entries["adapter"]
        source = self.source(adapter.location.path)
        node = _node_at(source, adapter.location) if source is not None else None
        found = self.adapter(source, node) if node is not None else None
        if found is None:
            return pool
        options = pool.options
        entries = {**options.entries, "adapter": found}
        return dataclasses.replace(
            pool, options=Obj(options.location, options.text, entries, options.key_locations, options.opaque_spreads)
        )

    def adapter(self, source, node) -> Expr | None:
        """The adapter's options when `node` is (a name bound to) a factory call or one of its keys."""
        from pgconnlint.extract import jsfunction
        from pgconnlint.extract.node_pools import adapter_options

        call, key = _factory_call(source, node)
        called = self.function(source, call) if call is not None else None
        if called is None:
            return None
        module, function = called
        returns = jsfunction.returned_nodes(function)
        value = _keyed(module, returns[0], key) if len(returns) == 1 else None
        if value is None:
            return None
        bound = dict(zip(jsfunction.parameters(module, function), _arguments(source, call), strict=False))
        saved = module.scope
        module.scope = jsfunction.scope_at(module, function, bound, value)
        try:
            options = adapter_options(module, value)
        finally:
            module.scope = saved
        if isinstance(options, Opaque):
            return None
        return dataclasses.replace(options, text=f"{source.text(call)} → {options.text}")

    def node(self, pool):
        if _factory_made(pool):
            return self.pool(pool)
        if _spreads_names(pool):
            pool = self.typeorm(pool)
        return dataclasses.replace(pool, options=self.members(pool.options)) if _reads_members(pool) else pool

    def members(self, options: Obj) -> Obj:
        """Values the options read from an object another module exports (`import { env } from "~/config/env"`,
        then `type: env.TYPEORM_CONNECTION`): that object's entry as written there (`process.env.TYPEORM_CONNECTION
        || 'postgres'`), evaluated with each process's environment when linked. What is not found stays opaque."""
        entries = {}
        for key, value in options.entries.items():
            if isinstance(value, Obj):
                value = self.members(value)
            elif isinstance(value, Opaque) and (match := _MEMBER_PATH.fullmatch(value.text)):
                source = self.source(value.location.path)
                exported = self.exported(source, match["name"]) if source is not None else None
                found = exported.get(match["path"][1:]) if exported is not None else None
                value = found if found is not None and not isinstance(found, Opaque) else value
            entries[key] = value
        return Obj(options.location, options.text, entries, options.key_locations, options.opaque_spreads)

    def typeorm(self, config: TypeOrmConfig) -> TypeOrmConfig:
        """TypeORM options taken from an object another module exports (`import ormConfig from "./OrmConfig"`, then
        `createConnection(ormConfig)` or `{ ...ormConfig, entities }`): that module's `export default`,
        `module.exports` or `export const` object; the keys written beside a spread win over it (the usual
        `{ ...base, key }` order). A name not found that way stays opaque: the linker says the options are unknown."""
        options = config.options
        source = self.source(options.location.path)
        entries: dict[str, Expr] = {}
        keys: dict = {}
        left: list[str] = []
        read: list[str] = []
        for written in options.opaque_spreads:  # `...base` in an object, `ormConfig` as the whole argument
            name = written.removeprefix("...")
            found = self.exported(source, name) if source is not None else None
            if found is None:
                left.append(written)
                continue
            entries |= found.entries
            keys |= found.key_locations
            left += found.opaque_spreads
            read.append(f"{name} of {found.location.short}")
        if not read:
            return config
        merged = Obj(
            options.location, options.text, entries | options.entries, keys | options.key_locations, tuple(left)
        )
        return dataclasses.replace(config, options=merged, source=f"{config.source} → {', '.join(read)}")

    def exported(self, source, name: str) -> Obj | None:
        """The object literal a module imports as `name` from a module of the repository, or None."""
        imported = _js_imports(source, whole=True).get(name)
        path = self.graph.resolve(imported[0], posixpath.dirname(source.path), source.path) if imported else None
        module = self.source(path) if path else None
        if module is None:
            return None
        if imported[1] == "default":
            value = module.module_export()
        else:
            node = module.constant(imported[1])
            value = module.expr(node) if node is not None else None
        return value if isinstance(value, Obj) else None

    def function(self, source, call):
        """(module, function node) of the function `call` calls: one of the file's own, or one it imports."""
        from pgconnlint.extract import jsfunction

        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "identifier":
            return None
        name = source.raw(callee)
        own = jsfunction.functions(source).get(name)
        if own is not None:
            return source, own
        imported = _js_imports(source).get(name)
        if imported is None:
            return None
        specifier, exported = imported
        path = self.graph.resolve(specifier, posixpath.dirname(source.path), source.path)
        module = self.source(path) if path else None
        function = jsfunction.functions(module).get(exported) if module is not None else None
        return (module, function) if function is not None else None

    def source(self, path: str):
        from pgconnlint.extract.treesitter import SourceFile

        if path not in self._sources:
            try:
                text = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = None
            self._sources[path] = SourceFile.parse(path, text) if text is not None else None
        return self._sources[path]


def _node_at(source, location):
    """The expression node that starts and ends where `location` says."""
    for node in source.walk({"identifier", "shorthand_property_identifier", "member_expression", "call_expression"}):
        where = source.location(node)
        if (where.line, where.column, where.end_line, where.end_column) == (
            location.line,
            location.column,
            location.end_line,
            location.end_column,
        ):
            return node
    return None


def _factory_call(source, node, hops: int = 0):
    """(call, key): `f()` → (f(), None); `f().adapter` → (f(), "adapter"); a name bound by `const adapter = …` or
    `const { adapter } = f()` (`{ adapter: name }`) in a scope around it → what that binding holds."""
    if node.type == "call_expression":
        return node, None
    if node.type == "member_expression":
        target, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if target is not None and target.type == "call_expression" and prop is not None:
            return target, source.raw(prop)
        return None, None
    if node.type not in ("identifier", "shorthand_property_identifier") or hops >= _MAX_HOPS:
        return None, None
    binding = _binding(source, node, source.raw(node))
    if binding is None:
        return None, None
    value, key = binding
    if key is None:
        return _factory_call(source, value, hops + 1)
    return (value, key) if value.type == "call_expression" else (None, None)


def _binding(source, node, name: str):
    """(initialiser, key) of the nearest declaration of `name` around `node`: key None for `const name = …`, the
    destructured property for `const { key: name } = …` / `const { name } = …`."""
    from pgconnlint.extract.treesitter import declarations

    scope = node.parent
    while scope is not None:
        if scope.type in ("statement_block", "program"):
            for target, value in declarations(scope.named_children):
                if target.type == "identifier" and source.raw(target) == name:
                    return value, None
                if target.type == "object_pattern":
                    key = _destructured(source, target, name)
                    if key is not None:
                        return value, key
        scope = scope.parent
    return None


def _destructured(source, pattern, name: str) -> str | None:
    for part in pattern.named_children:
        if part.type == "shorthand_property_identifier_pattern" and source.raw(part) == name:
            return name
        if part.type == "pair_pattern":
            key, value = part.child_by_field_name("key"), part.child_by_field_name("value")
            if key is not None and value is not None and source.raw(value) == name:
                return source.raw(key)
    return None


def _keyed(module, returned, key: str | None):
    """The node the caller takes: the returned expression, or its `key` entry when it is an object literal."""
    if key is None:
        return returned
    if returned.type != "object":
        return None
    for part in returned.named_children:
        if part.type == "shorthand_property_identifier" and module.raw(part) == key:
            return part
        name = part.child_by_field_name("key") if part.type == "pair" else None
        if name is not None and module.raw(name).strip("'\"") == key:
            return part.child_by_field_name("value")
    return None


def _arguments(source, call) -> list[Expr]:
    arguments = call.child_by_field_name("arguments")
    return [source.expr(a) for a in arguments.named_children if a.type != "comment"] if arguments is not None else []


def _js_imports(source, whole: bool = False) -> dict[str, tuple[str, str]]:
    """Local name → (specifier, exported name) for the module's `import { a, b as c } from "m"` and
    `const { a, b: c } = require("m")`; with `whole`, also (specifier, "default") for `import name from "m"` and
    `const name = require("m")`."""
    from pgconnlint.extract.treesitter import declarations

    found: dict[str, tuple[str, str]] = {}
    statements = source.tree.root_node.named_children
    for statement in statements:
        specifier = statement.child_by_field_name("source") if statement.type == "import_statement" else None
        clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
        if specifier is None or clause is None:
            continue
        for part in clause.named_children:
            if part.type == "identifier" and whole:
                found[source.raw(part)] = (source.string(specifier), "default")
            for named in part.named_children if part.type == "named_imports" else ():
                name, alias = named.child_by_field_name("name"), named.child_by_field_name("alias")
                if name is not None:
                    found[source.raw(alias or name)] = (source.string(specifier), source.raw(name))
    for target, value in declarations(statements):
        specifier = _required(source, value)
        if specifier and whole and target.type == "identifier":
            found[source.raw(target)] = (specifier, "default")
        for part in target.named_children if target.type == "object_pattern" and specifier else ():
            if part.type == "shorthand_property_identifier_pattern":
                found[source.raw(part)] = (specifier, source.raw(part))
            elif part.type == "pair_pattern" and part.child_by_field_name("value") is not None:
                found[source.raw(part.child_by_field_name("value"))] = (
                    specifier,
                    source.raw(part.child_by_field_name("key")),
                )
    return found


def _required(source, value) -> str | None:
    """ "m" for `require("m")`."""
    if value.type != "call_expression" or source.raw(value.child_by_field_name("function")) != "require":
        return None
    arguments = value.child_by_field_name("arguments")
    first = arguments.named_children[:1] if arguments is not None else []
    return source.string(first[0]) if first and first[0].type == "string" else None

"""Which of the repository's Python modules a process imports: its own import graph, followed from the entry.

Issue 15: a pool counts for a process only when the process reaches the module that creates it, so Alembic's
env.py, tests, conftest and CLI tools drop out because nothing deployed imports them (not because of a name list).
Imports are read with the standard library's `ast` (C, fast; positions and exact text are not needed here), from the
module's skeleton (pgconnlint/pyskeleton.py: its import lines and block headers) unless a call may import:
`import a.b`, `from a import b` (b a submodule or a name of a/__init__), relative imports, the `__init__` of every
package on the way, string imports whose text is a literal (`importlib.import_module("x")`,
`app.config.from_object("pkg.config.Prod")`), and the modules a Celery app lists (`include=`, `imports=`,
`autodiscover_tasks([...])`). Imports at module and class level run on import; an import inside a function runs only
when it is called, so it is followed only in start-up code (`create_app`, `main`, `lifespan`, `init_*`…, the names
extract/sqlalchemy.py treats as running once): CLI commands and lazy `__getattr__` re-exports stay out.
`if TYPE_CHECKING:` blocks never run. `import_module(table[name])` follows the module names the same file writes.

Absolute imports resolve against the process's source roots, in order: the folder its entry module was found in
(the working directory the Dockerfile WORKDIR/COPY or the compose build context gives), then the declaring folder,
the project and their `src/`, then the repository root. A module found in none of them is a third-party package and
is not followed. An import whose module is computed (`import_module(name)`) is recorded: the linker then counts the
project's pools as a whole for that process and says so.
"""

from __future__ import annotations

import ast
import dataclasses
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

try:  # hashlib's own blake2b (hashlib.py prefers _blake2 for it): importing hashlib loads OpenSSL, ~2.5 ms (issue 19)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

from pgconnlint import parallel
from pgconnlint.collector import gc_paused
from pgconnlint.extract.sqlalchemy import STARTUP as _STARTUP
from pgconnlint.model import Location
from pgconnlint.pyskeleton import declares_encoding, skeleton

_MAX_FILE_BYTES = 2_000_000  #: a larger file is generated data, not a module someone wrote
#: calls that import the module a string names: importlib, Django's import_string, Flask's and Celery's config
_STRING_IMPORTERS = ("import_module", "__import__", "import_string", "from_object", "config_from_object")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")  #: a dotted module name written as a string
_TASK_LISTS = ("include", "imports", "CELERY_IMPORTS", "CELERY_INCLUDE")  #: modules a Celery worker imports
_SHARED_MAX = 4096  #: files whose imports extraction kept (a few hundred bytes each; the trees are not kept)
PARALLEL_MIN_FILES = 48  #: unread modules in one frontier worth forking workers for (docs/configuration.md)


@dataclass(frozen=True, slots=True)
class Unfollowed:
    """An import or entry that cannot be told without running the code."""

    location: Location
    text: str
    why: str
    candidates: tuple[str, ...] = ()  #: module names written in the same file, which the computed name may be
    #: `for name in settings.MODULES: import_module(name)` with `from pkg.config import settings`: the list it loops
    #: over, as (module, level, name, attribute), read from that module's default
    over: tuple[str, int, str, str] | None = None
    #: the environment variable that would fill the list (a pydantic-settings field); unset, the list is its default
    unless: str = ""


@dataclass(frozen=True, slots=True)
class PyReach:
    """The modules of the repository one Python process imports, and the imports not followed."""

    files: frozenset[str]  #: repository paths of the modules the process imports
    unfollowed: tuple[Unfollowed, ...] = ()


@dataclass(frozen=True, slots=True)
class _Import:
    """One import statement of a module and its line, as `ast` gives it."""

    module: str  #: dotted, absolute, or relative to the importing file's package when level > 0
    level: int
    names: tuple[str, ...]  #: `from module import names` (maybe submodules)
    line: int


class PythonGraph:
    """The import graph of one tree, read on demand and cached: build it once per check."""

    def __init__(self, root: Path, listed: Iterable[str] | None = None) -> None:
        self.root = root
        self._listed = list(listed) if listed is not None else None
        self._imports: dict[str, tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]] = {}
        self._exists: dict[str, bool] = {}
        self._found: dict[tuple[str, tuple[str, ...]], str | None] = {}
        self._reached: dict[tuple[tuple[str, ...], tuple[str, ...]], PyReach] = {}

    # --- entries ------------------------------------------------------------------------------------------------

    def module_entry(self, module: str, bases: Iterable[str]) -> tuple[str, str] | None:
        """The file of a dotted module and the source root it was found in: each base in order, else the one
        place in the repository whose path ends with that module (said by the caller)."""
        for base in bases:
            found = self.find(module, [base])
            if found:
                return found, base
        stem = module.replace(".", "/")
        tails = (f"/{stem}.py", f"/{stem}/__init__.py")
        matches = sorted(
            {path for path in self.python_files() if ("/" + path).endswith(tails)}, key=lambda p: p.count("/")
        )
        if len(matches) == 1 or (len(matches) > 1 and matches[0].count("/") < matches[1].count("/")):
            path = matches[0]
            depth = stem.count("/") + (2 if path.endswith("__init__.py") else 1)
            return path, "/".join(path.split("/")[:-depth])
        return None

    def find(self, module: str, roots: Iterable[str]) -> str | None:
        roots = tuple(roots)
        if (module, roots) not in self._found:
            self._found[(module, roots)] = self._find(module, roots)
        return self._found[(module, roots)]

    def _find(self, module: str, roots: tuple[str, ...]) -> str | None:
        stem = module.replace(".", "/")
        for root in roots:
            for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                path = _join(root, candidate)
                if self.is_file(path):
                    return path
        return None

    # --- the walk -----------------------------------------------------------------------------------------------

    def reach(self, entries: Iterable[str], roots: list[str]) -> PyReach:
        key = (tuple(entries), tuple(roots))
        if key not in self._reached:  # compose variants run the same command many times
            self._prefetch(*key)
            self._reached[key] = self._walk(*key)
        return self._reached[key]

    def _walk(self, entries: tuple[str, ...], roots: tuple[str, ...]) -> PyReach:
        seen: set[str] = set()
        unfollowed: list[Unfollowed] = []
        stack = [path for entry in entries for path in self._with_packages(entry)]
        while stack:
            path = stack.pop()
            if path in seen:
                continue
            seen.add(path)
            targets, dropped = self._successors(path, roots)
            unfollowed += dropped
            stack += [target for target in targets if target not in seen]
        return PyReach(frozenset(seen), tuple(unfollowed))

    def _successors(self, path: str, roots: tuple[str, ...]) -> tuple[list[str], list[Unfollowed]]:
        """The modules importing `path` runs, and its imports that cannot be told."""
        imports, dynamic = self.imports(path)
        targets: list[str] = []
        unfollowed: list[Unfollowed] = []
        for item in dynamic:
            listed = self._listed_modules(path, item, roots) if item.over else None
            if listed is not None:  # a loop over a list another module holds: its names, maybe none at all
                names, variable = listed
                chosen = [found for found in (self.find(name, roots) for name in names) if found]
                unfollowed += [dataclasses.replace(item, unless=variable)] if variable else []
            else:  # `import_module(table[name])`: the module names the same file writes are what it can import
                chosen = [found for found in (self.find(name, roots) for name in item.candidates) if found]
                unfollowed += [] if chosen else [item]
            targets += [target for found in chosen for target in self._with_packages(found)]
        for item in imports:
            targets += self._targets(path, item, roots)
        return targets, unfollowed

    def _prefetch(self, entries: tuple[str, ...], roots: tuple[str, ...]) -> None:
        """With workers for this run, the modules the walk will reach are parsed ahead of it (parallel.py)."""
        parallel.read_ahead(
            [path for entry in entries for path in self._with_packages(entry)],
            lambda path: self._successors(path, roots)[0],
            self._kept,
            self._read,
            self._imports.__setitem__,
            PARALLEL_MIN_FILES,
        )

    def _listed_modules(self, path: str, item: Unfollowed, roots: tuple[str, ...]) -> tuple[list[str], str] | None:
        """The module names of the list a computed import loops over, when that list is written as literals in the
        module it is imported from, and the environment variable that would replace it (pydantic-settings)."""
        module, level, name, attribute = item.over
        if level:
            found = self._targets(path, _Import(module, level, (), 0), roots)[:1]
        else:
            found = [self.find(module, roots)] if self.find(module, roots) else []
        if not found:
            return None
        try:
            tree = ast.parse((self.root / found[0]).read_bytes())
        except (OSError, SyntaxError, ValueError, RecursionError):
            return None
        return _literal_list(tree, name, attribute)

    def _targets(self, path: str, item: _Import, roots: tuple[str, ...]) -> list[str]:
        if item.level:
            package = posixpath.dirname(path)
            for _ in range(item.level - 1):
                package = posixpath.dirname(package)
            base = _join(package, item.module.replace(".", "/")) if item.module else package
            found = self._in_folder(base)
            top: str | None = None
        else:
            found = self.find(item.module, roots)
            top = _root_of(found, item.module) if found else None
        if found is None:
            return []
        targets = [*self._with_packages(found, top)]
        folder = posixpath.dirname(found) if found.endswith("/__init__.py") else None
        for name in item.names if folder is not None else ():
            sub = self._in_folder(_join(folder, name))
            if sub:
                targets.append(sub)
        return targets

    def _in_folder(self, base: str) -> str | None:
        for candidate in (f"{base}.py", f"{base}/__init__.py"):
            if self.is_file(candidate):
                return candidate
        return None

    def _with_packages(self, path: str, top: str | None = None) -> list[str]:
        """A module and the `__init__` of each package above it (Python runs them first), below `top`."""
        found = [path]
        folder = posixpath.dirname(path)
        if path.endswith("/__init__.py"):
            folder = posixpath.dirname(folder)
        while folder and folder != top and self.is_file(f"{folder}/__init__.py"):
            found.append(f"{folder}/__init__.py")
            folder = posixpath.dirname(folder)
        return found

    # --- files --------------------------------------------------------------------------------------------------

    def imports(self, path: str) -> tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]:
        if path not in self._imports:
            self._imports[path] = self._read(path)
        return self._imports[path]

    def _read(self, path: str) -> tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]:
        data = self._bytes(path)
        if data is None:
            return (), ()
        shared = _shared_imports(data, path)
        if shared is not None:  # extraction parsed the same bytes already
            return shared
        with gc_paused():  # the tree is gone before the collector runs again
            return _parsed_imports(data, path)

    def _kept(self, path: str) -> bool:
        """Read already, unreadable, or parsed by extraction: nothing a worker would do faster than this process."""
        if path not in self._imports:
            data = self._bytes(path)
            found = ((), ()) if data is None else _shared_imports(data, path)
            if found is None:
                return False
            self._imports[path] = found
        return True

    def _bytes(self, path: str) -> bytes | None:
        try:
            full = self.root / path
            return None if full.stat().st_size > _MAX_FILE_BYTES else full.read_bytes()
        except OSError:
            return None

    def is_file(self, path: str) -> bool:
        if path not in self._exists:
            self._exists[path] = not path.startswith("..") and (self.root / path).is_file()
        return self._exists[path]

    def python_files(self) -> list[str]:
        if self._listed is None:
            from pgconnlint.discover import tree_files

            self._listed = tree_files(self.root)
        return [path for path in self._listed if path.endswith(".py")]


#: the imports of files extraction parsed this run (extract/python_scan.py), by a digest of their bytes: one `ast`
#: parse per file. Their unfollowed items are located in "" and moved to the path that asks.
_SHARED: dict[bytes, tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]] = {}


def _shared_imports(data: bytes, path: str) -> tuple[tuple[_Import, ...], tuple[Unfollowed, ...]] | None:
    shared = _SHARED.get(_digest(data))
    return None if shared is None else (shared[0], tuple(_located(item, path) for item in shared[1]))


def _parsed_imports(data: bytes, path: str) -> tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]:
    reduced = None if reads_calls(data) else skeleton(data, _runs_at_start)
    if reduced is not None:
        try:
            return _Reader(path).read(ast.parse(reduced, filename=path))
        except (SyntaxError, ValueError, RecursionError):
            pass  # the skeleton misread the module: parse it whole
    try:
        tree = ast.parse(data, filename=path)
    except SyntaxError as error:  # newer syntax than this interpreter's, or not Python: never "imports nothing"
        return _imports_through_libcst(data, path, error)
    except (ValueError, RecursionError):
        where = Location(path, 1)
        return (), (Unfollowed(where, path, "the module cannot be parsed (null bytes or nesting too deep)"),)
    return _Reader(path).read(tree)


#: what the walk reads from calls and assignments rather than import statements (`_Reader._call`): the names, and
#: a keyword or assignment `include=`/`imports=` (`_TASK_ASSIGNMENT`, whole words; no look-behind in the pattern,
#: which would keep the engine from skipping to the words)
_CALL_TEXTS = tuple(name.encode() for name in (*_STRING_IMPORTERS, "DJANGO_SETTINGS_MODULE", "autodiscover_tasks"))
_CALL_TEXTS += (b"CELERY_IMPORTS", b"CELERY_INCLUDE")
_TASK_ASSIGNMENT = re.compile(rb"i(?:nclude|mports)\s*=")


def reads_calls(data: bytes) -> bool:
    """Whether the walk may read an import from a call or an assignment of this module (then it needs every node)."""
    if any(text in data for text in _CALL_TEXTS):
        return True
    for match in _TASK_ASSIGNMENT.finditer(data):
        before = data[match.start() - 1 : match.start()]
        if not (before.isalnum() or before == b"_"):
            return True
    return False


def _runs_at_start(function: str) -> bool:
    return _STARTUP.search(function.lower()) is not None


def _imports_through_libcst(
    data: bytes, path: str, error: SyntaxError
) -> tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]:
    """A module this interpreter's `ast` cannot parse, such as Python 3.14's `except A, B:` (PEP 758) under 3.11, read
    by libcst, whose grammar is newer: its import statements, inside the functions that hold them, become the `ast`
    nodes the walk reads, so the same rules apply (TYPE_CHECKING blocks, start-up functions only). Calls are not
    read: where the text may hold an import the walk takes from a call, the module is an Unfollowed as well, and
    one that libcst cannot parse either is an Unfollowed alone."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    where = Location(path, error.lineno or 1)
    try:
        wrapper = MetadataWrapper(cst.parse_module(data), unsafe_skip_copy=True)
        lines = {node: span.start.line for node, span in wrapper.resolve(PositionProvider).items()}
    except Exception:  # noqa: BLE001 - libcst's errors on hostile input are this module's problem only
        return (), (Unfollowed(where, path, f"the module cannot be parsed: {error.msg}"),)
    body = _libcst_imports(wrapper.module, wrapper.module, lines)
    found, dynamic = _Reader(path).read(ast.Module(body=body, type_ignores=[]))
    if reads_calls(data):
        why = f"syntax newer than this Python's ({error.msg}): its import statements are followed, not its calls"
        dynamic += (Unfollowed(where, path, why),)
    return found, dynamic


def _libcst_imports(module, node, lines: dict) -> list[ast.stmt]:
    """The import statements under a libcst node as `ast` statements at their lines, each function kept around the
    imports it holds (by name: the walk follows start-up functions only); `if TYPE_CHECKING:` bodies left out."""
    import libcst as cst

    if isinstance(node, (cst.Import, cst.ImportFrom)):
        statement = ast.parse(module.code_for_node(node).strip()).body[0]
        ast.increment_lineno(statement, lines[node] - 1)
        return [statement]
    # the test in brackets: `if x := f():` is no expression on its own
    if isinstance(node, cst.If) and _type_checking(
        ast.parse(f"({module.code_for_node(node.test).strip()})", mode="eval").body
    ):
        return _libcst_imports(module, node.orelse, lines) if node.orelse is not None else []
    inner = [statement for child in node.children for statement in _libcst_imports(module, child, lines)]
    if isinstance(node, cst.FunctionDef) and inner:
        kind = ast.AsyncFunctionDef if node.asynchronous else ast.FunctionDef
        return [kind(name=node.name.value, body=inner, decorator_list=[], lineno=lines[node], col_offset=0)]
    return inner


def remember(data: bytes, tree: ast.Module) -> None:
    """Keep the imports of a module extraction has parsed from its text encoded as UTF-8 (`data`), for the import
    walk that follows (not the tree)."""
    if declares_encoding(data):
        return  # a declared encoding: the file's bytes, which the walk parses, may not be this text
    _share(_digest(data), _Reader("").read(tree))


def _share(digest: bytes, imports: tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]) -> None:
    if len(_SHARED) >= _SHARED_MAX:
        del _SHARED[next(iter(_SHARED))]
    _SHARED[digest] = imports


def take_remembered() -> dict[bytes, tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]]:
    """What `remember` kept since the last call, taken out: a worker process sends it to the parent (parallel.py)."""
    taken = dict(_SHARED)
    _SHARED.clear()
    return taken


def adopt_remembered(taken: dict[bytes, tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]]) -> None:
    """A worker's `take_remembered()`, kept as if this process had parsed those files (same order, same limit)."""
    for digest, imports in taken.items():
        _share(digest, imports)


def _digest(data: bytes) -> bytes:
    return blake2b(data, digest_size=16).digest()


def _located(item: Unfollowed, path: str) -> Unfollowed:
    return dataclasses.replace(item, location=dataclasses.replace(item.location, path=path))


class _Reader:
    """The imports of one module's syntax tree, skipping `if TYPE_CHECKING:` blocks (they never run)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[_Import] = []
        self.dynamic: list[Unfollowed] = []
        self.aliases: dict[str, tuple[str, int, str]] = {}  #: `from pkg.config import settings`: its origin
        self.loops: dict[str, ast.AST] = {}  #: `for name in ITERABLE`: what the loop variable takes

    def read(self, tree: ast.AST) -> tuple[tuple[_Import, ...], tuple[Unfollowed, ...]]:
        for node in getattr(tree, "body", ()):  # module-level `from pkg.config import settings`, before any use
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
        self._walk(tree)
        if self.dynamic:
            names = tuple(sorted({s.value for s in ast.walk(tree) if _module_name(s)}))
            self.dynamic = [dataclasses.replace(item, candidates=names) for item in self.dynamic]
        return tuple(self.found), tuple(self.dynamic)

    def _walk(self, tree: ast.AST) -> None:
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.If) and _type_checking(node.test):
                stack += node.orelse
                continue
            if isinstance(node, ast.Import):
                self.found += [_Import(alias.name, 0, (), node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = tuple(alias.name for alias in node.names if alias.name != "*")
                self.found.append(_Import(node.module or "", node.level, names, node.lineno))
            elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
                self.loops[node.target.id] = node.iter
            elif isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Assign) and any(_target_name(t) in _TASK_LISTS for t in node.targets):
                self._modules(node.value, node.lineno)  # app.conf.imports = […], CELERY_IMPORTS = (…)
            if isinstance(node, ast.Lambda) or (
                isinstance(node, _FUNCTIONS) and not _STARTUP.search(node.name.lower())
            ):
                continue  # runs only when called: a CLI command, a lazy `__getattr__`, a helper
            stack += ast.iter_child_nodes(node)

    def _call(self, node: ast.Call) -> None:
        name = _called(node.func)
        if name in _STRING_IMPORTERS and node.args:
            self._string_import(node)
        if name == "setdefault" and _settings_module(node):  # os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x")
            self.found.append(_Import(node.args[1].value, 0, (), node.lineno))
        for keyword in node.keywords:  # Celery("app", include=[…]), app.conf.update(imports=[…])
            if keyword.arg in _TASK_LISTS:
                self._modules(keyword.value, node.lineno)
        if name == "autodiscover_tasks" and node.args:  # each package and its `tasks` module
            listed = self._modules(node.args[0], node.lineno)
            if listed is None:  # `lambda: settings.INSTALLED_APPS`: computed when the worker starts
                where = Location(self.path, node.lineno, node.col_offset + 1)
                self.dynamic.append(Unfollowed(where, ast.unparse(node)[:80], "the task packages are computed"))
            else:
                self.found += [_Import(f"{module}.tasks", 0, (), node.lineno) for module in listed]

    def _modules(self, value: ast.AST, line: int) -> list[str] | None:
        """Module names written as a list or tuple of strings; None when they are computed."""
        if not isinstance(value, (ast.List, ast.Tuple)):
            return None
        names = [item.value for item in value.elts if isinstance(item, ast.Constant) and isinstance(item.value, str)]
        self.found += [_Import(name, 0, (), line) for name in names]
        return names

    def _string_import(self, node: ast.Call) -> None:
        argument = node.args[0]
        name = _called(node.func)
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            module = argument.value.partition(":")[0].strip()
            if name in ("from_object", "import_string"):  # "pkg.config.ProductionConfig": the class's module too
                self.found.append(_Import(module.rpartition(".")[0], 0, (), node.lineno))
            if module:
                self.found.append(_Import(module, 0, (), node.lineno))
            return
        if name in ("import_module", "__import__"):
            text = ast.unparse(node)
            where = Location(self.path, node.lineno, node.col_offset + 1)
            over = self._loop_over(argument)
            self.dynamic.append(
                Unfollowed(where, text[:80], "the module name is computed when the code runs", over=over)
            )

    def _loop_over(self, argument: ast.AST) -> tuple[str, int, str, str] | None:
        """`for module in settings.MODULES: __import__(module)` with `settings` imported from another module."""
        iterable = self.loops.get(argument.id) if isinstance(argument, ast.Name) else None
        if isinstance(iterable, ast.Attribute) and isinstance(iterable.value, ast.Name):
            origin = self.aliases.get(iterable.value.id)
            if origin is not None:
                return (*origin, iterable.attr)
        return None


def _literal_list(tree: ast.Module, name: str, attribute: str) -> tuple[list[str], str] | None:
    """`name.attribute` of a module: `name = Settings()` and the class's `attribute: list[str] = [...]` of string
    literals (or a class attribute read directly); with the variable pydantic-settings would read instead."""
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    owner = name
    for node in tree.body:
        assigned = isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        if assigned and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
            owner = node.value.func.id if not node.value.args else owner
    found = classes.get(owner)
    for statement in found.body if found else ():
        target = statement.target if isinstance(statement, ast.AnnAssign) else None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
        value = getattr(statement, "value", None)
        if isinstance(target, ast.Name) and target.id == attribute and isinstance(value, (ast.List, ast.Tuple)):
            if not all(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in value.elts):
                return None
            settings = any(_called(base).endswith("BaseSettings") for base in found.bases)
            return [item.value for item in value.elts], attribute.upper() if settings else ""
    return None


def _settings_module(node: ast.Call) -> bool:
    """`setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")`: Django imports that module at start-up."""
    arguments = node.args
    return (
        len(arguments) == 2
        and isinstance(arguments[0], ast.Constant)
        and arguments[0].value == "DJANGO_SETTINGS_MODULE"
        and _module_name(arguments[1])
    )


def _runs_when_called(node: ast.AST) -> bool:
    """A function body, unless it is start-up code (which runs once, when the process starts)."""
    return isinstance(node, ast.Lambda) or (isinstance(node, _FUNCTIONS) and not _STARTUP.search(node.name.lower()))


def _module_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_DOTTED.fullmatch(node.value))


def _type_checking(test: ast.AST) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _target_name(target: ast.AST) -> str:
    return target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ""


def _called(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _root_of(path: str, module: str) -> str:
    """The source root an absolute module was found under: `src/app/db.py` for `app.db` → `src`."""
    depth = module.count(".") + (2 if path.endswith("/__init__.py") else 1)
    return "/".join(path.split("/")[:-depth])


def _join(base: str, rest: str) -> str:
    return posixpath.normpath(posixpath.join(base, rest)) if base else posixpath.normpath(rest)


# --- a process's entry ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a Python process starts: its entry modules and the folders its imports resolve against."""

    files: tuple[str, ...]  #: the modules the process starts from
    roots: tuple[str, ...]  #: where its absolute imports resolve, in order
    unfollowed: tuple[Unfollowed, ...] = ()


def process_entry(graph: PythonGraph, options, location: Location, directory: str, project: str) -> Entry:
    """The modules a server or worker command starts from: gunicorn/uvicorn `module:app`, Celery `-A module` (and
    its `module.celery`), `python -m module` or a script (already located by extract/follow.py as `entry`)."""
    bases = _unique([directory, _join(directory, "src"), project, _join(project, "src"), ""])
    files: list[str] = []
    roots: list[str] = []
    missing: list[Unfollowed] = []
    for path in _written(options, "entry", "script"):
        path = next((p for p in [path, *(_join(b, path.lstrip("/")) for b in bases)] if graph.is_file(p)), "")
        if path:
            files.append(path)
            roots.append(posixpath.dirname(path))  # a script's folder is the first entry of sys.path
    for key in ("app", "celery_app", "module"):
        for written in _written(options, key):
            module = written.partition(":")[0]
            found = graph.module_entry(module, bases)
            if found is None and key == "celery_app" and ":" not in written and "." in module:
                module = module.rpartition(".")[0]  # `-A pkg.app`: an attribute of pkg (celery/app/utils.py find_app)
                found = graph.module_entry(module, bases)
            if found is None:
                why = f"the module {module} it runs is not in the repository"
                missing.append(Unfollowed(location, written, why))
                continue
            files.append(found[0])
            roots.insert(0, found[1])
            celery = graph.find(f"{module}.celery", [found[1]]) if key == "celery_app" else None
            files += [celery] if celery else []
    if not files and not missing:
        missing.append(Unfollowed(location, getattr(options, "text", ""), "the command names no module to start from"))
    return Entry(tuple(files), tuple(_unique(roots + bases)), tuple(missing))


def _written(options, *keys: str) -> list[str]:
    found = []
    for key in keys:
        value = options.get(key)
        text = getattr(value, "value", None)
        if isinstance(text, str) and text:
            found.append(text)
    return found


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))

"""Which of the repository's modules a Node process loads: its own JS/TS import graph, followed from the entry.

Issue 15: a pool counts for a process only when the process reaches the module that creates it, so tests, seeds,
migrations and scripts drop out because nothing deployed imports them (not because of a name list). The graph is
read lazily, from the entries only, with the tree-sitter grammars of pgconnlint/extract/treesitter.py: one query per
file for `import … from`, `export … from`, `require("…")`, `import("…")` and TypeScript's `import x = require("…")`.

Resolution follows Node and TypeScript as a build would: relative paths with the extensions and index files, a
`.js` specifier naming its `.ts` source, tsconfig `baseUrl`/`paths` (with `extends`), and workspace packages by
their package.json name (`exports`, `module`, `main`, else `src/index`), then the folders of the process's
`NODE_PATH` (relative to its working directory), where Node looks for a bare specifier node_modules lacks. A path
into build output (`dist/main.js`) is mapped back to its source through the tsconfig's `outDir`/`rootDir`, else by
the usual layouts (`dist/x` → `src/x` or `x`; Nx's `dist/apps/api/main.js` → `apps/api/src/main.ts`).
Packages that are not in the repository (node_modules) are not followed. A `require()` of a computed path is
followed when pgconnlint/extract/jspath.py can compute it, else it is recorded: the linker then counts the package
as a whole and says so.
"""

from __future__ import annotations

import functools
import json
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pgconnlint import confine
from pgconnlint.discover import read_text
from pgconnlint.expr import Arr, Lit, Obj
from pgconnlint.extract.jspath import static_path
from pgconnlint.extract.treesitter import SourceFile, dialect_for
from pgconnlint.model import Location, NodePool, ParseProblem, TypeOrmConfig

CODE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_OUTPUT_DIRS = ("dist", "build", "out", "lib", "output")
_NEXT_FOLDERS = ("pages", "app", "src/pages", "src/app")
_NEXT_FILES = ("middleware", "instrumentation", "src/middleware", "src/instrumentation")
# Nuxt's Nitro server registers every module of its server directory (api, routes, middleware, plugins, the
# auto-imported utils); `.output/server/index.mjs` is the server `nuxt build` writes.
_NUXT_FOLDERS = ("server",)
_NUXT_BUILT = ".output/server/index.mjs"
_CONDITIONS = ("types", "import", "module", "require", "node", "default")
_MAX_FILE_BYTES = 2_000_000  #: a larger file is bundled or generated output, not a module someone wrote
_QUERY = """
(import_statement source: (string) @source)
(export_statement source: (string) @source)
(call_expression function: (identifier) @require arguments: (arguments . (_) @argument) (#eq? @require "require"))
(call_expression function: (import) arguments: (arguments . (_) @argument))
"""
_TS_QUERY = _QUERY + "(import_require_clause source: (string) @source)\n"
_IMPORT_WORDS = (
    "import",
    "require(",
    "require (",
    'from "',
    "from '",
)  #: str.rfind: a regex over every file costs more
_LINES_AFTER_IMPORT = 5
_CONSTRUCTED = re.compile(r"\bnew\s+([A-Z][\w$]*)\s*\(")


_NODE_BUILTINS = frozenset(
    [
        "assert",
        "async_hooks",
        "buffer",
        "child_process",
        "cluster",
        "console",
        "constants",
        "crypto",
        "dgram",
        "diagnostics_channel",
        "dns",
        "domain",
        "events",
        "fs",
        "http",
        "http2",
        "https",
        "inspector",
        "module",
        "net",
        "os",
        "path",
        "perf_hooks",
        "process",
        "punycode",
        "querystring",
        "readline",
        "repl",
        "stream",
        "string_decoder",
        "sys",
        "timers",
        "tls",
        "trace_events",
        "tty",
        "url",
        "util",
        "v8",
        "vm",
        "wasi",
        "worker_threads",
        "zlib",
    ]
)


@dataclass(frozen=True, slots=True)
class Dynamic:
    """An import whose module cannot be told without running the code: `require(name)`, `import(\\`./${x}\\`)`."""

    location: Location
    text: str


@dataclass(frozen=True, slots=True)
class Reach:
    """The modules of the repository one Node process loads, and the imports not followed."""

    files: frozenset[str]  #: repository paths of the modules the process loads
    dynamic: tuple[Dynamic, ...] = ()  #: imports among them that could not be followed
    #: bare specifiers that name no declared dependency but a module of the tree from a folder above the importer
    #: (a bundler alias, a NODE_PATH the deployment does not show): the process may load the repository's own
    unresolved: tuple[Dynamic, ...] = ()


_Imports = tuple[tuple[str, ...], tuple[Dynamic, ...], tuple[Dynamic, ...]]


@dataclass(frozen=True, slots=True)
class _TsConfig:
    """The module resolution a tsconfig.json sets: baseUrl, paths and output folders."""

    folder: str  #: the folder of the tsconfig.json
    base_url: str | None  #: repository path
    paths: tuple[tuple[str, tuple[str, ...]], ...]  #: pattern -> repository paths (each with at most one `*`)
    out_dir: str | None
    root_dir: str | None


class ImportGraph:
    """The import graph of one tree, read on demand and cached: build it once per check."""

    def __init__(self, root: Path, packages: Iterable[tuple[str, str | None]]) -> None:
        self.root = root
        self.folders = {directory for directory, _ in packages}
        self.by_name = {name: directory for directory, name in packages if name}
        self._imports: dict[tuple[str, tuple[str, ...]], _Imports] = {}
        self._constructed: dict[str, tuple[tuple[str, int], ...]] = {}
        self._handed: dict[str, tuple[Dynamic, ...]] = {}
        self._dirname: set[str] = set()  #: modules the walk read whose text names `__dirname`

    # --- entries ------------------------------------------------------------------------------------------------

    def entry(self, script: str, directory: str) -> str | None:
        """The source module a command's script runs (`dist/main.js` → `src/main.ts`), or None. An absolute
        container path (`/usr/src/app/dist/main.js`) is tried from each of its tails inside `directory`."""
        if script.startswith("/"):
            parts = [part for part in script.split("/") if part]
            for start in range(len(parts)):
                found = self.source_of(_join(directory, "/".join(parts[start:])))
                if found:
                    return found
            return None
        return self.source_of(_join(directory, script))

    def next_app(self, folder: str) -> list[str]:
        """A Next.js app (`next start`, the standalone `server.js`): every module of its pages and app routers and
        its middleware are entries, since the server loads each route it serves."""
        return self._modules_under(folder, _NEXT_FOLDERS) + [
            f for f in (self._file(_join(folder, name)) for name in _NEXT_FILES) if f
        ]

    def nuxt_app(self, folder: str) -> list[str]:
        """A Nuxt app (`nuxt dev`, `nuxt start`, the built `.output/server/index.mjs`): every module of its Nitro
        server directory is an entry."""
        return self._modules_under(folder, _NUXT_FOLDERS)

    def _modules_under(self, folder: str, subs: tuple[str, ...]) -> list[str]:
        found = []
        for sub in subs:
            base = self.root / _join(folder, sub)
            for directory, names, files in os.walk(base) if self._confined(_join(folder, sub)) else ():
                names[:] = sorted(n for n in names if n != "node_modules" and not n.startswith("."))
                relative = Path(directory).relative_to(self.root).as_posix()
                found += [f"{relative}/{name}" for name in sorted(files) if name.endswith(CODE_SUFFIXES)]
        return found

    def depends_on(self, folder: str, name: str) -> bool:
        manifest = self._manifest(folder)
        dependencies = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
        return isinstance(dependencies, dict) and name in dependencies

    # --- the walk -----------------------------------------------------------------------------------------------

    def reach(self, entries: Iterable[str], node_path: tuple[str, ...] = ()) -> Reach:
        """The modules a process starting at `entries` loads; `node_path`: its NODE_PATH folders in the tree."""
        seen: set[str] = set()
        dynamic: list[Dynamic] = []
        unresolved: list[Dynamic] = []
        stack = list(entries)
        while stack:
            path = stack.pop()
            if path in seen:
                continue
            seen.add(path)
            targets, unfollowed, unknown = self.imports(path, node_path)
            dynamic += unfollowed
            unresolved += unknown
            stack += [target for target in targets if target not in seen]
        return Reach(frozenset(seen), tuple(dynamic), tuple(unresolved))

    def imports(self, path: str, node_path: tuple[str, ...] = ()) -> _Imports:
        """The repository modules `path` imports, its imports that cannot be followed, and its bare specifiers
        that name neither a module of the tree nor a declared dependency."""
        key = (path, node_path)
        if key not in self._imports:
            self._imports[key] = self._read_imports(path, node_path)
        return self._imports[key]

    def constructed(self, path: str) -> tuple[tuple[str, int], ...]:
        """`new Name(` in a module the walk read: (Name, line) of each. Asked only when a reached class opens a pool,
        so the file is read again then rather than searched on every walk."""
        if path not in self._constructed:
            text = self._text(path)
            self._constructed[path] = _constructions(text) if text is not None else ()
        return self._constructed[path]

    def handed(self, files: frozenset[str]) -> Dynamic | None:
        """The first module path of the repository that a module of `files` computes from `__dirname` without
        importing it (`path.resolve(__dirname, "../config/plugins.js")` handed to a plugin loader, a worker, a
        framework): code outside the tree loads it at run time, so the walk cannot see what it reaches. Asked only
        when a pool of the process's package was not reached."""
        for path in sorted(files & self._dirname):
            if path not in self._handed:
                self._handed[path] = self._read_handed(path)
            found = [module for module in self._handed[path] if module.text not in files]
            if found:
                return found[0]
        return None

    def _read_handed(self, path: str) -> tuple[Dynamic, ...]:
        text = self._text(path)
        if text is None:
            return ()
        source = SourceFile.parse(path, text)
        found = []
        for node in source.walk({"call_expression"}):
            if b"__dirname" not in source.source[node.start_byte : node.end_byte]:
                continue
            computed = static_path(source, node, posixpath.dirname(path))
            if computed is None or not computed.endswith(CODE_SUFFIXES):
                continue  # a folder, a template, an asset: not a module Node loads
            module = self._file(computed)
            if module is not None:
                found.append(Dynamic(source.location(node), module))
        return tuple(found)

    def _read_imports(self, path: str, node_path: tuple[str, ...]) -> _Imports:
        text = self._text(path)
        if text is None:
            return (), (), ()
        if "__dirname" in text:
            self._dirname.add(path)
        source = SourceFile.parse(path, _import_part(text))
        folder = posixpath.dirname(path)
        targets: list[str] = []
        dynamic: list[Dynamic] = []
        unresolved: list[Dynamic] = []
        for name, nodes in _captures(source):
            for node in nodes:
                if name == "require":
                    continue
                if name == "argument" and not _is_require_or_import(source, node):
                    continue
                if node.type == "string":
                    specifier: str | None = source.string(node)
                    resolved = self.resolve(specifier, folder, path, node_path) if specifier else None
                    targets += [resolved] if resolved else []
                    if specifier and not resolved and self._own_elsewhere(specifier, folder):
                        unresolved.append(Dynamic(source.location(node), specifier))
                    continue
                computed = static_path(source, node, folder)  # `require(path.join(__dirname, "x"))`
                resolved = self._file(computed) if computed is not None else None
                if resolved:
                    targets.append(resolved)
                    continue
                pattern = self._pattern(source, node, folder) if computed is None else []
                if pattern is None:
                    dynamic.append(Dynamic(source.location(node.parent.parent), source.text(node.parent.parent)))
                else:
                    targets += pattern
        return tuple(dict.fromkeys(targets)), tuple(dynamic), tuple(unresolved)

    def _own_elsewhere(self, specifier: str, folder: str) -> bool:
        """Whether an unresolved bare specifier names a module of the tree from a folder above the importer
        (`infra/db` → infra/db/index.js): one a NODE_PATH or an alias not followed here would load, while Node
        itself, without them, would look for a package. Built-ins and declared packages are not."""
        if self._declared(specifier, folder):
            return False
        while True:
            if self.source_of(_join(folder, specifier)):
                return True
            if folder in ("", "."):
                return False
            folder = posixpath.dirname(folder)

    def _declared(self, specifier: str, folder: str) -> bool:
        """Whether a specifier that resolves to no module of the tree is what Node would load from elsewhere: a
        relative or absolute path (a file that is not there), a built-in, a `#` subpath import, or a package some
        package.json from the importer's folder up declares (dependencies of every kind, or its own name)."""
        if specifier.startswith((".", "/", "#", "node:")) or specifier.split("/")[0] in _NODE_BUILTINS:
            return True
        parts = specifier.split("/")
        name = "/".join(parts[:2]) if specifier.startswith("@") else parts[0]
        while True:
            manifest = self._manifest(folder)
            if manifest.get("name") == name:
                return True
            for field in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
                declared = manifest.get(field)
                if isinstance(declared, dict) and name in declared:
                    return True
            if folder in ("", "."):
                return False
            folder = posixpath.dirname(folder)

    def _pattern(self, source: SourceFile, node, folder: str) -> list[str] | None:
        """`import(./locales/${lang}.json)` written as a template: a relative or tsconfig-aliased template names the
        files of its folder that end as it does (none when they are data, not code); so does `${folder}/${name}`
        whose folder is a path extract/jspath.py computes (`path.join(__dirname, 'jobs')`, a plugin loader over
        `readdirSync`); None when nothing bounds it."""
        if node.type != "template_string":
            return None
        raw = source.raw(node)[1:-1]
        head, _, rest = raw.partition("${")
        tail = rest.rpartition("}")[2]
        if not head and rest.partition("}")[2].startswith("/${"):  # `${jobsPath}/${job}`: a folder, then a name
            first = node.named_children[0]
            base = static_path(source, first.named_children[0], folder) if first.named_children else None
            if base is None or "/" in tail:
                return None
        elif "/" not in head or "/" in tail:
            return None
        else:
            base = self._folder_of(head.rpartition("/")[0], folder)
        if base is None:
            return None
        found = []
        for directory, names, files in os.walk(self.root / base) if self._confined(base) else ():
            names[:] = sorted(n for n in names if n != "node_modules")
            relative = Path(directory).relative_to(self.root).as_posix()
            found += [f"{relative}/{n}" for n in sorted(files) if n.endswith(CODE_SUFFIXES) and n.endswith(tail)]
        return found

    def _folder_of(self, written: str, folder: str) -> str | None:
        """The repository folder a relative or tsconfig-aliased folder specifier names."""
        if written.startswith("."):
            return _join(folder, written)
        config = self._tsconfig_for(folder)
        for pattern, targets in config.paths if config is not None else ():
            star = _match(pattern, f"{written}/")
            if star is not None and targets:
                return _join(targets[0].replace("*", star, 1), ".")
        return None

    # --- resolution ---------------------------------------------------------------------------------------------

    def resolve(self, specifier: str, folder: str, importer: str, node_path: tuple[str, ...] = ()) -> str | None:
        """The repository module a specifier names, or None (a package from node_modules, a built-in, a file
        that is not there)."""
        if specifier.startswith((".", "/")):
            return self.source_of(_join(folder, specifier)) if not specifier.startswith("/") else None
        config = self._tsconfig_for(folder)
        if config is not None:
            for pattern, targets in config.paths:
                star = _match(pattern, specifier)
                if star is None:
                    continue
                for target in targets:
                    found = self.source_of(target.replace("*", star, 1))
                    if found:
                        return found
            if config.base_url is not None:
                found = self.source_of(_join(config.base_url, specifier))
                if found:
                    return found
        found = self._workspace(specifier)
        for folder in node_path if found is None else ():
            found = self.source_of(_join(folder, specifier))
            if found:
                break
        return found

    def _workspace(self, specifier: str) -> str | None:
        """A workspace package imported by name: `@acme/db` → its `exports`/`main`, `@acme/db/client` → a file."""
        parts = specifier.split("/")
        count = 2 if specifier.startswith("@") else 1
        name, sub = "/".join(parts[:count]), "/".join(parts[count:])
        folder = self.by_name.get(name)
        if folder is None:
            return None
        manifest = self._manifest(folder)
        for target in _export_targets(manifest.get("exports"), f"./{sub}" if sub else "."):
            found = self.source_of(_join(folder, target))
            if found:
                return found
        if sub:
            return self.source_of(_join(folder, sub))
        for field in ("module", "main"):
            value = manifest.get(field)
            found = self.source_of(_join(folder, value)) if isinstance(value, str) else None
            if found:
                return found
        return self._file(_join(folder, "src/index")) or self._file(_join(folder, "index"))

    @functools.cache  # noqa: B019 - one graph per check; the cache lives as long as the graph
    def source_of(self, path: str) -> str | None:
        """A module path as written or as built: the file itself, else its source before the build."""
        return self._file(path) or self._from_output(path)

    def _from_output(self, path: str) -> str | None:
        config = self._tsconfig_for(posixpath.dirname(path))
        if config is not None and config.out_dir and _under(path, config.out_dir):
            rest = posixpath.relpath(path, config.out_dir)
            bases = [config.root_dir] if config.root_dir else [config.folder, _join(config.folder, "src")]
            for base in bases:
                found = self._file(_join(base, rest))
                if found:
                    return found
        parts = path.split("/")
        for index, part in enumerate(parts):
            if part not in _OUTPUT_DIRS:
                continue
            before, rest = parts[:index], parts[index + 1 :]
            candidates = [[*before, *rest], [*before, "src", *rest]]
            if len(rest) > 1:  # Nx: dist/apps/api/main.js is built from apps/api/src/main.ts
                candidates.append([*before, *rest[:-1], "src", rest[-1]])
            for candidate in candidates:
                found = self._file("/".join(candidate))
                if found:
                    return found
        return None

    @functools.cache  # noqa: B019
    def _file(self, path: str) -> str | None:
        """Node's and TypeScript's file lookup: the path, with an extension, as a folder's index; `x.js` may name
        `x.ts`."""
        path = posixpath.normpath(path)
        if path.startswith("..") or path.startswith("/"):
            return None
        stem, suffix = posixpath.splitext(path)
        candidates = [path] if suffix in CODE_SUFFIXES else []
        if suffix in (".js", ".jsx", ".mjs", ".cjs"):
            candidates += [stem + ts for ts in (".ts", ".tsx", ".mts", ".cts")]
        candidates += [path + extension for extension in CODE_SUFFIXES]
        candidates += [f"{path}/index{extension}" for extension in CODE_SUFFIXES]
        for candidate in candidates:
            folder, _, name = candidate.rpartition("/")
            if name in self._listing(folder) and "node_modules/" not in candidate:
                return candidate
        return None

    def _confined(self, folder: str) -> bool:
        """A folder to walk lies inside the tree, links included (os.walk itself follows no link below it)."""
        try:
            confine.inside(self.root, folder)
        except confine.Refused:
            return False
        return True

    @functools.cache  # noqa: B019
    def _listing(self, folder: str) -> frozenset[str]:
        """The regular files of a folder: one directory read instead of a stat per candidate name."""
        try:
            with os.scandir(self.root / folder if folder else self.root) as entries:
                return frozenset(entry.name for entry in entries if entry.is_file())
        except OSError:
            return frozenset()

    # --- tsconfig and package.json ------------------------------------------------------------------------------

    @functools.cache  # noqa: B019
    def _tsconfig_for(self, folder: str) -> _TsConfig | None:
        """The nearest tsconfig.json (or a JavaScript project's jsconfig.json, read alike) at or above `folder`, from
        the folders' cached listings (a stat per level and module was 0.1 s on formbricks)."""
        for name in ("tsconfig.json", "jsconfig.json"):
            if name in self._listing(folder):
                return self._tsconfig(_join(folder, name), 0)
        return None if folder in ("", ".") else self._tsconfig_for(posixpath.dirname(folder))

    @functools.cache  # noqa: B019 - a monorepo's folders share a few tsconfig files: read each once
    def _tsconfig(self, path: str, depth: int) -> _TsConfig | None:
        data = self._read_jsonc(path)
        if not isinstance(data, dict):
            return None
        folder = posixpath.dirname(path)
        parent = None
        extends = data.get("extends")
        for target in extends if isinstance(extends, list) else [extends]:
            if isinstance(target, str) and target.startswith(".") and depth < 5:
                named = _join(folder, target)
                named = named if named.endswith(".json") else f"{named}.json"
                parent = self._tsconfig(named, depth + 1) or parent
        options = data.get("compilerOptions") if isinstance(data.get("compilerOptions"), dict) else {}
        base_url = _join(folder, options["baseUrl"]) if isinstance(options.get("baseUrl"), str) else None
        base_url = base_url if base_url is not None else (parent.base_url if parent else None)
        paths = parent.paths if parent else ()
        if isinstance(options.get("paths"), dict):
            anchor = base_url if base_url is not None else folder
            paths = tuple(
                (pattern, tuple(_join(anchor, t) for t in targets if isinstance(t, str)))
                for pattern, targets in options["paths"].items()
                if isinstance(targets, list)
            )
        out_dir = _join(folder, options["outDir"]) if isinstance(options.get("outDir"), str) else None
        root_dir = _join(folder, options["rootDir"]) if isinstance(options.get("rootDir"), str) else None
        return _TsConfig(
            folder,
            base_url,
            paths,
            out_dir or (parent.out_dir if parent else None),
            root_dir or (parent.root_dir if parent else None),
        )

    @functools.cache  # noqa: B019
    def _manifest(self, folder: str) -> dict:
        try:
            data = json.loads(self._text(_join(folder, "package.json")) or "{}")
        except (ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    def _text(self, path: str) -> str | None:
        """A file of the tree through the confinement rule (pgconnlint/confine.py) and the size bound; None when it
        cannot be read (missing, too large, out of the tree through a link)."""
        text = read_text(self.root, path)
        return None if isinstance(text, ParseProblem) or len(text) > _MAX_FILE_BYTES else text

    def _read_jsonc(self, path: str) -> object:
        """tsconfig.json is JSON with comments and trailing commas: read as a JavaScript object literal."""
        text = self._text(path)
        if text is None:
            return None
        return _plain(SourceFile.parse(path, text, "javascript", wrap_in_parentheses=True).document_value())


# --- helpers ----------------------------------------------------------------------------------------------------


@functools.cache
def _queries(dialect: str):
    import tree_sitter

    from pgconnlint.extract.treesitter import _parser

    language = _parser(dialect).language
    return tree_sitter.Query(language, _TS_QUERY if dialect in ("typescript", "tsx") else _QUERY)


def _captures(source: SourceFile):
    import tree_sitter

    query = _queries(dialect_for(source.path))
    return tree_sitter.QueryCursor(query).captures(source.tree.root_node).items()


def _is_require_or_import(source: SourceFile, argument) -> bool:
    call = argument.parent.parent if argument.parent is not None else None
    function = call.child_by_field_name("function") if call is not None else None
    return function is not None and (function.type == "import" or source.raw(function) == "require")


def _export_targets(exports: object, key: str) -> list[str]:
    """Targets of a package.json `exports` for `.` or `./sub`, the source-like conditions first."""
    if exports is None:
        return []
    if isinstance(exports, (str, list)) or (isinstance(exports, dict) and not any(k.startswith(".") for k in exports)):
        return _condition_targets(exports) if key == "." else []
    if not isinstance(exports, dict):
        return []
    if key in exports:
        return _condition_targets(exports[key])
    for pattern, value in exports.items():
        star = _match(pattern, key)
        if star is not None:
            return [target.replace("*", star, 1) for target in _condition_targets(value)]
    return []


def _condition_targets(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in _condition_targets(item)]
    if isinstance(value, dict):
        ordered = [value[c] for c in _CONDITIONS if c in value] + [v for k, v in value.items() if k not in _CONDITIONS]
        return [t for item in ordered for t in _condition_targets(item)]
    return []


def _match(pattern: str, specifier: str) -> str | None:
    """What `*` stands for when `specifier` matches `pattern` ("" for an exact match), else None."""
    if "*" not in pattern:
        return "" if pattern == specifier else None
    prefix, _, suffix = pattern.partition("*")
    if specifier.startswith(prefix) and specifier.endswith(suffix) and len(specifier) >= len(prefix) + len(suffix):
        return specifier[len(prefix) : len(specifier) - len(suffix)]
    return None


def _plain(expr) -> object:
    if isinstance(expr, Obj):
        return {key: _plain(value) for key, value in expr.entries.items()}
    if isinstance(expr, Arr):
        return [_plain(item) for item in expr.items]
    return expr.value if isinstance(expr, Lit) else None


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)


def _under(path: str, folder: str) -> bool:
    return folder in ("", ".") or path.startswith(f"{folder}/")


def _constructions(text: str) -> tuple[tuple[str, int], ...]:
    """(Name, line) of each `new Name(` of a module."""
    found, line, counted = [], 1, 0
    for match in _CONSTRUCTED.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        found.append((match.group(1), line))
    return tuple(found)


def _import_part(text: str) -> str:
    """The text up to a few lines past the last word that can write an import (`import`, `require(`, `from "…"`):
    what follows holds none, and a large module (a React page) is mostly that tail, so tree-sitter parses a
    fraction of the file. The parse is the same up to that point; a construct cut at the end is an error node the
    query does not match."""
    last = max(text.rfind(word) for word in _IMPORT_WORDS)
    if last == -1:
        return ""
    end = last
    for _ in range(_LINES_AFTER_IMPORT + 1):  # `import(\n  "./x"\n)` spans lines
        end = text.find("\n", end + 1)
        if end == -1:
            return text
    return text[:end]


# --- selecting a process's pools --------------------------------------------------------------------------------

_CONFIG_LIBRARIES = ("prisma-config", "prisma-project", "sequelizerc")
_ENV_REFERENCE = re.compile(r"\$\{(\w+)\}|\$(\w+)")


class NodeReach:
    """The Node facts (TypeORM configs and `NodePool`s) each process reaches, for the linker (pgconnlint/link.py).

    Code facts count when their module is reached; configuration files (a knexfile, schema.prisma, an ormconfig)
    go with the packages the process reaches, unless that package's calls of the same library exist but none is
    reached (a knexfile only a test helper reads). Without a tree to read (facts built in a test) or an entry that
    cannot be found, the process gets every fact of its package, as before, and a finding says so."""

    def __init__(self, root: Path | None, packages, by_package: Mapping[str, list], package_of, problems: list):
        self.graph = ImportGraph(root, [(m.directory, m.name) for m in packages.values()]) if root else None
        self.by_package = by_package
        self.package_of = package_of
        self.problems = problems
        self.covered: set[str] = set()  #: packages a process runs or reaches
        self.resolved = False  #: some process's entry was found: packages nothing reaches are not deployed
        self._told: set[Location] = set()
        self._called: dict[tuple[str, str], bool] = {}  #: (module, method): whether the module calls it
        self._node_path: dict[tuple[str, ...], tuple[str, ...]] = {}  #: entries -> the NODE_PATH their process has

    def entries(self, script: str | None, directory: str, package: str, env: Mapping | None = None) -> list[str]:
        if self.graph is None:
            return []
        if script:
            script = _ENV_REFERENCE.sub(lambda m: _env_value(env, m.group(1) or m.group(2), m.group(0)), script)
            found = self.graph.entry(script, directory)
            if found:
                self._node_path[(found,)] = _node_path(env, directory)
                return [found]
        if self.graph.depends_on(package, "next") and (not script or posixpath.basename(script) == "server.js"):
            return self.graph.next_app(package)  # `next start`, or the standalone server.js the build writes
        if self.graph.depends_on(package, "nuxt") and (not script or posixpath.normpath(script) == _NUXT_BUILT):
            return self.graph.nuxt_app(package)
        return []

    def configs(self, package: str, entries: list[str], where: Location, written: str) -> list:
        """The facts a process of `package` that starts at `entries` reaches; `written`: its command, for findings."""
        self.covered.add(package)
        everything = self.by_package.get(package, [])
        if self.graph is None or not self.by_package:  # no Node pool in the tree: no walk can select one
            return everything
        if not entries:
            if any(not _is_config(fact) and _creates_pool(fact) for fact in everything):  # else nothing to exclude
                self._problem(where, f"the entry of `{written}` is not in the repository, nor its source", package)
            return everything
        reach = self.graph.reach(entries, self._node_path.get(tuple(entries), ()))
        self.resolved = True
        reached = {self.package_of(path) for path in reach.files} | {package}
        self.covered |= reached
        pool = [fact for name in sorted(reached) for fact in self.by_package.get(name, [])]
        code = [fact for fact in pool if not _is_config(fact) and fact.location.path in reach.files]
        missed = [fact for fact in pool if not _is_config(fact) and fact.location.path not in reach.files]
        pools_missed = any(_creates_pool(fact) for fact in missed)
        if reach.dynamic and pools_missed:
            dynamic = reach.dynamic[0]
            folder = _top_folder(dynamic.location.path, self.package_of(dynamic.location.path))
            why = f"`{dynamic.text}` ({dynamic.location.short}) imports a module that cannot be told statically"
            self._problem(where, why, package, folder)
            # a module loaded at run time lies in the source tree of the module that loads it (`src/` for
            # src/helpers/get-app.js), not among the package's scripts (`bin/`) or its other folders
            bounded = [fact for fact in everything if _is_config(fact) or _under(fact.location.path, folder)]
            return self._runtime_targets(bounded)
        handed = self.graph.handed(reach.files) if pools_missed else None
        if handed is not None:
            why = (
                f"{handed.location.short} names the module {handed.text} without importing it: code outside the"
                " repository (a plugin loader, a framework, a worker) loads it at run time, which is not followed"
            )
            self._problem(where, why, package)
            return self._runtime_targets(everything)
        if reach.unresolved and pools_missed:
            unknown = reach.unresolved[0]
            why = (
                f"`{unknown.text}` ({unknown.location.short}) names no dependency but a module of the repository"
                " that Node finds only through a NODE_PATH or a bundler alias, which is not followed"
            )
            self._problem(where, why, package)
            return self._runtime_targets(everything)
        libraries = {(self.package_of(f.location.path), _library(f)) for f in pool if not _is_config(f)}
        kept = {(self.package_of(f.location.path), _library(f)) for f in code}
        configs = [
            fact
            for fact in pool
            if _is_config(fact)
            and ((key := (self.package_of(fact.location.path), _library(fact))) in kept or key not in libraries)
        ]
        return self._runtime_targets(self._initialised(code, reach)) + configs + self._constructions(reach, code)

    def _initialised(self, facts: list, reach: Reach) -> list:
        """TypeORM opens a DataSource's pool in `initialize()` (a 0.2 `Connection` in `connect()`), not in `new
        DataSource(…)`. Where the process connects otherwise (`TypeOrmModule.forRoot(options)`, `createConnection`),
        a DataSource it never initializes is the file the TypeORM CLI reads, which the app imports only for its
        options: it holds no connection. Kept as soon as a module the process loads calls the method on anything,
        since which object it is called on is not followed; a DataSource that is the process's only TypeORM
        connection is kept as written."""
        if not any(isinstance(fact, TypeOrmConfig) and _constructed(fact) is None for fact in facts):
            return facts
        built = {_constructed(fact) for fact in facts} - {None}
        for method in built:
            if any(self._calls(path, method) for path in reach.files):
                built = built - {method}
        return [fact for fact in facts if _constructed(fact) not in built]

    def _calls(self, path: str, method: str) -> bool:
        key = (path, method)
        if key not in self._called:
            text = self.graph._text(path) if self.graph is not None else None
            self._called[key] = text is None or re.search(rf"\.{method}\s*\(", text) is not None
        return self._called[key]

    def _runtime_targets(self, facts: list) -> list:
        """Pools whose host comes from a parameter of the function that creates them connect to a database each
        caller names (an integration's connection to a user's server): not this deployment's server, so not counted
        against it; said once per pool."""
        kept = []
        for fact in facts:
            target = getattr(fact, "target_from", None)
            if target is None:
                kept.append(fact)
                continue
            if fact.location not in self._told:
                self._told.add(fact.location)
                message = (
                    f"{fact.source} at {fact.location.short} connects to the host its caller passes in `{target}`: a"
                    " database chosen at run time, not counted against this deployment's server"
                )
                self.problems.append(ParseProblem(fact.location, message, skipped=True))
        return kept

    def _constructions(self, reach: Reach, code: list) -> list[NodePool]:
        """A class that opens a pool (a NestJS provider such as `PrismaService extends PrismaClient`) built with `new`
        in a module the process loads is one more instance beside those dependency injection makes: each `new` site
        counts as one more listing of the provider (pgconnlint/link_node.py `per_module`)."""
        owners = {fact.source for fact in code if getattr(fact, "library", "") == "nest-owner"}
        found = []
        for path in sorted(reach.files) if owners else ():
            for name, line in self.graph.constructed(path):
                if name in owners:
                    found.append(NodePool("nest-provider", Obj(Location(path, line), f"new {name}()"), name))
        return found

    def _problem(self, where: Location, why: str, package: str, folder: str | None = None) -> None:
        name = f"package {package}" if package else "the root package"
        if folder is not None and folder != package:
            counted = f"every pool under {folder}/, where that module lies, is counted for this process"
        else:
            counted = f"every pool of {name} is counted for this process, tests and scripts included"
        self.problems.append(
            ParseProblem(
                where,
                f"{why}: {counted}",
                skipped=True,
                help="point the command at a module of the repository (or its build output from a tsconfig outDir)",
            )
        )


def _top_folder(path: str, package: str) -> str:
    """The folder right below `package` that holds `path` (`pkg/src` for pkg/src/helpers/x.js); the package
    itself for a module at its root."""
    rest = path[len(package) + 1 :] if package else path
    head, _, tail = rest.partition("/")
    return _join(package, head) if tail else package


def _constructed(fact) -> str | None:
    """The method that opens the pool of a `new DataSource(…)` / `new Connection(…)` TypeORM config, else None."""
    if not isinstance(fact, TypeOrmConfig):
        return None
    callee = fact.source.split(" → ")[0].removesuffix("(…)").rsplit(".", 1)[-1]  # extract/typeorm.py's label
    return {"DataSource": "initialize", "Connection": "connect"}.get(callee)


def _is_config(fact) -> bool:
    if isinstance(fact, TypeOrmConfig):
        return fact.from_ormconfig
    return fact.config_file or fact.library in _CONFIG_LIBRARIES


def _creates_pool(fact) -> bool:
    return isinstance(fact, TypeOrmConfig) or fact.library not in ("nest-provider", "nest-owner")


def _library(fact) -> str:
    if isinstance(fact, TypeOrmConfig):
        return "typeorm"
    return {"prisma-config": "prisma", "prisma-project": "prisma", "sequelizerc": "sequelize"}.get(
        fact.library, fact.library
    )


def _env_value(env: Mapping | None, name: str, written: str) -> str:
    binding = (env or {}).get(name)
    value = getattr(binding, "value", None)
    return str(value) if value is not None else written


def _node_path(env: Mapping | None, directory: str) -> tuple[str, ...]:
    """The folders of the process's NODE_PATH inside the tree: relative ones from its working directory (an
    absolute container path is not mapped to the tree)."""
    value = _env_value(env, "NODE_PATH", "")
    return tuple(_join(directory, part) for part in value.split(":") if part and not part.startswith("/"))

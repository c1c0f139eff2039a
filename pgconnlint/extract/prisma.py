"""schema.prisma: the `datasource` block, read by a small reader of the Prisma schema language.

No maintained Python parser of the Prisma schema exists on PyPI (checked: the Prisma packages there are
clients or generators that shell out to Prisma's own engines; tree-sitter-language-pack 1.x fetches its
grammars from the network at run time). Only the datasource matters here, so this reader knows just enough
of the language (prisma-engines, psl/schema-ast/src/parser/datamodel.pest) to find it safely:

- `//` and `///` start comments that run to the end of the line (outside strings);
- strings are double-quoted, with JSON-style backslash escapes;
- top-level blocks are `keyword name {` … `}` (`model`, `enum`, `type`, `view`, `generator`, `datasource`);
  braces nest only through attributes' arguments, never across strings or comments;
- inside `datasource NAME { … }` each line is `key = value`, where the value is a string, `env("VAR")`, a
  number, an identifier, an array or a function call.

Values become `Expr`s with locations: `"postgresql"` a `Lit`, `env("DATABASE_URL")` an `EnvVar`, anything
else `Opaque`; the linker evaluates them in each process's environment. A schema the reader cannot follow is a
`ParseProblem` with its line, never an exception.
"""

from __future__ import annotations

import json
import re

from pgconnlint.expr import EnvVar, Expr, Lit, Obj, Opaque
from pgconnlint.model import Location, NodePool, ParseProblem

_BLOCK = re.compile(r"(?P<keyword>[A-Za-z_]\w*)\s+(?P<name>[A-Za-z_]\w*)\s*\{\s*$")
_PROPERTY = re.compile(r"(?P<key>[A-Za-z_]\w*)\s*=\s*(?P<value>.+?)\s*$")
_ENV = re.compile(r'env\(\s*(?P<name>"(?:[^"\\]|\\.)*")\s*\)$')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"$')


class _Unreadable(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        self.line, self.column, self.message = line, column, message


def extract(path: str, text: str) -> tuple[list[NodePool], list[ParseProblem]]:
    try:
        lines = _strip_comments(text)
        blocks = _datasources(path, lines)
    except _Unreadable as problem:
        return [], [ParseProblem(Location(path, problem.line, problem.column), f"schema.prisma: {problem.message}")]
    problems = []
    if len(blocks) > 1:  # Prisma: "You defined more than one datasource. This is not allowed yet"
        second = blocks[1].location
        problems.append(ParseProblem(second, "a Prisma schema holds one datasource; Prisma refuses a second one"))
    pools = [NodePool("prisma", block, f"{path} datasource {block.text}", config_file=True) for block in blocks[:1]]
    return pools, problems


def _strip_comments(text: str) -> list[str]:
    """The lines without their comments; raises on a string left open at the end of its line."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        kept, index, in_string = [], 0, False
        while index < len(line):
            char = line[index]
            if in_string:
                if char == "\\":
                    kept.append(line[index : index + 2])
                    index += 2
                    continue
                in_string = char != '"'
            elif char == '"':
                in_string = True
            elif line.startswith("//", index):
                break
            kept.append(char)
            index += 1
        if in_string:
            raise _Unreadable(number, line.find('"') + 1, "a string is not closed on its line")
        lines.append("".join(kept))
    return lines


def _datasources(path: str, lines: list[str]) -> list[Obj]:
    """Every `datasource NAME { … }` block; checks that the other blocks open and close where they should."""
    found, depth, opened, current = [], 0, (0, ""), None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if depth == 0:
            match = _BLOCK.fullmatch(line)
            if match is None:
                column = len(raw) - len(raw.lstrip()) + 1
                raise _Unreadable(number, column, f"expected a block such as `datasource db {{`, found `{line[:40]}`")
            depth, opened = 1, (number, f"{match['keyword']} {match['name']}")
            if match["keyword"] == "datasource":
                column = raw.index("datasource") + 1
                current = (Location(path, number, column), match["name"], {}, {})
            continue
        if current is not None and line == "}":
            location, name, entries, keys = current
            found.append(Obj(location, name, entries, keys))
            current, depth = None, 0
            continue
        if current is not None:
            _property(path, number, raw, current[2], current[3])
            continue
        depth += _braces(line)
        if depth < 0:
            raise _Unreadable(number, raw.index("}") + 1, "`}` closes no block")
    if depth:
        raise _Unreadable(opened[0], 1, f"`{opened[1]} {{` is never closed")
    return found


def _braces(line: str) -> int:
    """The change of nesting a line makes, strings left out."""
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', "", line)
    return outside.count("{") - outside.count("}")


def _property(path: str, number: int, raw: str, entries: dict, keys: dict) -> None:
    match = _PROPERTY.fullmatch(raw.strip())
    column = len(raw) - len(raw.lstrip()) + 1
    if match is None:
        raise _Unreadable(number, column, f"expected `key = value` in the datasource, found `{raw.strip()[:40]}`")
    key = match["key"]
    value_column = raw.index(match["value"], column - 1 + len(key)) + 1
    keys[key] = Location(path, number, column)
    entries[key] = _value(match["value"], Location(path, number, value_column))


def _value(text: str, location: Location) -> Expr:
    env = _ENV.fullmatch(text)
    if env:
        return EnvVar(location, text, json.loads(env["name"]))
    if _STRING.fullmatch(text):
        return Lit(location, text, json.loads(text))
    if text.startswith("env") or text.count("(") != text.count(")") or text.count("[") != text.count("]"):
        raise _Unreadable(location.line, location.column, f"cannot read the value `{text[:40]}`")
    return Opaque(location, text)


# --- which schema a package's client is generated from -----------------------------------------------------------
#
# `prisma generate` reads one schema, and the client it writes carries that schema's datasource. The CLI looks, in
# order (prisma/prisma packages/internals/src/cli/getSchema.ts `getSchemaWithPathInternal`): `--schema`; Prisma 6's
# config file `prisma.config.ts` `schema` (resolved against the config file's folder, packages/config/src/
# loadConfigFromFile.ts `transformPathsInConfigToAbsolute`); the `prisma.schema` key of the nearest package.json,
# resolved against that package.json's folder, a file or (Prisma 5.15+ with `prismaSchemaFolder`, 6.6+ without) a
# folder of .prisma files (`getSchemaFromPackageJson`, `readSchemaFromFileOrDirectory`); else `./schema.prisma`,
# then `./prisma/schema.prisma` (and, in 5.15–6.x, the folder `./prisma/schema`: `getDefaultSchema`). Prisma 7 reads
# no package.json key: only `--schema`, the config file and the two default files.

PRISMA_PACKAGES = ("prisma", "@prisma/client")
_CONFIG_NAME = re.compile(r"(?:^|/)(?:prisma\.config|\.config/prisma(?:\.config)?)\.(?:c|m)?[jt]s$")


def extract_package_key(path: str, text: str) -> list[NodePool]:
    """A package.json that uses Prisma: where its schema is (`prisma.schema`), or that it has none named, so that the
    linker looks in the default locations of this package's folder."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    dependencies = {
        name
        for section in ("dependencies", "devDependencies")
        if isinstance(data.get(section), dict)
        for name in data[section]
    }
    settings = data.get("prisma")
    if settings is None and not dependencies.intersection(PRISMA_PACKAGES):
        return []
    folder = path.rpartition("/")[0]
    key = re.search(r'"prisma"\s*:\s*\{', text)
    where = Location(path, text.count("\n", 0, key.start()) + 1 if key else 1)
    entries: dict[str, Expr] = {}
    keys: dict[str, Location] = {}
    if isinstance(settings, dict) and "schema" in settings and not _prisma_7(data):
        schema = re.search(r'"schema"\s*:\s*', text[key.end() :]) if key else None
        line = text.count("\n", 0, key.end() + schema.start()) + 1 if key and schema else where.line
        location = Location(path, line)
        written = settings["schema"]
        keys["schema"] = location
        entries["schema"] = _schema_path(written, folder, location)
    options = Obj(where, "package.json prisma", entries, keys)
    return [NodePool("prisma-project", options, f"{path} prisma.schema" if entries else path, config_file=True)]


def _prisma_7(data: dict) -> bool:
    """Prisma 7 reads no package.json key (getSchema.ts of 7.x: `--schema`, the config file, the default files)."""
    for section in ("dependencies", "devDependencies"):
        block = data.get(section) if isinstance(data.get(section), dict) else {}
        for name in PRISMA_PACKAGES:
            major = re.match(r"\s*[\^~>=v]*\s*(\d+)", str(block.get(name, "")))
            if major and int(major.group(1)) >= 7:
                return True
    return False


def _schema_path(written: object, folder: str, location: Location) -> Expr:
    import posixpath

    if not isinstance(written, str):  # Prisma: "Provided schema path … must be of type string"
        return Opaque(location, json.dumps(written))
    joined = posixpath.normpath(posixpath.join(folder, written)) if not written.startswith("/") else ""
    if not joined or joined == ".." or joined.startswith("../"):
        return Opaque(location, json.dumps(written))
    return Lit(location, json.dumps(written), "" if joined == "." else joined)


def is_config_file(path: str) -> bool:
    """prisma.config.{ts,js,mts,…} or .config/prisma.{ts,…}, the files Prisma 6.x and 7 load for their settings."""
    return bool(_CONFIG_NAME.search(path))


def extract_config(path: str, text: str) -> tuple[list[NodePool], list[ParseProblem]]:
    """prisma.config.ts: `export default defineConfig({ schema: … })` (or a plain object, `satisfies PrismaConfig`).
    The `schema` path is read statically (pgconnlint/extract/jspath.py); the file is never run."""
    from pgconnlint.extract.jspath import static_path
    from pgconnlint.extract.treesitter import SourceFile

    source = SourceFile.parse(path, text)
    folder = path.rpartition("/")[0]  # Prisma resolves `schema` against the config file's own folder
    for pair in source.walk({"pair"}):  # the config's own `schema` key: no nested option of Prisma's has that name
        key = pair.child_by_field_name("key")
        if key is None or source.raw(key).strip("'\"") != "schema":
            continue
        value = pair.child_by_field_name("value")
        location = source.location(value if value is not None else pair)
        resolved = static_path(source, value, folder)
        written = source.text(value) if value is not None else ""
        schema = Lit(location, written, resolved) if resolved is not None else Opaque(location, written)
        options = Obj(source.location(pair), source.text(pair), {"schema": schema}, {"schema": location})
        return [NodePool("prisma-config", options, f"{path} schema", config_file=True)], source.problems()
    return [], []

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

"""YAML through ruamel.yaml's round-trip loader, which keeps line and column of every key and item.

The round-trip loader builds only plain maps, lists and scalars (tags are kept, never constructed), so
no YAML file can make pgconnlint create objects or run code. Aliases are shared, not copied, so a
"billion laughs" file is cut off by a node budget while converting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pgconnlint.expr import Arr, Expr, Lit, Obj
from pgconnlint.model import Location, ParseProblem

_MAX_NODES = 50_000


class _TooLarge(Exception):
    pass


def load(path: str, text: str) -> tuple[list[Expr], list[ParseProblem]]:
    """The documents of a YAML stream as `Expr` values, or the problem that stopped the parser."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    try:
        documents = list(yaml.load_all(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return [], [ParseProblem(Location(path, line, column), f"invalid YAML: {error.problem or error.context}")]
    except (YAMLError, ValueError, RecursionError) as error:
        return [], [ParseProblem(Location(path, 1), f"invalid YAML: {error}")]
    budget = [_MAX_NODES]
    try:
        exprs = [_convert(path, document, Location(path, 1), budget) for document in documents if document is not None]
    except _TooLarge:
        return [], [
            ParseProblem(Location(path, 1), f"YAML expands to more than {_MAX_NODES} nodes (aliases?); not read")
        ]
    return exprs, []


# A line that starts a document: `---` alone or followed by a space (`--- !tag`, `--- |`), YAML 1.2 §9.1.
_DOCUMENT_START = re.compile(r"^---(?:[ \t].*)?$")
_MAX_DOCUMENTS = 5_000


@dataclass(frozen=True, slots=True)
class Document:
    """One document of a stream: its value (None when it failed or was empty), the line it starts on (1-based), and
    its own text, which a caller may inspect (templating markers, block scalars)."""

    value: Expr | None
    line: int
    text: str


def load_documents(path: str, text: str, max_nodes: int = _MAX_NODES) -> tuple[list[Document], list[ParseProblem]]:
    """Each `---` document of a stream parsed on its own, so that one malformed or oversized document among good
    ones costs one ParseProblem (with its line) and the others are still read; the node budget is per document."""
    problems: list[ParseProblem] = []
    found: list[Document] = []
    for start, chunk in _split_documents(text):
        if len(found) >= _MAX_DOCUMENTS:
            message = f"more than {_MAX_DOCUMENTS} YAML documents; the rest of the file is not read"
            problems.append(ParseProblem(Location(path, start + 1), message, skipped=True))
            break
        value, problem = _load_one(path, chunk, start, max_nodes)
        if problem is not None:
            problems.append(problem)
        found.append(Document(value, start + 1, chunk))
    return found, problems


def _split_documents(text: str) -> list[tuple[int, str]]:
    """(0-based first line, text) of each document; a marker line stays with the document it opens."""
    lines = text.split("\n")
    starts = [0] + [number for number, line in enumerate(lines) if number and _DOCUMENT_START.match(line)]
    bounds = zip(starts, [*starts[1:], len(lines)], strict=True)
    return [(first, "\n".join(lines[first:end])) for first, end in bounds]


def _load_one(path: str, chunk: str, offset: int, max_nodes: int) -> tuple[Expr | None, ParseProblem | None]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    try:
        documents = [document for document in yaml.load_all(chunk) if document is not None]
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1 + offset, mark.column + 1) if mark else (offset + 1, 1)
        return None, ParseProblem(Location(path, line, column), f"invalid YAML: {error.problem or error.context}")
    except (YAMLError, ValueError, RecursionError) as error:
        return None, ParseProblem(Location(path, offset + 1), f"invalid YAML: {error}")
    if not documents:
        return None, None
    try:
        return _convert(path, documents[0], Location(path, offset + 1), [max_nodes], offset), None
    except _TooLarge:
        message = f"YAML document expands to more than {max_nodes} nodes (aliases, or a generated manifest); not read"
        return None, ParseProblem(Location(path, offset + 1), message, skipped=True)


def _convert(path: str, node: object, location: Location, budget: list[int], offset: int = 0) -> Expr:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    if isinstance(node, dict):
        entries, keys = {}, {}
        for key, value in node.items():
            key_location = _position(node, "key", key, location, offset)
            value_location = _position(node, "value", key, key_location, offset)
            entries[str(key)] = _convert(path, value, value_location, budget, offset)
            keys[str(key)] = key_location
        return Obj(location, "{…}", entries, keys)
    if isinstance(node, list):
        items = []
        for index, item in enumerate(node):
            items.append(_convert(path, item, _position(node, "item", index, location, offset), budget, offset))
        return Arr(location, "[…]", tuple(items))
    value = _scalar(node)
    return Lit(location, str(node) if node is not None else "null", value)


def _position(container: object, kind: str, key: object, fallback: Location, offset: int = 0) -> Location:
    """ruamel's 0-based (line, column) of a key, value or item; tagged nodes may have none. `offset`: the lines
    before the document in its stream (`load_documents` parses each document on its own)."""
    try:
        line, column = getattr(container.lc, kind)(key)
    except (AttributeError, KeyError, TypeError, IndexError):
        return fallback
    return Location(fallback.path, line + 1 + offset, column + 1)


def _scalar(node: object) -> object:
    # ruamel's ScalarInt/ScalarFloat subclass int/float; bool is checked first because it is an int too.
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)

"""YAML with the line and column of every key and item: ruamel.yaml's round-trip loader for configuration files
(`load`), PyYAML's composer for Kubernetes manifests (`load_documents`), which can be large.

The round-trip loader builds only plain maps, lists and scalars (tags are kept, never constructed), so
no YAML file can make pgconnlint create objects or run code. Aliases are shared, not copied, so a
"billion laughs" file is cut off by a node budget while converting.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pgconnlint.expr import Arr, Expr, Lit, Obj
from pgconnlint.model import Location, ParseProblem

_MAX_NODES = 50_000
# `a: &a` / `  <<: *a`: a map that merges itself; the reader would recurse without end
_SELF_REFERENCE = "YAML refers to itself (an alias or merge key inside its own anchor); not read"


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
    except (YAMLError, ValueError) as error:
        return [], [ParseProblem(Location(path, 1), f"invalid YAML: {error}")]
    except Exception as error:  # noqa: BLE001 - ruamel fails on some hostile input (a merge key into its own anchor)
        return [], [ParseProblem(Location(path, 1), f"invalid YAML: {type(error).__name__} in the YAML reader")]
    budget = [_MAX_NODES]
    try:
        exprs = [_convert(path, document, Location(path, 1), budget) for document in documents if document is not None]
    except RecursionError:
        return [], [ParseProblem(Location(path, 1), _SELF_REFERENCE)]
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
        # NOTE: one parser per document measured faster than one for the whole stream (bench/, 1,200 documents)
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
    """One document through PyYAML's composer, libyaml's when installed: manifests are the largest YAML a
    repository holds (a rendered chart is thousands of documents), and libyaml composes them ~30 times faster than
    ruamel's pure-Python loader. The composer only builds nodes with their marks; no tag is ever constructed, and
    plain scalars are read with YAML 1.1's rules, as Kubernetes' own YAML library (go-yaml v2) reads them."""
    import yaml

    try:
        nodes = [node for node in yaml.compose_all(chunk, Loader=_loader()) if node is not None]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        last = len(chunk.rstrip().split("\n"))  # libyaml marks an unclosed bracket at the end of the input
        if line > last:
            line, column = last, 1
        message = f"invalid YAML: {error.problem or error.context}"
        return None, ParseProblem(Location(path, line + offset, column), message)
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        return None, ParseProblem(Location(path, offset + 1), f"invalid YAML: {error}")
    except Exception as error:  # noqa: BLE001 - a reader bug on hostile input is this document's problem only
        return None, ParseProblem(
            Location(path, offset + 1), f"invalid YAML: {type(error).__name__} in the YAML reader"
        )
    return _convert_one(path, nodes[0] if nodes else None, offset, max_nodes, offset)


@functools.cache
def _loader() -> type:
    """libyaml's composer with a memo on the tag of plain scalars: the C composer calls back into Python's resolver
    for every scalar, which cost a third of its time, and a manifest repeats the same few (`apiVersion`, `name`,
    `ClusterIP`). SafeLoader's implicit resolvers are class-level and it has no path resolvers, so a tag depends only
    on the scalar; the memo is emptied when full so that a huge file cannot grow it without bound."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    memo: dict = {}

    class Loader(base):
        def resolve(self, kind, value, implicit):
            key = (kind, value, implicit)
            tag = memo.get(key)
            if tag is None:
                if len(memo) >= _MAX_MEMO:
                    memo.clear()
                tag = memo[key] = super().resolve(kind, value, implicit)
            return tag

    return Loader


_MAX_MEMO = 20_000


def _convert_one(path: str, node, start: int, max_nodes: int, offset: int) -> tuple[Expr | None, ParseProblem | None]:
    """A document's node as an `Expr`; `offset` is added to its marks (0 when they count from the stream's start)."""
    if node is None:
        return None, None
    try:
        return _from_node(path, node, [max_nodes], offset), None
    except RecursionError:
        return None, ParseProblem(Location(path, start + 1), _SELF_REFERENCE)
    except _TooLarge:
        message = f"YAML document expands to more than {max_nodes} nodes (aliases, or a generated manifest); not read"
        return None, ParseProblem(Location(path, start + 1), message, skipped=True)


_MERGE = "tag:yaml.org,2002:merge"
_SCALARS = {  # the standard tags whose plain text PyYAML's SafeConstructor reads into a number or a boolean
    "tag:yaml.org,2002:int": "construct_yaml_int",
    "tag:yaml.org,2002:float": "construct_yaml_float",
    "tag:yaml.org,2002:bool": "construct_yaml_bool",
}


def _from_node(path: str, node, budget: list[int], offset: int) -> Expr:
    """A composed node as an `Expr`; aliases are the same node object, so the budget also stops an alias bomb.
    Hot: every node of every manifest goes through here, hence `node.id` (a class attribute of PyYAML's nodes)
    rather than isinstance against classes imported on first use."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    mark = node.start_mark
    location = Location(path, mark.line + 1 + offset, mark.column + 1)
    kind = node.id
    if kind == "mapping":
        entries, keys, merged = {}, {}, {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:  # `<<: *defaults`: the anchored maps' keys, under the explicit ones
                for source in value_node.value if value_node.id == "sequence" else [value_node]:
                    inherited = _from_node(path, source, budget, offset)
                    if isinstance(inherited, Obj):
                        merged = {**inherited.entries, **merged}
                        keys = {**inherited.key_locations, **keys}
                continue
            key = str(key_node.value) if key_node.id == "scalar" else "…"
            key_mark = key_node.start_mark
            keys[key] = Location(path, key_mark.line + 1 + offset, key_mark.column + 1)
            entries[key] = _from_node(path, value_node, budget, offset)
        return Obj(location, "{…}", {**merged, **entries} if merged else entries, keys)
    if kind == "sequence":
        return Arr(location, "[…]", tuple([_from_node(path, item, budget, offset) for item in node.value]))
    return Lit(location, node.value, _scalar_value(node))


@functools.cache
def _constructor():
    """SafeConstructor's scalar readers are methods; for scalars they keep no state, so one instance serves all."""
    from yaml.constructor import SafeConstructor

    return SafeConstructor()


def _scalar_value(node) -> object:
    if node.tag == "tag:yaml.org,2002:null":
        return None
    method = _SCALARS.get(node.tag)
    if method is None:
        return node.value  # strings, timestamps and application tags (`!Ref`) stay as written
    try:
        return getattr(_constructor(), method)(node)
    except Exception:  # noqa: BLE001 - PyYAML's readers raise ValueError, KeyError or ConstructorError on odd text
        return node.value


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

"""YAML with the line and column of every key and item, composed by libyaml (PyYAML's Python composer when
libyaml is missing): configuration files (`load`) with YAML 1.2's core schema as ruamel.yaml's round-trip loader
applied it, which this project used before; Kubernetes manifests (`load_documents`) with YAML 1.1's rules, as
Kubernetes reads them, one document at a time.

Only nodes are composed, then plain maps, lists and scalars built from them (tags are kept, never constructed), so
no YAML file can make pgconnlint create objects or run code. Aliases are shared, not copied, so a "billion laughs"
file is cut off by a node budget while converting.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from pgconnlint.expr import Arr, Expr, Lit, Obj
from pgconnlint.model import Location, ParseProblem

_MAX_NODES = 50_000
# `a: &a` / `  <<: *a`: a map that merges itself; the reader would recurse without end
_SELF_REFERENCE = "YAML refers to itself (an alias or merge key inside its own anchor); not read"


class _TooLarge(Exception):
    pass


def load(path: str, text: str) -> tuple[list[Expr], list[ParseProblem]]:
    """The documents of a YAML stream as `Expr` values, or the problem that stopped the parser. Read as YAML 1.2
    (1.1 after a `%YAML 1.1` directive), the way ruamel.yaml's round-trip loader read these files before: libyaml
    composes the nodes with their marks, `_Builder` gives them ruamel's values, `_convert` makes them `Expr`s."""
    import yaml

    try:
        documents = [document for document in _build_stream(text) if document is not None]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return [], [ParseProblem(Location(path, line, column), f"invalid YAML: {error.problem or error.context}")]
    except (yaml.YAMLError, ValueError) as error:
        return [], [ParseProblem(Location(path, 1), f"invalid YAML: {error}")]
    except Exception as error:  # noqa: BLE001 - hostile input (a merge key into its own anchor) breaks construction
        return [], [ParseProblem(Location(path, 1), f"invalid YAML: {type(error).__name__} in the YAML reader")]
    budget = [_MAX_NODES]
    try:
        exprs = [_convert(path, document, Location(path, 1), budget) for document in documents]
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
    #: the `kind` of a Kubernetes object left unconverted because the caller reads no object of that kind
    unread_kind: str | None = None


def load_documents(
    path: str, text: str, max_nodes: int = _MAX_NODES, reads: Callable[[str], bool] | None = None
) -> tuple[list[Document], list[ParseProblem]]:
    """Each `---` document of a stream parsed on its own, so that one malformed or oversized document among good
    ones costs one ParseProblem (with its line) and the others are still read; the node budget is per document.
    `reads(kind)`: whether the caller reads Kubernetes objects of that kind; one it does not (an Ingress, RBAC, a
    CRD) is composed but not converted into values (`Document.unread_kind`)."""
    problems: list[ParseProblem] = []
    found: list[Document] = []
    for start, chunk in _split_documents(text):
        if len(found) >= _MAX_DOCUMENTS:
            message = f"more than {_MAX_DOCUMENTS} YAML documents; the rest of the file is not read"
            problems.append(ParseProblem(Location(path, start + 1), message, skipped=True))
            break
        # NOTE: one parser per document measured faster than one for the whole stream (bench/, 1,200 documents)
        value, problem, unread = _load_one(path, chunk, start, max_nodes, reads)
        if problem is not None:
            problems.append(problem)
        found.append(Document(value, start + 1, chunk, unread))
    return found, problems


def _split_documents(text: str) -> list[tuple[int, str]]:
    """(0-based first line, text) of each document; a marker line stays with the document it opens."""
    lines = text.split("\n")
    starts = [0] + [number for number, line in enumerate(lines) if number and _DOCUMENT_START.match(line)]
    bounds = zip(starts, [*starts[1:], len(lines)], strict=True)
    return [(first, "\n".join(lines[first:end])) for first, end in bounds]


def _load_one(
    path: str, chunk: str, offset: int, max_nodes: int, reads: Callable[[str], bool] | None
) -> tuple[Expr | None, ParseProblem | None, str | None]:
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
        return None, ParseProblem(Location(path, line + offset, column), message), None
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        return None, ParseProblem(Location(path, offset + 1), f"invalid YAML: {error}"), None
    except Exception as error:  # noqa: BLE001 - a reader bug on hostile input is this document's problem only
        message = f"invalid YAML: {type(error).__name__} in the YAML reader"
        return None, ParseProblem(Location(path, offset + 1), message), None
    node = nodes[0] if nodes else None
    kind = _object_kind(node) if reads is not None else None
    if kind is not None and not reads(kind):
        return None, None, kind
    return (*_convert_one(path, node, offset, max_nodes, offset), None)


def _object_kind(node) -> str | None:
    """The `kind` of a Kubernetes object (a mapping with scalar `apiVersion` and `kind`), read from its node."""
    if node is None or node.id != "mapping":
        return None
    keys = {key.value: value for key, value in node.value if key.id == "scalar" and value.id == "scalar"}
    kind, version = keys.get("kind"), keys.get("apiVersion")
    return str(kind.value) if kind is not None and version is not None else None


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


# Configuration files (`load`): YAML 1.2's core schema as ruamel.yaml applies it, on libyaml's composer.

_VERSION_DIRECTIVE = re.compile(r"^%YAML", re.MULTILINE)


def _build_stream(text: str) -> list[object]:
    """Each document composed, then built, in stream order (an error in the first document wins over one in the
    second, as it did with ruamel). libyaml's own composer is the fast path. PyYAML's Python composer on libyaml's
    events serves what that composer cannot do: follow a `%YAML` directive (the rules change per document) and let
    an anchor be defined again (YAML 1.2 allows it; the alias takes the latest). When libyaml finds the text
    invalid, PyYAML's Python parser reads it again for the messages ruamel gave (`expected <block end>, but found
    '<scalar>'`, not libyaml's `did not find expected key`); it stops where the error is, so this costs little."""
    import yaml

    kind = "events" if _VERSION_DIRECTIVE.search(text) else "fast"
    while True:
        try:
            return _build_with(_config_loader(kind), text)
        except yaml.constructor.ConstructorError:
            raise  # the builder's own verdict (a duplicate key), the same whichever parser composed the nodes
        except yaml.composer.ComposerError as error:
            if kind == "fast" and "duplicate anchor" in str(error):
                kind = "events"
            elif kind != "python":
                kind = "python"
            else:
                raise
        except yaml.YAMLError:
            if kind == "python":
                raise
            kind = "python"


def _build_with(loader_class: type, text: str) -> list[object]:
    loader = loader_class(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            documents.append(_Builder(loader.rules_version, text).document(node))
        return documents
    finally:
        loader.dispose()


@functools.cache
def _config_loader(kind: str) -> type:
    """A PyYAML loader that only composes, with `_resolve`'s tags. `fast`: libyaml's composer (when installed);
    `events`: PyYAML's Python composer, which follows `%YAML` directives and lets an anchor be defined again, on
    libyaml's parser; `python`: the same on PyYAML's Python parser, whose error messages are ruamel's."""
    import yaml
    from yaml.composer import Composer

    libyaml = yaml.__with_libyaml__ and kind != "python"
    if kind == "fast":

        class FastLoader(yaml.CSafeLoader if libyaml else yaml.SafeLoader):
            rules_version = (1, 2)

            def resolve(self, kind, value, implicit):
                return _resolve(kind.id, value, implicit, self.rules_version)

        return FastLoader
    if libyaml:
        from yaml.cyaml import CParser

        parser: tuple = (CParser,)
    else:
        parser = (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)

    class EventLoader(Composer, *parser, yaml.resolver.BaseResolver):
        rules_version = (1, 2)

        def __init__(self, stream):
            if libyaml:
                parser[0].__init__(self, stream)
            else:
                yaml.reader.Reader.__init__(self, stream)
                yaml.scanner.Scanner.__init__(self)
                yaml.parser.Parser.__init__(self)
            Composer.__init__(self)
            yaml.resolver.BaseResolver.__init__(self)

        def compose_document(self):
            start = self.get_event()
            if start.version is not None:  # like ruamel, a directive holds until the next one
                if start.version not in ((1, 1), (1, 2)):
                    raise yaml.YAMLError(f"YAML version {start.version[0]}.{start.version[1]} is not supported")
                self.rules_version = start.version
            node = self.compose_node(None, None)
            self.get_event()
            self.anchors = {}
            return node

        def compose_node(self, parent, index):
            event = self.peek_event()
            if not isinstance(event, yaml.AliasEvent) and event.anchor is not None:
                self.anchors.pop(event.anchor, None)  # YAML 1.2: a later definition replaces the earlier one
            return Composer.compose_node(self, parent, index)

        def resolve(self, kind, value, implicit):
            return _resolve(kind.id, value, implicit, self.rules_version)

    return EventLoader


def _resolve(kind: str, value: str, implicit: tuple[bool, bool], version: tuple[int, int]) -> str:
    """The tag of a node without one. A plain scalar (or one tagged only `!`, which ruamel also resolves) takes
    the first rule of its version that matches, tried in ruamel's order; anything else is a string, list or map."""
    if kind == "scalar":
        if implicit[0] or not implicit[1]:
            return _scalar_tag(value, version)
        return _STR
    return _SEQ if kind == "sequence" else _MAP


@functools.lru_cache(maxsize=20_000)  # a compose file repeats its scalars; bounded so a huge file cannot grow it
def _scalar_tag(value: str, version: tuple[int, int]) -> str:
    for tag, pattern in _IMPLICIT[version].get(value[:1], ()):
        if pattern.match(value):
            return tag
    return _STR


_Y = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP, _NULL, _BOOL, _INT, _FLOAT = (
    _Y + name for name in ("str", "seq", "map", "null", "bool", "int", "float")
)
_MERGE_KEY, _VALUE_KEY, _TIMESTAMP = _Y + "merge", _Y + "value", _Y + "timestamp"
# ruamel.yaml's implicit resolvers (resolver.py), in its order: (versions, tag, pattern, first characters).
_RULES = [
    ({(1, 2)}, _BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        {(1, 1)},
        _BOOL,
        r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
        "yYnNtTfFoO",
    ),
    (
        {(1, 2)},
        _FLOAT,
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        {(1, 1)},
        _FLOAT,
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        "-+0123456789.",
    ),
    (
        {(1, 2)},
        _INT,
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""",
        "-+0123456789",
    ),
    (
        {(1, 1)},
        _INT,
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0?[0-7_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+
        |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
        "-+0123456789",
    ),
    ({(1, 2), (1, 1)}, _MERGE_KEY, r"^(?:<<)$", "<"),
    ({(1, 2), (1, 1)}, _NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (
        {(1, 2), (1, 1)},
        _TIMESTAMP,
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
        (?:[Tt]|[\ \t]+)[0-9][0-9]?
        :[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
        (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        "0123456789",
    ),
    ({(1, 2), (1, 1)}, _VALUE_KEY, r"^(?:=)$", "="),
]
_IMPLICIT: dict[tuple[int, int], dict[str, list]] = {(1, 2): {}, (1, 1): {}}
for _versions, _tag, _pattern, _first in _RULES:
    for _version in _versions:
        for _char in _first:
            _IMPLICIT[_version].setdefault(_char, []).append((_tag, re.compile(_pattern, re.X)))


class _Map(dict):
    """A built mapping; `where`: key -> (key line, key column, value line, value column), 0-based. Keys merged in
    with `<<` have none (they take the mapping's own place, as they did with ruamel)."""

    __slots__ = ("where",)

    def __init__(self):
        super().__init__()
        self.where: dict = {}


class _Seq(list):
    """A built sequence; `where`: (line, column) of each item, or None (a tagged sequence: items take its place)."""

    __slots__ = ("where",)

    def __init__(self, where: list | None):
        super().__init__()
        self.where = where


class _KeyMap(tuple):
    """A mapping used as a key (`? {a: 1}`), hashable, and named as ruamel named it."""

    def __str__(self) -> str:
        return f"ordereddict({list(self)!r})"

    __repr__ = __str__


class _Builder:
    """One document's nodes as Python values, in ruamel's round-trip construction order. The order matters where
    YAML refers to itself: an alias to a collection still being built is null when that collection is being built
    in depth (every value of a mapping), but the collection itself when its building was deferred (the root, and
    the items of a root sequence), which `_convert` then reports as a self-reference; a merge (`<<`) copies the
    keys its source holds at that moment, and a merge of a source still being built in depth fails."""

    def __init__(self, version: tuple[int, int], text: str):
        self.version = version
        self.text = text
        self.done: dict = {}
        self.busy: set = set()
        self.pending: list = []
        self.deep = False

    def document(self, node) -> object:
        data = self.build(node)
        while self.pending:
            pending, self.pending = self.pending, []
            for deferred, collection in pending:
                self.fill(deferred, collection)
        return data

    def build(self, node, deep: bool = False) -> object:
        if node in self.done:
            return self.done[node]
        if deep:
            outer, self.deep = self.deep, True
        if node in self.busy:
            return None  # NOTE: ruamel returns here without restoring `deep`; kept, it decides the cases above
        self.busy.add(node)
        if node.id == "scalar":
            data = self.scalar(node)
        else:
            data = self.start(node)
            if self.deep:
                self.fill(node, data)
            else:
                self.pending.append((node, data))
        self.done[node] = data
        self.busy.discard(node)
        if deep:
            self.deep = outer
        return data

    def scalar(self, node) -> object:
        tag, value = node.tag, node.value
        if tag in (_Y + "seq", _Y + "omap", _Y + "pairs"):
            raise _constructor_error(f"expected a sequence node, but found {node.id}", node)
        if tag in (_MAP, _Y + "set"):
            raise _constructor_error(f"expected a mapping node, but found {node.id}", node)
        reader = _SCALAR_READERS.get(tag)
        return reader(value, self.version, node) if reader else value

    def start(self, node) -> object:
        """The empty collection a node becomes (a set is finished at once: it is text)."""
        tag = node.tag
        if tag in _SCALAR_READERS:
            raise _constructor_error(f"expected a scalar node, but found {node.id}", node)
        if tag == _Y + "set":
            return self.set(node)
        if tag == _Y + "omap" or (node.id == "mapping" and tag != _Y + "pairs"):
            return _Map()
        return _Seq([] if tag == _SEQ else None)

    def fill(self, node, data: object) -> None:
        tag = node.tag
        if tag in (_Y + "omap", _Y + "pairs"):
            self.pairs(node, data)
        elif isinstance(data, _Map):
            self.fill_map(node, data, deep=tag == _MAP)
        elif isinstance(data, _Seq):
            for item in node.value:
                data.append(self.build(item))
                if data.where is not None:
                    data.where.append((item.start_mark.line, item.start_mark.column))

    def fill_map(self, node, data: _Map, deep: bool) -> None:
        """ruamel's RoundTripConstructor.construct_mapping: explicit keys (a duplicate is an error), then the
        keys of the merged maps that are not already there, the first merged map first."""
        sources = self.merge_sources(node)
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_KEY:
                continue
            key = self.key(key_node)
            value = self.build(value_node, deep=deep)
            if key in data:
                raise _duplicate_key(
                    node, key_node, f'found duplicate key "{key}" with value "{value}" (original value: "{data[key]}")'
                )
            key_mark, value_mark = key_node.start_mark, value_node.start_mark
            value_place = (value_mark.line, value_mark.column)
            if value_node.id == "scalar" and value_mark.index == value_node.end_mark.index:
                value_place = _empty_value_place(self.text, value_mark, key_mark.column, node.flow_style)
            data.where[key] = (key_mark.line, key_mark.column, *value_place)
            data[key] = value
        for source in sources:
            if not isinstance(source, dict):  # a map still being built (a merge into its own anchor)
                raise AttributeError("merge of a mapping still being built")
            for key, value in list(source.items()):
                if key not in data:
                    data[key] = value

    def merge_sources(self, node) -> list:
        sources: list = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_KEY:
                continue
            if sources:
                raise _duplicate_key(node, key_node, 'found duplicate merge key "<<"')
            if value_node.id == "mapping":
                sources.append(self.build(value_node, deep=True))
            elif value_node.id == "sequence":
                self.build(value_node, deep=True)
                for item in value_node.value:
                    if item.id != "mapping":
                        raise _constructor_error(
                            f"expected a mapping for merging, but found {item.id}",
                            item,
                            "while constructing a mapping",
                            node,
                        )
                    sources.append(self.build(item, deep=True))
            else:
                message = f"expected a mapping or list of mappings for merging, but found {value_node.id}"
                raise _constructor_error(message, value_node, "while constructing a mapping", node)
        return sources

    def key(self, key_node) -> object:
        if key_node.tag == _VALUE_KEY:
            return key_node.value  # `=` as a key is text (ruamel retags it `str`)
        key = self.build(key_node, deep=True)
        if isinstance(key, dict):
            return _KeyMap(key.items())
        return tuple(key) if isinstance(key, list) else key

    def set(self, node) -> str:
        """`!!set {a, b}`: the text ruamel's CommentedSet printed, as before."""
        if node.id != "mapping":
            raise _constructor_error(f"expected a mapping node, but found {node.id}", node)
        keys: dict = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            self.build(value_node)
            if key in keys:
                raise _duplicate_key(node, key_node, f'found duplicate key "{key}"', "while constructing a set")
            keys[key] = None
        return f"set({keys.keys()!r})".replace("dict_keys", "odict_keys")

    def pairs(self, node, data: _Map | _Seq) -> None:
        """`!!omap` (a map) and `!!pairs` (a list of (key, value)); their items have no place of their own."""
        what = "an ordered map" if isinstance(data, _Map) else "pairs"
        if node.id != "sequence":
            message = f"expected a sequence, but found {node.id}"
            raise _constructor_error(message, node, f"while constructing {what}", node)
        for item in node.value:
            if item.id != "mapping":
                message = f"expected a mapping of length 1, but found {item.id}"
                raise _constructor_error(message, item, f"while constructing {what}", node)
            if len(item.value) != 1:
                message = f"expected a single mapping item, but found {len(item.value):d} items"
                raise _constructor_error(message, item, f"while constructing {what}", node)
            key_node, value_node = item.value[0]
            key, value = self.build(key_node), self.build(value_node)
            if isinstance(data, _Map):
                assert key not in data  # noqa: S101 - ruamel's own check, an AssertionError as before
                data[key] = value
            else:
                data.append((key, value))


def _empty_value_place(text: str, mark, key_column: int, flow: bool) -> tuple[int, int]:
    """Where ruamel placed an empty value (`key:` and nothing), from where the parser placed it. In a flow mapping
    ruamel placed it right after the colon (libyaml: at the next entry). In a block mapping (both parsers: right
    after the colon) ruamel placed it at the next token, which is the next key or where the mapping ends, except
    that after an end-of-line comment, when another key of the same mapping follows, it stayed after the colon."""
    index = mark.index
    if flow:
        place = index
        while place and text[place - 1] in " \t\r\n":
            place -= 1
        return _shifted(text, mark, place) if place and text[place - 1] == ":" else (mark.line, mark.column)
    if not index or text[index - 1] != ":":
        return mark.line, mark.column
    place, end = index, len(text)
    while place < end and text[place] in " \t":
        place += 1
    commented = place < end and text[place] == "#"
    while place < end and text[place] in " \t\r\n#":
        if text[place] == "#":
            place = text.find("\n", place)
            place = end if place < 0 else place
        else:
            place += 1
    if commented and not _ends_mapping(text, place, key_column):
        return mark.line, mark.column
    return _shifted(text, mark, place)


def _ends_mapping(text: str, place: int, key_column: int) -> bool:
    """Whether the next token at `place` closes a block mapping whose keys start at `key_column`: the end of the
    text, a line less indented, or a document marker."""
    column = place - text.rfind("\n", 0, place) - 1
    if place >= len(text) or column < key_column:
        return True
    return (
        column == 0
        and text.startswith(("---", "..."), place)
        and text[place + 3 : place + 4] in ("", " ", "\t", "\n", "\r")
    )


def _shifted(text: str, mark, index: int) -> tuple[int, int]:
    """(line, column) of `index`, counted from a mark in the same text."""
    low, high = sorted((mark.index, index))
    lines = text.count("\n", low, high)
    if not lines:
        return mark.line, mark.column + index - mark.index
    return mark.line + (lines if index > mark.index else -lines), index - text.rfind("\n", 0, index) - 1


def _constructor_error(problem: str, node, context: str | None = None, context_node=None) -> Exception:
    from yaml.constructor import ConstructorError

    return ConstructorError(context, context_node.start_mark if context_node else None, problem, node.start_mark)


def _duplicate_key(node, key_node, problem: str, context: str = "while constructing a mapping") -> Exception:
    return _constructor_error(problem, key_node, context, node)


_BOOLS = {"yes": True, "no": False, "y": True, "n": False, "true": True, "false": False, "on": True, "off": False}


def _read_bool(value: str, version, node) -> bool:
    return _BOOLS[value.lower()]  # KeyError on `!!bool maybe`, as before


def _read_int(text: str, version: tuple[int, int], node) -> int:
    """ruamel's RoundTripConstructor.construct_yaml_int, step for step (its IndexError on `0x_` included)."""
    digits = text.replace("_", "")
    sign = 1
    if digits[0] in "+-":
        sign = -1 if digits[0] == "-" else 1
        digits = digits[1:]
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            if version > (1, 1):
                digits[2]  # noqa: B018 - ruamel reads the first digit here: a bare `0x_` fails with IndexError
            return sign * int(digits[2:], base)
    if version != (1, 2) and len(digits) > 1 and digits[0] == "0":
        return sign * int(digits, 8)
    if version != (1, 2) and ":" in digits:
        return sign * _sexagesimal([int(part) for part in digits.split(":")])
    return sign * int(digits)


def _read_float(text: str, version: tuple[int, int], node) -> float:
    """ruamel's RoundTripConstructor.construct_yaml_float, with the same failures on odd tagged text."""
    digits = text.replace("_", "").lower()
    sign = -1 if digits[0] == "-" else 1
    if digits[0] in "+-":
        digits = digits[1:]
    if digits == ".inf":
        return sign * float("inf")
    if digits == ".nan":
        return float("nan")
    if version != (1, 2) and ":" in digits:
        return sign * _sexagesimal([float(part) for part in digits.split(":")])
    if "e" in digits:
        try:
            _, exponent = text.split("e")
        except ValueError:
            _, exponent = text.split("E")
        exponent[0]  # noqa: B018 - ruamel reads the exponent's sign: `!!float 1e` fails with IndexError
    return sign * float(digits)


def _sexagesimal(parts: list) -> int | float:
    value, base = 0, 1
    for part in reversed(parts):
        value += part * base
        base *= 60
    return value


def _read_null(value: str, version, node) -> None:
    return None


def _read_binary(value: str, version, node) -> str:
    import base64
    import binascii

    try:
        data = value.encode("ascii")
    except UnicodeEncodeError as error:
        raise _constructor_error(f"failed to convert base64 data into ascii: {error!s}", node) from None
    try:
        return str(base64.decodebytes(data))
    except binascii.Error as error:
        raise _constructor_error(f"failed to decode base64 data: {error!s}", node) from None


_TIMESTAMP_PARTS = re.compile(
    r"""^(?P<year>[0-9][0-9][0-9][0-9])-(?P<month>[0-9][0-9]?)-(?P<day>[0-9][0-9]?)
    (?:((?P<t>[Tt])|[ \t]+)(?P<hour>[0-9][0-9]?):(?P<minute>[0-9][0-9]):(?P<second>[0-9][0-9])
    (?:\.(?P<fraction>[0-9]*))?
    (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)(?::(?P<tz_minute>[0-9][0-9]))?))?)?$""",
    re.X,
)


def _read_timestamp(value: str, version, node) -> str:
    """A timestamp as the text ruamel's TimeStamp/datetime printed (ISO 8601, `T` kept when written), so a date
    stays as written; an impossible date (`2024-13-45`) is a ValueError, as before."""
    import datetime

    match = _TIMESTAMP_PARTS.match(value)
    if match is None:
        raise _constructor_error(f'failed to construct timestamp from "{value}"', node)
    part = match.groupdict()
    if not part["hour"]:
        return datetime.date(int(part["year"]), int(part["month"]), int(part["day"])).isoformat()
    fraction = part["fraction"] or ""
    micro = int((fraction[:6] + "000000")[:6]) if fraction else 0
    if len(fraction) > 6 and int(fraction[6]) > 4:
        micro += 1
    carry = micro > 999_999
    zone = None
    if part["tz_sign"]:
        offset = datetime.timedelta(hours=int(part["tz_hour"]), minutes=int(part["tz_minute"] or 0))
        zone = datetime.timezone(-offset if part["tz_sign"] == "-" else offset, name=part["tz"])
    elif part["tz"] == "Z":
        zone = datetime.timezone(datetime.timedelta(0), name="Z")
    when = datetime.datetime(
        int(part["year"]),
        int(part["month"]),
        int(part["day"]),
        int(part["hour"]),
        int(part["minute"]),
        int(part["second"]),
        0 if carry else micro,
        zone,
    )
    if carry:
        when += datetime.timedelta(seconds=1)
    return when.isoformat("T" if part["t"] else " ")


_SCALAR_READERS = {
    _NULL: _read_null,
    _BOOL: _read_bool,
    _INT: _read_int,
    _FLOAT: _read_float,
    _Y + "binary": _read_binary,
    _TIMESTAMP: _read_timestamp,
}


def _convert(path: str, node: object, location: Location, budget: list[int]) -> Expr:
    """A built value as an `Expr`, located by its container; what has no place of its own (merged keys, items of
    a tagged sequence) takes its container's. Aliases are shared, so the budget stops an alias bomb."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    if isinstance(node, _Map):
        entries, keys = {}, {}
        for key, value in node.items():
            where = node.where.get(key)
            key_location = Location(path, where[0] + 1, where[1] + 1) if where else location
            value_location = Location(path, where[2] + 1, where[3] + 1) if where else key_location
            entries[str(key)] = _convert(path, value, value_location, budget)
            keys[str(key)] = key_location
        return Obj(location, "{…}", entries, keys)
    if isinstance(node, _Seq):
        where = node.where
        return Arr(
            location,
            "[…]",
            tuple(
                [
                    _convert(
                        path,
                        item,
                        Location(path, where[index][0] + 1, where[index][1] + 1) if where else location,
                        budget,
                    )
                    for index, item in enumerate(node)
                ]
            ),
        )
    if node is None or isinstance(node, (bool, int, float)):
        return Lit(location, "null" if node is None else str(node), node)
    return Lit(location, str(node), str(node))

"""YAML through ruamel.yaml's round-trip loader, which keeps line and column of every key and item.

The round-trip loader builds only plain maps, lists and scalars (tags are kept, never constructed), so
no YAML file can make pgconnlint create objects or run code. Aliases are shared, not copied, so a
"billion laughs" file is cut off by a node budget while converting.
"""

from __future__ import annotations

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


def _convert(path: str, node: object, location: Location, budget: list[int]) -> Expr:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    if isinstance(node, dict):
        entries, keys = {}, {}
        for key, value in node.items():
            key_location = _position(node, "key", key, location)
            value_location = _position(node, "value", key, key_location)
            entries[str(key)] = _convert(path, value, value_location, budget)
            keys[str(key)] = key_location
        return Obj(location, "{…}", entries, keys)
    if isinstance(node, list):
        items = []
        for index, item in enumerate(node):
            items.append(_convert(path, item, _position(node, "item", index, location), budget))
        return Arr(location, "[…]", tuple(items))
    value = _scalar(node)
    return Lit(location, str(node) if node is not None else "null", value)


def _position(container: object, kind: str, key: object, fallback: Location) -> Location:
    """ruamel's 0-based (line, column) of a key, value or item; tagged nodes may have none."""
    try:
        line, column = getattr(container.lc, kind)(key)
    except (AttributeError, KeyError, TypeError, IndexError):
        return fallback
    return Location(fallback.path, line + 1, column + 1)


def _scalar(node: object) -> object:
    # ruamel's ScalarInt/ScalarFloat subclass int/float; bool is checked first because it is an int too.
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)

"""Python through libcst, turned into `Expr` values with locations; nothing is imported or run.

Keeps literals, environment lookups (`os.environ.get("X", "10")`, `os.getenv`, `os.environ["X"]`),
conversions (`int`, `float`, `bool`, `str`), `or`/`and`, conditional expressions, arithmetic on numbers,
the CPU count (`os.cpu_count()`, `multiprocessing.cpu_count()`), module-level constants and class
attributes (`Settings.POOL_SIZE`, `settings.pool_size` for `settings = Settings()`); the rest is `Opaque`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pgconnlint.collector import gc_paused
from pgconnlint.expr import (
    CPU_COUNT_VARIABLE,
    UNDEFINED,
    Arith,
    Arr,
    Call,
    Compare,
    Cond,
    EnvVar,
    Expr,
    Lit,
    Logical,
    Not,
    Obj,
    Opaque,
)
from pgconnlint.model import Location, ParseProblem

if TYPE_CHECKING:
    import libcst as cst

_CPU_CALLS = {"os.cpu_count", "multiprocessing.cpu_count", "cpu_count", "psutil.cpu_count"}
_ENV_GETTERS = {"os.environ.get", "os.getenv", "environ.get", "getenv", "env.get"}
_CONVERSIONS = {"int": "int", "float": "float", "bool": "Boolean", "str": "String"}
_CONVERSIONS |= {name: name.rpartition(".")[2] for name in ("floor", "ceil", "math.floor", "math.ceil")}
_MIN_MAX = {"min": "min", "max": "max", "builtins.min": "min", "builtins.max": "max"}
_ENVIRON_CALLS = {"env", "environ.Env"}  #: django-environ's `env = environ.Env()` called: `env("X", default=…)`
_ENVIRON_GETTERS = {"int": "int", "float": "float", "str": "str"}  #: `env.int("X", default=60)`
_MAX_DEPTH = 16


@dataclass
class PySource:
    """One Python file parsed by libcst, with what the extractors look up in it."""

    path: str
    module: cst.Module
    positions: dict
    imports: dict[str, str] = field(default_factory=dict)  #: local name -> qualified name
    constants: dict[str, cst.BaseExpression] = field(default_factory=dict)  #: NAME or Class.NAME -> value
    instances: dict[str, str] = field(default_factory=dict)  #: `settings = Settings()`: settings -> Settings
    settings_classes: set[str] = field(default_factory=set)  #: pydantic BaseSettings: fields read the environment
    properties: set[str] = field(default_factory=set)  #: Class.NAME of a property that returns a constant
    _nodes: dict[tuple, list] = field(default_factory=dict, repr=False)  #: `nodes` by kinds, once per file
    _by_type: dict[type, list] = field(default_factory=dict, repr=False)  #: (node, index) by the node's own type

    @classmethod
    def parse(cls, path: str, text: str) -> PySource | ParseProblem:
        import libcst as cst
        from libcst.metadata import MetadataWrapper, PositionProvider

        with gc_paused():  # a tree of many objects, none in a cycle: the collector would traverse them again and again
            try:
                module = cst.parse_module(text)
            except cst.ParserSyntaxError as error:
                return ParseProblem(
                    Location(path, error.raw_line, error.raw_column + 1), f"Python syntax error: {error.message}"
                )
            wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
            # The provider alone: `wrapper.resolve` also runs an empty batch of visitors, one more walk (issue 19)
            source = cls(path, wrapper.module, PositionProvider()._gen(wrapper))
        source._index()
        return source

    def nodes(self, kinds: tuple[type, ...]) -> list:
        """Every node of these types in the order a visitor meets them (by position, the enclosing node first),
        from the positions already computed: libcst's `visit` rebuilds the whole tree on each walk (issue 19)."""
        if kinds not in self._nodes:
            if not self._by_type:  # one pass: `isinstance` against libcst's abstract bases, per node, was the cost
                for index, node in enumerate(self.positions):
                    self._by_type.setdefault(type(node), []).append((node, index))
            # positions are recorded in codegen order, a node after its children: the later of equal spans encloses
            found = [pair for kind, pairs in self._by_type.items() if issubclass(kind, kinds) for pair in pairs]
            ordered = sorted(found, key=lambda pair: _preorder(self.positions[pair[0]], pair[1]))
            self._nodes[kinds] = [node for node, _ in ordered]
        return self._nodes[kinds]

    def location(self, node: cst.CSTNode) -> Location:
        span = self.positions[node]
        return Location(self.path, span.start.line, span.start.column + 1, span.end.line, span.end.column + 1)

    def text(self, node: cst.CSTNode, limit: int = 80) -> str:
        text = " ".join(self.module.code_for_node(node).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def qualified(self, node: cst.BaseExpression) -> str:
        """`sa.create_engine` → `sqlalchemy.create_engine`, through the module's imports."""
        import libcst as cst

        if isinstance(node, cst.Name):
            return self.imports.get(node.value, node.value)
        if isinstance(node, cst.Attribute):
            return f"{self.qualified(node.value)}.{node.attr.value}"
        return self.text(node)

    # --- values -----------------------------------------------------------------------------------

    def expr(self, node: cst.BaseExpression | None, depth: int = 0) -> Expr:
        import libcst as cst

        if node is None:
            return Lit(Location(self.path, 1), "", UNDEFINED)
        location, text = self.location(node), self.text(node)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = node.evaluated_value
            return Lit(location, text, value) if isinstance(value, str) else Opaque(location, text)
        if isinstance(node, cst.Integer):
            return Lit(location, text, int(node.value.replace("_", ""), 0))
        if isinstance(node, cst.Float):
            return Lit(location, text, float(node.value.replace("_", "")))
        if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
            return Lit(location, text, {"True": True, "False": False, "None": None}[node.value])
        if isinstance(node, cst.Dict):
            return self._dict(node, depth)
        if isinstance(node, (cst.List, cst.Tuple)):
            return Arr(location, text, tuple(self.expr(e.value, depth) for e in node.elements))
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self.expr(node.expression, depth)
            if isinstance(inner, Lit) and isinstance(inner.value, (int, float)):
                return Lit(location, text, -inner.value)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return Not(location, text, self.expr(node.expression, depth))
        if isinstance(node, cst.BooleanOperation):
            op = "||" if isinstance(node.operator, cst.Or) else "&&"
            return Logical(location, text, op, self.expr(node.left, depth), self.expr(node.right, depth))
        if isinstance(node, cst.IfExp):
            parts = (self.expr(node.test, depth), self.expr(node.body, depth), self.expr(node.orelse, depth))
            return Cond(location, text, *parts)
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            target = node.comparisons[0]
            op = {
                cst.Equal: "===",
                cst.NotEqual: "!==",
                cst.Is: "===",  # `is None`, `is True`: the same as equality for the literals configs compare with
                cst.IsNot: "!==",
                cst.In: "in",
                cst.NotIn: "not in",
            }.get(type(target.operator))
            if op:
                return Compare(location, text, op, self.expr(node.left, depth), self.expr(target.comparator, depth))
        if isinstance(node, cst.BinaryOperation):
            op = {cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.FloorDivide: "//", cst.Divide: "/"}.get(
                type(node.operator)
            )
            if op:
                return Arith(location, text, op, self.expr(node.left, depth), self.expr(node.right, depth))
        if isinstance(node, cst.Subscript):
            name = self._environ_subscript(node)
            if name:
                return EnvVar(location, text, name)
        if isinstance(node, cst.Call):
            return self._call(node, depth, location, text)
        if isinstance(node, cst.Name) and depth < _MAX_DEPTH:
            return self.member(node.value, None, location, text, depth)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and depth < _MAX_DEPTH:
            return self.member(node.value.value, node.attr.value, location, text, depth)
        return Opaque(location, text)

    def member(self, name: str, attribute: str | None, location: Location, text: str, depth: int = 0) -> Expr:
        """A module-level constant `NAME`, or `NAME.attribute` of a class or of an instance `NAME = Settings()`:
        its value; a pydantic-settings field reads the environment variable of its name first. Also for a name
        another module imports from this one (extract/imported_values.py)."""
        owner = self.instances.get(name, name)
        value = self.constants.get(f"{owner}.{attribute}" if attribute else name)
        if value is None:
            return Opaque(location, text)
        default = self.expr(value, depth + 1)
        settings_field = owner in self.settings_classes and f"{owner}.{attribute}" not in self.properties
        if attribute and settings_field:  # pydantic-settings: the variable of that name wins
            return Logical(location, text, "??", EnvVar(location, attribute.upper(), attribute.upper()), default)
        return default

    def _dict(self, node: cst.Dict, depth: int) -> Obj:
        import libcst as cst

        entries, keys, opaque = {}, {}, []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = self.expr(element.key, depth)
                if isinstance(key, Lit) and isinstance(key.value, str):
                    entries[key.value] = self.expr(element.value, depth)
                    keys[key.value] = self.location(element.key)
                    continue
            opaque.append(self.text(element))
        return Obj(self.location(node), self.text(node), entries, keys, tuple(opaque))

    def _call(self, node: cst.Call, depth: int, location: Location, text: str) -> Expr:
        name = self.qualified(node.func)
        args = [a for a in node.args if a.keyword is None and not a.star]
        if name in _CPU_CALLS:
            return EnvVar(location, text, CPU_COUNT_VARIABLE)
        if name in _ENV_GETTERS and args:
            variable = self.expr(args[0].value, depth)
            if isinstance(variable, Lit) and isinstance(variable.value, str):
                lookup = EnvVar(location, text, variable.value)
                default = args[1].value if len(args) > 1 else None
                return Logical(location, text, "??", lookup, self.expr(default, depth)) if default else lookup
        environ = _ENVIRON_GETTERS.get(name.rsplit(".", 1)[-1] if "." in name else "")
        if (name in _ENVIRON_CALLS or (environ and name.rsplit(".", 1)[0].endswith("env"))) and args:
            return self._environ_lookup(node, args, environ or "str", depth, location, text)
        if name in _CONVERSIONS and len(args) == 1:
            return Call(location, text, _CONVERSIONS[name], self.expr(args[0].value, depth))
        if name in _MIN_MAX and len(args) == 2 and len(node.args) == 2:
            left, right = (self.expr(a.value, depth) for a in args)
            return Arith(location, text, _MIN_MAX[name], left, right)
        return Opaque(location, text)

    def _environ_lookup(self, node, args, kind: str, depth: int, location: Location, text: str) -> Expr:
        """django-environ: `env("X", default="a")`, `env.int("X", default=60)`, `env.str(…)`, `env.float(…)`."""
        variable = self.expr(args[0].value, depth)
        if not (isinstance(variable, Lit) and isinstance(variable.value, str)):
            return Opaque(location, text)
        lookup: Expr = EnvVar(location, text, variable.value)
        default = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "default"), None)
        if default is None and len(args) > 1:
            default = args[1].value
        if default is not None:
            lookup = Logical(location, text, "??", lookup, self.expr(default, depth))
        return Call(location, text, kind, lookup) if kind in ("int", "float") else lookup

    def _environ_subscript(self, node: cst.Subscript) -> str | None:
        import libcst as cst

        if self.qualified(node.value) not in ("os.environ", "environ") or len(node.slice) != 1:
            return None
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            value = index.value.evaluated_value
            return value if isinstance(value, str) else None
        return None

    # --- module index -------------------------------------------------------------------------------

    def _index(self) -> None:
        import libcst as cst

        for statement in self.module.body:
            if isinstance(statement, cst.ClassDef):
                self._index_class(statement)
                continue
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    self._index_import(small)
                for target, value in _assignments(small):
                    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and not value.args:
                        self.instances[target] = value.func.value  # settings = Settings()
                    self.constants.setdefault(target, value)

    def _index_class(self, node: cst.ClassDef) -> None:
        import libcst as cst

        if any(self.qualified(base.value).endswith("BaseSettings") for base in node.bases):
            self.settings_classes.add(node.name.value)
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    for target, value in _assignments(small):
                        self.constants.setdefault(f"{node.name.value}.{target}", value)
            returned = _property_constant(statement)
            if returned is not None:  # not a field: no environment variable is read for it
                self.constants.setdefault(f"{node.name.value}.{statement.name.value}", returned)
                self.properties.add(f"{node.name.value}.{statement.name.value}")

    def _index_import(self, node) -> None:
        import libcst as cst

        if isinstance(node, cst.Import):
            for alias in node.names:
                full = self.text(alias.name)
                local = alias.asname.name.value if alias.asname else full.split(".")[0]
                self.imports[local] = full if alias.asname else local
        elif isinstance(node.names, (list, tuple)) and node.module is not None:
            module = self.text(node.module)
            for alias in node.names:
                name = self.text(alias.name)
                local = alias.asname.name.value if alias.asname else name
                self.imports[local] = f"{module}.{name}"


def _property_constant(statement):
    """`@property def POOL_SIZE(self) -> int: return 5`: the returned expression, when the body is that one
    `return` and it does not read `self` (a value computed from other fields stays unknown)."""
    import libcst as cst

    if not isinstance(statement, cst.FunctionDef) or not isinstance(statement.body, cst.IndentedBlock):
        return None
    names = {d.decorator.value if isinstance(d.decorator, cst.Name) else "" for d in statement.decorators}
    if not names & {"property", "cached_property"} or len(statement.body.body) != 1:
        return None
    line = statement.body.body[0]
    small = line.body[0] if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 else None
    if not isinstance(small, cst.Return) or small.value is None:
        return None
    reads_self = any(isinstance(n, cst.Name) and n.value == "self" for n in _walk(small.value))
    return None if reads_self else small.value


def _walk(node) -> list:
    return [node, *(item for child in node.children for item in _walk(child))]


def _assignments(small) -> list[tuple[str, object]]:
    """`NAME = value` and `NAME: type = value` (a pydantic field's default) at the statement's level."""
    import libcst as cst

    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return [(small.targets[0].target.value, small.value)]
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
        return [(small.target.value, small.value)]
    return []


def _preorder(span, index: int) -> tuple:
    return (span.start.line, span.start.column, -span.end.line, -span.end.column, -index)

"""JavaScript, TypeScript and JSON through tree-sitter, turned into `Expr` values with locations.

Nothing here runs or imports the code it reads: it walks a syntax tree and keeps what is a literal,
an environment lookup or a conversion the evaluator knows; everything else becomes `Opaque`.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pgconnlint.expr import (
    CPU_COUNT_VARIABLE,
    UNDEFINED,
    Applied,
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
    UrlParam,
)
from pgconnlint.model import Location, ParseProblem

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

#: `os.cpus().length`, `cpus().length`, `require("os").cpus().length`, `os.availableParallelism()`
_CPU_COUNT = re.compile(
    r"""(?:(?:[\w$]+|require\(['"](?:node:)?os['"]\))\.)?(?:cpus\(\)\.length|availableParallelism\(\))"""
)


def _is_text(expr: Expr | None) -> bool:
    """A string literal or a template: `+` on it joins text."""
    return (isinstance(expr, Lit) and isinstance(expr.value, str)) or (
        isinstance(expr, Opaque) and expr.text.startswith(("`", '"', "'"))
    )


_CONVERSIONS = {"parseInt", "parseFloat", "Number", "Boolean", "String"}
_STRING_METHODS = {"toLowerCase", "toUpperCase", "trim"}
_TRANSPARENT = {
    "expression_statement",
    "parenthesized_expression",
    "as_expression",
    "satisfies_expression",
    "non_null_expression",
}
_MAX_IDENTIFIER_DEPTH = 16  # `const a = b; const b = a;` must end


@functools.cache
def _parser(dialect: str):
    # NOTE: imported lazily: a pre-commit run that finds no JS config never pays for the grammars.
    import tree_sitter

    if dialect == "json":
        import tree_sitter_json as grammar

        language = grammar.language()
    elif dialect in ("typescript", "tsx"):
        import tree_sitter_typescript as grammar

        language = grammar.language_typescript() if dialect == "typescript" else grammar.language_tsx()
    else:
        import tree_sitter_javascript as grammar

        language = grammar.language()
    return tree_sitter.Parser(tree_sitter.Language(language))


def dialect_for(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1].lower()
    return {"ts": "typescript", "mts": "typescript", "cts": "typescript", "tsx": "tsx", "json": "json"}.get(
        suffix, "javascript"
    )


@dataclass
class SourceFile:
    """A parsed file: the tree, and the conversions from tree-sitter's 0-based byte points to `Location`."""

    path: str
    source: bytes
    tree: Tree
    prefix_bytes: int = 0  #: bytes added in front of the first line before parsing
    _line_starts: list[int] = field(default_factory=list)
    _constants: dict[str, Node] | None = None
    scope: dict[str, Expr] = field(default_factory=dict)  #: local bindings, innermost function first

    @classmethod
    def parse(cls, path: str, text: str, dialect: str | None = None, wrap_in_parentheses: bool = False) -> SourceFile:
        source = text.encode("utf-8", "surrogatepass")
        if wrap_in_parentheses:  # an object literal at statement level would parse as a block
            source = b"(" + source + b"\n)"
        tree = _parser(dialect or dialect_for(path)).parse(source)
        return cls(path, source, tree, prefix_bytes=1 if wrap_in_parentheses else 0)

    # --- coordinates ------------------------------------------------------------------------------

    def location(self, node: Node) -> Location:
        line, column = self._position(node.start_point)
        end_line, end_column = self._position(node.end_point)
        return Location(self.path, line, column, end_line, end_column)

    def _position(self, point: tuple[int, int]) -> tuple[int, int]:
        row, byte_column = point
        if not self._line_starts:
            self._line_starts = [0] + [m.end() for m in re.finditer(rb"\n", self.source)]
        start = self._line_starts[row] if row < len(self._line_starts) else len(self.source)
        if row == 0:
            start, byte_column = self.prefix_bytes, max(0, byte_column - self.prefix_bytes)
        prefix = self.source[start : start + byte_column].decode("utf-8", "replace")
        return row + 1, len(prefix) + 1

    def text(self, node: Node, limit: int = 80) -> str:
        text = " ".join(self.source[node.start_byte : node.end_byte].decode("utf-8", "replace").split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    # --- syntax errors ----------------------------------------------------------------------------

    def problems(self) -> list[ParseProblem]:
        """The first syntax error, if any: one finding per file is enough to act on."""
        if not self.tree.root_node.has_error:
            return []
        node = _first_error(self.tree.root_node)
        what = f"missing {node.type}" if node.is_missing else f"unexpected `{self.text(node, 30)}`"
        return [ParseProblem(self.location(node), f"syntax error: {what}")]

    # --- walking ----------------------------------------------------------------------------------

    def walk(self, types: set[str]) -> Iterator[Node]:
        """Every node of the given types, in source order, without recursion (deep trees are untrusted)."""
        cursor = self.tree.walk()
        while True:
            if cursor.node.type in types:
                yield cursor.node
            if cursor.goto_first_child():
                continue
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return

    def constant(self, name: str) -> Node | None:
        """The initialiser of a top-level `const|let|var name = …` (exported or not)."""
        if self._constants is None:
            self._constants = {}
            for target, value in declarations(self.tree.root_node.named_children):
                if target.type == "identifier":
                    self._constants.setdefault(self.raw(target), value)
        return self._constants.get(name)

    def module_export(self) -> Expr | None:
        """The value of `module.exports = …`, `export default …` or TypeScript's `export = …`."""
        for statement in self.tree.root_node.named_children:
            if statement.type == "export_statement":
                value = statement.child_by_field_name("value")
                if value is None and statement.named_children and self.raw(statement).startswith("export ="):
                    value = statement.named_children[-1]
                if value is not None:
                    return self.expr(value)
            if statement.type == "expression_statement" and statement.named_children:
                assignment = statement.named_children[0]
                left = assignment.child_by_field_name("left") if assignment.type == "assignment_expression" else None
                if left is not None and " ".join(self.raw(left).split()) == "module.exports":
                    return self.expr(assignment.child_by_field_name("right"))
        return None

    def document_value(self) -> Expr | None:
        """The single value of a JSON document (or of a parenthesised JS literal)."""
        values = [child for child in self.tree.root_node.named_children if child.type != "comment"]
        return self.expr(values[0]) if values else None

    def raw(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # --- values -----------------------------------------------------------------------------------

    def expr(self, node: Node | None, depth: int = 0) -> Expr:
        """The symbolic value of an expression node."""
        if node is None:
            return Lit(Location(self.path, 1), "", UNDEFINED)
        while node.type in _TRANSPARENT and node.named_child_count:
            node = node.named_children[0]
        location, text = self.location(node), self.text(node)
        kind = node.type
        if kind in ("string", "string_content"):
            return Lit(location, text, self.string(node))
        if kind == "number":
            return Lit(location, text, _number(self.raw(node)))
        if kind in ("true", "false"):
            return Lit(location, text, kind == "true")
        if kind == "null":
            return Lit(location, text, None)
        if kind == "undefined" or (kind == "identifier" and self.raw(node) == "undefined"):
            return Lit(location, text, UNDEFINED)
        global_number = kind == "identifier" and self.raw(node) in ("NaN", "Infinity")
        if global_number and self.constant(self.raw(node)) is None:  # the globals, unless shadowed at the top
            return Lit(location, text, float(self.raw(node).lower().replace("infinity", "inf")))
        if kind == "template_string" and all(c.type != "template_substitution" for c in node.named_children):
            return Lit(location, text, self.raw(node)[1:-1])
        if kind == "identifier":
            return self._identifier(node, depth, location, text)
        if kind == "object":
            return self._object(node, depth)
        if kind == "array":
            items = tuple(self.expr(child, depth) for child in node.named_children if child.type != "comment")
            return Arr(location, text, items)
        if kind in ("member_expression", "subscript_expression", "call_expression") and _CPU_COUNT.fullmatch(
            "".join(self.raw(node).split())
        ):
            return EnvVar(location, text, CPU_COUNT_VARIABLE)  # bound by the linker to the CPU count checked with
        if kind in ("member_expression", "subscript_expression"):
            name = _env_name(self, node)
            if name:
                return EnvVar(location, text, name)
        if kind == "member_expression" and depth < _MAX_IDENTIFIER_DEPTH:
            member = self._member(node, depth)
            if member is not None:
                return member
        if kind == "new_expression" and self.raw(node.child_by_field_name("constructor") or node) == "URL":
            arguments = node.child_by_field_name("arguments")
            first = [a for a in arguments.named_children if a.type != "comment"][:1] if arguments else []
            if first:  # `new URL(databaseUrl)`: the URL object stands for its text
                return self.expr(first[0], depth + 1)
        if kind == "binary_expression":
            return self._binary(node, depth, location, text)
        if kind == "unary_expression":
            return self._unary(node, depth, location, text)
        if kind == "ternary_expression":
            parts = [self.expr(node.child_by_field_name(f), depth) for f in ("condition", "consequence", "alternative")]
            return Cond(location, text, *parts)
        if kind == "call_expression":
            return self._call(node, depth, location, text)
        return Opaque(location, text)

    def string(self, node: Node) -> str:
        raw = self.raw(node)
        if node.type == "string_content":
            return raw
        body = raw[1:-1]
        if "\\" not in body:
            return body
        return codecs.decode(body.encode("latin-1", "backslashreplace"), "unicode_escape")

    def _identifier(self, node: Node, depth: int, location: Location, text: str) -> Expr:
        if self.raw(node) in self.scope:  # a local of the function pgconnlint/extract/jsfunction.py reads
            return self.scope[self.raw(node)]
        if depth >= _MAX_IDENTIFIER_DEPTH:
            return Opaque(location, text)
        value = self._local_const(node) or self.constant(self.raw(node))
        if value is None:
            return Opaque(location, text)
        return self.expr(value, depth + 1)

    def _local_const(self, node: Node) -> Node | None:
        """The initialiser of a `const` of an enclosing block declared before `node` (`const parsed = …;` in a
        constructor, then `new Pool({ max: parsed.limit })`): the nearest block first."""
        name, child, block = self.raw(node), node, node.parent
        while block is not None and block.type != "program":
            if block.type == "statement_block":
                before = [s for s in block.named_children if s.end_byte <= child.start_byte]
                consts = [s for s in before if s.type == "lexical_declaration" and self.raw(s).startswith("const")]
                found = [value for target, value in declarations(consts) if self.raw(target) == name]
                if found:
                    return found[-1]
            child, block = block, block.parent
        return None

    def _member(self, node: Node, depth: int) -> Expr | None:
        """`parsed.limit` where `parsed` is an object pgconnlint reads (a literal, what a function returns): the
        entry, or undefined when the object has no such key and nothing is spread into it."""
        target, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if target is None or prop is None or target.type not in ("identifier", "member_expression"):
            return None
        value = self.expr(target, depth + 1)
        if not isinstance(value, Obj):
            return None
        key = self.raw(prop)
        if key in value.entries:
            return value.entries[key]
        if value.opaque_spreads:
            return None
        return Lit(self.location(node), self.text(node), UNDEFINED)

    def _object(self, node: Node, depth: int) -> Obj:
        entries: dict[str, Expr] = {}
        key_locations: dict[str, Location] = {}
        opaque: list[str] = []
        for child in node.named_children:
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                key = self._key(key_node)
                if key is None:
                    opaque.append(self.text(child))
                    continue
                entries[key] = self.expr(child.child_by_field_name("value"), depth)
                key_locations[key] = self.location(key_node)
            elif child.type == "shorthand_property_identifier":
                key = self.raw(child)
                entries[key] = self._identifier(child, depth, self.location(child), key)
                key_locations[key] = self.location(child)
            elif child.type == "spread_element":
                spread = self.expr(child.named_children[0], depth) if child.named_children else None
                if isinstance(spread, Obj):
                    entries.update(spread.entries)
                    key_locations.update(spread.key_locations)
                    opaque.extend(spread.opaque_spreads)
                else:
                    opaque.append(self.text(child))
        return Obj(self.location(node), self.text(node), entries, key_locations, tuple(opaque))

    def _key(self, node: Node | None) -> str | None:
        if node is None:
            return None
        if node.type in ("property_identifier", "identifier"):
            return self.raw(node)
        if node.type == "string":
            return self.string(node)
        if node.type == "number":
            return self.raw(node)
        return None  # computed keys

    def _binary(self, node: Node, depth: int, location: Location, text: str) -> Expr:
        operator = node.child_by_field_name("operator")
        op = self.raw(operator) if operator is not None else ""
        left = self.expr(node.child_by_field_name("left"), depth)
        right = self.expr(node.child_by_field_name("right"), depth)
        if op in ("||", "&&", "??"):
            return Logical(location, text, op, left, right)
        if op in ("===", "!==", "==", "!="):
            return Compare(location, text, op, left, right)
        if op in ("*", "-"):  # worker counts: `2 * CLUSTER_SIZE`, `cpus().length - 1`
            return Arith(location, text, op, left, right)
        if op == "+" and not (_is_text(left) or _is_text(right)):  # `2 * cpus + 1`; `"postgres://" + host` joins text
            return Arith(location, text, op, left, right)
        return Opaque(location, text)

    def _unary(self, node: Node, depth: int, location: Location, text: str) -> Expr:
        operator = node.child_by_field_name("operator")
        op = self.raw(operator) if operator is not None else ""
        operand = self.expr(node.child_by_field_name("argument"), depth)
        if op == "!":
            return Not(location, text, operand)
        if op == "+":
            return Call(location, text, "Number", operand)
        if op == "-" and isinstance(operand, Lit) and isinstance(operand.value, (int, float)):
            return Lit(location, text, -operand.value)
        return Opaque(location, text)

    def _call(self, node: Node, depth: int, location: Location, text: str) -> Expr:
        function = node.child_by_field_name("function")
        arguments = [a for a in node.child_by_field_name("arguments").named_children if a.type != "comment"]
        name = self.raw(function) if function is not None else ""
        name = name.removeprefix("Number.") if name in ("Number.parseInt", "Number.parseFloat") else name
        if name in _CONVERSIONS and arguments:
            return Call(location, text, name, self.expr(arguments[0], depth))
        if name in ("Math.max", "Math.min") and len(arguments) == 2:  # `Math.max(2 * cpus + 1, 2)`
            left, right = (self.expr(argument, depth) for argument in arguments)
            return Arith(location, text, name.removeprefix("Math."), left, right)
        method = function.child_by_field_name("property") if function is not None else None
        if method is not None and self.raw(method) in _STRING_METHODS and not arguments:  # `driver.toLowerCase()`
            return Call(location, text, self.raw(method), self.expr(function.child_by_field_name("object"), depth))
        chained = self._env_var_chain(node, depth, location, text)
        if chained is not None:
            return chained
        variable = _config_get(self, function, arguments)
        if variable:
            lookup = EnvVar(location, text, variable)
            if len(arguments) > 1:  # ConfigService.get(key, defaultValue): the default when undefined
                return Logical(location, text, "??", lookup, self.expr(arguments[1], depth))
            return lookup
        returned = self._returned(name) if not arguments and depth < _MAX_IDENTIFIER_DEPTH else None
        if returned is not None:  # `postgres(url, buildOptions())`: the object the function of this file returns
            return self.expr(returned, depth + 1)
        parameter = _url_parameter(self, function, arguments)
        if parameter is not None:  # `url.searchParams.get("connection_limit")`
            url = function.child_by_field_name("object").child_by_field_name("object")
            return UrlParam(location, text, self.expr(url, depth + 1), parameter)
        method = self._method_value(function, node, depth) if depth < _MAX_IDENTIFIER_DEPTH else None
        if method is not None:
            return method
        if function is not None and function.type == "identifier" and len(arguments) == 1:
            return Applied(location, text, name, self.expr(arguments[0], depth + 1))
        return Opaque(location, text)

    def _method_value(self, function: Node | None, call: Node, depth: int) -> Expr | None:
        """`Service.parseUrl(url)` or `this.parseUrl(url)`: what a method of a class of this file returns, read by
        pgconnlint/extract/jsfunction.py with its parameters bound to the arguments."""
        if function is None or function.type != "member_expression":
            return None
        target, prop = function.child_by_field_name("object"), function.child_by_field_name("property")
        if target is None or prop is None or target.type not in ("identifier", "this"):
            return None
        method = self._class_method(target, self.raw(prop))
        if method is None:
            return None
        from pgconnlint.extract import jsfunction

        arguments = call.child_by_field_name("arguments")
        values = [self.expr(a, depth + 1) for a in arguments.named_children if a.type != "comment"] if arguments else []
        names = jsfunction.parameters(self, method)
        return jsfunction.merged(jsfunction.returned(self, method, dict(zip(names, values, strict=False)), depth + 1))

    def _class_method(self, target: Node, name: str) -> Node | None:
        """The method `name` of the class `target` names (or of the class around `this`)."""
        classes = ("class_declaration", "class", "abstract_class_declaration")
        owner = target
        if target.type == "this":
            while owner is not None and owner.type not in classes:
                owner = owner.parent
        else:
            owner = next(
                (
                    n
                    for n in self.walk(set(classes))
                    if self.raw(n.child_by_field_name("name") or n) == self.raw(target)
                ),
                None,
            )
        body = owner.child_by_field_name("body") if owner is not None else None
        for member in body.named_children if body is not None else ():
            found = member.child_by_field_name("name") if member.type == "method_definition" else None
            if found is not None and self.raw(found) == name:
                return member
        return None

    def _returned(self, name: str) -> Node | None:
        """What a top-level function of this file (`function f() {…}`, `const f = () => …`) returns, when it has one
        `return` at the end of its body: the value, or the local `const` it names (later property assignments,
        `options.ssl = …`, are not followed)."""
        function = self._function(name)
        body = function.child_by_field_name("body") if function is not None else None
        if body is None:
            return None
        if body.type != "statement_block":
            return body  # `() => ({ … })`
        statements = [child for child in body.named_children if child.type != "comment"]
        if not statements or statements[-1].type != "return_statement" or not statements[-1].named_children:
            return None
        if any(child.type == "return_statement" for child in _descendants(body, skip=statements[-1])):
            return None  # an early return: which object comes back depends on the run
        value = statements[-1].named_children[0]
        if value.type != "identifier":
            return value
        for statement in statements:
            for declarator in statement.named_children if statement.type == "lexical_declaration" else ():
                target = declarator.child_by_field_name("name")
                if target is not None and self.raw(target) == self.raw(value):
                    return declarator.child_by_field_name("value")
        return None

    def _function(self, name: str) -> Node | None:
        for statement in self.tree.root_node.named_children:
            declaration = (
                statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
            )
            if declaration is not None and declaration.type == "function_declaration":
                found = declaration.child_by_field_name("name")
                if found is not None and self.raw(found) == name:
                    return declaration
        value = self.constant(name)
        return value if value is not None and value.type in ("arrow_function", "function_expression") else None

    def _env_var_chain(self, node: Node, depth: int, location: Location, text: str) -> Expr | None:
        """The env-var library's `env.get("X").default("5").asInt()` (also `.required()`, `.asIntPositive()`, …):
        the variable, else the default (env-var 7 lib/variable.js: the default applies when the value is unset),
        converted as the accessor says; an accessor it does not convert stays a string."""
        links: list[tuple[str, list[Node]]] = []
        current: Node | None = node
        while current is not None and current.type == "call_expression":
            function = current.child_by_field_name("function")
            arguments_node = current.child_by_field_name("arguments")
            if function is None or function.type != "member_expression" or arguments_node is None:
                break
            arguments = [a for a in arguments_node.named_children if a.type != "comment"]
            links.append((self.raw(function.child_by_field_name("property")), arguments))
            current = function.child_by_field_name("object")
        if len(links) < 2 or links[-1][0] != "get" or current is None or current.type != "identifier":
            return None
        first = links[-1][1]
        if self.raw(current) not in ("env", "envVar", "environment") or not first or first[0].type != "string":
            return None
        value: Expr = EnvVar(location, text, self.string(first[0]))
        for method, arguments in reversed(links[:-1]):
            if method == "default" and arguments:
                value = Logical(location, text, "??", value, self.expr(arguments[0], depth))
            elif method in _ENV_VAR_NUMBERS:
                value = Call(location, text, "Number", value)
            elif method in ("asBool", "asBoolStrict"):
                value = Call(location, text, "Boolean", value)
            elif method not in ("required", "asString", "example", "description"):
                return Opaque(location, text)
        return value


_ENV_VAR_NUMBERS = ("asInt", "asIntPositive", "asIntNegative", "asFloat", "asFloatPositive", "asPortNumber")


def _descendants(node: Node, skip: Node) -> Iterator[Node]:
    """Every node below `node` except `skip` and the bodies of nested functions (their returns are their own)."""
    for child in node.named_children:
        if child == skip or child.type in ("function_declaration", "function_expression", "arrow_function"):
            continue
        yield child
        yield from _descendants(child, skip)


def _first_error(root: Node) -> Node:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        stack.extend(reversed([child for child in node.children if child.has_error or child.is_missing]))
    return root


def _number(raw: str) -> int | float:
    cleaned = raw.replace("_", "").rstrip("n")
    try:
        return int(cleaned, 0)
    except ValueError:
        try:
            number = float(cleaned)
        except ValueError:
            return float("nan")
        return int(number) if number.is_integer() and "e" not in cleaned.lower() and "." not in cleaned else number


def _env_name(source: SourceFile, node: Node) -> str | None:
    """NAME for `process.env.NAME` and `process.env["NAME"]`."""
    target = node.child_by_field_name("object")
    if target is None or " ".join(source.raw(target).split()) not in ("process.env", "process .env"):
        return None
    if node.type == "member_expression":
        return source.raw(node.child_by_field_name("property"))
    index = node.child_by_field_name("index")
    return source.string(index) if index is not None and index.type == "string" else None


def _url_parameter(source: SourceFile, function: Node | None, arguments: list[Node]) -> str | None:
    """NAME for `<url>.searchParams.get("NAME")` (WHATWG URL)."""
    if function is None or function.type != "member_expression" or len(arguments) != 1:
        return None
    target = function.child_by_field_name("object")
    if source.raw(function.child_by_field_name("property")) != "get" or arguments[0].type != "string":
        return None
    if target is None or target.type != "member_expression":
        return None
    return source.string(arguments[0]) if source.raw(target.child_by_field_name("property")) == "searchParams" else None


def _config_get(source: SourceFile, function: Node | None, arguments: list[Node]) -> str | None:
    """NAME for NestJS `config.get("NAME")`, `configService.getOrThrow<number>("NAME")`: process.env behind a service
    (@nestjs/config 3.2.3 ConfigService.get reads process.env and returns the default only when it is undefined);
    also a typed wrapper named for the environment (`envService.get("NAME")`, `this.env.get("NAME")`)."""
    if function is None or function.type != "member_expression" or not arguments or arguments[0].type != "string":
        return None
    method = source.raw(function.child_by_field_name("property"))
    receiver = source.raw(function.child_by_field_name("object")).lower()
    if method not in ("get", "getOrThrow") or not ("config" in receiver or "env" in receiver):
        return None
    return source.string(arguments[0])


def declarations(statements) -> Iterator[tuple[Node, Node]]:
    """(name, initialiser) of each `const|let|var name = …` among `statements`, exported or not, in order."""
    for statement in statements:
        declaration = (
            statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        )
        if declaration is None or declaration.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in declaration.named_children:
            target, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if target is not None and value is not None:
                yield target, value

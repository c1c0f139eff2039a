"""What a JS/TS function returns, as one value: `buildDatabaseConfig(config)` → the options object it builds.

A config factory chooses its options by branches (`if (driver === 'postgres') { return {...} }`, a `switch` on a
variable, a helper that maps `DB_TYPE` to a driver name). Nothing runs: the body is read statement by statement,
locals are bound as they are declared, `if`/`switch` become conditional values (`Cond`) that the linker evaluates in
each process's environment, and calls of the file's own functions are read the same way with their parameters
bound. Objects returned on several branches are merged key by key into one object whose values are conditional, so
that `extra.max` is looked up as in a literal. What is not one of these statements makes the value unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pgconnlint.expr import UNDEFINED, Compare, Cond, Expr, Lit, Logical, Obj, Opaque

if TYPE_CHECKING:
    from tree_sitter import Node

    from pgconnlint.extract.treesitter import SourceFile

_MAX_DEPTH = 4  #: helpers calling helpers: deeper calls are unknown
_MAX_STEPS = 2_000  #: statements read for one call: branches that share their tail re-read it
_steps = [0]  #: statements read since the outermost call (pgconnlint reads one file at a time)
_FUNCTIONS = ("function_declaration", "arrow_function", "function_expression", "function")
_DECLARATIONS = ("lexical_declaration", "variable_declaration")


def functions(source: SourceFile) -> dict[str, Node]:
    """The file's top-level functions by name: `function f() {}`, `const f = () => …` (exported or not)."""
    found: dict[str, Node] = {}
    for statement in source.tree.root_node.named_children:
        node = statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        if node is None:
            continue
        if node.type == "function_declaration" and node.child_by_field_name("name") is not None:
            found.setdefault(source.raw(node.child_by_field_name("name")), node)
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                value = declarator.child_by_field_name("value")
                name = declarator.child_by_field_name("name")
                if name is not None and value is not None and value.type in _FUNCTIONS:
                    found.setdefault(source.raw(name), value)
    return found


def call_value(source: SourceFile, call: Node, depth: int = 0) -> Expr | None:
    """The value a call of one of the file's own functions returns; None when the callee is not one."""
    if depth == 0:
        _steps[0] = 0
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "identifier" or depth > _MAX_DEPTH:
        return None
    function = functions(source).get(source.raw(callee))
    if function is None:
        return None
    arguments_node = call.child_by_field_name("arguments")
    arguments = [a for a in arguments_node.named_children if a.type != "comment"] if arguments_node else []
    names = parameters(source, function)
    bound = {name: source.expr(argument) for name, argument in zip(names, arguments, strict=False)}
    return returned(source, function, bound, depth + 1)


def returned(source: SourceFile, function: Node, bound: dict[str, Expr], depth: int = 0) -> Expr:
    """What `function` returns with its parameters bound to `bound` (unbound ones are unknown)."""
    if depth == 0:
        _steps[0] = 0
    body = function.child_by_field_name("body")
    saved = source.scope
    source.scope = {**saved, **_unbound(source, function), **bound}
    try:
        if body is None:
            return Opaque(source.location(function), source.text(function))
        if body.type != "statement_block":
            return _value(source, body, depth)
        value = _block(source, body.named_children, depth)
        return value if value is not None else Lit(source.location(body), "undefined", UNDEFINED)
    finally:
        source.scope = saved


def scope_at(source: SourceFile, function: Node, bound: dict[str, Expr], target: Node) -> dict[str, Expr]:
    """The locals `function` holds where it reaches `target` (a node of its body), its parameters bound to
    `bound`: the declarations before `target` in each block around it (on the path that reaches it)."""
    saved = source.scope
    source.scope = {**saved, **_unbound(source, function), **bound}
    body = function.child_by_field_name("body")
    blocks, node = [], target
    while node is not None and node != body:
        node = node.parent
        if node is not None and node.type == "statement_block":
            blocks.append(node)
    try:
        for block in reversed(blocks):
            for statement in block.named_children:
                if statement.end_byte <= target.start_byte and statement.type in _DECLARATIONS:
                    _declare(source, statement, 1)
        return source.scope
    finally:
        source.scope = saved


def returned_nodes(function: Node) -> list[Node]:
    """The expressions `function` returns: each `return` of its body (nested functions aside), or an arrow's body."""
    body = function.child_by_field_name("body")
    if body is None:
        return []
    if body.type != "statement_block":
        return [_unwrapped(body)]
    found, stack = [], list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type == "return_statement":
            found += [_unwrapped(c) for c in node.named_children if c.type != "comment"][:1]
        elif node.type not in _FUNCTIONS and node.type not in ("method_definition", "class_declaration", "class"):
            stack.extend(node.named_children)
    return found


def parameters(source: SourceFile, function: Node) -> list[str]:
    return [name for name, _ in _parameters(source, function)]


def _parameters(source: SourceFile, function: Node) -> list[tuple[str, Node | None]]:
    """(name, default value) of each parameter: `(url = process.env.DATABASE_URL)` in TS and JS alike."""
    parameters = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if parameters is None:
        return []
    if parameters.type == "identifier":
        return [(source.raw(parameters), None)]
    found = []
    for parameter in parameters.named_children:
        if parameter.type == "assignment_pattern":  # JS `(url = default)`
            name, default = parameter.child_by_field_name("left"), parameter.child_by_field_name("right")
        elif parameter.type == "identifier":
            name, default = parameter, None
        else:  # TS required_parameter / optional_parameter: `pattern`, then an optional `value`
            name, default = parameter.child_by_field_name("pattern"), parameter.child_by_field_name("value")
        found.append((source.raw(name) if name is not None and name.type == "identifier" else "", default))
    return found


def _unbound(source: SourceFile, function: Node) -> dict[str, Expr]:
    """Parameters no argument binds: their default value when they have one, else unknown."""
    return {
        name: source.expr(default) if default is not None else Opaque(source.location(function), name)
        for name, default in _parameters(source, function)
    }


def _declare(source: SourceFile, statement: Node, depth: int) -> None:
    """Bind the locals `const|let|var name = …` declares in `source.scope`."""
    for declarator in statement.named_children:
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is not None and name.type == "identifier":
            bound = _value(source, value, depth) if value is not None else Opaque(source.location(name), "")
            source.scope[source.raw(name)] = bound


def _unwrapped(node: Node) -> Node:
    while node.type in ("parenthesized_expression", "as_expression", "satisfies_expression") and node.named_children:
        node = node.named_children[0]
    return node


def _value(source: SourceFile, node: Node, depth: int) -> Expr:
    if node.type == "call_expression":
        value = call_value(source, node, depth)
        if value is not None:
            return value
    return source.expr(node)


def _block(source: SourceFile, statements: list[Node], depth: int) -> Expr | None:
    """The value the statements return, or None when they fall through (no return on this path)."""
    for index, statement in enumerate(statements):
        kind = statement.type
        _steps[0] += 1
        if _steps[0] > _MAX_STEPS:
            return Opaque(source.location(statement), "a function too branched to read")
        if kind == "return_statement":
            values = [c for c in statement.named_children if c.type != "comment"]
            return _value(source, values[0], depth) if values else Lit(source.location(statement), "", UNDEFINED)
        if kind in _DECLARATIONS:
            _declare(source, statement, depth)
            continue
        if kind == "if_statement" and not _returns(statement):
            continue  # `if (x) { options.ssl = … }`: assignments are not followed, and the path goes on
        if kind == "if_statement":
            rest = statements[index + 1 :]
            test = source.expr(statement.child_by_field_name("condition"))
            then = _branch(source, statement.child_by_field_name("consequence"), rest, depth)
            alternative = statement.child_by_field_name("alternative")
            otherwise_nodes = [c for c in alternative.named_children] if alternative is not None else []
            otherwise = _branch_nodes(source, otherwise_nodes, rest, depth)
            return _choose(statement, source, test, then, otherwise)
        if kind == "switch_statement":
            return _switch(source, statement, statements[index + 1 :], depth)
        if kind == "try_statement":  # the path without an error: the `try` block, then what follows it
            return _branch(source, statement.child_by_field_name("body"), statements[index + 1 :], depth)
        if kind in ("expression_statement", "comment", "empty_statement"):
            continue
        return Opaque(source.location(statement), source.text(statement))  # loops, try, throw: not followed
    return None


def _returns(node: Node) -> bool:
    """Whether a return statement lies inside `node` (functions declared inside it aside)."""
    stack = list(node.named_children)
    while stack:
        child = stack.pop()
        if child.type == "return_statement":
            return True
        if child.type not in _FUNCTIONS and child.type != "method_definition":
            stack.extend(child.named_children)
    return False


def _branch(source: SourceFile, node: Node | None, rest: list[Node], depth: int) -> Expr | None:
    if node is None:
        return _block(source, rest, depth)
    return _branch_nodes(source, node.named_children if node.type == "statement_block" else [node], rest, depth)


def _branch_nodes(source: SourceFile, nodes: list[Node], rest: list[Node], depth: int) -> Expr | None:
    """A branch, then the statements after the `if` when it does not return. Each branch binds its own locals."""
    saved = dict(source.scope)
    try:
        nodes = [c for n in nodes for c in (n.named_children if n.type in ("statement_block", "else_clause") else [n])]
        value = _block(source, nodes, depth)
        return value if value is not None else _block(source, rest, depth)
    finally:
        source.scope = saved


def _choose(node: Node, source: SourceFile, test: Expr, then: Expr | None, otherwise: Expr | None) -> Expr | None:
    if then is None and otherwise is None:
        return None
    where = source.location(node)
    missing = Lit(where, "undefined", UNDEFINED)
    return Cond(where, source.text(node), test, then or missing, otherwise or missing)


def _switch(source: SourceFile, statement: Node, rest: list[Node], depth: int) -> Expr | None:
    """`switch (x) { case 'a': case 'b': return A; default: return B }`: cases that fall through share a body."""
    subject = source.expr(statement.child_by_field_name("value"))
    body = statement.child_by_field_name("body")
    children = body.named_children if body is not None else []
    cases = [c for c in children if c.type in ("switch_case", "switch_default")]
    fallback: Expr | None = None
    chain: list[tuple[list[Expr], list[Node]]] = []
    labels: list[Expr] = []
    for case in cases:
        statements = [c for c in case.named_children if c != case.child_by_field_name("value")]
        if case.type == "switch_default":
            fallback = _branch_nodes(source, statements, rest, depth)
            continue
        labels.append(source.expr(case.child_by_field_name("value")))
        if statements:
            chain.append((labels, statements))
            labels = []
    result = fallback if fallback is not None else _block(source, rest, depth)
    for case_labels, statements in reversed(chain):
        where = source.location(statement)
        tests = [Compare(where, f"=== {label.text}", "===", subject, label) for label in case_labels]
        test: Expr = tests[0]
        for more in tests[1:]:
            test = Logical(where, source.text(statement), "||", test, more)
        value = _branch_nodes(source, statements, rest, depth)
        result = _choose(statement, source, test, value, result)
    return result


def merged(value: Expr) -> Expr:
    """Objects returned on several branches as one object of conditional values (nested objects alike), so that
    a key is looked up as in a literal: `{type: c ? 'postgres' : 'sqlite', extra: {max: c ? 10 : undefined}}`."""
    if not isinstance(value, Cond):
        return value
    then, otherwise = merged(value.then), merged(value.otherwise)
    if not all(isinstance(side, Obj) or _undefined(side) for side in (then, otherwise)):
        return value
    sides = [side if isinstance(side, Obj) else Obj(side.location, side.text) for side in (then, otherwise)]
    entries: dict[str, Expr] = {}
    locations = {**sides[1].key_locations, **sides[0].key_locations}
    for key in dict.fromkeys([*sides[0].entries, *sides[1].entries]):
        pair = [side.entries.get(key) or Lit(side.location, "undefined", UNDEFINED) for side in sides]
        entries[key] = merged(Cond(value.location, value.text, value.test, pair[0], pair[1]))
    spreads = tuple(dict.fromkeys([*sides[0].opaque_spreads, *sides[1].opaque_spreads]))
    return Obj(value.location, value.text, entries, locations, spreads)


def _undefined(value: Expr) -> bool:
    return isinstance(value, Lit) and value.value is UNDEFINED

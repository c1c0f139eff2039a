"""TypeORM connection options: ormconfig.* files, `new DataSource({...})`, NestJS `TypeOrmModule.forRoot*`.

Facts only: which options object each connection has and where. Whether it is postgres, how large
its pool is and whether it synchronises are decided after linking, once the environment is known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pgconnlint.expr import Arr, Call, EnvVar, Expr, Lit, Logical, Obj
from pgconnlint.extract import jsfunction, yamlsource
from pgconnlint.extract.dotenv import parse_bindings
from pgconnlint.extract.treesitter import SourceFile
from pgconnlint.model import EnvBinding, Location, ParseProblem, TypeOrmConfig

if TYPE_CHECKING:
    from tree_sitter import Node

Result = tuple[list[TypeOrmConfig], list[ParseProblem]]

# TYPEORM_* variables read by TypeORM 0.2's ConnectionOptionsEnvReader (src/connection/options-reader/).
_ENV_OPTIONS = {
    "TYPEORM_CONNECTION": ("type", None),
    "TYPEORM_URL": ("url", None),
    "TYPEORM_HOST": ("host", None),
    "TYPEORM_PORT": ("port", None),
    "TYPEORM_DATABASE": ("database", None),
    "TYPEORM_SYNCHRONIZE": ("synchronize", "toBoolean"),
    "TYPEORM_DROP_SCHEMA": ("dropSchema", "toBoolean"),
    "TYPEORM_MIGRATIONS_RUN": ("migrationsRun", "toBoolean"),
    "TYPEORM_DRIVER_EXTRA": ("extra", "JSON.parse"),
}


def extract_ormconfig(path: str, text: str) -> Result:
    """An ormconfig.<ext> file: one connection, an array of them, or (YAML) a map of named ones."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".env":
        return _from_env_file(path, text), []
    if suffix in (".yml", ".yaml"):
        documents, problems = yamlsource.load(path, text)
        value = documents[0] if documents else None
        if isinstance(value, Obj) and "type" not in value.entries:  # `default: {type: postgres…}`
            value = Arr(value.location, value.text, tuple(value.entries.values()))
    else:
        source = SourceFile.parse(path, text)
        problems = source.problems()
        value = source.document_value() if suffix == ".json" else source.module_export()
    source_name = PurePosixPath(path).name
    return [TypeOrmConfig(obj, source_name, from_ormconfig=True) for obj in _connections(value)], problems


def extract_code(path: str, text: str) -> Result:
    """`new DataSource({...})`, `createConnection({...})`, `TypeOrmModule.forRoot({...})` / `forRootAsync`."""
    source = SourceFile.parse(path, text)
    configs = []
    for node in source.walk({"new_expression", "call_expression"}):
        configs.extend(_config_at(source, node))
    if re.search(r"\btype\s*:", text):
        configs += _factories(source)
    return configs, source.problems() if configs else []


def _factories(source: SourceFile) -> list[TypeOrmConfig]:
    """Top-level functions that return connection options (an object with `type`), for the modules that call them
    from a `useFactory` (pgconnlint/extract/jsfunction.py reads their branches)."""
    found = []
    for name, function in jsfunction.functions(source).items():
        value = jsfunction.merged(jsfunction.returned(source, function, {}))
        if isinstance(value, Obj) and "type" in value.entries:
            found.append(TypeOrmConfig(value, f"{name}(…)", factory=name))
    if _OPTIONS_METHOD.encode() in source.source:  # `class C implements TypeOrmOptionsFactory`, for `useClass: C`
        for name, method in _options_methods(source).items():
            value = jsfunction.merged(jsfunction.returned(source, method, {}))
            found += [TypeOrmConfig(obj, f"{name}(…)", factory=name) for obj in _connections(value)][:1]
    if b"useFactory" in source.source:  # `export const Options = { useFactory: … }`, for `forRootAsync(Options)`
        for name, options in _constant_objects(source).items():
            found += [replace(c, factory=name) for c in _use_factory(source, options, name) if not c.calls]
    return found


def _config_at(source: SourceFile, node: Node) -> list[TypeOrmConfig]:
    callee = node.child_by_field_name("constructor" if node.type == "new_expression" else "function")
    arguments_node = node.child_by_field_name("arguments")
    if callee is None or arguments_node is None:
        return []
    callee_text = source.raw(callee)
    name = callee_text.split(".")[-1].strip()
    arguments = [a for a in arguments_node.named_children if a.type != "comment"]
    label = f"{callee_text}(…)"
    if node.type == "new_expression":
        recognised = name in ("DataSource", "Connection")
    else:
        recognised = name in ("createConnection", "createConnections") or (
            name in ("forRoot", "forRootAsync") and "TypeOrmModule" in callee_text
        )
    if not recognised or not _typeorm_call(source, callee_text, name):
        return []
    if name == "forRootAsync":
        return _async_factory(source, arguments, label)
    if not arguments:  # TypeORM / Nest fall back to ormconfig.* when given no options
        return [TypeOrmConfig(Obj(source.location(node), label), label, reads_ormconfig=True)]
    found = _connections(source.expr(arguments[0]))
    name = _bare_name(source, arguments[0])
    if not found and name is not None and _factory_parameter(source, node, name):
        return []  # the DataSource `forRootAsync` opens with its `useFactory` options, counted there
    if not found and name is not None:
        # `createConnection(ormConfig)`, `TypeOrmModule.forRoot(options)`: an object this module does not hold (an
        # import, read by extract/imported_values.py; a parameter stays unknown), never nothing
        found = [Obj(source.location(arguments[0]), name, {}, {}, (name,))]
    return [TypeOrmConfig(obj, label) for obj in found]


def _bare_name(source: SourceFile, node: Node) -> str | None:
    """`name` for an argument written as a name (`options`, `options as DataSourceOptions`), else None."""
    while node.type in ("as_expression", "satisfies_expression", "parenthesized_expression") and node.named_children:
        node = node.named_children[0]
    return source.raw(node) if node.type == "identifier" else None


_FUNCTIONS = ("arrow_function", "function_expression", "function", "function_declaration", "method_definition")


def _factory_parameter(source: SourceFile, node: Node, name: str) -> bool:
    """Whether `new DataSource(name)` stands in the `dataSourceFactory` of `forRootAsync` options with `name` its
    first parameter: @nestjs/typeorm passes it the options `useFactory` returned, so it opens that one pool."""
    function = node.parent
    while function is not None and function.type not in _FUNCTIONS:
        function = function.parent
    if function is None:
        return False
    if function.type == "method_definition":
        key = function.child_by_field_name("name")
    else:
        pair = function.parent
        key = pair.child_by_field_name("key") if pair is not None and pair.type == "pair" else None
    if key is None or source.raw(key) != "dataSourceFactory":
        return False
    parameter = function.child_by_field_name("parameter")  # `options => …`
    if parameter is None:
        parameters = function.child_by_field_name("parameters")
        parameter = parameters.named_children[0] if parameters is not None and parameters.named_children else None
    if parameter is not None and parameter.type in ("required_parameter", "optional_parameter"):
        parameter = parameter.child_by_field_name("pattern")
    return parameter is not None and parameter.type == "identifier" and source.raw(parameter) == name


def _typeorm_call(source: SourceFile, callee: str, name: str) -> bool:
    """Whether a call named like TypeORM's is TypeORM's: `super.createConnection(…)` in an http.Agent subclass or
    `this.createConnection(…)` is a method of the class, and `createConnection` / `Connection` are common names
    (net, mysql2, ssh2), so those two count only in a module that imports typeorm."""
    if callee.startswith(("super.", "this.")):
        return False
    return name not in ("createConnection", "createConnections", "Connection") or b"typeorm" in source.source


def _async_factory(source: SourceFile, arguments: list[Node], label: str) -> list[TypeOrmConfig]:
    """`forRootAsync({ useFactory: (config) => ({...}) })`, or the name of such an object: a constant of this
    module, or one imported from another (whose options that module's `_factories` gives, after linking)."""
    if not arguments:
        return []
    argument = arguments[0]
    if argument.type == "identifier":
        name = source.raw(argument)
        argument = _constant_objects(source).get(name)
        if argument is None:
            where = source.location(arguments[0])
            return [TypeOrmConfig(Obj(where, name, {}, {}, (name,)), label, calls=name)]
    return _use_factory(source, argument, label) if argument.type == "object" else []


def _use_factory(source: SourceFile, options: Node, label: str) -> list[TypeOrmConfig]:
    """The connection options the `useFactory` of an async options object returns."""
    for pair in options.named_children:
        key = pair.child_by_field_name("key") if pair.type == "pair" else None
        function = pair.child_by_field_name("value") if key is not None else None
        if key is not None and source.raw(key) in ("useClass", "useExisting") and function.type == "identifier":
            # a TypeOrmOptionsFactory: the options its `createTypeOrmOptions()` returns (`_factories`, after linking)
            where, name = source.location(function), f"{source.raw(function)}.{_OPTIONS_METHOD}"
            return [TypeOrmConfig(Obj(where, name, {}, {}, (name,)), f"{label} {source.raw(key)}", calls=name)]
        if key is None or source.raw(key) != "useFactory":
            continue
        returned = _returned_expression(function)
        if returned is None:
            continue
        called = jsfunction.call_value(source, returned) if returned.type == "call_expression" else None
        value = jsfunction.merged(called) if called is not None else source.expr(returned)
        if not isinstance(value, (Obj, Arr)) and returned.type == "identifier":  # `const o = {…}; return o;`
            value = jsfunction.merged(jsfunction.returned(source, function, {}))
        if not isinstance(value, (Obj, Arr)):  # `useFactory: (c) => buildOptions(c)`: built elsewhere, said so
            where = source.location(returned)
            value = Obj(where, value.text, {}, {}, (value.text,))
            callee = returned.child_by_field_name("function") if returned.type == "call_expression" else None
            name = source.raw(callee) if callee is not None and callee.type == "identifier" else None
            return [TypeOrmConfig(value, f"{label} useFactory", calls=name)]
        return [TypeOrmConfig(obj, f"{label} useFactory") for obj in _connections(value)]
    return []


_OPTIONS_METHOD = "createTypeOrmOptions"  # @nestjs/typeorm's TypeOrmOptionsFactory


def _options_methods(source: SourceFile) -> dict[str, Node]:
    """`Class.createTypeOrmOptions` of the module's top-level classes (exported or not), by that name."""
    found: dict[str, Node] = {}
    for statement in source.tree.root_node.named_children:
        node = statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        name = node.child_by_field_name("name") if node is not None and node.type == "class_declaration" else None
        body = node.child_by_field_name("body") if name is not None else None
        for member in body.named_children if body is not None else ():
            key = member.child_by_field_name("name") if member.type == "method_definition" else None
            if key is not None and source.raw(key) == _OPTIONS_METHOD:
                found[f"{source.raw(name)}.{_OPTIONS_METHOD}"] = member
    return found


def _constant_objects(source: SourceFile) -> dict[str, Node]:
    """Top-level `const NAME = { … }` of the module (exported or not), by name."""
    found: dict[str, Node] = {}
    for statement in source.tree.root_node.named_children:
        node = statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        if node is None or node.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in node.named_children:
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if name is not None and value is not None and name.type == "identifier" and value.type == "object":
                found.setdefault(source.raw(name), value)
    return found


def _returned_expression(function: Node | None) -> Node | None:
    if function is None or function.type not in ("arrow_function", "function_expression", "function"):
        return None
    body = function.child_by_field_name("body")
    if body is None:
        return None
    if body.type != "statement_block":
        return body
    returns = [s for s in body.named_children if s.type == "return_statement" and s.named_child_count]
    return returns[-1].named_children[0] if len(returns) == 1 else None


def _connections(value: Expr | None) -> list[Obj]:
    if isinstance(value, Obj):
        return [value]
    if isinstance(value, Arr):
        return [item for item in value.items if isinstance(item, Obj)]
    return []


def _from_env_file(path: str, text: str) -> list[TypeOrmConfig]:
    """ormconfig.env: dotenv loads it without overriding the process environment, hence `env ?? file`."""
    config = _typeorm_variables({b.name: b for b in parse_bindings(path, text)}, PurePosixPath(path).name, True)
    return [config] if config else []


def config_from_environment(env: Mapping[str, EnvBinding]) -> TypeOrmConfig | None:
    """TypeORM 0.2 prefers TYPEORM_* variables over every ormconfig file when TYPEORM_CONNECTION or _URL is set."""
    return _typeorm_variables(env, "TYPEORM_* environment variables", False)


def _typeorm_variables(bindings: Mapping[str, EnvBinding], source: str, from_file: bool) -> TypeOrmConfig | None:
    if "TYPEORM_CONNECTION" not in bindings and "TYPEORM_URL" not in bindings:
        return None
    entries: dict[str, Expr] = {}
    keys: dict[str, Location] = {}
    for variable, (option, conversion) in _ENV_OPTIONS.items():
        binding = bindings.get(variable)
        if binding is None:
            continue
        where, text = binding.location, f"process.env.{variable}"
        value: Expr = EnvVar(where, text, variable)
        if from_file:
            value = Logical(where, text, "??", value, Lit(where, binding.value, binding.value))
        entries[option] = Call(where, text, conversion, value) if conversion else value
        keys[option] = where
    start = min((keys[k] for k in keys), key=lambda location: (location.path, location.line))
    return TypeOrmConfig(Obj(start, source, entries, keys), source, from_ormconfig=from_file)


def is_postgres(value: object) -> bool:
    return isinstance(value, str) and value.lower() in ("postgres", "postgresql", "cockroachdb", "aurora-postgres")

"""Django management commands that start threads: `handle()` building `ThreadPoolExecutor(max_workers=…)`.

The executor the command runs with is the one `handle()` builds (an `__init__` executor it replaces is not used);
its size is a literal, or `options["num_workers"]` / `options.get("num_workers")` / a `num_workers` parameter of
`handle()`, which is the command line's `--num-workers N` else the `default=` of that `parser.add_argument` in
`add_arguments()`. Each worker thread can hold one connection, and the main loop one more: the process holds
1 + max_workers. Anything else returns None (the caller then says the threads were not followed).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from pgconnlint.model import Location


@dataclass(frozen=True, slots=True)
class CommandThreads:
    workers: int  #: the executor's threads; the process holds workers + 1 (its main loop)
    location: Location  #: where the number was written (the default or the executor call)
    why: str


def threads(path: str, text: str, args: list[str]) -> CommandThreads | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    methods = {
        node.name: node
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name == "Command"
        for node in cls.body
        if isinstance(node, ast.FunctionDef)
    }
    if "handle" not in methods:
        return None
    call = next((c for c in _calls(methods["handle"]) if _name(c.func) == "ThreadPoolExecutor"), None)
    if call is None:
        return None
    size = next((k.value for k in call.keywords if k.arg == "max_workers"), call.args[0] if call.args else None)
    if isinstance(size, ast.Constant) and isinstance(size.value, int):
        return CommandThreads(size.value, Location(path, size.lineno), "ThreadPoolExecutor(max_workers=…) in handle()")
    option = _option_name(size, methods["handle"])
    if option is None:
        return None
    flag = "--" + option.replace("_", "-")
    given = _from_command_line(args, flag)
    if given is not None:
        return CommandThreads(given, Location(path, call.lineno), f"{flag} {given} on the command line")
    default = _argument_default(methods.get("add_arguments"), option)
    if default is None:
        return None
    return CommandThreads(default.value, Location(path, default.lineno), f"{flag} default (add_arguments)")


def _calls(function: ast.FunctionDef):
    return (node for node in ast.walk(function) if isinstance(node, ast.Call))


def _name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _option_name(node: ast.expr | None, handle: ast.FunctionDef) -> str | None:
    """`options["num_workers"]`, `options.get("num_workers")`, or `num_workers` a parameter of `handle()` (Django
    passes the options as keyword arguments) -> "num_workers"."""
    if isinstance(node, ast.Name) and node.id in {a.arg for a in handle.args.args + handle.args.kwonlyargs}:
        return node.id
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if isinstance(node, ast.Call) and _name(node.func) == "get" and node.args:
        first = node.args[0]
        return str(first.value) if isinstance(first, ast.Constant) else None
    return None


def _from_command_line(args: list[str], flag: str) -> int | None:
    for index, word in enumerate(args):
        name, equals, value = word.partition("=")
        if name != flag:
            continue
        value = value if equals else (args[index + 1] if index + 1 < len(args) else "")
        return int(value) if value.isdigit() else None
    return None


def _argument_default(function: ast.FunctionDef | None, option: str) -> ast.Constant | None:
    """The `default=` of `parser.add_argument("--num-workers", …)` whose dest is `option`."""
    for call in _calls(function) if function else ():
        if _name(call.func) != "add_argument":
            continue
        names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        dest = next(
            (k.value.value for k in call.keywords if k.arg == "dest" and isinstance(k.value, ast.Constant)), None
        )
        long = next((n for n in names if n.startswith("--")), names[0] if names else "")
        if (dest or long.lstrip("-").replace("-", "_")) != option:
            continue
        default = next((k.value for k in call.keywords if k.arg == "default"), None)
        if isinstance(default, ast.Constant) and isinstance(default.value, int) and not isinstance(default.value, bool):
            return default
    return None

"""Shell scripts read as a shell would run them, without running anything (tree-sitter-bash).

`read(path, text, args, env)` follows an entrypoint script with the arguments the deployment passes and the
environment it sets (a number that environment decides, `--workers ${WORKERS:-2}`, is left for the linker to
evaluate with each deployment's own): assignments and `export`, `${VAR:-default}`, `case "$1" in api) … ;; esac` and
`if [ "$1" = "web" ]` dispatch (a test it cannot decide keeps every branch, with a note), `&&`/`||`/`;` lists,
`cmd &` in the background, `exec`, `sh -c '…'`, `"$@"` and `shift`, and the script's own functions where it calls
them (`server() { exec gunicorn …; }` … `server) server ;;`). Each simple command comes back as a `ShellCommand`: its
words, where it is, and whether it keeps running (`long_running`: the script's last foreground command, an
`exec`, or a background job) or finishes before the next one starts (a migration, a wait-for-db step: one-off).

The words are plain strings, so the caller decides what a command is: extract/commands.py `parse` for Python
servers, extract/node_commands.py `parse(words, location, source, origin, directory)` for Node processes.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pgconnlint.model import Location

if TYPE_CHECKING:
    from tree_sitter import Node

_MAX_DEPTH = 12  # `sh -c` inside `sh -c`, nested blocks: bounded
_VARIABLE = re.compile(r"\$\{(\w+|[@*#?])(?:(:?[-=+?])([^}]*))?\}|\$(\w+|[@*#?])")


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """One simple command as the script runs it."""

    #: expanded; a variable the script and environment do not set stays `$NAME`, and a number the environment
    #: decides stays a reference with its fallback, `${WORKERS:-2}` (`_expand`)
    words: tuple[str, ...]
    location: Location
    long_running: bool  #: the last foreground command, an `exec`, or `cmd &`: it is what the container runs
    background: bool = False
    #: defaults taken (`${APP:-main:app}` gave main:app), branches kept because a test was undecidable
    notes: tuple[str, ...] = ()
    #: (name, value, line) of each `export NAME=value` run before it: the command's environment holds them
    exports: tuple[tuple[str, str, int], ...] = ()


@dataclass
class _State:
    path: str
    args: list[str]
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)
    found: list[ShellCommand] = field(default_factory=list)
    functions: dict[str, Node] = field(default_factory=dict)  #: name → body, once its definition has run
    returning: bool = False  #: a `return` left the function being run
    exported: dict[str, int] = field(default_factory=dict)  #: name → line of the `export` that set it
    #: variables the script set to a number the deployment decides (`W=${WORKERS:-2}`): name → `${WORKERS:-2}`
    symbolic: dict[str, str] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)  #: variables the script itself set (the rest come from env)


@functools.cache
def bash_parser():
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def read(path: str, text: str, args: Sequence[str] = (), env: Mapping[str, str] | None = None) -> list[ShellCommand]:
    """The commands `text` runs when started with `args` in `env`; the last foreground one is long-running."""
    state = _State(path, list(args), dict(env or {}))
    tree = bash_parser().parse(text.encode("utf-8", "surrogateescape"))
    _block(tree.root_node, state, 0)
    return _mark_last(state.found)


def read_command(line: str, where: Location, env: Mapping[str, str] | None = None) -> list[ShellCommand]:
    """A command line given to `sh -c` (compose `command:`, a Procfile line): lines are those of `where`."""
    found = read(where.path, line, (), env)
    return [_relocated(command, where) for command in found]


def _relocated(command: ShellCommand, where: Location) -> ShellCommand:
    return dataclasses.replace(command, location=Location(where.path, where.line + command.location.line - 1))


def _mark_last(found: list[ShellCommand]) -> list[ShellCommand]:
    """The script's last foreground command keeps running unless an `exec` already replaced the shell."""
    foreground = [c for c in found if not c.background]
    if foreground and not any(c.long_running for c in foreground):
        last = foreground[-1]
        found = [c if c is not last else _long(c) for c in found]
    return found


def _long(command: ShellCommand) -> ShellCommand:
    return dataclasses.replace(command, long_running=True)


# --- statements ------------------------------------------------------------------------------------------------


def _block(node: Node, state: _State, depth: int, background: bool = False) -> bool:
    """Runs the statements of `node` in order; True once an `exec` or `exit` ended the script."""
    if depth > _MAX_DEPTH:
        return True
    children = node.named_children
    for index, child in enumerate(children):
        after = child.next_sibling
        in_background = background or (after is not None and after.type == "&")
        if _statement(child, state, depth, in_background):
            return True
        del index
    return False


def _statement(node: Node, state: _State, depth: int, background: bool) -> bool:
    kind = node.type
    if kind == "comment":
        return False
    if kind == "function_definition":  # runs only when called (`_call`)
        name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name is not None and body is not None:
            state.functions[_text(name)] = body
        return False
    if kind in ("variable_assignment", "declaration_command"):
        _assign(node, state)
        return False
    if kind == "command":
        return _command(node, state, depth, background)
    if kind == "redirected_statement":
        body = node.child_by_field_name("body")
        return _statement(body, state, depth, background) if body is not None else False
    if kind == "list":  # `a && b`, `a || b`: both sides may run, in order
        return any(_statement(part, state, depth, background) for part in node.named_children)
    if kind == "pipeline":  # every part runs; none replaces the shell
        for part in node.named_children:
            _statement(part, state, depth, background)
        return False
    if kind == "if_statement":
        return _if(node, state, depth, background)
    if kind == "case_statement":
        return _case(node, state, depth, background)
    if kind in ("subshell", "compound_statement", "do_group"):
        return _block(node, state, depth + 1, background)
    if kind in ("while_statement", "for_statement", "c_style_for_statement"):
        body = node.child_by_field_name("body")
        return _block(body, state, depth + 1, background) if body is not None else False
    if kind == "negated_command":
        return any(_statement(part, state, depth, background) for part in node.named_children)
    if kind == "ERROR":  # a construct tree-sitter-bash cannot parse (`while !</dev/tcp/db/5432`): its parts, in order
        state.notes.append(f"`{_text(node)[:60]}` is not fully parsed: its commands are read as written")
        return _block(node, state, depth + 1, background)
    return False


def _assign(node: Node, state: _State) -> None:
    """`X=1`, `export X="${X:-4}"`, `readonly X=…`: later words see the value."""
    assignments = [node] if node.type == "variable_assignment" else node.named_children
    exporting = node.type == "declaration_command" and _text(node).startswith("export")
    for item in assignments:
        if item.type != "variable_assignment":
            continue
        name = item.child_by_field_name("name")
        value = item.child_by_field_name("value")
        if name is None:
            continue
        noted = len(state.notes)
        kept = _word(value, state, keep=True) if value is not None else None  # before the variable is set
        del state.notes[noted:]  # the plain reading below notes the same defaults
        text = _word(value, state) if value is not None else ""
        state.env[_text(name)] = text if text is not None else f"${_text(name)}"
        state.assigned.add(_text(name))
        if kept is not None and kept != text and _NUMBER_FROM_ENV.fullmatch(kept):
            state.symbolic[_text(name)] = kept
            del state.notes[noted:]  # the default is the linker's to say, for each deployment's environment
        else:
            state.symbolic.pop(_text(name), None)
        if exporting:
            state.exported[_text(name)] = item.start_point[0] + 1


def _command(node: Node, state: _State, depth: int, background: bool) -> bool:
    prefix = {}
    for child in node.named_children:
        if child.type == "variable_assignment":  # `DISPLAY=:99 xterm`: for this command only
            name, value = child.child_by_field_name("name"), child.child_by_field_name("value")
            if name is not None:
                prefix[_text(name)] = (_word(value, state) if value is not None else "") or ""
    words = _words(node, state)
    for child in node.named_children:  # `$(python scripts/setup.py)`: runs to completion first
        _substitutions(child, state, depth)
    if not words:
        return False
    location = Location(state.path, node.start_point[0] + 1, node.start_point[1] + 1)
    name = words[0].rsplit("/", 1)[-1]
    if name in ("exit",):
        return not background
    if name == "return":
        state.returning = not background
        return state.returning
    if name == "shift":  # `case "$1" in web) shift; …`: the function or command after sees the rest
        count = int(words[1]) if len(words) > 1 and words[1].isdigit() else 1
        state.args = state.args[count:]
        return False
    if words[0] in state.functions:
        return _call(state.functions[words[0]], words[1:], state, depth, background)
    if name == "exec" and len(words) == 1:
        return False  # `exec >log 2>&1`: redirections only
    ends = name == "exec" and not background
    if name in ("sh", "bash", "dash", "ash") and "-c" in words[1:2] and len(words) > 2:
        inner = _State(state.path, words[3:], {**state.env, **prefix}, state.notes)
        inner.symbolic, inner.assigned = dict(state.symbolic), state.assigned | prefix.keys()
        _block(bash_parser().parse(words[2].encode()).root_node, inner, depth + 1, background)
        for command in _mark_last(inner.found) if not background else inner.found:
            state.found.append(_relocated(command, location))
        return ends
    notes = tuple(state.notes)
    state.notes.clear()
    exports = tuple((name, state.env.get(name, ""), line) for name, line in state.exported.items())
    state.found.append(ShellCommand(tuple(words), location, ends or background, background, notes, exports))
    return ends


def _call(body: Node, args: list[str], state: _State, depth: int, background: bool) -> bool:
    """A function of the script, run with its own positional arguments; True when it ended the script (`exec`)."""
    saved, state.args = state.args, args
    ended = _statement(body, state, depth + 1, background)
    state.args = saved
    if state.returning:
        state.returning, ended = False, False
    return ended and not background


def _substitutions(node: Node, state: _State, depth: int) -> None:
    if node.type == "command_substitution":
        inner = _State(state.path, state.args, dict(state.env), state.notes)
        _block(node, inner, depth + 1)
        state.found += [dataclasses.replace(c, long_running=False, background=False) for c in inner.found]
        return
    for child in node.named_children:
        _substitutions(child, state, depth)


def _if(node: Node, state: _State, depth: int, background: bool) -> bool:
    """`if [ "$1" = "web" ]; then … elif …; else …; fi`: the branch the test selects; every branch when it
    cannot be decided (with a note)."""
    condition = node.child_by_field_name("condition")
    branches: list[tuple[object, Node]] = [(condition, node)]
    for child in node.named_children:
        if child.type == "elif_clause":
            branches.append((child.child_by_field_name("condition"), child))
        elif child.type == "else_clause":
            branches.append((True, child))
    undecided = False
    for test, owner in branches:
        verdict = True if test is True else _test(test, state)
        if verdict is False:
            continue
        if verdict is None:
            undecided = True
            state.notes.append(f"`{_text(test)[:60]}` cannot be decided statically: its branch is read too")
        if _body(owner, test, state, depth, background) and not undecided:
            return True
        if verdict is True:
            return False
    return False


def _body(owner: Node, test: object, state: _State, depth: int, background: bool) -> bool:
    """The statements of an if/elif/else branch: the named children after its condition."""
    ended = False
    started = test is True or test is None
    for child in owner.named_children:
        if not started:
            started = child == test or child.start_byte >= getattr(test, "end_byte", 0)
            if child == test:
                continue
        if child.type in ("elif_clause", "else_clause"):
            break
        if started and child != test:
            after = child.next_sibling
            if _statement(child, state, depth + 1, background or (after is not None and after.type == "&")):
                ended = True
                break
    return ended


def _test(node: Node | None, state: _State) -> bool | None:
    """`[ A = B ]`, `[ A != B ]`, `[ -n A ]`, `[ -z A ]` on known values; None otherwise."""
    if node is None:
        return None
    target = node
    while target.type in ("list", "redirected_statement") and target.named_children:
        if target.type == "list":
            return None
        target = target.named_children[0]
    if target.type != "test_command" or len(target.named_children) != 1:
        return None
    expression = target.named_children[0]
    parts = [c for c in expression.children if c.type not in ("(", ")")]
    values = [_word(part, state) if part.is_named else _text(part) for part in parts]
    if any(value is None or "$" in value for value in values):
        return None
    if expression.type == "binary_expression" and len(values) == 3 and values[1] in ("=", "==", "!="):
        return (values[0] == values[2]) == (values[1] != "!=")
    if expression.type == "unary_expression" and len(values) == 2 and values[0] in ("-n", "-z"):
        return bool(values[1]) == (values[0] == "-n")
    return None


def _case(node: Node, state: _State, depth: int, background: bool) -> bool:
    """`case "$1" in api) … ;; worker|w) … ;; *) … esac`: the first item whose pattern matches."""
    value = _word(node.child_by_field_name("value"), state)
    for item in (c for c in node.named_children if c.type == "case_item"):
        patterns = [_text(p).strip("\"'") for p in item.children_by_field_name("value")]
        patterns = [alternative for p in patterns for alternative in p.split("|")]
        if value is None or "$" in value:
            if "*" not in patterns:
                continue
            state.notes.append(f"case `{_text(node.child_by_field_name('value'))}` is not known: the `*)` branch")
        elif not any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns):
            continue
        body = [c for c in item.named_children if c not in item.children_by_field_name("value")]
        for child in body:
            after = child.next_sibling
            if _statement(child, state, depth + 1, background or (after is not None and after.type == "&")):
                return True
        return False
    return False


# --- words ------------------------------------------------------------------------------------------------------


def _words(node: Node, state: _State) -> list[str]:
    words: list[str] = []
    for child in node.named_children:
        if child.type in ("variable_assignment", "file_redirect", "heredoc_redirect", "herestring_redirect"):
            continue
        if child.type == "command_name":
            child = child.named_children[0] if child.named_children else child
        if _is_all_args(child):
            words += state.args  # "$@": each argument one word
            continue
        text = _word(child, state, keep=True)
        if text is None:
            continue
        if child.type in ("simple_expansion", "expansion") and " " in text:
            words += text.split()  # unquoted expansion: split on spaces, as the shell does
        else:
            words.append(text)
    return words


def _is_all_args(node: Node) -> bool:
    text = _text(node)
    return text in ('"$@"', "$@", '"${@}"', "${@}", "$*", '"$*"')


def _word(node: Node | None, state: _State, keep: bool = False) -> str | None:
    """The text of a word with quotes removed and variables expanded; None for a command substitution. With `keep`,
    a number the environment decides stays a reference (`_expand`)."""
    if node is None:
        return None
    kind = node.type
    if kind == "raw_string":
        return _text(node)[1:-1]
    if kind == "command_substitution":
        return None
    if kind == "string":
        inner = _text(node)[1:-1]
        return _expand(inner, state, keep)
    if kind == "concatenation":
        parts = [_word(part, state, keep) for part in node.named_children]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    return _expand(_text(node), state, keep) if kind in ("simple_expansion", "expansion", "word") else _text(node)


#: `${NAME:-12}`: a number the deployment's environment decides, as `_expand(keep=True)` writes it
_NUMBER_FROM_ENV = re.compile(r"\$\{\w+:-\d+\}")


def _expand(text: str, state: _State, keep: bool = False) -> str:
    """`text` with its variables expanded. With `keep` (the words of a command), a number that comes from the
    environment, or is the default of a variable it does not set, stays a reference with that number as its fallback:
    `${WORKERS:-1}`. The command's reader (extract/commands.py `shell_value`) makes it an environment lookup, which the
    linker evaluates with each deployment's environment, so a compose service that sets WORKERS=3 and runs the image's
    entrypoint script gets 3 workers, not the 1 the image alone would have."""

    def one(match: re.Match) -> str:
        name = match.group(1) or match.group(4)
        operator, default = match.group(2), match.group(3)
        value = _value(name, state)
        if (
            operator
            and operator.lstrip(":") in ("-", "=")
            and (value is None or (operator.startswith(":") and not value))
        ):
            expanded = _expand(default or "", state)
            if operator.lstrip(":") == "=":
                state.env[name] = expanded
            if keep and expanded.isdigit() and not name.isdigit():
                return f"${{{name}:-{expanded}}}"
            state.notes.append(f"${{{name}{operator}{default}}}: {name} is not set here, so its default {expanded!r}")
            return expanded
        if keep and value is not None:
            return _kept(name, value, state)
        return value if value is not None else match.group(0)

    return _VARIABLE.sub(one, text)


def _kept(name: str, value: str, state: _State) -> str:
    """A variable's value in a command's words: the reference the script stored for it, `${NAME:-value}` for a
    number the environment gives, else the value itself."""
    if name in state.symbolic:
        return state.symbolic[name]
    if value.isdigit() and name not in state.assigned and name.isidentifier():
        return f"${{{name}:-{value}}}"
    return value


def _value(name: str, state: _State) -> str | None:
    if name.isdigit():
        index = int(name) - 1
        if name == "0":
            return state.path
        return state.args[index] if index < len(state.args) else None
    if name in ("@", "*"):
        return " ".join(state.args)
    if name == "#":
        return str(len(state.args))
    return state.env.get(name)


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "surrogateescape") if node is not None and node.text is not None else ""

"""Dockerfile / Containerfile: the process the image starts (ENTRYPOINT + CMD, as Docker joins them) and the
ENV it sets, through the `dockerfile` package (BuildKit's own parser)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePosixPath

from pgconnlint.extract import commands, node_commands
from pgconnlint.model import EnvBinding, Location, NodeProcessDecl, ParseProblem, ProcessDecl


def extract(path: str, text: str) -> tuple[list[ProcessDecl | NodeProcessDecl], list[ParseProblem]]:
    import dockerfile

    try:
        instructions = dockerfile.parse_string(text)
    except dockerfile.GoParseError as error:
        return [], [ParseProblem(Location(path, 1), f"invalid Dockerfile: {error}")]
    directory = str(PurePosixPath(path).parent).removeprefix(".")
    entrypoint, cmd, env, copies = None, None, [], {}
    for instruction in instructions:
        if instruction.cmd == "FROM":  # a new stage: only the last one is the image that runs
            entrypoint, cmd, env, copies = None, None, [], {}
        elif instruction.cmd in ("COPY", "ADD") and len(instruction.value) == 2 and not instruction.flags:
            source, target = instruction.value  # `COPY pm2.prod.json ecosystem.config.json`: one file renamed
            copies[PurePosixPath(target).name] = source
        elif instruction.cmd in ("ENTRYPOINT", "CMD"):
            value = list(instruction.value) if instruction.json else (instruction.value[0] if instruction.value else "")
            started = (value, Location(path, instruction.start_line))
            entrypoint, cmd = (started, cmd) if instruction.cmd == "ENTRYPOINT" else (entrypoint, started)
        elif instruction.cmd == "ENV":
            env += _env(instruction, path)
    decl = _start(entrypoint, cmd, path, directory)
    if decl is None and entrypoint is not None and cmd is not None:  # an entrypoint script that `exec "$@"`
        decl = _start(None, cmd, path, directory)
    node = _start(entrypoint, cmd, path, directory, node_commands.parse)
    if not node and entrypoint is not None and cmd is not None:
        node = _start(None, cmd, path, directory, node_commands.parse)
    found: list[ProcessDecl | NodeProcessDecl] = [replace(decl, env=tuple(env))] if decl else []
    return found + [replace(_renamed(item, copies), env=tuple(env)) for item in node or []], []


def _renamed(item: NodeProcessDecl, copies: dict[str, str]) -> NodeProcessDecl:
    """`pm2-runtime ecosystem.config.json` where the image copied `pm2.prod.json` to that name: the repository
    file is the copied one (paths of COPY sources are relative to the build context, the Dockerfile's folder)."""
    if not item.ecosystem or not item.script:
        return item
    source = copies.get(PurePosixPath(item.script).name)
    return replace(item, script=source.removeprefix("./")) if source and "*" not in source else item


def _start(entrypoint, cmd, path: str, directory: str, parse=None):
    """ENTRYPOINT + CMD: exec-form parts are joined; a shell-form ENTRYPOINT ignores CMD. `parse` reads the Node
    processes (extract/node_commands.py) instead of the Python servers."""
    parts: list[str] = []
    where = None
    for started in (entrypoint, cmd):
        if started is None:
            continue
        value, where_started = started
        where = where or where_started
        if isinstance(value, list):
            parts += value
        else:
            parts += ["sh", "-c", value]
            if started is entrypoint:
                break
    if not parts or where is None:
        return None
    source = f"{path} {'ENTRYPOINT' if entrypoint else 'CMD'}"
    if parse is not None:
        return parse(parts, where, source, "dockerfile", directory)
    return commands.parse(parts, where, source, directory)


def _env(instruction, path: str) -> list[EnvBinding]:
    values = list(instruction.value)
    pairs = zip(values[::2], values[1::2], strict=False)
    return [EnvBinding(name, env_value(value), Location(path, instruction.start_line), path) for name, value in pairs]


def env_value(written: str) -> str:
    """`ENV N="4"` sets 4: Docker removes the quotes, which the parser keeps."""
    import shlex

    try:
        return " ".join(shlex.split(written))
    except ValueError:
        return written

"""`.env` files through python-dotenv's own parser, which keeps each binding's line."""

from __future__ import annotations

import io

from pgconnlint.model import EnvBinding, EnvFile, Location, ParseProblem


def parse_bindings(path: str, text: str) -> list[EnvBinding]:
    from dotenv.parser import parse_stream

    bindings = []
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is None or binding.value is None:
            continue
        line = binding.original.line
        column = len(binding.original.string) - len(binding.original.string.lstrip()) + 1
        bindings.append(EnvBinding(binding.key, binding.value, Location(path, line, column), path))
    return bindings


def extract(path: str, text: str) -> tuple[EnvFile, list[ParseProblem]]:
    from dotenv.parser import parse_stream

    problems = [
        ParseProblem(Location(path, b.original.line), f"cannot parse .env line: {b.original.string.strip()[:60]!r}")
        for b in parse_stream(io.StringIO(text))
        if b.error
    ]
    return EnvFile(path, tuple(parse_bindings(path, text))), problems

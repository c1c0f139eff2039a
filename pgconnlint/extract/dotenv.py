"""`.env` files through python-dotenv's own parser, which keeps each binding's line."""

from __future__ import annotations

import io

from pgconnlint.model import EnvBinding, EnvFile, Location, ParseProblem


def parse_bindings(path: str, text: str) -> list[EnvBinding]:
    return extract(path, text)[0].bindings


def extract(path: str, text: str) -> tuple[EnvFile, list[ParseProblem]]:
    from dotenv.parser import parse_stream

    bindings, problems = [], []
    for binding in parse_stream(io.StringIO(text)):
        where = _location(path, binding.original)
        if binding.error:
            problems.append(ParseProblem(where, f"cannot parse .env line: {binding.original.string.strip()[:60]!r}"))
        elif binding.key is not None and binding.value is not None:
            bindings.append(EnvBinding(binding.key, binding.value, where, path))
    return EnvFile(path, tuple(bindings)), problems


def _location(path: str, original) -> Location:
    """Where the binding itself starts: the parser folds the blank lines before it into its text."""
    text = original.string
    blank_lines = text[: len(text) - len(text.lstrip())].count("\n")
    first = text.split("\n")[blank_lines]
    return Location(path, original.line + blank_lines, len(first) - len(first.lstrip()) + 1)

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


def read_named(root, path: str) -> tuple[EnvBinding, ...]:
    """The bindings of an env file a deployment names (compose `env_file:`). Such files are rarely committed: when
    it is missing, the template beside it (`.env.example`, which the repository's docs copy to `.env`) stands in,
    and each binding says so. Nothing when neither is in the tree."""
    from pgconnlint.discover import ENV_TEMPLATES, read_text

    for candidate in (path, *(path + suffix for suffix in ENV_TEMPLATES)):
        text = read_text(root, candidate)
        if isinstance(text, str):
            source = candidate if candidate == path else f"{candidate} (template of {path}, which is not committed)"
            return tuple(EnvBinding(b.name, b.value, b.location, source) for b in extract(candidate, text)[0].bindings)
    return ()

"""pm2 ecosystem files: `module.exports = { apps: [...] }`, JSON (read as pm2 does, JSON5-like), YAML."""

from __future__ import annotations

from pathlib import PurePosixPath

from pgconnlint.expr import Arr, Expr, Obj
from pgconnlint.extract import yamlsource
from pgconnlint.extract.treesitter import SourceFile
from pgconnlint.model import ParseProblem, Pm2App


def extract(path: str, text: str) -> tuple[list[Pm2App], list[ParseProblem]]:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in (".yml", ".yaml"):
        documents, problems = yamlsource.load(path, text)
        value = documents[0] if documents else None
    elif suffix in (".json", ".json5"):
        # pm2 accepts comments and trailing commas in its JSON files, so read them as a JS object literal.
        source = SourceFile.parse(path, text, "javascript", wrap_in_parentheses=True)
        problems = source.problems()
        value = source.document_value()
    else:
        source = SourceFile.parse(path, text)
        problems = source.problems()
        value = source.module_export()
    return [Pm2App(app, path) for app in _apps(value)], problems


def _apps(value: Expr | None) -> list[Obj]:
    if isinstance(value, Obj) and "apps" in value.entries:
        value = value.entries["apps"]
    if isinstance(value, Obj) and "script" in value.entries:
        return [value]
    if isinstance(value, Arr):
        return [item for item in value.items if isinstance(item, Obj)]
    return []

"""Inline suppressions: `# pgconnlint: ignore[PGC201]` (Python, YAML, postgresql.conf, .env) and
`// pgconnlint: ignore[PGC201]` (JavaScript, TypeScript), on the finding's line or the line before.
JSON has no comments: `per-file-ignores` and the baseline cover it."""

from __future__ import annotations

import re

from pgconnlint.model import Location, Suppression

_COMMENT = re.compile(r"(?:#|//)\s*pgconnlint:\s*ignore\b(?:\[(?P<rules>[^\]]*)\])?")


def scan(path: str, text: str) -> list[Suppression]:
    if "pgconnlint:" not in text:  # almost every file: skip the line loop
        return []
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        for match in _COMMENT.finditer(line):
            rules = tuple(r.strip() for r in (match.group("rules") or "").split(",") if r.strip())
            found.append(Suppression(Location(path, number, match.start() + 1), rules))
    return found


def covers(suppression: Suppression, location: Location) -> bool:
    return suppression.location.path == location.path and location.line in (
        suppression.location.line,
        suppression.location.line + 1,
    )

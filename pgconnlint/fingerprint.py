"""What identifies a finding across edits elsewhere in its file: baselines, SARIF and GitLab use the same key."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pgconnlint.discover import read_text
from pgconnlint.findings import Finding
from pgconnlint.model import Location


def fingerprint_keys(findings: list[Finding], root: Path) -> list[str]:
    """What identifies each finding across edits that add lines above it: code, path, the stripped text of its
    line (its number when the file cannot be read) and, as GitHub's primaryLocationLineHash does, a counter for
    findings that share all three (two pools whose lines read `"type": "postgres",`)."""
    cache: dict[str, list[str] | None] = {}
    seen: dict[str, int] = {}
    keys = []
    for f in findings:
        text = line_text(root, f.location, cache)
        key = f"{f.code}\0{f.location.path}\0" + (_snippet(text) if text is not None else f"\0line {f.location.line}")
        seen[key] = seen.get(key, 0) + 1
        keys.append(f"{key}\0{seen[key]}")
    return keys


MAX_SNIPPET = 500  #: characters of a line kept in a key; a longer (minified) line is keyed by its hash


def _snippet(text: str) -> str:
    """The line as it is when short (the keys baselines already hold), else a hash of it: a key never holds a
    847 KB line, however many findings it carries."""
    if len(text) <= MAX_SNIPPET:
        return text
    return "\0sha256:" + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def line_text(root: Path, location: Location, cache: dict[str, list[str] | None]) -> str | None:
    """The stripped source line, or None when the file cannot be read or has no such line."""
    if location.path not in cache:
        text = read_text(root, location.path)
        # Split on "\n" only, as the extractors count lines (tree-sitter); "\r" of CRLF goes with strip().
        cache[location.path] = text.split("\n") if isinstance(text, str) else None
    lines = cache[location.path]
    return lines[location.line - 1].strip() if lines and 0 < location.line <= len(lines) else None

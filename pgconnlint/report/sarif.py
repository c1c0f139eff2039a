"""SARIF 2.1.0 for code-scanning services: one run, every catalogue rule in `tool.driver.rules`, one result per
finding. Our coordinates are already SARIF's (1-based lines and columns, columns in code points)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import TextIO
from urllib.parse import quote, urljoin

from pgconnlint import __version__, catalogue, neutral
from pgconnlint.findings import Finding
from pgconnlint.fingerprint import fingerprint_keys
from pgconnlint.lint import Result
from pgconnlint.model import Location, Severity

INFORMATION_URI = "https://github.com/pgconnlint/pgconnlint"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(result: Result, out: TextIO) -> None:
    rules = list(catalogue.load().values())
    index = {rule.code: i for i, rule in enumerate(rules)}
    run = {
        "tool": {
            "driver": {
                "name": "pgconnlint",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        # SARIF's default columnKind is UTF-16 code units; our columns count characters (code points).
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"%SRCROOT%": {"uri": result.root.as_uri() + "/"}},
        "results": [
            _result(neutral.finding(f), index[f.code], _digest(key), f.location.path)
            for f, key in zip(result.findings, fingerprint_keys(result.findings, result.root), strict=True)
        ],
    }
    log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    json.dump(log, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _rule(rule: catalogue.Rule) -> dict:
    help_uri = f"{INFORMATION_URI}/blob/main/rules/{rule.code}.md"
    how_to_fix = rule.sections.get("How to fix", "").strip()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": plain(rule.summary)},
        "fullDescription": {"text": plain(rule.sections.get("What it does", ""))},
        "help": {"text": plain(how_to_fix), "markdown": _absolute_links(how_to_fix, help_uri)},
        "helpUri": help_uri,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": list(rule.inputs)},
    }


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def _result(f: Finding, rule_index: int, digest: str, path: str) -> dict:
    """`f` neutralised (pgconnlint/neutral.py); `path` as the repository holds it, for the artifact's URI."""
    text = f"{f.message}. {_sentence(f.help)}" if f.help else f.message
    result = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": text},
        "locations": [_location(f.location, path)],
        "partialFingerprints": {"pgconnlint/v1": digest},
    }
    if f.related:
        result["relatedLocations"] = [
            {"id": i, **_location(location), "message": {"text": "related value"}}
            for i, location in enumerate(f.related, start=1)
        ]
    if f.data:
        result["properties"] = f.data
    return result


def _location(location: Location, path: str | None = None) -> dict:
    ends = {"endLine": location.end_line, "endColumn": location.end_column}
    region = {"startLine": location.line, "startColumn": location.column}
    region.update((key, value) for key, value in ends.items() if value is not None)
    # A name that is not UTF-8 keeps its bytes, percent-encoded, in the URI (surrogateescape).
    raw = location.path if path is None else path
    artifact = {"uri": quote(raw.encode("utf-8", "surrogateescape")), "uriBaseId": "%SRCROOT%"}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def plain(markdown: str) -> str:
    """Catalogue Markdown as plain text: prose paragraphs unwrapped, headings, emphasis, code marks and link
    targets dropped; fenced code and list items keep their lines."""
    blocks: list[list[str]] = [[]]
    fenced = False
    for line in markdown.strip().splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced or re.match(r"\s*([-*+]|\d+\.)\s", line):
            blocks[-1].append("\n" + line if blocks[-1] else line)
        elif not line.strip() or line.startswith("#"):
            blocks.append([line.lstrip("#").strip()] if line.startswith("#") else [])
            blocks.append([])
        else:
            blocks[-1].append((" " if blocks[-1] else "") + line.strip())
    text = "\n\n".join("".join(block) for block in blocks if block)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"`|\*\*", "", text)


def _absolute_links(markdown: str, base: str) -> str:
    """Relative links in a rule file (`../docs/budget.md`) resolved against its published address."""
    return re.sub(r"\]\((?![a-z]+:|#)([^)\s]+)\)", lambda m: f"]({urljoin(base, m.group(1))})", markdown)


def _sentence(text: str) -> str:
    first, _, rest = text.partition(" ")
    if first.isalpha() and first.islower():  # "lower the pool…", not "pm2 …" or "connectTimeoutMS …"
        text = first.capitalize() + (" " + rest if rest else "")
    return text if text.endswith((".", "!", "?")) else text + "."

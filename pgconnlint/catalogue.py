"""The rule catalogue: `rules/PGCnnn.md`, one file per rule, the single source of its name, severity and docs.

Each file opens with TOML front matter between `+++` lines and continues with a closed, ordered set of
`##` sections. The examples under "Example" and "Use instead" are fenced blocks naming a file
(```lang path=…```), plus a ```findings``` block for the bad ones; the test suite runs them.
"""

from __future__ import annotations

import codecs
import functools
import re
import sys
from pathlib import Path
from typing import NamedTuple

from pgconnlint.severity import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "How to fix", "Options", "References")
REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "How to fix")
FRONT_MATTER_KEYS = {"code", "name", "severity", "summary", "inputs", "since", "aliases"}
_FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


# NamedTuples, not dataclasses: `rules` and `explain` then never import dataclasses (and inspect: ~5 ms; issue 19)
class Example(NamedTuple):
    slug: str
    files: dict[str, str]  #: path -> content
    findings: frozenset[str]  #: "CODE path:line[:col]"; empty for good examples
    bad: bool


class Rule(NamedTuple):
    code: str
    name: str
    severity: Severity
    summary: str
    inputs: tuple[str, ...]
    since: str
    aliases: tuple[str, ...]
    body: str  #: the Markdown after the front matter
    path: Path

    @property
    def sections(self) -> dict[str, str]:
        return _sections(self.body)

    def examples(self) -> list[Example]:
        sections = self.sections
        return [
            *_examples(sections.get("Example", ""), bad=True),
            *_examples(sections.get("Use instead", ""), bad=False),
        ]


class CatalogueError(Exception):
    pass


def rules_directory() -> Path:
    """`pgconnlint/rules` in an installed wheel; the repository's top-level `rules/` in a checkout."""
    packaged = Path(__file__).parent / "rules"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "rules"


@functools.cache
def load() -> dict[str, Rule]:
    rules = {}
    for path in sorted(rules_directory().glob("PGC*.md")):
        rule = parse(path)
        rules[rule.code] = rule
    return rules


def parse(path: Path) -> Rule:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"\+\+\+\n(.*?)\n\+\+\+\n", text, re.DOTALL)
    if not match:
        raise CatalogueError(f"{path}: missing +++ front matter")
    meta = tomllib.loads(match.group(1))
    unknown = set(meta) - FRONT_MATTER_KEYS
    if unknown:
        raise CatalogueError(f"{path}: unknown front matter keys {sorted(unknown)}")
    return Rule(
        code=meta["code"],
        name=meta["name"],
        severity=Severity.parse(meta["severity"]),
        summary=meta["summary"],
        inputs=tuple(meta.get("inputs", ())),
        since=meta.get("since", "0.1.0"),
        aliases=tuple(meta.get("aliases", ())),
        body=text[match.end() :],
        path=path,
    )


def find(code_or_name: str) -> Rule | None:
    """`lookup` for a single question (`explain`): a code is read from its own file alone, not with every other
    rule's (~3 ms of ~45; issue 19). A file is named after its rule's code (tests/test_catalogue.py)."""
    path = rules_directory() / f"{code_or_name.strip().upper()}.md"
    if re.fullmatch(r"PGC\d{3}", path.stem) and path.is_file():
        return parse(path)
    return lookup(code_or_name)


def lookup(code_or_name: str) -> Rule | None:
    wanted = code_or_name.strip()
    for rule in load().values():
        if wanted.upper() == rule.code or wanted.lower() == rule.name or wanted.upper() in rule.aliases:
            return rule
    return None


def _sections(body: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    current = None
    for line in body.splitlines(keepends=True):
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = ""
        elif current is not None:
            sections[current] += line
    return sections


def _examples(section: str, bad: bool) -> list[Example]:
    examples = []
    for chunk in re.split(r"^### ", section, flags=re.MULTILINE)[1:]:
        slug, _, rest = chunk.partition("\n")
        files: dict[str, str] = {}
        expected: set[str] = set()
        for fence in _FENCE.finditer(rest):
            info = fence.group("info").split()
            attributes = dict(part.split("=", 1) for part in info[1:] if "=" in part)
            if info and info[0] == "findings":
                expected.update(line.strip() for line in fence.group("body").splitlines() if line.strip())
            elif "path" in attributes:
                body = fence.group("body")
                if attributes.get("escapes") == "true":  # lets an example hold bytes Markdown cannot
                    body = codecs.decode(body, "unicode_escape")
                files[attributes["path"]] = body
        examples.append(Example(slug.strip(), files, frozenset(expected), bad))
    return examples

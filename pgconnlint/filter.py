"""Which findings are reported: per-file ignores, inline suppressions, the baseline, and (for
pre-commit) only the findings that concern the files passed."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pgconnlint import catalogue
from pgconnlint.findings import Finding, finding
from pgconnlint.model import Severity, Suppression
from pgconnlint.suppressions import covers


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """What decides which findings are reported, after the checks ran."""

    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()  #: (glob, codes)
    only_paths: frozenset[str] | None = None  #: report only findings anchored in or citing these files
    selected: frozenset[str] | None = None  #: the rules that ran; None: all. A suppression of a rule that did
    #: not run cannot be judged unused, and PGC004 reports only when it is selected itself.
    unused_severity: Severity | None = None


def apply_filters(
    findings: list[Finding], suppressions: Iterable[Suppression], options: FilterOptions
) -> list[Finding]:
    kept = [f for f in findings if not _ignored_for_file(f, options.per_file_ignores)]
    kept, unused = _suppress(kept, list(suppressions))
    ran = options.selected
    if ran is None or "PGC004" in ran:
        for suppression, codes in unused:
            judged = tuple(code for code in codes if ran is None or code in ran)
            if judged:
                kept.append(_unused(suppression, judged, options.unused_severity))
    if options.only_paths is not None:
        kept = [f for f in kept if _concerns(f, options.only_paths)]
    return sorted(kept, key=lambda f: f.sort_key)


def _ignored_for_file(item: Finding, per_file: tuple[tuple[str, frozenset[str]], ...]) -> bool:
    return any(item.code in codes and fnmatch.fnmatchcase(item.location.path, glob) for glob, codes in per_file)


def _suppress(findings: list[Finding], suppressions: list[Suppression]):
    """Findings no suppression covers, and (suppression, codes that matched nothing) pairs."""
    rules = catalogue.load()
    used: set[tuple[int, str]] = set()
    kept = []
    for item in findings:
        hit = False
        for index, suppression in enumerate(suppressions):
            if not covers(suppression, item.location):
                continue
            for written in suppression.rules:
                rule = catalogue.lookup(written)
                if rule is not None and rule.code == item.code:
                    used.add((index, written))
                    hit = True
        if not hit:
            kept.append(item)
    unused = []
    for index, suppression in enumerate(suppressions):
        idle = [w for w in suppression.rules if (index, w) not in used and catalogue.lookup(w) is not None]
        if idle:
            unused.append((suppression, tuple(rules[catalogue.lookup(w).code].code for w in idle)))
    return kept, unused


def _unused(suppression: Suppression, codes: tuple[str, ...], severity: Severity | None) -> Finding:
    rule = catalogue.load()["PGC004"]
    item = finding(
        "PGC004",
        suppression.location,
        f"`pgconnlint: ignore[{', '.join(codes)}]` suppresses nothing on line {suppression.location.line}"
        f" or {suppression.location.line + 1}",
        help="remove it, or move it onto the finding's line or the line before",
    )
    return replace(item, severity=severity or rule.severity, name=rule.name)


def _concerns(item: Finding, paths: frozenset[str]) -> bool:
    return item.location.path in paths or any(location.path in paths for location in item.related)

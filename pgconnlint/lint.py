"""The pipeline: discover → extract → link → checks → filter."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pgconnlint import catalogue
from pgconnlint.budget import Budget, budgets
from pgconnlint.checks import CHECKS
from pgconnlint.checks.options import CheckOptions
from pgconnlint.discover import DEFAULT_EXCLUDES, Candidate, discover, read_text
from pgconnlint.findings import Finding
from pgconnlint.link import Facts, Project, link
from pgconnlint.model import Location, ParseProblem


@dataclass(frozen=True, slots=True)
class LintOptions:
    environment: str = "production"
    cpus: int | None = None  #: None: this machine's count
    select: frozenset[str] | None = None  #: codes; None selects every rule
    ignore: frozenset[str] = frozenset()
    headroom: float = 0.8
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES


@dataclass(frozen=True, slots=True)
class Result:
    root: Path
    findings: list[Finding]
    project: Project
    budgets: list[Budget]
    files: int  #: candidate files read


def lint(root: Path, options: LintOptions = LintOptions()) -> Result:
    root = root.resolve()
    candidates = discover(root, options.excludes)
    facts = extract_all(root, candidates)
    cpus = options.cpus or os.cpu_count() or 1
    project = link(facts, options.environment, cpus, cpus_given=options.cpus is not None)
    findings = run_checks(project, options)
    return Result(root, findings, project, budgets(project), len(candidates))


def run_checks(project: Project, options: LintOptions) -> list[Finding]:
    rules = catalogue.load()
    check_options = CheckOptions(headroom=options.headroom)
    found: dict[tuple, Finding] = {}
    for code, check in CHECKS:
        if (options.select is not None and code not in options.select) or code in options.ignore:
            continue
        rule = rules[code]
        for item in check(project, check_options):
            item = dataclasses.replace(item, severity=rule.severity, name=rule.name)
            # One config run by two apps is one problem in one place: keep the first report.
            found.setdefault((item.code, item.location), item)
    return sorted(found.values(), key=lambda f: f.sort_key)


def extract_all(root: Path, candidates: list[Candidate]) -> Facts:
    facts = Facts()
    for candidate in candidates:
        try:
            _EXTRACTORS[candidate.kind](root, candidate.path, facts)
        except (RecursionError, MemoryError):
            facts.problems.append(ParseProblem(Location(candidate.path, 1), "nested too deeply to read; not checked"))
    return facts


def _text_extractor(function: Callable, store: Callable[[Facts], list], many: bool = True):
    def run(root: Path, path: str, facts: Facts) -> None:
        text = read_text(root, path)
        if isinstance(text, ParseProblem):
            facts.problems.append(text)
            return
        found, problems = function(path, text)
        facts.problems.extend(problems)
        if found is None:
            return
        target = store(facts)
        target.extend(found) if many else target.append(found)

    return run


def _pgconf(root: Path, path: str, facts: Facts) -> None:
    from pgconnlint.extract import pgconf

    server, problems = pgconf.extract(root, path)
    facts.servers.append(server)
    facts.problems.extend(problems)


def _lazy(module: str, function: str) -> Callable:
    """Import an extractor on first use: parsers are heavy and a pre-commit run may need none of them."""

    def call(*args):
        import importlib

        return getattr(importlib.import_module(f"pgconnlint.extract.{module}"), function)(*args)

    return call


_EXTRACTORS = {
    "pgconf": _pgconf,
    "ormconfig": _text_extractor(_lazy("typeorm", "extract_ormconfig"), lambda f: f.typeorm),
    "typeorm-code": _text_extractor(_lazy("typeorm", "extract_code"), lambda f: f.typeorm),
    "pm2": _text_extractor(_lazy("pm2", "extract"), lambda f: f.pm2),
    "dotenv": _text_extractor(_lazy("dotenv", "extract"), lambda f: f.env_files, many=False),
    "package": _text_extractor(_lazy("package", "extract"), lambda f: f.packages, many=False),
}

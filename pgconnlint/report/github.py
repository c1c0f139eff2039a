"""GitHub Actions workflow commands: one annotation per finding, in a `::group::` per file (yamllint, sqlfluff)
with the budget's terms under it, then a summary line. Syntax and escaping:
https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from pgconnlint import neutral
from pgconnlint.findings import Finding
from pgconnlint.lint import Result
from pgconnlint.model import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(result: Result, out: TextIO) -> None:
    by_file: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_file.setdefault(f.location.path, []).append(f)
    for path, findings in by_file.items():
        shown = neutral.path(workspace_path(result.root, path))
        out.write(f"::group::{escape_data(shown)}\n")
        for f in map(neutral.finding, findings):
            out.write(annotation(f, shown) + "\n")
            # Every note is one neutralised line (pgconnlint/neutral.py): the runner strips leading whitespace
            # before matching `::command::`, so an indent alone would not keep a value from forging one.
            out.writelines(f"    {note}\n" for note in f.notes)
        out.write("::endgroup::\n")
    out.write(summary(result) + "\n")


def annotation(f: Finding, path: str) -> str:
    location = f.location
    properties: dict[str, object] = {"file": path, "line": location.line}
    # GitHub rejects the whole command when col/endColumn are given for a range over several lines, or when
    # endColumn < col (the failure ruff's github output had: astral-sh/ruff#22074).
    single_line = location.end_line in (None, location.line)
    if single_line:
        properties["col"] = location.column
    if location.end_line is not None:
        properties["endLine"] = location.end_line
    if single_line and location.end_column is not None and location.end_column >= location.column:
        properties["endColumn"] = location.end_column
    properties["title"] = f"{f.code} {f.name}".strip()
    listed = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    message = f"{f.message}\nhelp: {f.help}" if f.help else f.message
    return f"::{COMMANDS[f.severity]} {listed}::{escape_data(message)}"


def summary(result: Result) -> str:
    findings = result.findings
    checked = f"{result.files} configuration file{'s' if result.files != 1 else ''}"
    if not findings:
        return f"pgconnlint: no findings in {checked}"
    counts = ", ".join(
        f"{n} {COMMANDS[level]}{'s' if n != 1 else ''}"
        for level in reversed(Severity)
        if (n := sum(f.severity == level for f in findings))
    )
    plural = "s" if len(findings) != 1 else ""
    return f"pgconnlint: {len(findings)} finding{plural} ({counts}) in {checked}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(root: Path, path: str) -> str:
    """`path` relative to the working directory, where CI checks the repository out, when the linted root lies
    inside it (`services/api/ormconfig.json` for `pgconnlint check services/api`); else relative to the root."""
    try:
        return (root.resolve() / path).relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path

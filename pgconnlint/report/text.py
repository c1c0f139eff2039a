"""Text for people: `path:line:col: CODE [severity] message`, the source line with a caret on a terminal,
the budget's terms, a help line; colour only when the output is a terminal."""

from __future__ import annotations

from typing import TextIO

from pgconnlint import neutral
from pgconnlint.discover import read_text
from pgconnlint.lint import Result
from pgconnlint.model import Severity

_EXCERPT = 200  # characters of a source line shown under a finding: a minified line is not repeated whole
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render(
    result: Result, out: TextIO, color: bool | None = None, show_source: bool | None = None, quiet: bool = False
) -> None:
    from rich.console import Console
    from rich.markup import escape

    # emoji=False: `:x:` in an app or folder name stays text; values are neutralised (pgconnlint/neutral.py), then
    # markup-escaped, so nothing a repository writes reaches the terminal as a control sequence, markup or emoji.
    console = Console(
        file=out,
        force_terminal=color,
        no_color=True if color is False else None,  # None: rich honours NO_COLOR (https://no-color.org)
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )
    show_source = _isatty(out) if show_source is None else show_source
    sources: dict[str, list[str]] = {}
    for raw in result.findings:
        f = neutral.finding(raw)
        style = _STYLE[f.severity]
        console.print(f"[bold]{escape(str(f.location))}[/]: [{style}]{f.code} \\[{f.severity}][/] {escape(f.message)}")
        if show_source:
            _print_source(console, result, raw.location, sources)
        for note in f.notes:
            console.print(f"    {escape(note)}", style="dim")
        if f.help:
            console.print(f"    [green]help[/]: {escape(f.help)}")
    if not quiet:
        _print_summary(console, result)


def _print_source(console, result: Result, location, cache: dict[str, list[str]]) -> None:
    from rich.markup import escape

    if location.path not in cache:
        text = read_text(result.root, location.path)
        cache[location.path] = text.split("\n") if isinstance(text, str) else []  # as the extractors count
    lines = cache[location.path]
    if not 0 < location.line <= len(lines):
        return
    gutter = f"{location.line:>5} | "
    line = lines[location.line - 1].rstrip(chr(13))
    shown = neutral.value(line, _EXCERPT)
    console.print(f"{gutter}{escape(shown)}", style="dim")
    if shown[: location.column - 1] != line[: location.column - 1]:
        return  # escaped or masked before the column: a caret would point elsewhere
    width = 1
    if location.end_line == location.line and location.end_column:
        width = max(1, location.end_column - location.column)
    console.print(" " * (len(gutter) + location.column - 1) + "^" * width, style="bold red")


def _print_summary(console, result: Result) -> None:
    findings = result.findings
    if not findings:
        console.print(
            f"No findings ({result.files} configuration files checked,"
            f" environment {neutral.text(repr(result.project.environment))}).",
            markup=False,
        )
        return
    counts = ", ".join(
        f"{n} {level}{'s' if n != 1 and level != Severity.INFO else ''}"
        for level in reversed(Severity)
        if (n := sum(f.severity == level for f in findings))
    )
    plural = "s" if len(findings) != 1 else ""
    console.print(f"Found {len(findings)} finding{plural} ({counts}) in {result.files} configuration files.")
    codes = sorted({f.code for f in findings})
    console.print(f"Run `pgconnlint explain {codes[0]}` for what a rule checks and how to fix it.", style="dim")


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False

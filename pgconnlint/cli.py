"""Command line: `pgconnlint check`, `explain`, `rules`. Exit 0 clean, 1 findings that fail, 2 usage error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pgconnlint import __version__, catalogue
from pgconnlint.model import Severity
from pgconnlint.report import FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 too; keep its wording, add ours
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"pgconnlint: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pgconnlint", description="Lint ORM, process-manager and PostgreSQL configuration.")
    parser.add_argument("--version", action="version", version=f"pgconnlint {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="check a repository (default: the current directory)")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--output-file", type=Path, metavar="FILE", help="write the report here instead of stdout")
    check.add_argument(
        "--env", default="production", metavar="NAME", help="deployment environment (default: production)"
    )
    check.add_argument("--cpus", type=_positive_int, metavar="N", help="CPU count of the production host")
    check.add_argument("--select", type=_codes, default=None, metavar="CODES", help="comma-separated codes or names")
    check.add_argument(
        "--ignore", type=_codes, default=frozenset(), metavar="CODES", help="comma-separated codes or names"
    )
    check.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        default="warning",
        help="lowest severity that makes the exit status 1 (default: warning)",
    )
    check.add_argument("--no-color", action="store_true", help="never colour the text output")

    explain = commands.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", metavar="CODE|NAME")
    explain.add_argument("--format", choices=("text", "json"), default="text")

    commands.add_parser("rules", help="list every rule")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "explain":
            return _explain(args)
        return _rules()
    except UsageError as error:
        print(f"pgconnlint: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_CLEAN


class UsageError(Exception):
    pass


def _check(args: argparse.Namespace) -> int:
    from pgconnlint.lint import LintOptions, lint

    for path in args.paths:
        if not path.is_dir():
            raise UsageError(f"{path}: not a directory")
    options = LintOptions(environment=args.env, cpus=args.cpus, select=args.select, ignore=args.ignore)
    fail_on = Severity.parse(args.fail_on)
    status = EXIT_CLEAN
    out = args.output_file.open("w", encoding="utf-8") if args.output_file else sys.stdout
    try:
        for path in args.paths:
            result = lint(path, options)
            _render(result, args, out)
            if any(f.severity >= fail_on for f in result.findings):
                status = EXIT_FINDINGS
    finally:
        if args.output_file:
            out.close()
    return status


def _render(result, args: argparse.Namespace, out) -> None:
    import importlib

    report = importlib.import_module(f"pgconnlint.report.{args.format}")
    if args.format == "text":
        report.render(result, out, color=False if args.no_color or args.output_file else None)
    else:
        report.render(result, out)


def _explain(args: argparse.Namespace) -> int:
    rule = catalogue.lookup(args.rule)
    if rule is None:
        raise UsageError(f"no rule {args.rule!r}; `pgconnlint rules` lists them")
    if args.format == "json":
        import json

        meta = {
            "code": rule.code,
            "name": rule.name,
            "severity": str(rule.severity),
            "summary": rule.summary,
            "inputs": list(rule.inputs),
            "since": rule.since,
            "aliases": list(rule.aliases),
        }
        print(json.dumps({**meta, "body": rule.body}, indent=2))
        return EXIT_CLEAN
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console()
    console.print(f"[bold]{rule.code} {rule.name}[/] [dim]({rule.severity})[/]: {rule.summary}\n")
    console.print(Markdown(rule.body) if console.is_terminal else rule.body)
    return EXIT_CLEAN


def _rules() -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("code", "name", "severity"):
        table.add_column(column, no_wrap=True)
    table.add_column("summary", overflow="fold")
    for rule in catalogue.load().values():
        table.add_row(rule.code, rule.name, str(rule.severity), rule.summary)
    console = Console()
    if not console.is_terminal:  # piped: one rule per line, for grep
        console = Console(width=200)
    console.print(table)
    return EXIT_CLEAN


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _codes(text: str) -> frozenset[str]:
    codes = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        rule = catalogue.lookup(item)
        if rule is None:
            raise argparse.ArgumentTypeError(f"unknown rule {item!r}")
        codes.add(rule.code)
    return frozenset(codes)

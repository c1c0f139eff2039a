"""Command line: `pgconnlint check`, `budget`, `diff`, `doctor`, `explain`, `rules`.

Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage or configuration error, 3 internal error (a bug
in pgconnlint: one line on stderr, never a traceback, never read as findings). docs/security.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pgconnlint import VERSION, collector
from pgconnlint.report import FORMATS
from pgconnlint.severity import Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 too; keep its wording, add ours
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"pgconnlint: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pgconnlint", description="Lint ORM, process-manager and PostgreSQL configuration.")
    parser.add_argument("--version", action="version", version=VERSION)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="check a repository (default: the current directory)")
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path(".")],
        metavar="PATH",
        help="directories to check, or files: then the repository around them is checked and only"
        " findings that concern those files are reported (what pre-commit passes)",
    )
    _add_model_options(check)
    check.add_argument(
        "--format", "--output-format", dest="format", choices=FORMATS, default="text", help="(--output-format: as ruff)"
    )
    check.add_argument("--output-file", type=Path, metavar="FILE", help="write the report here instead of stdout")
    check.add_argument(
        "--select",
        type=_list,
        metavar="RULES",
        help="only these rules: codes, names, code prefixes (PGC2, PGC10) or ALL, comma-separated",
    )
    check.add_argument("--extend-select", type=_list, metavar="RULES", help="rules added to the selection")
    check.add_argument("--ignore", type=_list, metavar="RULES", help="rules never reported")
    check.add_argument("--exclude", type=_list, metavar="GLOBS", help="paths to skip, added to the defaults")
    check.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        help="lowest severity that makes the exit status 1 (default: warning)",
    )
    check.add_argument("--baseline", type=Path, metavar="FILE", help="report only findings not recorded in FILE")
    check.add_argument("--write-baseline", type=Path, metavar="FILE", help="record today's findings in FILE, exit 0")
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when there are findings (2 and 3 still mean errors)"
    )
    check.add_argument("--no-color", action="store_true", help="never colour the text output (also: NO_COLOR=1)")
    check.add_argument(
        "--show-source",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="text: print the source line with a caret under each finding (default: only on a terminal)",
    )
    check.add_argument("--quiet", "-q", action="store_true", help="text: print the findings only, no summary")
    check.add_argument(
        "--statistics",
        action="store_true",
        help="the number of findings per rule instead of the findings (text, or a JSON array with --format json)",
    )

    budget = commands.add_parser("budget", help="show each server's connection budget, term by term")
    budget.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")
    _add_model_options(budget)
    budget.add_argument("--suggest", action="store_true", help="pool sizes and max_connections that would fit")
    budget.add_argument("--format", choices=("text", "json"), default="text")
    budget.add_argument(
        "--bars",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="text: draw each server as a bar of its usable slots (default: only on a terminal)",
    )

    diff = commands.add_parser("diff", help="the budget change since a git revision, per deployment and server")
    diff.add_argument(
        "base",
        nargs="?",
        metavar="BASE",
        help="the git revision to compare with (default: the merge base of HEAD with origin/HEAD, main or master)",
    )
    diff.add_argument("--path", type=Path, default=Path("."), metavar="PATH", help="work tree folder (default: .)")
    _add_model_options(diff)
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    doctor = commands.add_parser("doctor", help="read a running PostgreSQL server's connections (read-only)")
    doctor.add_argument("path", nargs="?", type=Path, metavar="PATH", help="a repository to set its budget beside")
    doctor.add_argument("--dsn", metavar="URL", help="connection string (default: libpq's PG* variables)")
    doctor.add_argument(
        "--timeout", type=_positive_float, default=5.0, metavar="S", help="connect and query timeout (default: 5)"
    )
    doctor.add_argument("--format", choices=("text", "json"), default="text")
    doctor.add_argument(
        "--usage-threshold",
        type=_share,
        default=0.8,
        metavar="SHARE",
        help="warn above this share of the usable slots (default: 0.8)",
    )
    doctor.add_argument(
        "--idle-threshold-seconds",
        type=_positive_float,
        default=60.0,
        metavar="S",
        help="warn on sessions idle in transaction longer than this (default: 60)",
    )
    doctor.add_argument("--no-color", action="store_true", help="never colour the text output")
    _add_model_options(doctor)

    explain = commands.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", metavar="CODE|NAME")
    explain.add_argument("--format", choices=("text", "json"), default="text")

    commands.add_parser("rules", help="list every rule")
    return parser


def _add_model_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--env", metavar="NAME", help="deployment environment (default: production)")
    command.add_argument("--cpus", type=_positive_int, metavar="N", help="CPU count of the production host")
    command.add_argument("--config", type=Path, metavar="FILE", help="configuration file (default: found upwards)")
    command.add_argument("--jobs", type=_positive_int, metavar="N", help="parse with N processes (1: serial)")
    command.add_argument(
        "--deployment",
        metavar="NAME",
        help="budget this deployment only (a compose file, `FILE --profile P`, a manifests folder/, a pm2 file),"
        " also a CI, test or development one (default: every production deployment)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    collector.collect_less_often()
    try:
        return _run(args)
    except BrokenPipeError:
        return EXIT_CLEAN
    except KeyboardInterrupt:
        return 130
    except BaseException as error:  # noqa: BLE001 - any crash: its own status, one line, never a traceback
        if isinstance(error, SystemExit):
            raise
        where = _crash_site(error)
        print(f"pgconnlint: internal error: {type(error).__name__}{where}; please report it", file=sys.stderr)
        return EXIT_INTERNAL


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "budget":
            return _budget(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "doctor":
            return _doctor(args)
        if args.command == "explain":
            return _explain(args)
        return _rules()
    except Exception as error:
        if not isinstance(error, _usage_errors()):
            raise
        from pgconnlint import neutral

        print(f"pgconnlint: error: {neutral.text(str(error))}", file=sys.stderr)
        return EXIT_USAGE


def _usage_errors() -> tuple[type[Exception], ...]:
    """The errors that are the user's to fix (exit 2), imported only when one is raised: `rules` starts faster."""
    from pgconnlint.baseline import BaselineError
    from pgconnlint.config import ConfigError
    from pgconnlint.confine import Refused

    return UsageError, ConfigError, BaselineError, Refused


def _crash_site(error: BaseException) -> str:
    """` at pgconnlint/x.py:12`: the innermost frame of pgconnlint's own code, for the report (no values)."""
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__) if "pgconnlint" in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    return f" at {Path(frame.filename).parent.name}/{Path(frame.filename).name}:{frame.lineno}"


def _check(args: argparse.Namespace) -> int:
    targets = _targets(args.paths)
    if args.statistics and args.format not in ("text", "json"):
        raise UsageError(f"--statistics prints text or json, not {args.format}")
    if len(targets) > 1 and (args.format != "text" or args.write_baseline or args.baseline):
        raise UsageError(f"--format {args.format}, --baseline and --write-baseline take one directory at a time")
    _start_discovery(targets[0][0])
    from pgconnlint.lint import lint
    from pgconnlint.settings import CommandLine

    cli = CommandLine(
        args.select, args.extend_select, args.ignore, args.env, args.cpus, args.fail_on, args.exclude, args.deployment
    )
    status = EXIT_CLEAN
    out = _output(args.output_file, [root for root, _ in targets]) if args.output_file else sys.stdout
    try:
        for root, only_paths in targets:
            run = _settings(args, cli, root, only_paths)
            result = _lint(lint, root, run.lint)
            if args.write_baseline or args.baseline:
                from pgconnlint import baseline  # fingerprints: only for a baseline
            if args.write_baseline:
                baseline.write(result.findings, result.root, args.write_baseline)
                print(f"pgconnlint: recorded {len(result.findings)} findings in {args.write_baseline}", file=sys.stderr)
                continue
            if args.baseline:
                result = _replace_findings(result, baseline.subtract(result.findings, result.root, args.baseline))
            _render(result, args, out)
            if not args.exit_zero and any(f.severity >= run.fail_on for f in result.findings):
                status = EXIT_FINDINGS
    finally:
        if args.output_file:
            out.close()
    return status


def _start_discovery(root: Path) -> None:
    """git lists and searches the (first) tree while the interpreter imports the extractors and checks: on 2 CPUs
    both are busy. The other trees of a run are listed when their turn comes, as the imports are done by then."""
    from pgconnlint import discover

    discover.start(root)


def _output(path: Path, roots: list[Path]):
    from pgconnlint import confine

    try:
        return confine.open_for_writing(path, roots)
    except confine.Refused as refused:
        raise UsageError(str(refused)) from None


def _budget(args: argparse.Namespace) -> int:
    [(root, _)] = _targets([args.path])
    _start_discovery(root)
    from pgconnlint.lint import lint
    from pgconnlint.report import budget as view
    from pgconnlint.settings import CommandLine

    run = _settings(args, CommandLine(environment=args.env, cpus=args.cpus, deployment=args.deployment), root, None)
    result = _lint(lint, root, run.lint)
    view.render(
        result,
        sys.stdout,
        suggest=args.suggest,
        headroom=run.lint.headroom,
        server_memory=run.server_memory_bytes,
        as_json=args.format == "json",
        bars=args.bars,
    )
    return EXIT_CLEAN


def _diff(args: argparse.Namespace) -> int:
    """The budget at BASE against the working tree's (pgconnlint/diff.py); exit 1 when a server gets worse."""
    from pgconnlint import diff
    from pgconnlint.config import ConfigError
    from pgconnlint.linked import LinkError, UnknownDeployment
    from pgconnlint.lint import lint
    from pgconnlint.report import diff as view
    from pgconnlint.settings import CommandLine

    cli = CommandLine(environment=args.env, cpus=args.cpus, deployment=args.deployment)

    def budgets_at(root: Path):  # what `budget` computes, on the working tree and on the base's copy alike
        run = _settings(args, cli, root, None)
        try:
            return lint(root, run.lint).budgets, run.lint.headroom
        except UnknownDeployment as error:
            raise diff.NoSuchDeployment(str(error)) from None
        except LinkError as error:
            raise ConfigError(str(error)) from None

    try:
        found = diff.diff(args.path, args.base, budgets_at)
    except diff.DiffError as error:
        raise UsageError(str(error)) from None
    view.render(found, sys.stdout, args.format)
    return EXIT_FINDINGS if found.worse else EXIT_CLEAN


def _doctor(args: argparse.Namespace) -> int:
    from pgconnlint import doctor
    from pgconnlint.report import doctor as view
    from pgconnlint.settings import CommandLine

    budget = None
    if args.path is not None:  # read the repository first: a wrong PATH needs no server
        if not args.path.is_dir():
            raise UsageError(f"{args.path}: not a directory")
        from pgconnlint.lint import lint

        run = _settings(
            args, CommandLine(environment=args.env, cpus=args.cpus, deployment=args.deployment), args.path, None
        )
        budgets = _lint(lint, args.path, run.lint).budgets
        budget = budgets[0] if budgets else None
    try:
        live = doctor.read(args.dsn, args.timeout)
    except doctor.DoctorError as error:  # one line naming the cause, never the password
        raise UsageError(str(error)) from None
    options = doctor.DoctorOptions(args.usage_threshold, args.idle_threshold_seconds)
    diagnosis = doctor.diagnose(live, options, budget)
    if args.format == "json":
        view.render_json(diagnosis, sys.stdout)
    else:
        view.render_text(diagnosis, sys.stdout, color=False if args.no_color else None)
    failing = any(f.severity >= Severity.WARNING for f in diagnosis.findings)
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def _settings(args, cli, root: Path, only_paths):
    import dataclasses

    from pgconnlint import config
    from pgconnlint.settings import resolve

    if args.config is not None and not args.config.is_file():
        raise UsageError(f"{args.config}: no such configuration file")
    cli = dataclasses.replace(cli, jobs=getattr(args, "jobs", None))  # machine-wide, so set once for every command
    return resolve(config.load(args.config or config.find(root)), cli, root, only_paths)


def _lint(lint, root: Path, options):
    from pgconnlint.config import ConfigError
    from pgconnlint.linked import LinkError

    try:
        return lint(root, options)
    except LinkError as error:
        raise ConfigError(str(error)) from None


def _targets(paths: list[Path]) -> list[tuple[Path, frozenset[str] | None]]:
    """Directories are checked whole; files (pre-commit's arguments) select what to report from their repository."""
    directories = [(path, None) for path in paths if path.is_dir()]
    files = [path for path in paths if not path.is_dir()]
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        raise UsageError(f"{', '.join(missing)}: no such file or directory")
    if not files:
        return directories
    root = _repository_root(Path.cwd())
    relative = []
    for path in files:
        try:
            relative.append(path.resolve().relative_to(root).as_posix())
        except ValueError:
            raise UsageError(f"{path}: outside the repository at {root}") from None
    return [*directories, (root, frozenset(relative))]


def _repository_root(start: Path) -> Path:
    import subprocess

    from pgconnlint.discover import GIT

    try:
        top = subprocess.run(
            [*GIT, "-C", str(start), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return start.resolve()
    return Path(top.stdout.strip()).resolve() if top.returncode == 0 and top.stdout.strip() else start.resolve()


def _replace_findings(result, findings):
    from dataclasses import replace

    return replace(result, findings=findings)


def _render(result, args: argparse.Namespace, out) -> None:
    import importlib

    if args.statistics:
        _statistics(result.findings, out, as_json=args.format == "json")
        return
    report = importlib.import_module(f"pgconnlint.report.{args.format}")
    if args.format != "text":
        report.render(result, out)
        return
    color = False if args.no_color or args.output_file else None
    report.render(result, out, color=color, show_source=args.show_source, quiet=args.quiet)


def _statistics(findings, out, as_json: bool) -> None:
    """ruff's `--statistics`: one row per rule, most frequent first; JSON: an array of {code, name, severity, count}."""
    from collections import Counter

    counts = Counter((f.code, f.name, str(f.severity)) for f in findings)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    if as_json:
        import json

        keys = ("code", "name", "severity")
        json.dump([{**dict(zip(keys, rule, strict=True)), "count": count} for rule, count in rows], out, indent=2)
        out.write("\n")
        return
    for (code, name, severity), count in rows:
        out.write(f"{count:>5}  {code}  [{severity}]  {name}\n")


def _explain(args: argparse.Namespace) -> int:
    from pgconnlint import catalogue

    rule = catalogue.find(args.rule)
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
    console = _terminal_console()
    if console is None:  # piped: the Markdown as written, no markup, no wrapping
        sys.stdout.write(f"{rule.code} {rule.name} ({rule.severity}): {rule.summary}\n\n{rule.body}")
        return EXIT_CLEAN
    from rich.markdown import Markdown  # markdown-it: only for a terminal

    console.print(f"[bold]{rule.code} {rule.name}[/] [dim]({rule.severity})[/]: {rule.summary}\n", markup=True)
    console.print(Markdown(rule.body))
    return EXIT_CLEAN


def _terminal_console():
    """rich's Console when it sees a terminal, else None. rich is imported only when it could: stdout is a tty, or
    TTY_COMPATIBLE or FORCE_COLOR (which rich reads) is set; a piped `explain` needs none of it."""
    import os

    if not sys.stdout.isatty() and "TTY_COMPATIBLE" not in os.environ and "FORCE_COLOR" not in os.environ:
        return None
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else None


def _rules() -> int:
    from pgconnlint import catalogue

    rules = catalogue.load().values()
    if not sys.stdout.isatty():  # piped: one rule per line, whole, for grep and cut
        width = max(len(rule.name) for rule in rules)
        for rule in rules:
            print(f"{rule.code}  {rule.name:<{width}}  {str(rule.severity):<7}  {rule.summary}")
        return EXIT_CLEAN
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("code", "name", "severity"):
        table.add_column(column, no_wrap=True)
    table.add_column("summary", overflow="fold")
    for rule in rules:
        table.add_row(rule.code, rule.name, str(rule.severity), rule.summary)
    Console().print(table)
    return EXIT_CLEAN


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= _MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {_MAX_SECONDS:g}: {text}")
    return value


_MAX_SECONDS = 86_400.0  # a day: larger numbers overflow the millisecond timeouts the server takes


def _share(text: str) -> float:
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"a share of the usable slots, above 0 and at most 1: {text}")
    return value


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]

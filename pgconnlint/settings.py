"""The resolved settings of one run: command line over configuration file over defaults."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pgconnlint import catalogue
from pgconnlint.config import Config, ConfigError, parse_memory
from pgconnlint.discover import DEFAULT_EXCLUDES
from pgconnlint.lint import LintOptions
from pgconnlint.model import EnvBinding, Known, Location, Severity


@dataclass(frozen=True, slots=True)
class CommandLine:
    """The `check` options a user may pass; None means "not given", so the configuration applies."""

    select: list[str] | None = None
    extend_select: list[str] | None = None
    ignore: list[str] | None = None
    environment: str | None = None
    cpus: int | None = None
    fail_on: str | None = None
    exclude: list[str] | None = None
    deployment: str | None = None
    jobs: int | None = None


@dataclass(frozen=True, slots=True)
class RunSettings:
    """The settings of one checked tree: the lint options, the severity that fails the run, the server's memory."""

    lint: LintOptions
    fail_on: Severity
    server_memory_bytes: int | None


def resolve(config: Config, cli: CommandLine, root: Path, only_paths: frozenset[str] | None = None) -> RunSettings:
    source = _describe(config.path, root)
    # --select replaces the file's selection, extensions included; --extend-select adds to either.
    if cli.select is not None:
        select = _rules(cli.select, "--select")
    else:
        select = _rules(config.get("select"), source)
        if select is not None:
            select |= _rules(config.get("extend-select"), source)
    if select is not None:
        select |= _rules(cli.extend_select or [], "--extend-select")
    ignore = _rules(config.get("ignore"), source) | _rules(cli.ignore or [], "--ignore")
    severity = {
        code: Severity.parse(level) for key, level in config.get("severity").items() for code in _expand(key, source)
    }
    per_file = tuple((glob, frozenset(_rules(codes, source))) for glob, codes in config.get("per-file-ignores").items())
    memory = config.get("server-memory")
    options = LintOptions(
        environment=cli.environment or config.get("environment"),
        cpus=cli.cpus or config.get("cpus"),
        select=select,
        ignore=frozenset(ignore),
        headroom=float(config.get("headroom")),
        excludes=(*DEFAULT_EXCLUDES, *config.get("exclude"), *(cli.exclude or [])),
        severity=severity,
        env=tuple(_env_bindings(config, source)),
        processes={
            name: Known(count, _location(config, source, name), "declared in the configuration")
            for name, count in config.get("processes").items()
        },
        server=config.get("server"),
        deployment=cli.deployment or config.get("deployment"),
        server_profile=_profile(config, source),
        helm_values=tuple(config.get("helm-values")),
        postgres_version=config.get("postgres-version"),
        per_file_ignores=per_file,
        only_paths=only_paths,
        server_memory=parse_memory(memory) if memory else None,
        jobs=cli.jobs or config.get("jobs"),
    )
    fail_on = Severity.parse(cli.fail_on or config.get("fail-on"))
    return RunSettings(options, fail_on, parse_memory(memory) if memory else None)


def _profile(config: Config, source: str):
    """`server-profile`: a managed server from the providers' tables (pgconnlint/providers.py)."""
    written = config.get("server-profile")
    if written is None:
        return None
    from pgconnlint.providers import profile_server

    try:
        return profile_server(written, _location(config, source, "server-profile"))
    except ValueError as error:
        raise ConfigError(f"{source}: server-profile: {error}") from None


def _rules(items: list[str] | None, source: str) -> frozenset[str] | None:
    """Codes, names, code prefixes (`PGC2`, `PGC10`: every rule whose code starts so) and `ALL`, as ruff takes them."""
    if items is None:
        return None
    return frozenset(code for item in items for code in _expand(item, source))


def _expand(item: str, source: str) -> frozenset[str]:
    codes = catalogue.load()
    if item.upper() == "ALL":
        return frozenset(codes)
    prefix = item.upper()
    if _PREFIX.fullmatch(prefix) and len(prefix) < 6:
        matched = frozenset(code for code in codes if code.startswith(prefix))
        if matched:
            return matched
    return frozenset({_rule(item, source)})


_PREFIX = re.compile(r"PGC\d{0,3}")


def _rule(item: str, source: str) -> str:
    rule = catalogue.lookup(item)
    if rule is not None:
        return rule.code
    close = _close_rule(item)
    hint = f" (did you mean {close!r}?)" if close else "; `pgconnlint rules` lists them"
    raise ConfigError(f"{source}: unknown rule {item!r}{hint}")


def _close_rule(item: str) -> str | None:
    """A code written with a letter for a digit (`PGC1O1` is PGC101), or the one code a single digit away; else a
    rule name close in spelling. (A difflib ratio over codes offered PGC209 for PGC999 and PGC311 for PGC1O1.)"""
    rules = catalogue.load().values()
    if re.fullmatch(r"PGC\w{3}", item.upper()):
        typed = "PGC" + item.upper()[3:].translate(_LOOKALIKE_DIGITS)
        near = [r.code for r in rules if sum(a != b for a, b in zip(r.code, typed, strict=True)) <= 1]
        return typed if typed in near else near[0] if len(near) == 1 else None
    import difflib  # only for a mistake: ~1 ms to import (issue 19)

    close = difflib.get_close_matches(item, [r.name for r in rules], n=1)
    return close[0] if close else None


_LOOKALIKE_DIGITS = str.maketrans("OIL", "011")


def _env_bindings(config: Config, source: str):
    for name, value in config.get("env").items():
        yield EnvBinding(name, value, _location(config, source, name), "the pgconnlint configuration")


def _location(config: Config, source: str, key: str) -> Location:
    return Location(source, config.line_of(key) if config.path else 1)


def _describe(path: Path | None, root: Path) -> str:
    if path is None:
        return "the command line"
    try:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    except ValueError:
        return str(path)

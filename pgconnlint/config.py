"""Configuration: `[tool.pgconnlint]` in pyproject.toml, or pgconnlint.toml / .pgconnlint.toml.

Every option is declared once in `OPTIONS`, with its type, default and one sentence; the same table
validates files, documents itself (`pgconnlint config`, docs/configuration.md) and is the closed set
of keys: an unknown key or a wrong type is an error naming the file, the line and the key.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgconnlint import confine

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILES = ("pgconnlint.toml", ".pgconnlint.toml", "pyproject.toml")
_SEVERITIES = ("error", "warning", "info")


class ConfigError(Exception):
    """A configuration problem the user must fix; the CLI prints it and exits 2."""


@dataclass(frozen=True, slots=True)
class Option:
    """One key of the configuration file: its kind, default, help and how its value is checked."""

    key: str
    kind: str  #: shown in docs: "list of rules", "integer", …
    default: Any
    help: str
    check: Callable[[Any], str | None]  #: returns what is wrong, or None


def _list_of_strings(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return None if ok else "expected a list of strings"


def _table_of(check_value: Callable[[Any], str | None], what: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return f"expected a table of {what}"
        for key, item in value.items():
            problem = check_value(item)
            if problem:
                return f"{key!r}: {problem}"
        return None

    return check


def _integer(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"expected a whole number from {low} to {high}"

    return check


def _severity(value: Any) -> str | None:
    return None if value in _SEVERITIES else f"expected one of {', '.join(_SEVERITIES)}"


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "expected a non-empty string"


def _headroom(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1
    return None if ok else "expected a number above 0 and at most 1 (0.8 = warn above 80%)"


def _memory(value: Any) -> str | None:
    return None if isinstance(value, str) and parse_memory(value) else "expected a size such as '16GB' or '512MB'"


OPTIONS: tuple[Option, ...] = (
    Option(
        "select",
        "list of rules",
        None,
        "Rules to check, by code, name, code prefix (`PGC2`) or `ALL`; all rules when absent.",
        _list_of_strings,
    ),
    Option("extend-select", "list of rules", [], "Rules added to `select`.", _list_of_strings),
    Option("ignore", "list of rules", [], "Rules never reported.", _list_of_strings),
    Option(
        "severity",
        "table rule = level",
        {},
        "Severity per rule: error, warning or info.",
        _table_of(_severity, "levels"),
    ),
    Option("fail-on", "level", "warning", "Lowest severity that makes the exit status 1.", _severity),
    Option("exclude", "list of globs", [], "Paths skipped, added to the default excludes.", _list_of_strings),
    Option(
        "per-file-ignores",
        "table glob = list of rules",
        {},
        "Rules not reported in files matching a glob (the way to silence a JSON file).",
        _table_of(_list_of_strings, "lists of rules"),
    ),
    Option("environment", "string", "production", "Deployment environment the values are evaluated for.", _string),
    Option(
        "cpus",
        "integer",
        None,
        "CPU count of the production host, for CPU-dependent process counts.",
        _integer(1, 4096),
    ),
    Option(
        "jobs",
        "integer",
        None,
        "Processes that parse files; 1 is serial (default: usable CPUs, at most 4).",
        _integer(1, 64),
    ),
    Option("postgres-version", "integer", None, "Target PostgreSQL major version (12 to 18).", _integer(12, 18)),
    Option("server-memory", "size", None, "RAM of the database server, to cost a higher max_connections.", _memory),
    Option("headroom", "number", 0.8, "Share of the usable slots above which PGC102 warns.", _headroom),
    Option(
        "env",
        "table NAME = value",
        {},
        "Environment variables the deployment sets and the repository does not (lowest precedence).",
        _table_of(_string, "strings"),
    ),
    Option(
        "processes",
        "table app = integer",
        {},
        "Process count per process group (pm2 app name), overriding what the linker read.",
        _table_of(_integer(1, 100_000), "whole numbers"),
    ),
    Option(
        "server",
        "path",
        None,
        "The postgresql.conf of the server the apps use, when the repository holds several.",
        _string,
    ),
    Option(
        "deployment",
        "name",
        None,
        "The deployment to budget (a compose file, `FILE --profile P`, a manifests folder ending in /, a pm2 file),"
        " also a CI, test or development one; by default every production deployment (docs/deployments.md).",
        _string,
    ),
    Option(
        "server-profile",
        "provider:size",
        None,
        "A managed server the repository does not describe (rds:db.t3.medium, neon:1, supabase:small, …): its"
        " max_connections and reserved slots from the provider's published table; the apps count against it.",
        _string,
    ),
    Option(
        "helm-values",
        "list of paths",
        [],
        "Values files for `helm template`, relative to the repository root, when helm is on PATH.",
        _list_of_strings,
    ),
)
OPTIONS_BY_KEY = {option.key: option for option in OPTIONS}


@dataclass(frozen=True, slots=True)
class Config:
    """The configuration file read (or none), and its values."""

    path: Path | None  #: the file read, None when none was found
    values: dict[str, Any]
    text: str = ""

    def get(self, key: str) -> Any:
        return self.values.get(key, OPTIONS_BY_KEY[key].default)

    def line_of(self, key: str) -> int:
        """The line that sets `key` (also a key inside a table, such as an `env` variable); 1 if not found."""
        return _line_of(self.text, key)


def find(start: Path) -> Path | None:
    """The nearest configuration file from `start` up to the top of its git repository (only `start` itself when it
    is in no repository: a folder above the checked tree is someone else's): pgconnlint.toml, .pgconnlint.toml, or
    a pyproject.toml with a [tool.pgconnlint] table, in that order within each folder. A file that is a link out of
    that top folder is not read (pgconnlint/confine.py)."""
    folders = _folders(start.resolve())
    for folder in folders:
        for name in CONFIG_FILES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            try:
                confine.inside(folders[-1], str(candidate))
            except confine.Refused as refused:
                raise ConfigError(str(refused)) from None
            if name != "pyproject.toml" or _has_tool_table(candidate):
                return candidate
    return None


def _folders(start: Path) -> list[Path]:
    folders = []
    for folder in [start, *start.parents]:
        folders.append(folder)
        if (folder / ".git").exists():
            return folders
    return [start]


def load(path: Path | None) -> Config:
    if path is None:
        return Config(None, {})
    text = _text(path)
    data = _toml(path, text)
    tool = data.get("tool", {}) if path.name == "pyproject.toml" else {}
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table")
    table = tool.get("pgconnlint", {}) if path.name == "pyproject.toml" else data
    where = "[tool.pgconnlint]" if path.name == "pyproject.toml" else "the file"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.pgconnlint] must be a table")
    for key, value in table.items():
        option = OPTIONS_BY_KEY.get(key)
        line = _line_of(text, key)
        if option is None:
            import difflib  # only for a mistake: ~1 ms to import (issue 19)

            close = difflib.get_close_matches(key, OPTIONS_BY_KEY, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(OPTIONS_BY_KEY)}"
            raise ConfigError(f"{path}:{line}: unknown key {key!r} in {where}{hint}")
        problem = option.check(value)
        if problem:
            raise ConfigError(f"{path}:{line}: {key}: {problem}")
    return Config(path, dict(table), text)


def parse_memory(text: str) -> int | None:
    """Bytes in a PostgreSQL-style size ('16GB', '512MB', '1TB'); None when it is not one."""
    match = re.fullmatch(r"\s*(\d+)\s*(kB|MB|GB|TB)\s*", text)
    if not match:
        return None
    return int(match.group(1)) * 1024 ** ("kB", "MB", "GB", "TB").index(match.group(2)) * 1024


MAX_CONFIG_BYTES = 1024 * 1024


def _text(path: Path) -> str:
    """A configuration file's text: a regular file, bounded, UTF-8."""
    try:
        data = confine.read_regular(path, MAX_CONFIG_BYTES, "a configuration file")
    except confine.Refused as refused:
        raise ConfigError(str(refused)) from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start}); TOML files are UTF-8") from None
    return text


def _toml(path: Path, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read") from None


def _has_tool_table(path: Path) -> bool:
    """Whether a pyproject.toml holds [tool.pgconnlint]; one that cannot be read is ours only if it names us
    (then load() reports what is wrong with it), else it is the project's own business."""
    try:
        data = _toml(path, _text(path))
    except ConfigError:
        try:
            with open(path, "rb") as file:
                return b"pgconnlint" in file.read(MAX_CONFIG_BYTES)
        except OSError:
            return False
    tool = data.get("tool", {})
    return isinstance(tool, dict) and "pgconnlint" in tool


def _line_of(text: str, key: str) -> int:
    """The line that sets `key`: at the start of a line, else inside an inline table (`env = { X = "4" }`)."""
    quoted = rf"[\"']?{re.escape(key)}[\"']?[ \t]*="
    match = re.search(rf"^[ \t]*{quoted}", text, re.MULTILINE) or re.search(rf"[{{,][ \t]*{quoted}", text)
    return text.count("\n", 0, match.start()) + 1 if match else 1

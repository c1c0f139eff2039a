"""postgresql.conf, its includes and postgresql.auto.conf, read one line at a time through pgtoolkit.

pgtoolkit keeps no line numbers and, when it follows includes, loses each entry's file (FACTS.md,
"pgtoolkit"), so every physical line is handed to a fresh `Configuration` on its own and includes are
followed here, inside the repository only. Value parsing is pgtoolkit's; only units are normalised.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pgtoolkit.conf import Configuration, IncludeType

from pgconnlint import parameters
from pgconnlint.discover import read_text
from pgconnlint.model import Known, Location, ParseProblem, ServerConfig, ServerSetting

MAX_FILES = 100  # files read per server, each include of one file counted: bounds what a hostile include_dir costs
MAX_BYTES = 4 * 1024 * 1024  # text read per server, repeated includes of one big file counted each time
MAX_DEPTH = 10  # PostgreSQL's own limit on include nesting (CONF_FILE_MAX_DEPTH)
AUTO_CONF = "postgresql.auto.conf"

# The name, then an optional `=`, both with any whitespace: pgtoolkit accepts only spaces around `=`
# and only lower-case names (0.33.0 `_parameter_re`), so the line is rebuilt before it sees it.
_NAME = re.compile(r"\s*([^\s=#']+)\s*=?\s*")
_MASK = "\0"  # stands for a quoted `#`; read_text refuses files with NUL bytes, so it cannot clash
_OCTAL = re.compile(r"0[0-7]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WITH_UNIT = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*([a-zA-Z]+)")
_BYTES = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}  # case-sensitive, as PostgreSQL
_MILLISECONDS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def extract(root: Path, path: str) -> tuple[ServerConfig, list[ParseProblem]]:
    """Settings of the server configured by the postgresql.conf at `path` (POSIX, relative to root)."""
    reader = _Reader(root)
    if reader.read(path, Location(path, 1), ()):
        # ALTER SYSTEM's file is read after everything, so it wins (PostgreSQL's precedence).
        auto = posixpath.join(posixpath.dirname(path), AUTO_CONF)
        if auto != path and os.path.lexists(root / auto):
            reader.read(auto, Location(auto, 1), ())
    return ServerConfig(path, Location(path, 1), reader.settings()), reader.problems


def from_text(name: str, where: Location, text: str, first_line: int) -> tuple[ServerConfig, list[ParseProblem]]:
    """postgresql.conf text held in another file (a Kubernetes ConfigMap), read as a file is, each line located at
    `first_line` onwards in `where.path`. Its includes name files inside the container: reported, not followed."""
    reader = _Reader(Path("."), follow_includes=False)
    for number, line in enumerate(text.split("\n")):
        reader._line(Location(where.path, first_line + number), line, ())
    return ServerConfig(name, where, reader.settings()), reader.problems


@dataclass
class _Reader:
    root: Path
    values: dict[str, list[Known]] = field(default_factory=dict)  #: every value of a name, in reading order
    texts: dict[str, str] = field(default_factory=dict)  #: the last value of each name as written
    problems: list[ParseProblem] = field(default_factory=list)
    files_read: int = 0
    bytes_read: int = 0
    follow_includes: bool = True

    def settings(self) -> dict[str, ServerSetting]:
        """Each parameter's winning value, and the earlier ones it overrode."""
        return {
            name: ServerSetting(name, values[-1], tuple(values[:-1]), self.texts.get(name, ""))
            for name, values in self.values.items()
        }

    def read(self, path: str, where: Location, chain: tuple[str, ...]) -> bool:
        """Read one file in place; `where` is the include line (or the file itself), `chain` the includers."""
        key = os.path.realpath(self.root / path)  # a link to an including file is a loop too
        if key in chain:
            return self._problem(where, f"include loop: {path} is included again from {where.path}")
        if len(chain) > MAX_DEPTH:
            return self._problem(where, f"includes nested deeper than {MAX_DEPTH}; {path} not read")
        if self.files_read >= MAX_FILES:
            return self._problem(where, f"more than {MAX_FILES} configuration files; {path} not read")
        self.files_read += 1
        text = read_text(self.root, path)
        if isinstance(text, ParseProblem):
            self.problems.append(text)
            return False
        self.bytes_read += len(text)
        if self.bytes_read > MAX_BYTES:
            message = f"more than {MAX_BYTES} bytes of configuration for one server; {path} not read"
            return self._problem(where, message, skipped=True)
        # PostgreSQL ends lines at \n only; str.splitlines would also split at \f, \v, … and shift numbers.
        for number, line in enumerate(text.split("\n"), 1):
            self._line(Location(path, number), line, (*chain, key))
        return True

    def _line(self, at: Location, line: str, chain: tuple[str, ...]) -> None:
        code = _strip_comment(line)
        if not code.strip():
            return  # blank, or a comment: commented entries document defaults, they set nothing (FACTS bug 1)
        match = _NAME.match(code)
        rest = code[match.end() :].rstrip() if match else ""
        if not match or not rest:
            return self._unparsable(at, line)
        where = Location(at.path, at.line, match.start(1) + 1)
        name = match.group(1).lower()  # names are case-insensitive in PostgreSQL
        conf = Configuration()
        try:
            includes = list(conf.parse([f"{name} = {rest}\n"]))
        except Exception:  # pgtoolkit raises ValueError on bad lines, AssertionError on `include 1`
            return self._unparsable(at, line)
        for target, kind in includes:
            self._include(kind, str(target).replace(_MASK, "#"), where, chain)
        for entry in conf.entries.values():
            text = _unquote(rest.replace(_MASK, "#"))
            value = parameters.as_server_reads(name, text, normalise(entry.value))
            self.values.setdefault(name, []).append(Known(value, where, where.short))
            self.texts[name] = text

    def _include(self, kind: IncludeType, target: str, where: Location, chain: tuple[str, ...]) -> None:
        if not self.follow_includes:
            self._problem(where, f"include inside an embedded postgresql.conf not followed: {target}")
            return
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(where.path), target))
        if posixpath.isabs(target) or resolved.split("/")[0] == ".." or not self._inside(resolved):
            self._problem(where, f"include outside the repository not followed: {target}")
        elif kind is IncludeType.include_dir:
            self._include_dir(resolved, target, where, chain)
        elif os.path.lexists(self.root / resolved):
            self.read(resolved, where, chain)
        elif kind is IncludeType.include:  # include_if_exists skips a missing file silently
            self._problem(where, f"included file {target} not found")

    def _include_dir(self, folder: str, target: str, where: Location, chain: tuple[str, ...]) -> None:
        try:
            names = os.listdir(self.root / folder)
        except OSError:
            self._problem(where, f"included directory {target} not found")
            return
        # PostgreSQL sorts with strcmp: byte order, not the locale's.
        for name in sorted(names, key=os.fsencode):
            path = posixpath.join(folder, name)
            if name.endswith(".conf") and not name.startswith(".") and not (self.root / path).is_dir():
                self.read(path, where, chain)

    def _inside(self, path: str) -> bool:
        """Whether `path`, links resolved, stays in the tree (a linked folder could lead out of it)."""
        real = Path(os.path.realpath(self.root / path))
        return real.is_relative_to(os.path.realpath(self.root))

    def _unparsable(self, at: Location, line: str) -> None:
        text = line.strip()
        self._problem(at, f"cannot parse line: {text[:60] + ('…' if len(text) > 60 else '')!r}")

    def _problem(self, where: Location, message: str, skipped: bool = False) -> bool:
        self.problems.append(ParseProblem(where, message, skipped=skipped))
        return False


def _strip_comment(line: str) -> str:
    """The line without its comment, a quoted `#` masked: pgtoolkit 0.33.0 cuts `'a#b'` at the `#` (FACTS bug 2)."""
    kept, quoted, escaped = [], False, False
    for char in line:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True  # `\'` does not end the string (PostgreSQL's lexer)
        elif char == "'":
            quoted = not quoted  # a doubled `''` toggles twice and so stays inside
        elif char == "#":
            if not quoted:
                break
            char = _MASK
        kept.append(char)
    return "".join(kept)


def normalise(value: Any) -> Any:
    """pgtoolkit's value in PostgreSQL's base units: bytes for memory, milliseconds for time."""
    if isinstance(value, timedelta):
        return _whole(value / timedelta(milliseconds=1))
    if not isinstance(value, str):
        return value  # bool, int and float are pgtoolkit's own conversions
    text = value.strip()
    # pgtoolkit leaves quoted numbers ('100'), octal, units it does not know (B, us) and fractions with
    # units as strings; PostgreSQL reads them all by the parameter's type, whatever the quoting.
    if _OCTAL.fullmatch(text):
        return int(text, 8)
    if _HEX.fullmatch(text):
        return int(text, 16)
    if _INTEGER.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    match = _WITH_UNIT.fullmatch(text)
    if match and match.group(2) in _BYTES:
        return round(float(match.group(1)) * _BYTES[match.group(2)])
    if match and match.group(2) in _MILLISECONDS:
        return _whole(float(match.group(1)) * _MILLISECONDS[match.group(2)])
    return value.replace(_MASK, "#")


def _whole(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'").replace("\\'", "'")
    return text

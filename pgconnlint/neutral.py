"""Every value a repository or a server supplies is neutralised here before any format prints it.

- `text`: control characters (C0, DEL, C1, line and paragraph separators, bidirectional overrides) and bytes that
  were not UTF-8 are shown escaped (`\\x1b`, `\\n`, `\\u202e`), so no value can move the cursor, clear the screen,
  write the clipboard (OSC 52), link (OSC 8) or start a new line; and no line can start a CI workflow command:
  GitHub's runner matches `::command` after leading whitespace and `##[command]` anywhere in a line (Azure:
  `##vso[`), so a leading `::` and every `##[` are escaped.
- `redact`: passwords in connection URLs (an unencoded `@` in the password included: the last `@` before the host
  ends it), in keyword DSNs (`password=my secret`, `password='my secret'`, conninfo inside a quoted
  primary_conninfo) and in `password: …` / `PASSWORD=…` assignments become `********`.
- `bound`: no value is echoed whole beyond a few hundred characters.
`finding` applies all three to what a finding says; every reporter prints findings through it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

MASK = "********"
MAX_MESSAGE = 1_000  #: characters of a message, a note or a help line
MAX_RELATED = 50  #: related locations of one finding (a file included 10,000 times is one place, not 10,000)
MAX_VALUE = 200  #: characters of one echoed value inside a message (checks bound theirs with `bound`)

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_WORKFLOW_ANYWHERE = re.compile(r"##(?=(?:vso)?\[)")
_WORKFLOW_START = re.compile(r"^(\s*):(?=:)")


def text(value: object) -> str:
    """`value` safe to print on a terminal and in a CI log, shown, not hidden: escapes are visible."""
    shown = _CONTROL.sub(_escape, str(value))
    shown = _WORKFLOW_ANYWHERE.sub(r"#\\x23", shown)
    return _WORKFLOW_START.sub(r"\1\\x3a", shown)


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def bound(value: str, limit: int = MAX_VALUE) -> str:
    """`value`, cut after `limit` characters with the length it had."""
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"


# --- passwords ----------------------------------------------------------------------------------------------------

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)(?P<rest>[^\s'\"<>`]+)")
_QUERY_PASSWORD = re.compile(r"(?i)([?&](?:password|pass|pwd)=)[^&\s'\"]*")
# `password=…` in a keyword DSN or conninfo, `password: …` in code or YAML, `PASSWORD=…` in an environment line:
# a doubled-quote value (inside a quoted primary_conninfo), a quoted one, or the words up to the next `key=` (libpq
# echoes the second word of an unquoted `password=my secret` in its syntax error).
_KEYWORD_PASSWORD = re.compile(
    r"(?i)(?P<key>\b\w*(?:password|passwd|pwd)\w*[\"']?\s*[:=]\s*)"
    r"(?P<value>''(?:[^']|'(?!'))*''|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`"
    r"|[^\s,;}'\"&)]+(?:[ \t]+(?![\w.]+\s*=)[^\s,;}'\"&)=]+)*)"
)


def redact(value: str) -> str:
    """`value` with every password it holds masked."""
    value = _URL_CREDENTIALS.sub(_redact_url, value)
    value = _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", value)
    return _KEYWORD_PASSWORD.sub(_redact_keyword, value)


def _redact_url(match: re.Match) -> str:
    rest = match.group("rest")
    at = rest.rfind("@")  # libpq and the URL parsers end the user information at the last `@`
    if at < 0 or ":" not in rest[:at]:
        return match.group()
    user = rest[:at].split(":", 1)[0]
    return f"{match.group('scheme')}{user}:{MASK}{rest[at:]}"


def _redact_keyword(match: re.Match) -> str:
    found = match.group("value")
    if found.startswith(("${", "$", "process.env", "os.environ", "env(")) or found in ("''", '""', MASK):
        return match.group()  # a reference to a secret, not a secret
    return f"{match.group('key')}{MASK}"


def passwords(dsn: str) -> list[str]:
    """The passwords a connection string holds, as written (for removing them from a server's own messages)."""
    found = []
    for match in _URL_CREDENTIALS.finditer(dsn):
        rest = match.group("rest")
        at = rest.rfind("@")
        if at > 0 and ":" in rest[:at]:
            found.append(rest[:at].split(":", 1)[1])
    found += [m.group(2) for m in re.finditer(r"(?i)[?&](password)=([^&\s]+)", dsn)]
    for match in _KEYWORD_PASSWORD.finditer(dsn):
        value = match.group("value")
        found.append(value[1:-1] if value[:1] in "'\"" and len(value) > 1 else value)
    return sorted({s for s in found if s}, key=len, reverse=True)


# --- findings -----------------------------------------------------------------------------------------------------


def value(raw: object, limit: int = MAX_MESSAGE) -> str:
    """One echoed value or message: passwords masked, bounded, then made safe to print."""
    return text(bound(redact(str(raw)), limit))


def finding(f):
    """A copy of finding `f` whose every string is safe to print in any format (the location's path too)."""
    location = dataclasses.replace(f.location, path=text(f.location.path))
    return dataclasses.replace(
        f,
        message=value(f.message),
        help=value(f.help) if f.help else f.help,
        notes=tuple(value(note) for note in f.notes),
        location=location,
        related=tuple(dataclasses.replace(r, path=text(r.path)) for r in f.related[:MAX_RELATED]),
        data=data(f.data),
    )


def data(item: Any) -> Any:
    """Machine-readable values (a finding's `data`, a budget's terms) with every string neutralised."""
    if isinstance(item, str):
        return value(item)
    if isinstance(item, dict):
        return {value(k) if isinstance(k, str) else k: data(v) for k, v in item.items()}
    if isinstance(item, (list, tuple)):
        return [data(v) for v in item]
    if isinstance(item, float) and item != item:  # NaN: not JSON
        return None
    return item


def path(raw: str) -> str:
    """A repository path for display: its bytes that were not UTF-8 shown escaped, control characters too."""
    return text(raw)

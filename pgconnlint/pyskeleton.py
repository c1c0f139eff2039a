"""The skeleton of a Python module: its import statements inside the blocks that hold them, the rest blanked (issue
19: skyvern's processes reach 16 MB of their own Python, and `ast.parse` of it was half the run).

reach_python.py reads only a module's import statements, each with its line and the blocks around it, and never looks
inside a function that does not run at start-up. The skeleton keeps exactly that: every logical line that starts with
`import`/`from`, every block header (`class`, `if`, `try`, `with`, `for`…, whole, on as many lines as it spans) and
each function the caller wants followed; a function it does not want is dropped with its body. Every other line
becomes empty, so each kept line keeps its number; a header left without a body gets ` pass`. Parsing the skeleton
gives the walk the same import statements in the same blocks for a fraction of the parse.

Strings and comments are blanked first, so a line inside a string, a bracket inside a string or an `import` in a
comment never counts; a line inside open brackets or after a backslash continues its statement. Where the text could
fool this (a declared encoding, tabs or form feeds in indentation, a lone carriage return, a null byte, text that is
not UTF-8, the word `import` in a line the skeleton would drop, brackets that never close), `skeleton` returns None
and the module is parsed whole. tests/test_pyskeleton.py compares both on every Python file of the fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: a comment, or a string literal whole (prefix letters stay outside the match: they never hold quotes), each loop
#: unrolled (`[^"\\]*(?:\\.[^"\\]*)*`): a run of ordinary characters costs one step, not one alternation each. A
#: string that never ends (not Python: the whole parse rejects it) stops at the end of its line or of the text: an
#: attempt failing there would be made again from each later quote (a hostile 2 MB file: minutes)
_STRING_OR_COMMENT = re.compile(
    rb"""(\#[^\n]*
    | \"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:\"\"\"|\\?\Z)
    | '''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*(?:'''|\\?\Z)
    | "[^"\\\n]*(?:\\.[^"\\\n]*)*(?:"|(?=\n)|\\?\Z)
    | '[^'\\\n]*(?:\\.[^'\\\n]*)*(?:'|(?=\n)|\\?\Z))""",
    re.VERBOSE | re.DOTALL,
)
#: inside strings and comments every byte but quotes and newlines becomes a space (the separator 0 is kept)
_BLANKED = bytes(byte if byte in b"\n\"'\x00" else 32 for byte in range(256))
#: the same for the masked text, whose newlines inside a string become 1: a header's logical line runs on to the
#: string's end (`if a == """…""":`), and no line starts inside a string
_MASK = _BLANKED.replace(b"\n", b"\x01")
#: the first word of a statement the skeleton keeps: an import, a block header, a function (its name, when it is
#: plain ASCII: any other `def` is kept, never dropped on a name read in part); the soft keywords `match` and `case`
#: too (a statement that only starts with such a name is kept whole, which is harmless)
_HEADERS = (
    rb"(?:i(?:mport|f)|f(?:rom|or|inally)|async|def|c(?:lass|ase)|e(?:l(?:if|se)|xcept)|try|w(?:ith|hile)|match)\b"
)
_FUNCTION = rb"(?:async[ ]+)?def[ ]+(\w+)(?=[ ]*[(\[])"
_KEPT_START = re.compile(rb"^([ ]*+)(?:" + _FUNCTION + rb"|" + _HEADERS + rb")", re.MULTILINE)
_KEPT_START_DECORATED = re.compile(rb"^([ ]*+)(?:" + _FUNCTION + rb"|@|" + _HEADERS + rb")", re.MULTILINE)
_IMPORT_WORD = re.compile(rb"import\b")  #: a word when the byte before it is not part of a name (checked apart)
_INDENT_NOT_SPACES = re.compile(rb"(?:^|\n)[ ]*[\t\f]")  #: indentation Python measures in its own way
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)  #: PEP 263
#: an f-string whose replacement field holds its own quote (`f"{x["a"]}"`, Python 3.12's PEP 701): the string
#: pattern above would end it there
_NESTED_QUOTE = re.compile(rb"""[fF][rR]?(?:"[^"\n{]*\{[^"\n}]*"|'[^'\n{]*\{[^'\n}]*')""")
_SPACES = re.compile(rb"[ ]*")
_BRACKETS = bytes.maketrans(b"[{]}", b"(())")  #: every opening bracket as `(`, every closing one as `)`


def skeleton(data: bytes, follows: Callable[[str], bool] | None = None) -> bytes | None:
    """The module's skeleton, keeping the functions whose name `follows` accepts; without `follows`, every function
    with its decorators (python_scan.py reads the endpoints from them). None when it must be parsed whole."""
    data = data.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    if not _plain(data):
        return None
    masked = _masked(data)
    kept = _kept_lines(masked, follows)
    return None if kept is None else _assembled(data, masked, kept)


def _plain(data: bytes) -> bool:
    """Text this module reads as Python does: UTF-8, no declared encoding, one kind of newline, no null byte, no
    quote nested in an f-string, and indentation made of spaces."""
    if b"\r" in data or b"\x00" in data or declares_encoding(data):
        return False
    if _NESTED_QUOTE.search(data):
        return False
    if (b"\t" in data or b"\f" in data) and _INDENT_NOT_SPACES.search(data):
        return False
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _masked(data: bytes) -> bytes:
    """The text with every byte of each comment and string replaced by a space, but quotes (and newlines, as 1):
    what is left of a string can no longer look like code, a bracket or a backslash (the lengths are the same)."""
    pieces = _STRING_OR_COMMENT.split(data)
    if len(pieces) > 1:
        pieces[1::2] = b"\x00".join(pieces[1::2]).translate(_MASK).split(b"\x00")
    return b"".join(pieces)


def _kept_lines(masked: bytes, follows: Callable[[str], bool] | None) -> list[tuple[int, int, bool]] | None:
    """The (start, end, is_header) offsets of the logical lines kept, in order; None where the skeleton cannot tell
    (an `import` word outside them, brackets that never close)."""
    brackets = masked.translate(_BRACKETS)
    kept: list[tuple[int, int, bool]] = []
    dropped: list[tuple[int, int, int]] = []  #: (start, end, indentation) of the functions left out
    depth = 0
    counted = 0  #: the bracket depth is `depth` at this offset
    for match in (_KEPT_START if follows else _KEPT_START_DECORATED).finditer(masked):
        start = match.start()
        if kept and start < kept[-1][1]:
            continue  # inside a logical line already kept
        depth += brackets.count(b"(", counted, start) - brackets.count(b")", counted, start)
        counted = start
        if depth or (start >= 2 and masked[start - 2] == 92):  # 92: a backslash before the newline
            continue  # a `for`/`if`/`else` inside a comprehension or a conditional expression
        indent = match.end(1) - start
        if dropped and dropped[-1][1] < 0:
            if indent > dropped[-1][2]:
                continue  # inside the function left out
            dropped[-1] = (dropped[-1][0], start, dropped[-1][2])
        name = match.group(2)
        if name is not None and follows and not follows(name.decode()):
            dropped.append((start, -1, indent))
            continue
        end = _logical_end(masked, brackets, start)
        if end is None:
            return None
        kept.append((start, end, name is not None or not masked.startswith((b"import", b"from"), match.end(1))))
    if dropped and dropped[-1][1] < 0:
        dropped[-1] = (dropped[-1][0], len(masked), dropped[-1][2])
    return kept if _imports_kept(masked, kept, dropped) else None


def _logical_end(masked: bytes, brackets: bytes, start: int) -> int | None:
    """The end of the logical line starting at `start` (its last newline excluded); None if brackets never close."""
    depth = 0
    line_start = start
    while True:
        newline = masked.find(b"\n", line_start)
        end = len(masked) if newline < 0 else newline
        depth += brackets.count(b"(", line_start, end) - brackets.count(b")", line_start, end)
        if depth < 0:
            return None
        if depth == 0 and not masked.endswith(b"\\", line_start, end):
            return end
        if newline < 0:
            return None
        line_start = newline + 1


def _imports_kept(masked: bytes, kept: list[tuple[int, int, bool]], dropped: list[tuple[int, int, int]]) -> bool:
    """Whether every `import` word lies in a kept line or deeper than a function left out (`x = 1; import y` does
    not: the module is then parsed whole)."""
    lines, functions = iter(kept), iter(dropped)
    line, function = next(lines, None), next(functions, None)
    previous, line_start, indent = 0, -1, 0  #: the last word's offset, its line's start and indentation (many
    #: words on one line, behind a long indentation: one search)
    for match in _IMPORT_WORD.finditer(masked):
        at = match.start()
        if at and (masked[at - 1 : at].isalnum() or masked[at - 1] == 95):
            continue  # `__import__`, `reimport`
        while line is not None and line[1] <= at:
            line = next(lines, None)
        while function is not None and function[1] <= at:
            function = next(functions, None)
        if line is not None and line[0] <= at:
            continue
        if function is None or at < function[0]:
            return False
        start = masked.rfind(b"\n", previous, at) + 1
        if start > line_start:
            line_start, indent = start, _indent(masked, start)
        previous = at
        if indent <= function[2]:
            return False
    return True


def _assembled(data: bytes, masked: bytes, kept: list[tuple[int, int, bool]]) -> bytes:
    """The kept logical lines at their own line numbers, imports as written; a header as masked (its comment gone),
    with ` pass` when its body was left out."""
    pieces: list[bytes] = []
    done = 0
    for index, (start, end, header) in enumerate(kept):
        pieces.append(b"\n" * data.count(b"\n", done, start))
        if not header:
            pieces.append(data[start:end])
        else:
            line = _header(data[start:end]).rstrip()
            deeper = index + 1 < len(kept) and _indent(masked, kept[index + 1][0]) > _indent(masked, start)
            pieces.append(line + b" pass" if line.endswith(b":") and not deeper else line)
        done = end
    pieces.append(b"\n")
    return b"".join(pieces)


def _header(text: bytes) -> bytes:
    """A header's text without its comments and with its strings blanked, still valid Python (the masked text keeps
    a quote written in a comment, which would open a string there)."""
    pieces = _STRING_OR_COMMENT.split(text)
    pieces[1::2] = [b"" if token.startswith(b"#") else _blank_string(token) for token in pieces[1::2]]
    return b"".join(pieces)


def _blank_string(token: bytes) -> bytes:
    quote = 3 if len(token) >= 6 and token[1] == token[2] == token[0] else 1
    inner = token[quote:-quote].translate(_BLANKED).replace(b"'", b" ").replace(b'"', b" ")
    if quote == 1:  # a newline in a one-quote string follows a backslash, which must stay
        inner = inner.replace(b" \n", b"\\\n")
    return token[:quote] + inner + token[-quote:]


def _indent(masked: bytes, start: int) -> int:
    return _SPACES.match(masked, start).end() - start


def declares_encoding(data: bytes) -> bool:
    """A PEP 263 encoding declaration on the first two lines: the module's bytes and its UTF-8 text may differ."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    return _COOKIE.search(data, 0, len(data) if second < 0 else second) is not None

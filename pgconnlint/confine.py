"""The confinement rule: every file pgconnlint reads or writes for a checked tree goes through here.

A path is taken whole: every component resolved, links included (a committed `etc -> /etc` folder link is a
link like any other), and it must end inside the real checked root. What is refused is reported by its path and
the reason, never by its content. Writes (`--output-file`, `--write-baseline`) never go through a link that
leads into or out of the tree, and never through a final link at all (O_NOFOLLOW).
docs/security.md states the rule for users.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path


class Refused(Exception):
    """A path outside the confinement; the message names the path and why, never what it holds."""


def inside(root: Path | str, path: str) -> Path:
    """The real path of `path` (relative to `root`, or absolute) when it lies inside `root`; else Refused.
    A path that does not exist yet is resolved as far as it exists."""
    real_root = _realpath(os.fspath(root))
    full = path if posixpath.isabs(path) or os.path.isabs(path) else os.path.join(real_root, path)
    real = _realpath(full)
    if _within(real, real_root):
        return Path(real)
    lexical = os.path.normpath(full)
    if not _within(lexical, real_root):
        raise Refused(f"{path}: outside the tree; not read")
    link = _first_link(real_root, os.path.relpath(lexical, real_root))
    raise Refused(f"{path}: the symbolic link {link} leads out of the tree (to {real}); not followed")


#: the real path of each folder `inside` resolved in this run: a tree's thousands of reads share a few hundred
#: folders, and os.path.realpath walks every component in Python (formbricks: 3,200 reads, 162 ms of 1.6 s).
#: `forget()` empties it when a run starts, so that a tree changed between two runs of one process is resolved again.
_REAL_FOLDERS: dict[str, str] = {}
_MAX_FOLDERS = 50_000


def forget() -> None:
    _REAL_FOLDERS.clear()


def _realpath(full: str) -> str:
    """os.path.realpath(full), the resolution of its folder shared with the other files of that folder: realpath
    resolves components left to right, so the real folder joined with a last component that is no link is the
    answer, and a link there is resolved from the real folder, as realpath would."""
    folder, name = os.path.split(full)
    if name in ("", ".", ".."):
        return os.path.realpath(full)
    real_folder = _REAL_FOLDERS.get(folder)
    if real_folder is None:
        if len(_REAL_FOLDERS) >= _MAX_FOLDERS:
            _REAL_FOLDERS.clear()
        real_folder = _REAL_FOLDERS[folder] = os.path.realpath(folder)
    candidate = os.path.join(real_folder, name)
    return os.path.realpath(candidate) if os.path.islink(candidate) else candidate


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _first_link(root: str, relative: str) -> str:
    """The first component of `relative` that is a symbolic link, as the repository names it."""
    current = root
    parts = relative.split(os.sep)
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        if os.path.islink(current):
            return "/".join(parts[: index + 1])
    return relative


def open_for_writing(target: Path, roots: list[Path]):
    """`target` opened for writing (text, UTF-8), refusing a write through a link into or out of a checked tree
    and a final link anywhere; a missing folder is Refused too (a usage error, not a crash)."""
    absolute = Path(os.path.abspath(target))
    folder = absolute.parent
    if not folder.is_dir():
        raise Refused(f"{target}: no such folder {folder}")
    real = Path(os.path.realpath(folder)) / absolute.name  # the last component is never followed (O_NOFOLLOW)
    for root in roots:
        real_root, plain_root = Path(os.path.realpath(root)), Path(os.path.abspath(root))
        named_inside = absolute.is_relative_to(plain_root) or absolute.is_relative_to(real_root)
        if named_inside != real.is_relative_to(real_root):
            way = "out of" if named_inside else "into"
            raise Refused(f"{target}: a symbolic link leads {way} the checked tree {root} (to {real}); not written")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(absolute, flags, 0o644)
    except OSError as error:
        raise Refused(f"{target}: cannot write: {error.strerror or error}") from None
    return os.fdopen(descriptor, "w", encoding="utf-8", errors="surrogateescape")


def read_regular(path: Path, limit: int, what: str) -> bytes:
    """A file the user names (a configuration, a baseline): a regular file only (never a device such as /dev/zero)
    and at most `limit` bytes; Refused says why, naming `what` it should have been."""
    try:
        if not path.is_file():
            raise Refused(f"{path}: not a regular file")
        with open(path, "rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise Refused(f"{path}: cannot read: {error.strerror or error}") from None
    if len(data) > limit:
        raise Refused(f"{path}: over {limit} bytes; not {what}")
    return data

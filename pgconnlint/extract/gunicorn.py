"""gunicorn's configuration file (`gunicorn.conf.py`, or the one `-c` names): the settings that decide how
many processes serve and how many requests each serves at once. Read with libcst, never executed."""

from __future__ import annotations

from pathlib import PurePosixPath

from pgconnlint.expr import Obj
from pgconnlint.extract.python import PySource
from pgconnlint.model import ParseProblem, ProcessDecl

SETTINGS = ("workers", "worker_class", "threads", "worker_connections")


def extract(path: str, text: str) -> tuple[list[ProcessDecl], list[ParseProblem]]:
    source = PySource.parse(path, text)
    if isinstance(source, ParseProblem):
        return [], [source]
    entries, keys = {}, {}
    for name in SETTINGS:
        node = source.constants.get(name)
        if node is not None:
            entries[name] = source.expr(node)
            keys[name] = entries[name].location
    directory = str(PurePosixPath(path).parent).removeprefix(".")
    options = Obj(source.location(source.module), path, entries, keys)
    return [ProcessDecl("gunicorn-config", options, path, directory)], []

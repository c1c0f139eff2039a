"""Hostile inputs (issue 16): what a repository an attacker controls can make pgconnlint read, print or spend."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout


def cli(*args: str) -> tuple[int, str, str]:
    """Run `pgconnlint ARGS` in-process: (exit status, stdout, stderr)."""
    from pgconnlint.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit:
            status = exit.code
    return status, out.getvalue(), err.getvalue()

"""Baselines: record today's findings so that only new ones fail.

An entry matches on code, path and a fingerprint of the finding's source line (its stripped text,
plus how many identical lines with the same code came before it in the file): editing lines above a
finding moves it without changing its fingerprint, and editing the line itself makes it new.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from pgconnlint import confine, neutral
from pgconnlint.findings import Finding
from pgconnlint.fingerprint import fingerprint_keys

VERSION = 1


class BaselineError(Exception):
    pass


def fingerprints(findings: list[Finding], root: Path) -> list[str]:
    return [hashlib.sha256(key.encode()).hexdigest()[:32] for key in fingerprint_keys(findings, root)]


def write(findings: list[Finding], root: Path, target: Path) -> None:
    entries = [
        {
            "code": f.code,
            "path": f.location.path,
            "line": f.location.line,
            "fingerprint": fp,
            "message": neutral.value(f.message),
        }
        for f, fp in zip(findings, fingerprints(findings, root), strict=True)
    ]
    with confine.open_for_writing(target, [root]) as out:
        out.write(json.dumps({"version": VERSION, "findings": entries}, indent=2) + "\n")


MAX_BASELINE_BYTES = 64 * 1024 * 1024


def _text(source: Path) -> str:
    """The baseline's text: a regular file (never a device such as /dev/zero), bounded, UTF-8."""
    try:
        data = confine.read_regular(source, MAX_BASELINE_BYTES, "a pgconnlint baseline")
    except confine.Refused as refused:
        raise BaselineError(str(refused)) from None
    text = data.decode("utf-8", "replace")
    return text


def subtract(findings: list[Finding], root: Path, source: Path) -> list[Finding]:
    """The findings the baseline does not record; each entry absorbs one finding."""
    try:
        data = json.loads(_text(source))
        recorded = Counter((e["code"], e["path"], e["fingerprint"]) for e in data["findings"])
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise BaselineError(f"{source}: not a pgconnlint baseline ({type(error).__name__})") from None
    new = []
    for finding, fingerprint in zip(findings, fingerprints(findings, root), strict=True):
        key = (finding.code, finding.location.path, fingerprint)
        if recorded[key] > 0:
            recorded[key] -= 1
        else:
            new.append(finding)
    return new

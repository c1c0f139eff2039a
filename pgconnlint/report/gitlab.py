"""A GitLab Code Quality report (a JSON array of Code Climate issues), for `artifacts:reports:codequality`.
Fields: https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format"""

from __future__ import annotations

import hashlib
import json
from typing import TextIO

from pgconnlint import neutral
from pgconnlint.findings import Finding
from pgconnlint.fingerprint import fingerprint_keys
from pgconnlint.lint import Result
from pgconnlint.model import Severity
from pgconnlint.report.github import workspace_path

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(result: Result, out: TextIO) -> None:
    issues = [
        _issue(neutral.finding(f), neutral.path(workspace_path(result.root, f.location.path)), key)
        for f, key in zip(result.findings, fingerprint_keys(result.findings, result.root), strict=True)
    ]
    json.dump(issues, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _issue(f: Finding, path: str, key: str) -> dict:
    budget = f.code.startswith("PGC1")
    return {
        "description": f"{f.code} {f.message}",
        "check_name": f.code,
        # GitLab compares fingerprints between the source and target branch to tell new issues from fixed ones:
        # code, path and line text (not number) plus an occurrence counter, so an edit above keeps it.
        "fingerprint": hashlib.md5(key.encode("utf-8", "surrogateescape"), usedforsecurity=False).hexdigest(),
        # An exceeded connection budget refuses connections in production: GitLab's "critical" rather than "major".
        "severity": "critical" if budget and f.severity == Severity.ERROR else SEVERITIES[f.severity],
        "categories": ["Performance"] if budget else ["Bug Risk"],
        "location": {"path": path, "lines": {"begin": f.location.line}},
    }

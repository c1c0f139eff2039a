"""Shared helpers: materialise a tree of files and run the real pipeline on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgconnlint.lint import LintOptions, Result, lint

FIXTURES = Path(__file__).parent / "fixtures"
TEST_CPUS = 8  # fixed so that CPU-dependent counts do not follow the test machine


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8", "surrogatepass"))
    return root


@pytest.fixture
def lint_tree(tmp_path):
    """lint_tree({path: content}, **options) -> Result, through discover → extract → link → checks."""

    trees = iter(range(1_000))

    def run(files: dict[str, str | bytes], **options) -> Result:
        options.setdefault("cpus", TEST_CPUS)
        return lint(write_tree(tmp_path / f"repo{next(trees)}", files), LintOptions(**options))

    return run


def keys(result: Result) -> list[tuple[str, str, int]]:
    return [f.key for f in result.findings]

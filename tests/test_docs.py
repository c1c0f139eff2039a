"""Docs that cannot drift: every console example in README.md and docs/ is run and compared, as the catalogue's
examples are (tests/test_catalogue.py). A block runs in the folder named by an HTML comment just above it,
`<!-- run: tests/fixtures/NAME -->` (`<!-- run: tests/fixtures/NAME in a copy -->` when its commands write: a
baseline, `git init`), or at the repository root when its commands name their fixture; a block that cannot run
here says why, `<!-- not run: REASON -->`, and an unmarked block that names no fixture fails. The commands of a
block run in one shell, in order, so `echo $?` shows the previous status.
`(...)` cuts what a page need not show: a line of its own stands for any number of lines, inside a line for the rest
of it (a piped budget table is as wide as its longest path). `PGCONNLINT_UPDATE_DOCS=1 pytest tests/test_docs.py`
rewrites, whole, each shown output that is not the real one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARK = re.compile(r"<!-- (run: (?P<run>\S+)(?P<copy> in a copy)?|not run: (?P<why>.+?)) -->")


@dataclass(frozen=True)
class Example:
    page: Path
    start: int  #: index of the first line inside the fence
    end: int  #: index of the closing fence
    lines: tuple[str, ...]
    run_in: str | None
    skip: str | None
    in_copy: bool = False  #: the commands write (a baseline, `git init`): run them in a copy of the fixture

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.start}"


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").split("\n")
        for index, line in enumerate(lines):
            if line.strip() != "```console":
                continue
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            above = "\n".join(lines[max(0, index - 3) : index])
            mark = MARK.search(above)
            run_in = mark["run"] if mark and mark["run"] else None
            skip = mark["why"] if mark and mark["why"] else None
            copy = bool(mark and mark["copy"])
            found.append(Example(page, index + 1, end, tuple(lines[index + 1 : end]), run_in, skip, copy))
    return found


EXAMPLES = examples()


def commands(example: Example) -> list[tuple[str, list[str]]]:
    """(command, the output shown under it) pairs."""
    pairs: list[tuple[str, list[str]]] = []
    for line in example.lines:
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif pairs:
            pairs[-1][1].append(line)
    return pairs


@pytest.fixture(scope="module")
def shims(tmp_path_factory) -> Path:
    """`pgconnlint` and `python` on PATH, both this checkout's."""
    folder = tmp_path_factory.mktemp("bin")
    for name, command in (("pgconnlint", f'{sys.executable} -m pgconnlint "$@"'), ("python", f'{sys.executable} "$@"')):
        shim = folder / name
        shim.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {command}\n")
        shim.chmod(0o755)
    return folder


SEPARATOR = "@@pgconnlint-docs-command-done@@"


def run(block: list[str], cwd: Path, shims: Path) -> list[list[str]]:
    """Each command's output (stdout and stderr as a terminal interleaves them), all in one shell as a reader
    types them, so that `echo $?` shows the previous command's status."""
    env = {**os.environ, "PATH": f"{shims}:{os.environ['PATH']}", "NO_COLOR": "1", "COLUMNS": "200"}
    script = "".join(f"{{ {command}\n}} 2>&1; s=$?; echo; echo {SEPARATOR}; (exit $s)\n" for command in block)
    done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    outputs = done.stdout.split(f"\n{SEPARATOR}\n")[: len(block)]
    return [output.rstrip("\n").split("\n") if output.strip("\n") else [] for output in outputs]


def test_every_console_example_runs_or_says_why_not():
    unmarked = [e.id for e in EXAMPLES if not e.skip and not e.run_in and not _names_a_fixture(e)]
    assert not unmarked, f"mark with <!-- run: DIR --> or <!-- not run: REASON -->: {unmarked}"


def _names_a_fixture(example: Example) -> bool:
    """Every command reads a fixture by name, or reads no tree at all (`explain`, `rules`)."""
    if not any(re.search(r"tests/fixtures/|pgconnlint (explain|rules)", command) for command, _ in commands(example)):
        return False
    return all(
        "tests/fixtures/" in command or "pgconnlint" not in command or re.search(r"pgconnlint (explain|rules)", command)
        for command, _ in commands(example)
    )


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e.skip], ids=lambda e: e.id)
def test_console_example_is_the_real_output(example, shims, tmp_path):
    cwd = ROOT / example.run_in if example.run_in else ROOT
    if example.in_copy:
        cwd = Path(shutil.copytree(cwd, tmp_path / cwd.name, symlinks=True))
    block = [command for command, _ in commands(example)]
    actual = []
    for command, output in zip(block, run(block, cwd, shims), strict=True):
        actual += [f"$ {command}", *output]
    shown = [line.rstrip() for line in example.lines]
    actual = [line.rstrip() for line in actual]
    if os.environ.get("PGCONNLINT_UPDATE_DOCS") and not _shows(shown, actual):
        _rewrite(example, actual)
    assert _shows(shown, actual), "\n".join(actual)


ELIDED = "(...)"  #: a line of its own stands for any number of lines; inside a line, for any text


def _shows(shown: list[str], actual: list[str]) -> bool:
    """The shown output is the real one, but where `(...)` cuts it."""
    if not shown:
        return not actual
    if shown[0] == ELIDED:
        return any(_shows(shown[1:], actual[skip:]) for skip in range(len(actual) + 1))
    if not actual:
        return False
    pattern = ".*".join(re.escape(part) for part in shown[0].split(ELIDED))
    return re.fullmatch(pattern, actual[0]) is not None and _shows(shown[1:], actual[1:])


def _rewrite(example: Example, actual: list[str]) -> None:
    """Found again by its text: an earlier rewrite of the same page may have moved it."""
    lines = example.page.read_text(encoding="utf-8").split("\n")
    size = len(example.lines)
    start = next(
        i
        for i in range(len(lines))
        if tuple(lines[i : i + size]) == example.lines and lines[i - 1].strip() == "```console"
    )
    lines[start : start + size] = actual
    example.page.write_text("\n".join(lines), encoding="utf-8")


def test_precommit_hook_files_pattern_is_what_ci_md_says():
    import yaml

    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    pattern = re.compile(hook["files"])
    for path in ("ormconfig.json", "app/db.py", "Procfile", "Dockerfile", "docker-compose.yml", "requirements.txt"):
        assert pattern.search(path), path
    for path in ("k8s/api.yaml", "infra/rds.tf", "fly.toml"):
        assert not pattern.search(path), path
    assert hook["pass_filenames"] is True


def test_readme_pins_the_hook_to_a_commit_that_exists():
    readme = (ROOT / "README.md").read_text()
    [rev] = re.findall(r"rev: ([0-9a-f]{40})", readme)
    assert subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}^{{commit}}"]).returncode == 0
    assert f"pgconnlint/pgconnlint@{rev}" in readme

"""Parsing in worker processes (`--jobs`, pgconnlint/parallel.py): the same findings and budgets as a serial run,
and a reader that crashes, fails or hangs in a worker costs its own file only."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from pgconnlint import lint as lint_module
from pgconnlint import parallel, reach_python
from pgconnlint.cli import main
from pgconnlint.discover import Candidate
from pgconnlint.lint import LintOptions, extract_all, lint
from pgconnlint.model import Location, ParseProblem
from pgconnlint.report.json import document

FIXTURES = Path(__file__).parent / "fixtures"
needs_fork = pytest.mark.skipif(parallel.workers_for(2) < 2, reason="no fork or a single usable CPU: always serial")


@pytest.fixture
def always_parallel(monkeypatch):
    """Workers even for a tree of a few files (the thresholds are for real repositories): for extraction, and for
    the Python import walk of linking."""
    monkeypatch.setattr(lint_module, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(reach_python, "PARALLEL_MIN_FILES", 1)


@needs_fork
@pytest.mark.parametrize(
    "fixture",
    [
        "monorepo-three-stacks",
        "mixed-node-python",
        "django-gunicorn-celery",
        "nest-multi-module",
        "helm-app",
        "terraform-aurora",
        "compose-pgbouncer",
    ],
)
def test_the_json_report_is_the_same_with_one_and_two_jobs(fixture, always_parallel):
    serial = document(lint(FIXTURES / fixture, LintOptions(cpus=4, jobs=1)))
    forked = document(lint(FIXTURES / fixture, LintOptions(cpus=4, jobs=2)))
    assert json.dumps(forked, sort_keys=True) == json.dumps(serial, sort_keys=True)


def _test_reader(root: Path, path: str, facts) -> None:
    """A reader registered by the tests only: what the file says is what it does."""
    text = (root / path).read_text()
    if text == "crash":
        os._exit(3)  # a native parser's segfault, the OOM killer
    if text == "hang":
        time.sleep(60)
    if text == "unpicklable":
        facts.problems.append(lambda: None)
    facts.problems.append(ParseProblem(Location(path, 1), f"read {text}"))


@pytest.fixture
def test_reader(monkeypatch, always_parallel):
    monkeypatch.setitem(lint_module._EXTRACTORS, "test-reader", _test_reader)
    monkeypatch.setattr(lint_module, "PARALLEL_KINDS", lint_module.PARALLEL_KINDS | {"test-reader"})


def _read(tmp_path: Path, texts: list[str], **options):
    for index, text in enumerate(texts):
        (tmp_path / f"f{index}").write_text(text)
    candidates = [Candidate(f"f{index}", "test-reader") for index in range(len(texts))]
    return [(p.location.path, p.message) for p in extract_all(tmp_path, candidates, **options).problems]


@needs_fork
def test_a_worker_that_dies_costs_its_file_only(tmp_path, test_reader):
    found = _read(tmp_path, ["a", "b", "crash", "c", "d", "crash", "e"], jobs=2)
    crashed = "the process reading it crashed; not checked"
    assert found == [
        ("f0", "read a"),
        ("f1", "read b"),
        ("f2", crashed),
        ("f3", "read c"),
        ("f4", "read d"),
        ("f5", crashed),
        ("f6", "read e"),
    ]


@needs_fork
def test_facts_a_worker_cannot_send_back_are_that_file_s_problem(tmp_path, test_reader):
    found = _read(tmp_path, ["a", "unpicklable", "b"], jobs=2)
    assert found == [("f0", "read a"), ("f1", "internal error while reading it; not checked"), ("f2", "read b")]


@needs_fork
def test_the_run_s_time_budget_stops_a_hung_worker(tmp_path, test_reader):
    started = time.monotonic()
    found = _read(tmp_path, ["a", "hang", "b", "c"], jobs=2, seconds=2)
    assert time.monotonic() - started < 20
    unread = "the run's time budget of 2 s was spent on other files; not read"
    assert ("f0", "read a") in found and ("f1", unread) in found
    assert [path for path, _ in found] == ["f0", "f1", "f2", "f3"]  # every file once, in order


def test_jobs_1_reads_in_this_process(tmp_path, test_reader):
    """Serial: the test reader's file list is read here, so a crash would end this process; none is tried."""
    assert _read(tmp_path, ["a", "b"], jobs=1) == [("f0", "read a"), ("f1", "read b")]


def test_a_small_tree_is_read_without_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "ordered", lambda *args, **kw: pytest.fail("forked for a small tree"))
    lint(FIXTURES / "django-gunicorn-celery", LintOptions(cpus=4, jobs=2))


def test_jobs_on_the_command_line_and_in_the_configuration(tmp_path, capsys):
    fixture = str(FIXTURES / "django-gunicorn-celery")
    assert main(["check", fixture, "--cpus", "4", "--jobs", "1", "--format", "json", "--exit-zero"]) == 0
    serial = capsys.readouterr().out
    assert main(["check", fixture, "--cpus", "4", "--jobs", "2", "--format", "json", "--exit-zero"]) == 0
    assert capsys.readouterr().out == serial
    with pytest.raises(SystemExit):
        main(["check", fixture, "--jobs", "0"])
    (tmp_path / "pgconnlint.toml").write_text("jobs = 2\n")
    assert main(
        ["check", fixture, "--cpus", "4", "--config", str(tmp_path / "pgconnlint.toml"), "--format", "json"]
    ) in (0, 1)
    capsys.readouterr()
    (tmp_path / "pgconnlint.toml").write_text("jobs = 0\n")
    assert main(["check", fixture, "--config", str(tmp_path / "pgconnlint.toml")]) == 2

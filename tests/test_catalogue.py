"""The catalogue is the rules' spec: every registered check has an entry, and every entry's examples run."""

from __future__ import annotations

import ast
import pkgutil
import re
from pathlib import Path

import pytest
from conftest import TEST_CPUS, write_tree

import pgconnlint.checks
from pgconnlint import catalogue, config
from pgconnlint.checks import CHECKS, DOCTOR_RULES, FILTER_RULES
from pgconnlint.lint import lint
from pgconnlint.settings import CommandLine, resolve

RULES = catalogue.load()
EXAMPLES = [
    pytest.param(rule, example, id=f"{rule.code}-{example.slug}")
    for rule in RULES.values()
    for example in rule.examples()
]


def test_registry_and_catalogue_match_exactly():
    assert sorted([code for code, _ in CHECKS] + list(FILTER_RULES) + list(DOCTOR_RULES)) == sorted(RULES)
    assert not set(FILTER_RULES) & {code for code, _ in CHECKS}
    assert not set(DOCTOR_RULES) & ({code for code, _ in CHECKS} | set(FILTER_RULES))


def test_every_check_module_is_registered():
    registered = {check.__module__.rsplit(".", 1)[-1] for _, check in CHECKS}
    modules = {m.name for m in pkgutil.iter_modules(pgconnlint.checks.__path__) if not m.name.startswith("_")}
    assert modules - {"options"} == registered


def test_checks_are_listed_in_code_order():
    assert [code for code, _ in CHECKS] == sorted(code for code, _ in CHECKS)


def test_check_modules_are_named_after_their_rule():
    for code, check in CHECKS:
        assert check.__module__.rsplit(".", 1)[-1] == RULES[code].name.replace("-", "_")


def test_checks_import_no_parser_extractor_or_renderer():
    forbidden = re.compile(r"^(pgconnlint\.extract\b|pgconnlint\.report\b|rich|tree_sitter|ruamel|pgtoolkit|libcst)")
    for path in Path(pgconnlint.checks.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [name for name in imported if forbidden.match(name)], path.name


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.code)
def test_entry_has_the_closed_ordered_sections(rule):
    headings = [line[3:].strip() for line in rule.body.splitlines() if line.startswith("## ")]
    assert all(heading in catalogue.SECTIONS for heading in headings), headings
    assert headings == [s for s in catalogue.SECTIONS if s in headings], "sections out of order"
    assert set(catalogue.REQUIRED_SECTIONS) <= set(headings)
    assert re.fullmatch(r"PGC\d{3}", rule.code) and rule.path.stem == rule.code
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    examples = rule.examples()
    assert any(e.bad for e in examples) and any(not e.bad for e in examples)


def test_names_and_codes_are_unique():
    names = [rule.name for rule in RULES.values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_catalogue_example(rule, example, tmp_path):
    if rule.code in DOCTOR_RULES:
        pytest.skip("needs a running server: tests/doctor/test_doctor.py asserts this rule's bad and good cases live")
    root = write_tree(tmp_path / "example", example.files)
    # A filter rule judges the other rules' findings, so they run too; its own findings are compared.
    select = None if rule.code in FILTER_RULES else [rule.code]
    # As the command line runs it: the example's own configuration file, if it has one, applies.
    run = resolve(config.load(config.find(root)), CommandLine(select=select, cpus=TEST_CPUS), root)
    result = lint(root, run.lint)
    found = {f"{f.code} {f.location.path}:{f.location.line}:{f.location.column}" for f in result.findings}
    found = {line for line in found if line.startswith(rule.code)}
    if example.bad:
        assert example.findings, "a bad example must list the findings it produces"
        assert found == set(example.findings)
    else:
        assert found == set()


def test_readme_rule_table_matches_the_catalogue():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    rows = {
        tuple(cell.strip() for cell in line.strip("|").split("|"))
        for line in readme.splitlines()
        if line.startswith("| PGC")
    }
    assert rows == {(r.code, r.name, str(r.severity), r.summary) for r in RULES.values()}


def test_docs_index_lists_every_rule():
    index = (Path(__file__).resolve().parent.parent / "docs" / "index.md").read_text()
    listed = {line.split("]")[0].lstrip("| [") for line in index.splitlines() if line.startswith("| [PGC")}
    assert listed == set(RULES)

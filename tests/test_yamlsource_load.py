"""yamlsource.load: configuration YAML (compose, pm2, Helm values, CI) read with YAML 1.2's core schema as
ruamel.yaml's round-trip loader read it, on libyaml's composer; the same answers from PyYAML alone."""

from __future__ import annotations

import math

import pytest
import yaml

from pgconnlint.expr import Arr, Lit, Obj
from pgconnlint.extract import yamlsource
from pgconnlint.extract.yamlsource import load


@pytest.fixture(params=["libyaml", "pure"])
def parser(request, monkeypatch):
    """Every test runs twice: with libyaml's composer, and as if PyYAML had been installed without libyaml."""
    if request.param == "pure":
        monkeypatch.setattr(yaml, "__with_libyaml__", False)
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    yamlsource._config_loader.cache_clear()
    yield request.param
    yamlsource._config_loader.cache_clear()


def one(text: str) -> Obj:
    documents, problems = load("compose.yml", text)
    assert problems == []
    [document] = documents
    assert isinstance(document, Obj)
    return document


def values(text: str) -> dict[str, object]:
    return {key: value.value for key, value in one(text).entries.items()}


def test_plain_scalars_follow_yaml_1_2(parser):
    got = values(
        "port: 22:22\nssl: on\nlegacy: yes\nmode: 0755\nbig: 1_000\nflag: True\nnothing: ~\nempty:\n"
        "octal: 0o17\nhex: 0x1F\nbinary: 0b101\nexp: 1e3\ninf: -.inf\nwhen: 2024-01-01\nquoted: '5'\n"
    )
    assert got == {
        "port": "22:22",  # YAML 1.1 read it as 1342 (base 60)
        "ssl": "on",
        "legacy": "yes",
        "mode": 755,  # YAML 1.2: a leading zero is not octal
        "big": 1000,
        "flag": True,
        "nothing": None,
        "empty": None,
        "octal": 15,
        "hex": 31,
        "binary": 5,
        "exp": 1000.0,
        "inf": -math.inf,
        "when": "2024-01-01",  # timestamps stay text
        "quoted": "5",
    }
    assert math.isnan(one("x: .nan\n").get("x").value)


def test_texts_are_what_the_value_reads_as(parser):
    document = one("a: 1_000\nb: TRUE\nc: ~\nd: 0x10\ne: 2001-12-14t21:59:43.10-05:00\n")
    assert [document.get(key).text for key in "abcde"] == [
        "1000",
        "True",
        "null",
        "16",
        "2001-12-14T21:59:43.100000-05:00",
    ]


def test_a_yaml_1_1_directive_holds_until_the_next_one(parser):
    documents, problems = load(
        "x.yml", "%YAML 1.1\n---\na: on\nb: 0755\nc: 1:20\n---\nd: off\n---\n%YAML 1.2\n---\ne: on\n"
    )
    assert problems == []
    assert [{k: v.value for k, v in d.entries.items()} for d in documents] == [
        {"a": True, "b": 493, "c": 80},
        {"d": False},
        {"e": "on"},
    ]


def test_duplicate_keys_stop_the_file_with_their_place(parser):
    documents, problems = load("compose.yml", "services:\n  a: 1\n  a: 2\n")
    assert documents == []
    [problem] = problems
    assert (problem.location.line, problem.location.column) == (3, 3)
    assert problem.message == 'invalid YAML: found duplicate key "a" with value "2" (original value: "1")'
    _, problems = load("compose.yml", "a: 1\n<<: {b: 1}\n<<: {c: 1}\n")
    assert [(p.location.line, p.message) for p in problems] == [(3, 'invalid YAML: found duplicate merge key "<<"')]


def test_merge_keys_explicit_first_then_the_first_merged_map(parser):
    document = one("base: &base\n  x: 1\n  y: 2\nmore: &more\n  y: 3\n  z: 4\napp:\n  <<: [*base, *more]\n  x: 10\n")
    app = document.get("app")
    assert {key: value.value for key, value in app.entries.items()} == {"x": 10, "y": 2, "z": 4}
    assert list(app.entries) == ["x", "y", "z"]  # explicit keys, then merged ones in the order they arrive
    assert app.key_location("x").line == 9
    assert app.key_location("y") == app.location and app.location.line == 8  # a merged key is placed at its map


def test_an_anchor_defined_again_takes_the_latest(parser):
    assert values("a: &x 1\nb: &x 2\nc: *x\n") == {"a": 1, "b": 2, "c": 2}


def test_tags_are_kept_never_constructed(parser):
    document = one("a: !Ref Bucket\nb: !!python/object:os.system {cmd: ls}\nc: !!str 123\nd: !!int '12'\n")
    assert document.get("a").value == "Bucket"
    assert isinstance(document.get("b"), Obj) and document.get("b.cmd").value == "ls"
    assert document.get("c").value == "123" and document.get("d").value == 12


def test_empty_values_are_placed_where_the_next_key_starts(parser):
    document = one("x:\n  a:\n  # note\n  b: 1\nc: # why\nd: {e: }\n")
    assert (document.get("x.a").location.line, document.get("x.a").location.column) == (4, 3)
    assert (document.get("c").location.line, document.get("c").location.column) == (
        5,
        3,
    )  # after an end-of-line comment
    assert (document.get("d.e").location.line, document.get("d.e").location.column) == (6, 7)


def test_locations_of_keys_values_and_items(parser):
    document = one("services:\n  api:\n    ports: [80, '443']\n    command:\n      - run\n")
    ports = document.get("services.api.ports")
    assert isinstance(ports, Arr) and [(i.location.line, i.location.column) for i in ports.items] == [(3, 13), (3, 17)]
    assert document.get("services.api").key_location("command").column == 5
    command = document.get("services.api.command")
    assert isinstance(command.items[0], Lit) and command.items[0].location.line == 5


def test_invalid_yaml_is_one_problem_with_its_place(parser):
    documents, problems = load("compose.yml", 'a: "x" y\n')
    assert documents == []
    assert [(p.location.line, p.location.column, p.message) for p in problems] == [
        (1, 8, "invalid YAML: expected <block end>, but found '<scalar>'")
    ]


def test_an_alias_to_an_unfinished_map_is_null_and_a_self_reference_is_refused(parser):
    document = one("a: &a\n  b: 1\n  c: *a\n")
    assert document.get("a.c").value is None
    _, problems = load("x.yml", "&r {a: 1, b: *r}\n")
    assert [p.message for p in problems] == [yamlsource._SELF_REFERENCE]
    _, problems = load("x.yml", "a: &a\n  <<: *a\n")
    assert len(problems) == 1 and problems[0].message.startswith("invalid YAML")


def test_an_alias_bomb_is_cut_off_by_the_node_budget(parser):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6)
    )
    documents, problems = load("bomb.yml", bomb)
    assert documents == [] and "more than 50000 nodes" in problems[0].message


def test_odd_tagged_numbers_are_problems_not_crashes(parser):
    for text in ("a: !!int abc\n", "a: 0x_\n", "a: !!bool maybe\n", "a: 2024-13-45\n", "a: !!float 1e\n"):
        documents, problems = load("x.yml", text)
        assert documents == [] and len(problems) == 1 and problems[0].message.startswith("invalid YAML")


def test_tabs_between_tokens_are_read_by_libyaml(parser):
    text = "key:\tvalue\nother: a\tb\n"
    if parser == "pure":  # PyYAML's Python scanner refuses these valid files, as ruamel did before
        _, problems = load("x.yml", text)
        assert [p.message for p in problems] == ["invalid YAML: found character '\\t' that cannot start any token"]
    else:
        assert values(text) == {"key": "value", "other": "a\tb"}


def test_an_anchored_boolean_stays_a_boolean(parser):
    # ruamel gave 1 (text "1"): its anchored boolean is an int subclass; read as what it says instead
    document = one("x-flag: &flag true\nservice:\n  enabled: *flag\n")
    assert document.get("service.enabled").value is True and document.get("service.enabled").text == "True"

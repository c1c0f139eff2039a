"""The evaluator follows JavaScript where configs depend on it, and never guesses an unset variable."""

from __future__ import annotations

import math

import pytest

from pgconnlint.expr import evaluate, truthy
from pgconnlint.extract.treesitter import SourceFile
from pgconnlint.model import EnvBinding, Known, Location, Unknown


def value_of(js: str, **env: str):
    source = SourceFile.parse("config.js", f"module.exports = {js};")
    bindings = {name: EnvBinding(name, v, Location(".env", i + 1), ".env") for i, (name, v) in enumerate(env.items())}
    return evaluate(source.module_export(), bindings)


@pytest.mark.parametrize(
    ("js", "env", "expected"),
    [
        ("10", {}, 10),
        ("'a' + 'b'", {}, Unknown),
        ("process.env.POOL", {"POOL": "20"}, "20"),
        ('process.env["POOL"]', {"POOL": "20"}, "20"),
        ("parseInt(process.env.POOL, 10)", {"POOL": "20"}, 20),
        ("parseInt(process.env.POOL)", {"POOL": "20abc"}, 20),
        ("Number(process.env.POOL)", {"POOL": "20abc"}, math.nan),
        ("Number(process.env.POOL) || 10", {"POOL": "abc"}, 10),
        ("process.env.POOL || '10'", {}, "10"),
        ("process.env.POOL ?? 10", {}, 10),
        ("process.env.POOL ?? 10", {"POOL": ""}, ""),
        ("process.env.POOL || 10", {"POOL": ""}, 10),
        ("parseInt(process.env.POOL ?? '7', 10)", {}, 7),
        ("process.env.NODE_ENV === 'production' ? 20 : 5", {"NODE_ENV": "production"}, 20),
        ("process.env.NODE_ENV === 'production' ? 20 : 5", {"NODE_ENV": "development"}, 5),
        ("process.env.NODE_ENV !== 'production'", {"NODE_ENV": "production"}, False),
        ("!process.env.X", {"X": "false"}, False),
        ("-1", {}, -1),
        ("0x10", {}, 16),
        ("1_000", {}, 1000),
        ("`plain`", {}, "plain"),
        ("`${a}`", {}, Unknown),
        ("undefined ?? 3", {}, 3),
        ("null || 4", {}, 4),
        ("Boolean('false')", {}, True),
    ],
)
def test_evaluates_like_javascript(js, env, expected):
    result = value_of(js, **env)
    if expected is Unknown:
        assert isinstance(result, Unknown)
    elif isinstance(expected, float) and math.isnan(expected):
        assert isinstance(result, Known) and math.isnan(result.value)
    else:
        assert isinstance(result, Known) and result.value == expected and type(result.value) is type(expected)


def test_unset_variable_is_unknown_and_keeps_its_expression():
    result = value_of("parseInt(process.env.DB_POOL, 10)")
    assert isinstance(result, Unknown)
    assert result.expression == "parseInt(process.env.DB_POOL, 10)"
    assert "DB_POOL is not set" in result.reason


def test_fallback_says_the_variable_was_unset():
    result = value_of("process.env.DB_POOL || 12")
    assert result.value == 12 and "DB_POOL is not set in the repository" in result.via


def test_value_from_env_points_at_the_env_line():
    result = value_of("parseInt(process.env.B)", A="1", B="30")
    assert result.location == Location(".env", 2) and "B='30' from .env .env:2" in result.via


def test_typescript_type_assertions_are_transparent():
    source = SourceFile.parse(
        "c.ts", "export default { max: (Number(process.env.M) as number)!, n: 3 satisfies number };"
    )
    options = source.module_export()
    assert evaluate(options.get("max"), {"M": EnvBinding("M", "9", Location(".env", 1), ".env")}).value == 9
    assert evaluate(options.get("n"), {}).value == 3


def test_identifiers_resolve_to_top_level_constants_without_looping():
    source = SourceFile.parse(
        "c.js", "const a = b; const b = a; const size = 4; module.exports = { a, size, ...{ x: 1 } };"
    )
    options = source.module_export()
    assert isinstance(evaluate(options.get("a"), {}), Unknown)
    assert evaluate(options.get("size"), {}).value == 4
    assert evaluate(options.get("x"), {}).value == 1


@pytest.mark.parametrize(
    ("value", "expected"), [("false", True), ("", False), (0, False), (math.nan, False), (None, False)]
)
def test_truthiness(value, expected):
    assert truthy(value) is expected


def test_columns_are_characters_not_bytes():
    source = SourceFile.parse("c.js", "module.exports = { é: 'ü', max: 5 };")
    assert source.module_export().key_location("max") == Location("c.js", 1, 28, 1, 31)

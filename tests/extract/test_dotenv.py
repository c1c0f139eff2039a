"""`.env` files through python-dotenv's parser, with lines; TYPEORM_* variables become a connection."""

from __future__ import annotations

from conftest import keys

from pgconnlint.extract.dotenv import extract
from pgconnlint.model import Location


def test_bindings_keep_their_lines_and_quotes_are_removed():
    text = "# comment\nexport DB_POOL=20\nURL='postgres://a@b/c'\n\nMULTI=\"x\ny\"\nAFTER=1\n"
    env, problems = extract(".env", text)
    assert problems == []
    found = {b.name: (b.value, b.location.line) for b in env.bindings}
    assert found == {"DB_POOL": ("20", 2), "URL": ("postgres://a@b/c", 3), "MULTI": ("x\ny", 5), "AFTER": ("1", 7)}
    assert env.bindings[0].location == Location(".env", 2, 1)


def test_typeorm_variables_in_dotenv_win_over_ormconfig_files(lint_tree):
    files = {
        ".env": 'TYPEORM_CONNECTION=postgres\nTYPEORM_SYNCHRONIZE=true\nTYPEORM_DRIVER_EXTRA={"max": 3, "connectionTimeoutMillis": 1000}\n',
        "ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 1, "extra": {"max": 50}}',
    }
    result = lint_tree(files)
    [term] = result.budgets[0].terms
    assert term.pool_max == 3 and term.pool.max.location == Location(".env", 3, 1)
    assert keys(result) == [("PGC201", ".env", 2)]

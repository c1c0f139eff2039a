"""One reader of `${VAR:-default}` for compose values, image names and command flags (pgconnlint/interpolation.py):
each form expands as compose and POSIX shells expand it while the variable is unset."""

import pytest

from pgconnlint.interpolation import expand_unset, sole_reference


@pytest.mark.parametrize(
    ("written", "expanded", "unresolved"),
    [
        ("${TAG:-16}", "16", []),
        ("${TAG-16}", "16", []),
        ("${SUFFIX:+-alpine}", "", []),
        ("price: $$5", "price: $5", []),
        ("postgres://app:${DB_PASSWORD}@db:5432/app", "postgres://app:${DB_PASSWORD}@db:5432/app", ["DB_PASSWORD"]),
        ("$HOME/${NAME:?set NAME}", "$HOME/${NAME:?set NAME}", ["HOME", "NAME"]),
        ("no variables", "no variables", []),
    ],
)
def test_unset_variables_expand_as_compose_does(written, expanded, unresolved):
    text, left = expand_unset(written)
    assert text == expanded
    assert [reference.name for reference in left] == unresolved


def test_a_placeholder_keeps_an_image_name_shape():
    text, _ = expand_unset("${REGISTRY}/library/postgres:${TAG:-16}", placeholder=lambda reference: "x")
    assert text == "x/library/postgres:16"


@pytest.mark.parametrize(
    ("written", "name", "unset_value"),
    [(" ${API_REPLICAS:-3} ", "API_REPLICAS", "3"), ("$WORKERS", "WORKERS", None), ("${X:?required}", "X", None)],
)
def test_a_sole_reference_names_its_variable_and_default(written, name, unset_value):
    reference = sole_reference(written)
    assert (reference.name, reference.unset_value) == (name, unset_value)


@pytest.mark.parametrize("written", ["3", "${A}-${B}", "$$", "pre-${A:-1}"])
def test_anything_else_is_not_a_sole_reference(written):
    assert sole_reference(written) is None

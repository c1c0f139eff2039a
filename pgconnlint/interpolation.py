"""`${VAR:-default}` as docker compose and POSIX shells expand it while VAR is unset. The repository sets none of its
variables, so the default is the value a file runs with when nothing else sets it: one reader for compose values,
image names and command-line flags (it replaces three regular expressions that each knew part of the syntax).

Forms (compose's and the shell's): `$$` is a `$`; `${VAR:-word}` and `${VAR-word}` give word; `${VAR:+word}` and
`${VAR+word}` give nothing; `${VAR}`, `$VAR` and `${VAR:?message}` have no value while unset."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_REFERENCE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<operator>:?[-+?])(?P<word>[^}]*))?\}|\$(?P<bare>[A-Za-z_]\w*)")


@dataclass(frozen=True, slots=True)
class Reference:
    """One `${…}` or `$NAME` in a value."""

    written: str
    name: str
    unset_value: str | None  #: what it expands to while the variable is unset; None when that is no value


def _reference(match: re.Match) -> Reference:
    operator = match["operator"] or ""
    if operator.endswith("-"):
        unset_value = match["word"]
    elif operator.endswith("+"):
        unset_value = ""
    else:
        unset_value = None
    return Reference(match[0], match["name"] or match["bare"], unset_value)


def sole_reference(text: str) -> Reference | None:
    """The reference when `text` is exactly one (`${API_REPLICAS:-3}`), else None."""
    match = _REFERENCE.fullmatch(text.strip())
    return _reference(match) if match and match[0] != "$$" else None


def expand_unset(text: str, placeholder: Callable[[Reference], str] | None = None) -> tuple[str, list[Reference]]:
    """`text` with every variable unset, and the references that had no value. Those stay as written, or become
    `placeholder(reference)` (e.g. a word that keeps an image name's shape)."""
    unresolved: list[Reference] = []

    def substitute(match: re.Match) -> str:
        if match[0] == "$$":
            return "$"
        reference = _reference(match)
        if reference.unset_value is not None:
            return reference.unset_value
        unresolved.append(reference)
        return placeholder(reference) if placeholder else match[0]

    return _REFERENCE.sub(substitute, text), unresolved

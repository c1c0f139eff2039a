"""The cyclic garbage collector paused while a syntax tree is built and read (issue 19, bench/README.md)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """A parse of a large module (`ast` or libcst) makes millions of objects, none in a reference cycle: the cyclic
    collector, started by the count of allocations, would traverse every live object of the run over and over (on
    skyvern it doubled the time of the parses). They are freed by reference counting when the tree goes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

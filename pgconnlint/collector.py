"""The cyclic garbage collector: collecting less often in a command-line run, and paused while a syntax tree is
built and read (issue 19, bench/README.md)."""

from __future__ import annotations

import gc
import sys
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


#: allocations between two collections of the youngest generation, and the rounds before an older one is collected,
#: in a command-line run; CPython's default is (700, 10, 10). A run builds hundreds of thousands of objects that live
#: until it ends (facts, values, documents) and makes few cycles, so the default traverses the same live objects again
#: and again: 83 ms of collection on the 20,000-file bench tree, 7 ms with these, the peak memory the same. mypy tunes
#: its collector to these numbers for the same reason (mypy/build.py: "otherwise we can spend a large fraction of cpu
#: in gc"). Set by the CLI for its process only: a program that imports pgconnlint keeps its own settings.
RUN_THRESHOLDS = (200_000, 30, 30)


def collect_less_often() -> None:
    if sys.implementation.name == "cpython":  # the thresholds mean CPython's generations
        gc.set_threshold(*RUN_THRESHOLDS)

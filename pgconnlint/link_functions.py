"""Serverless functions as process groups: the platform runs as many instances at once as its concurrency allows,
and each instance, which handles one event at a time, opens the pools its code creates (link.py for Node code,
link_python.py for Python code; this module gives both the same shape)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from pgconnlint.linked import ProcessGroup
from pgconnlint.model import Default, EnvBinding, FunctionDecl, Known, Unknown


def function_group(function: FunctionDecl, connections: tuple, unresolved: tuple, env: Mapping[str, EnvBinding]):
    """One group per function: processes = its concurrency (unknown when nothing caps it: the budget then says
    "at least", and PGC105 reports the pools such a function multiplies), one event at a time per instance."""
    processes: Known | Default | Unknown = function.concurrency
    if unbounded(function):
        processes = Unknown(f"{function.platform} concurrency", function.location, function.concurrency.why)
    units = Default(1, function.location, f"one {function.platform} instance handles one event at a time")
    return ProcessGroup(
        function.source,
        function.location,
        processes,
        function.platform,
        False,
        connections,
        env,
        unresolved,
        units=units,
        web=True,
        serverless=function,
    )


def unbounded(function: FunctionDecl) -> bool:
    """Nothing in the repository caps how many instances run at once."""
    concurrency = function.concurrency
    return isinstance(concurrency, Default) and math.isinf(concurrency.value)

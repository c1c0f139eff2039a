"""The registry: every check, listed explicitly (a test fails on a module missing from it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pgconnlint.checks import (
    connect_timeout_missing,
    connection_budget_exceeded,
    connection_budget_near_limit,
    engine_created_per_call,
    input_skipped,
    input_unparseable,
    instances_depend_on_cpu_count,
    null_pool_with_concurrency,
    pool_ceiling_exceeds_slots,
    pool_liveness_unchecked,
    pool_size_unknown,
    pool_unbounded,
    schema_change_on_every_instance,
    suppression_invalid,
    typeorm_drop_schema,
    typeorm_synchronize_in_production,
)
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding
from pgconnlint.link import Project

# Reported by the filter stage rather than by a check, because they depend on the other findings.
FILTER_RULES = ("PGC004",)

Check = Callable[[Project, CheckOptions], Iterator[Finding]]

CHECKS: tuple[tuple[str, Check], ...] = (
    ("PGC001", input_unparseable.check),
    ("PGC002", input_skipped.check),
    ("PGC003", suppression_invalid.check),
    ("PGC101", connection_budget_exceeded.check),
    ("PGC102", connection_budget_near_limit.check),
    ("PGC103", pool_ceiling_exceeds_slots.check),
    ("PGC110", pool_size_unknown.check),
    ("PGC111", pool_unbounded.check),
    ("PGC112", null_pool_with_concurrency.check),
    ("PGC201", typeorm_synchronize_in_production.check),
    ("PGC202", typeorm_drop_schema.check),
    ("PGC203", schema_change_on_every_instance.check),
    ("PGC204", connect_timeout_missing.check),
    ("PGC205", engine_created_per_call.check),
    ("PGC206", pool_liveness_unchecked.check),
    ("PGC301", instances_depend_on_cpu_count.check),
)

"""The registry: every check, listed explicitly (a test fails on a module missing from it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pgconnlint.checks import (
    boolean_option_from_env_string,
    celery_greenlet_pool_unpatched,
    connect_timeout_missing,
    connection_budget_exceeded,
    connection_budget_near_limit,
    database_connection_limit_exceeded,
    django_persistent_connections_with_greenlets,
    django_server_side_cursors_through_transaction_pooler,
    engine_created_per_call,
    host_auth_trust,
    idle_in_transaction_timeout_missing,
    input_skipped,
    input_unparseable,
    instances_depend_on_cpu_count,
    invalid_parameter_value,
    managed_endpoint_size_unknown,
    max_connections_without_pooler,
    null_pool_with_concurrency,
    parameter_set_twice,
    password_in_repository,
    pool_ceiling_exceeds_slots,
    pool_created_per_call,
    pool_liveness_unchecked,
    pool_option_ignored,
    pool_size_unknown,
    pool_unbounded,
    prepared_statements_through_transaction_pooler,
    psycopg2_under_greenlets_unpatched,
    role_connection_limit_exceeded,
    rollout_budget_exceeded,
    schema_change_on_every_instance,
    schema_change_through_transaction_pooler,
    server_memory_exceeded,
    serverless_concurrency_unbounded,
    suppression_invalid,
    trust_from_network,
    typeorm_drop_schema,
    typeorm_synchronize_in_production,
    unknown_parameter,
)
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding
from pgconnlint.linked import Project

# Reported by the filter stage rather than by a check, because they depend on the other findings.
FILTER_RULES = ("PGC004",)

# Checked against a running server by `pgconnlint doctor` (pgconnlint/doctor.py), not by `check`.
DOCTOR_RULES = ("PGC501", "PGC502", "PGC503", "PGC504")

Check = Callable[[Project, CheckOptions], Iterator[Finding]]

CHECKS: tuple[tuple[str, Check], ...] = (
    ("PGC001", input_unparseable.check),
    ("PGC002", input_skipped.check),
    ("PGC003", suppression_invalid.check),
    ("PGC101", connection_budget_exceeded.check),
    ("PGC102", connection_budget_near_limit.check),
    ("PGC103", pool_ceiling_exceeds_slots.check),
    ("PGC104", rollout_budget_exceeded.check),
    ("PGC105", serverless_concurrency_unbounded.check),
    ("PGC108", role_connection_limit_exceeded.check),
    ("PGC109", database_connection_limit_exceeded.check),
    ("PGC110", pool_size_unknown.check),
    ("PGC111", pool_unbounded.check),
    ("PGC112", null_pool_with_concurrency.check),
    ("PGC120", prepared_statements_through_transaction_pooler.check),
    ("PGC121", schema_change_through_transaction_pooler.check),
    ("PGC122", managed_endpoint_size_unknown.check),
    ("PGC201", typeorm_synchronize_in_production.check),
    ("PGC202", typeorm_drop_schema.check),
    ("PGC203", schema_change_on_every_instance.check),
    ("PGC204", connect_timeout_missing.check),
    ("PGC205", engine_created_per_call.check),
    ("PGC206", pool_liveness_unchecked.check),
    ("PGC207", pool_created_per_call.check),
    ("PGC208", pool_option_ignored.check),
    ("PGC209", django_persistent_connections_with_greenlets.check),
    ("PGC210", django_server_side_cursors_through_transaction_pooler.check),
    ("PGC211", boolean_option_from_env_string.check),
    ("PGC212", psycopg2_under_greenlets_unpatched.check),
    ("PGC213", celery_greenlet_pool_unpatched.check),
    ("PGC301", instances_depend_on_cpu_count.check),
    ("PGC310", unknown_parameter.check),
    ("PGC311", invalid_parameter_value.check),
    ("PGC312", parameter_set_twice.check),
    ("PGC313", max_connections_without_pooler.check),
    ("PGC314", server_memory_exceeded.check),
    ("PGC315", idle_in_transaction_timeout_missing.check),
    ("PGC401", trust_from_network.check),
    ("PGC402", host_auth_trust.check),
    ("PGC403", password_in_repository.check),
)

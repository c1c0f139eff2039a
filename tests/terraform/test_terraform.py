"""Managed servers described in Terraform: each becomes a server of the budget, with its limit from the parameter
group (or flags, or configurations) when the repository sets one, else from the provider's formula or table."""

from __future__ import annotations

import time

from conftest import FIXTURES, TEST_CPUS

from pgconnlint.extract import terraform
from pgconnlint.lint import LintOptions, lint


def run(name: str):
    return lint(FIXTURES / name, LintOptions(cpus=TEST_CPUS))


def servers(result) -> dict:
    return {server.name: server for server in result.project.servers}


def problems(result, code: str = "PGC001") -> list[str]:
    return [f"{f.location.short} {f.message}" for f in result.findings if f.code == code]


def test_parameter_group_sets_max_connections_and_the_budget_counts_against_it():
    result = run("terraform-rds-param-group")
    primary = servers(result)["infra/rds.tf aws_db_instance.orders"]
    assert primary.max_connections.value == 200
    assert "parameter max_connections of aws_db_parameter_group.orders (infra/rds.tf:7)" in primary.max_connections.via
    # RDS keeps 3 for superusers and 2 for rds_superuser: 200 - 3 - 2
    assert (primary.superuser_reserved_connections.value, primary.reserved_connections.value) == (3, 2)
    assert "rds.rds_superuser_reserved_connections" in primary.reserved_connections.why
    data = result.budgets[0].as_data()
    assert (data["server"], data["usable"], data["total"]) == ("infra/rds.tf aws_db_instance.orders", 195, 240)
    budget = next(f for f in result.findings if f.code == "PGC101")
    assert "195 usable slots of infra/rds.tf aws_db_instance.orders" in budget.message


def test_other_parameters_of_the_group_are_settings_too():
    primary = servers(run("terraform-rds-param-group"))["infra/rds.tf aws_db_instance.orders"]
    assert primary.config.settings["idle_in_transaction_session_timeout"].value.value == 60000


def test_read_replica_is_a_server_of_its_own_with_its_class_default():
    result = run("terraform-rds-param-group")
    replica = servers(result)["infra/rds.tf aws_db_instance.orders_replica"]
    assert replica.config.replica_of == "infra/rds.tf aws_db_instance.orders"
    # no parameter group: the default formula over db.t4g.medium's 4 GiB
    assert replica.max_connections.value == 4 * 1024**3 // 9531392 == 450
    assert "upper estimate" in replica.max_connections.why
    assert replica.config.hosts == ("orders-db-replica",)


def test_variable_default_gives_the_instance_class_and_says_so():
    primary = servers(run("terraform-rds-param-group"))["infra/rds.tf aws_db_instance.orders"]
    default = primary.config.defaults["max_connections"]  # what applies if the group stopped setting it
    assert default.value == 450
    assert "db.t3.medium" in default.why


def test_class_formula_applies_when_no_parameter_sets_it():
    result = run("terraform-rds-formula")
    app = servers(result)["infra/main.tf aws_db_instance.app"]
    assert app.max_connections.value == 1024**3 // 9531392 == 112
    why = app.max_connections.why
    assert "LEAST({DBInstanceClassMemory/9531392},5000) for db.t4g.micro (1 GiB = 1073741824 bytes) = 112" in why
    assert "docs.aws.amazon.com" in why
    assert result.budgets[0].as_data()["usable"] == 107


def test_formula_value_in_a_parameter_group_named_by_its_literal_name():
    reporting = servers(run("terraform-rds-formula"))["infra/tuning.tf aws_db_instance.reporting"]
    assert reporting.max_connections.value == min(16 * 1024**3 // 19062784, 1000) == 901
    assert "LEAST({DBInstanceClassMemory/19062784},1000) for db.r5.large" in reporting.max_connections.via
    assert reporting.config.settings["max_connections"].text == "901"  # what PGC311 validates


def test_aurora_cluster_instances_are_a_writer_and_readers():
    found = servers(run("terraform-aurora"))
    writer = found["infra/aurora.tf aws_rds_cluster_instance.main[0]"]
    reader = found["infra/aurora.tf aws_rds_cluster_instance.main[1]"]
    analytics = found["infra/aurora.tf aws_rds_cluster_instance.analytics"]
    assert writer.config.replica_of is None
    assert reader.config.replica_of == analytics.config.replica_of == writer.name
    # the cluster parameter group sets 1000; the analytics instance's own group wins with its formula
    assert writer.max_connections.value == reader.max_connections.value == 1000
    assert analytics.max_connections.value == int(30.5 * 1024**3) // 9531392 == 3435
    # rds.rds_superuser_reserved_connections was read for RDS only: not assumed for Aurora
    assert "reserved_connections" not in writer.config.defaults


def test_azure_sku_table_and_server_configuration():
    found = servers(run("terraform-azure"))
    main = found["infra/database.tf azurerm_postgresql_flexible_server.main"]
    small = found["infra/database.tf azurerm_postgresql_flexible_server.small"]
    assert (main.max_connections.value, main.usable) == (859, 844)
    assert "learn.microsoft.com" in main.max_connections.why
    assert (small.max_connections.value, small.usable) == (100, 85)
    assert "server configuration max_connections" in small.max_connections.via


def test_cloud_sql_flags_and_replica():
    result = run("terraform-azure")
    found = servers(result)
    legacy = found["infra/database.tf google_sql_database_instance.legacy"]
    replica = found["infra/database.tf google_sql_database_instance.legacy_replica"]
    assert legacy.max_connections.value == 300
    assert replica.config.replica_of == legacy.name
    assert replica.max_connections.value == 25  # db-f1-micro, Cloud SQL's table
    # the tier of `legacy` is not in the verified table, but its flag sets the value: no note
    assert not any("db-custom-2-7680" in p for p in problems(result))


def test_unparseable_file_is_a_problem_with_its_line_and_the_others_are_read():
    result = run("terraform-bad")
    assert any(p.startswith("infra/broken.tf:4 not valid HCL at line 4") for p in problems(result))
    found = servers(result)
    assert found["infra/good.tf aws_db_instance.good"].max_connections.value == 225  # db.t4g.small, 2 GiB
    assert "infra/good.tf aws_db_instance.mysql" not in found


def test_computed_value_is_reported_not_guessed():
    result = run("terraform-bad")
    computed = servers(result)["infra/good.tf aws_db_instance.computed"]
    assert computed.max_connections.value == 100
    assert computed.max_connections.why.startswith("PostgreSQL default")
    # valid Terraform that pgconnlint cannot read: a skip with a default standing in, not a syntax error
    skipped = problems(result, "PGC002")
    assert any("instance_class is `lookup(var.classes, terraform.workspace)`" in p for p in skipped)
    assert not any("lookup(" in p for p in problems(result))


def test_variable_without_default_is_unknown(lint_tree):
    result = lint_tree(
        {
            "db.tf": 'resource "aws_db_instance" "x" {\n  engine = "postgres"\n  instance_class = var.size\n}\n',
            "variables.tf": 'variable "size" {\n  type = string\n}\n',
        }
    )
    assert any("db.tf:3" in p and "var.size" in p and "no literal default" in p for p in problems(result, "PGC002"))


def test_oversized_file_is_skipped_with_a_note():
    text = 'resource "aws_db_instance" "x" {\n  engine = "postgres"\n}\n' + "# padding\n" * 40_000
    blocks, found = terraform.extract("big.tf", text)
    assert blocks == [] and found[0].skipped and "limit" in found[0].message


def test_parse_time_of_a_large_file_stays_bounded():
    """Not a benchmark: a file just under the limit must parse in seconds, not minutes."""
    block = 'resource "aws_db_instance" "r{n}" {{\n  engine = "postgres"\n  instance_class = "db.t3.medium"\n}}\n'
    text, n = "", 0
    while len(text) < terraform.MAX_TERRAFORM_BYTES - 200:
        text += block.format(n=n)
        n += 1
    started = time.perf_counter()
    blocks, found = terraform.extract("big.tf", text)
    assert not found and len(blocks) == n
    assert time.perf_counter() - started < 30

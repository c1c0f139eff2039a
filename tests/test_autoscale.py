"""Autoscaler caps outside Kubernetes (issue 17): the instances of an app are its platform's autoscaling maximum, as
a HorizontalPodAutoscaler's maxReplicas is for a Deployment. Terraform Cloud Run (v2 and v1), ECS services with
their Application Auto Scaling target, App Runner, Azure Container Apps and Lambda functions; Knative and Cloud Run
service YAML. Each term cites the attribute's file:line, or says which platform default applies; an image the
repository does not build is reported, never linked to a guess."""

from __future__ import annotations

import math

from conftest import FIXTURES, TEST_CPUS, write_tree

from pgconnlint.discover import discover
from pgconnlint.lint import LintOptions, extract_all, lint
from pgconnlint.model import Default, Known, Unknown

POSTGRES_CONF = "max_connections = 100\n"
PYTHON_APP = """import os

from sqlalchemy import create_engine

engine = create_engine("postgresql://web@db/web", pool_size=int(os.environ.get("POOL", "5")), max_overflow=0)


def app(environ, start_response):
    with engine.connect() as connection:
        connection.exec_driver_sql("select 1")
    start_response("200 OK", [])
    return [b"ok"]
"""
#: a Python project in web/ whose image runs 4 gunicorn workers
WEB = {
    "web/Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nWORKDIR /app\nCMD gunicorn --workers 4 web.wsgi:app\n",
    "web/requirements.txt": "sqlalchemy==2.0.36\n",
    "web/web/__init__.py": "",
    "web/web/wsgi.py": PYTHON_APP,
    "postgresql.conf": POSTGRES_CONF,
}


def terms_of(result) -> dict[str, tuple]:
    """group name → (processes, pool max), over every budget of the run."""
    return {t.group.name: (t.processes, t.pool_max) for b in result.budgets for t in b.terms}


def notes_of(result, code: str) -> str:
    return "\n".join(note for f in result.findings if f.code == code for note in f.notes)


def messages(result, code: str) -> list[str]:
    return [f.message for f in result.findings if f.code == code]


# --- Cloud Run (Terraform v2) ------------------------------------------------------------------------------------


def test_cloud_run_max_instance_count_and_the_default_of_100_are_the_instances():
    result = lint(FIXTURES / "cloudrun-api", LintOptions(cpus=TEST_CPUS))
    [budget] = result.budgets
    assert budget.deployment == "infra/*.tf"  # a Terraform module is one deployment
    api = "infra/main.tf google_cloud_run_v2_service.api (api/Dockerfile CMD)"
    importer = "infra/main.tf google_cloud_run_v2_service.importer"
    # api: gunicorn --workers 2 (its image's CMD) × max_instance_count 30, pool 3 from the service's env;
    # importer: celery -c 2 × Cloud Run's default of 100 instances
    assert terms_of(result) == {api: (60, 3), importer: (200, 5)}
    notes = notes_of(result, "PGC101")
    assert "× 30 replicas [google_cloud_run_v2_service.api max_instance_count, infra/main.tf:23]" in notes
    assert "100 replicas [Cloud Run default max instances 100" in notes
    assert "google_cloud_run_v2_service.importer sets no maximum, infra/main.tf:36]" in notes
    assert budget.total == 260 and budget.server.usable == 197


def test_cloud_run_v1_annotation_and_container_apps_max_replicas(tmp_path):
    tf = """
resource "google_cloud_run_service" "legacy" {
  name = "legacy"
  template {
    metadata {
      annotations = {
        "autoscaling.knative.dev/maxScale" = "5"
      }
    }
    spec {
      containers {
        image = "gcr.io/acme/web"
      }
    }
  }
}

resource "azurerm_container_app" "worker" {
  name = "worker"
  template {
    max_replicas = 3
    container {
      name    = "worker"
      image   = "acme.azurecr.io/web:1.0"
      command = ["gunicorn", "--workers", "2", "web.wsgi:app"]
    }
  }
}

resource "azurerm_container_app" "batch" {
  name = "batch"
  template {
    container {
      name  = "batch"
      image = "acme.azurecr.io/web:1.0"
    }
  }
}
"""
    facts = extract_all(write_tree(tmp_path, {**WEB, "infra/apps.tf": tf}), discover(tmp_path))
    decls = {d.source: d for d in facts.node_processes + facts.processes}
    legacy = decls["infra/apps.tf google_cloud_run_service.legacy"]
    assert (legacy.runner, legacy.dockerfile, legacy.directory) == ("image", "web/Dockerfile", "web")
    assert legacy.replicas == Known(5, legacy.replicas.location, legacy.replicas.via)
    assert legacy.replicas.location.short == "infra/apps.tf:7"  # the annotation's own line
    worker = decls["infra/apps.tf azurerm_container_app.worker container worker"]
    assert (worker.server, worker.image, worker.replicas.value) == ("gunicorn", "web/Dockerfile", 3)
    assert worker.replicas.via == "azurerm_container_app.worker template.max_replicas"
    batch = decls["infra/apps.tf azurerm_container_app.batch container batch"]
    assert isinstance(batch.replicas, Default) and batch.replicas.value == 10
    assert "Azure Container Apps default max replicas 10" in batch.replicas.why


# --- ECS ---------------------------------------------------------------------------------------------------------


def test_ecs_service_counts_the_autoscaling_maximum_and_the_deployment_surge():
    result = lint(FIXTURES / "ecs-node", LintOptions(cpus=TEST_CPUS))
    [budget] = result.budgets
    name = "deploy/ecs.tf aws_ecs_service.orders container orders (services/orders/Dockerfile CMD): node src/server.js"
    # max_capacity 6 (not desired_count 2) × the pool of 8 the task definition's environment sets
    assert terms_of(result) == {name: (6, 8)}
    assert (budget.total, budget.rollout_total, budget.server.usable) == (48, 96, 95)
    notes = notes_of(result, "PGC104")
    assert "6 replicas [aws_appautoscaling_target.orders max_capacity, deploy/ecs.tf:36]" in notes
    assert "PG_POOL_MAX='8' from deploy/ecs.tf aws_ecs_task_definition.orders container orders environment" in notes
    assert "6 surge [ECS default deployment_maximum_percent 200 of 6 tasks" in notes


def test_ecs_sidecar_from_an_external_registry_is_reported_not_linked():
    result = lint(FIXTURES / "ecs-node", LintOptions(cpus=TEST_CPUS))
    [skipped] = [f for f in result.findings if f.code == "PGC002"]
    assert str(skipped.location) == "deploy/ecs.tf:17:1"
    assert "container log-router runs image `public.ecr.aws/aws-observability/aws-for-fluent-bit:stable`" in (
        skipped.message
    )


def test_ecs_desired_count_heredoc_definitions_and_a_written_maximum_percent(tmp_path):
    tf = """
resource "aws_ecs_task_definition" "web" {
  family                = "web"
  container_definitions = <<EOF
[
  {
    "name": "web",
    "image": "acme/web:1",
    "command": ["gunicorn", "--workers", "3", "web.wsgi:app"],
    "environment": [{"name": "POOL", "value": "2"}]
  }
]
EOF
}

resource "aws_ecs_service" "web" {
  name                       = "web"
  task_definition            = "web:7"
  desired_count              = 4
  deployment_maximum_percent = 150
}
"""
    result = lint(write_tree(tmp_path, {**WEB, "deploy/web.tf": tf}), LintOptions(cpus=TEST_CPUS))
    [decl] = [d for d in extract_all(tmp_path, discover(tmp_path)).processes if "aws_ecs_service" in d.source]
    assert (decl.replicas.value, decl.replicas.location.short) == (4, "deploy/web.tf:19")
    assert (decl.surge.value, decl.surge.location.short) == (2, "deploy/web.tf:20")  # 150% of 4 = 6: 2 more
    assert decl.location.short == "deploy/web.tf:9"  # the command's line inside the heredoc
    assert {b.name: b.value for b in decl.env} == {"POOL": "2"}
    assert terms_of(result) == {"deploy/web.tf aws_ecs_service.web container web": (12, 2)}


def test_ecs_service_without_a_count_or_run_as_a_daemon_is_unknown_never_one(tmp_path):
    tf = """
resource "aws_ecs_task_definition" "web" {
  family                = "web"
  container_definitions = jsonencode([{ name = "web", image = "acme/web:1" }])
}

resource "aws_ecs_service" "web" {
  name            = "web"
  task_definition = aws_ecs_task_definition.web.arn
}

resource "aws_ecs_service" "agent" {
  name                = "agent"
  task_definition     = aws_ecs_task_definition.web.arn
  scheduling_strategy = "DAEMON"
  desired_count       = 3
}
"""
    result = lint(write_tree(tmp_path, {**WEB, "deploy/web.tf": tf}), LintOptions(cpus=TEST_CPUS))
    [budget] = result.budgets
    assert [t.processes for t in budget.terms] == [None, None]
    unknown = messages(result, "PGC110")
    assert any("sets neither desired_count nor an autoscaler" in m for m in unknown)
    assert any("runs one task per container instance (scheduling_strategy DAEMON)" in m for m in unknown)


# --- App Runner ---------------------------------------------------------------------------------------------------


def test_app_runner_max_size_start_command_and_the_default_of_25(tmp_path):
    tf = """
resource "aws_apprunner_auto_scaling_configuration_version" "web" {
  auto_scaling_configuration_name = "web"
  max_size                        = 4
}

resource "aws_apprunner_service" "web" {
  service_name                   = "web"
  auto_scaling_configuration_arn = aws_apprunner_auto_scaling_configuration_version.web.arn
  source_configuration {
    image_repository {
      image_identifier      = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:latest"
      image_repository_type = "ECR"
      image_configuration {
        start_command = "gunicorn --workers 3 web.wsgi:app"
        runtime_environment_variables = {
          POOL = "2"
        }
      }
    }
  }
}

resource "aws_apprunner_service" "plain" {
  service_name = "plain"
  source_configuration {
    image_repository {
      image_identifier      = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:latest"
      image_repository_type = "ECR"
    }
  }
}
"""
    result = lint(write_tree(tmp_path, {**WEB, "infra/apprunner.tf": tf}), LintOptions(cpus=TEST_CPUS))
    assert terms_of(result) == {
        "infra/apprunner.tf aws_apprunner_service.web": (12, 2),  # 3 workers × max_size 4, POOL=2
        "infra/apprunner.tf aws_apprunner_service.plain (web/Dockerfile CMD)": (100, 5),  # 4 workers × 25
    }
    notes = notes_of(result, "PGC103") + notes_of(result, "PGC101")
    assert "4 replicas [aws_apprunner_auto_scaling_configuration_version.web max_size, infra/apprunner.tf:4]" in notes
    assert "25 replicas [App Runner's default auto scaling configuration, max_size 25" in notes


# --- Lambda ------------------------------------------------------------------------------------------------------

LAMBDA_TF = """
data "archive_file" "orders" {
  type        = "zip"
  source_dir  = "${path.module}/../lambda/orders"
  output_path = "${path.module}/build/orders.zip"
}

resource "aws_lambda_function" "orders" {
  function_name = "orders-api"
  filename      = data.archive_file.orders.output_path
  handler       = "handler.main"
  runtime       = "python3.12"
  environment {
    variables = {
      POOL = "4"
    }
  }
}

resource "aws_lambda_function" "capped" {
  function_name                  = "orders-capped"
  filename                       = data.archive_file.orders.output_path
  handler                        = "handler.main"
  runtime                        = "python3.12"
  reserved_concurrent_executions = 10
}

resource "aws_lambda_function" "legacy" {
  function_name = "legacy"
  filename      = "legacy.zip"
  handler       = "index.handler"
  runtime       = "nodejs20.x"
}
"""
LAMBDA_TREE = {
    "infra/lambda.tf": LAMBDA_TF,
    "lambda/orders/handler.py": PYTHON_APP.replace("def app(environ, start_response):", "def main(event, context):"),
    "lambda/orders/requirements.txt": "sqlalchemy==2.0.36\n",
    "postgresql.conf": POSTGRES_CONF,
}


def test_lambda_functions_in_terraform_use_the_serverless_model(tmp_path):
    root = write_tree(tmp_path, LAMBDA_TREE)
    functions = {f.name: f for f in extract_all(root, discover(root)).functions}
    assert set(functions) == {"orders-api", "orders-capped"}  # legacy.zip's source is not in the tree
    orders, capped = functions["orders-api"], functions["orders-capped"]
    assert (orders.directory, orders.handler, orders.runtime) == ("lambda/orders", "handler.main", "python")
    assert isinstance(orders.concurrency, Default) and math.isinf(orders.concurrency.value)
    assert "1,000 per Region by default" in orders.concurrency.why
    assert [(b.name, b.value, b.location.short) for b in orders.env] == [("POOL", "4", "infra/lambda.tf:15")]
    assert capped.concurrency == Known(10, capped.concurrency.location, capped.concurrency.via)
    assert capped.concurrency.location.short == "infra/lambda.tf:25"


def test_lambda_without_reserved_concurrency_is_pgc105_and_a_built_zip_is_reported(tmp_path):
    result = lint(write_tree(tmp_path, LAMBDA_TREE), LintOptions(cpus=TEST_CPUS))
    [unbounded] = [f for f in result.findings if f.code == "PGC105"]
    assert str(unbounded.location) == "infra/lambda.tf:8:1"
    [skipped] = [f for f in result.findings if f.code == "PGC002"]
    assert skipped.location.short == "infra/lambda.tf:30"
    assert "deploys filename `legacy.zip`" in skipped.message
    assert terms_of(result)["infra/lambda.tf aws_lambda_function.capped"] == (10, 5)  # no POOL in its environment


# --- Knative and Cloud Run service YAML --------------------------------------------------------------------------

KNATIVE = """apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: web
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/max-scale: "7"
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:2
"""


def test_knative_max_scale_is_the_pod_count(tmp_path):
    result = lint(write_tree(tmp_path, {**WEB, "k8s/service.yaml": KNATIVE}), LintOptions(cpus=TEST_CPUS))
    assert terms_of(result) == {"k8s/service.yaml Service web container web (web/Dockerfile CMD)": (28, 5)}
    assert "× 7 replicas [Knative Service web autoscaling.knative.dev/max-scale, k8s/service.yaml:9]" in (
        notes_of(result, "PGC103") + notes_of(result, "PGC101")
    )


def test_knative_without_max_scale_is_unbounded_not_guessed(tmp_path):
    manifest = KNATIVE.replace('autoscaling.knative.dev/max-scale: "7"', 'autoscaling.knative.dev/target: "50"')
    result = lint(write_tree(tmp_path, {**WEB, "k8s/service.yaml": manifest}), LintOptions(cpus=TEST_CPUS))
    [budget] = result.budgets
    assert [t.processes for t in budget.terms] == [None] and not budget.complete
    [unknown] = messages(result, "PGC110")
    assert "Knative scales Service web without an upper bound" in unknown


def test_cloud_run_service_yaml_gets_cloud_runs_default_and_reads_maxscale(tmp_path):
    manifest = KNATIVE.replace(
        'autoscaling.knative.dev/max-scale: "7"', "run.googleapis.com/execution-environment: gen2"
    )
    facts = extract_all(write_tree(tmp_path, {**WEB, "service.yaml": manifest}), discover(tmp_path))
    [decl] = [d for d in facts.node_processes if d.source.startswith("service.yaml")]
    assert isinstance(decl.replicas, Default) and decl.replicas.value == 100
    assert decl.replicas.why.startswith("Cloud Run default max instances 100")
    written = manifest.replace(
        "run.googleapis.com/execution-environment: gen2", "autoscaling.knative.dev/maxScale: '3'"
    )
    facts = extract_all(write_tree(tmp_path / "b", {**WEB, "service.yaml": written}), discover(tmp_path / "b"))
    [decl] = [d for d in facts.node_processes if d.source.startswith("service.yaml")]
    assert (decl.replicas.value, decl.replicas.location.short) == (3, "service.yaml:9")


# --- linking the image ---------------------------------------------------------------------------------------------


def test_an_image_nothing_builds_is_reported_and_a_command_still_counts(tmp_path):
    tf = """
resource "google_cloud_run_v2_service" "vendor" {
  name = "vendor"
  template {
    containers {
      image = "docker.io/vendor/dashboard:3"
    }
  }
}

resource "google_cloud_run_v2_service" "web" {
  name = "web"
  template {
    scaling {
      max_instance_count = var.max_web
    }
    containers {
      image = "docker.io/library/python:3.12"
      args  = ["gunicorn", "--workers", "2", "web.wsgi:app"]
    }
  }
}
"""
    files = {**WEB, "infra/run.tf": tf}
    del files["web/Dockerfile"]
    result = lint(write_tree(tmp_path, files), LintOptions(cpus=TEST_CPUS))
    [skipped] = [f for f in result.findings if f.code == "PGC002"]
    assert skipped.location.short == "infra/run.tf:6"
    assert "google_cloud_run_v2_service.vendor runs image `docker.io/vendor/dashboard:3`" in skipped.message
    facts = extract_all(tmp_path, discover(tmp_path))
    [web] = [d for d in facts.processes if "google_cloud_run_v2_service.web" in d.source]
    assert isinstance(web.replicas, Unknown) and web.replicas.expression == "var.max_web"


# --- bad input -------------------------------------------------------------------------------------------------


def test_odd_terraform_and_knative_input_is_reported_never_raised(tmp_path):
    tf = """
locals {
  containers = [{ name = "web", image = "acme/web:1" }]
}

resource "aws_ecs_task_definition" "computed" {
  family                = "computed"
  container_definitions = jsonencode(local.containers)
}

resource "aws_ecs_task_definition" "loop" {
  family                = "loop"
  container_definitions = jsonencode([for name in ["a", "b"] : { name = name, image = "acme/${name}" }])
}

resource "aws_ecs_service" "computed" {
  name            = "computed"
  task_definition = aws_ecs_task_definition.computed.arn
  desired_count   = "two"
}

resource "aws_ecs_service" "loop" {
  name            = "loop"
  task_definition = aws_ecs_task_definition.loop.arn
  desired_count   = 1
}

resource "google_cloud_run_v2_service" "odd" {
  name = "odd"
  template {
    scaling {
      max_instance_count = -3
    }
    containers {
      image   = 5
      command = "gunicorn app:app"
    }
  }
}

resource "google_cloud_run_v2_service" "empty" {
  name = "empty"
}

resource "azurerm_container_app" "odd" {
  name = "odd"
  template {
    max_replicas = var.nothing
  }
}

resource "aws_apprunner_service" "odd" {
  service_name                   = "odd"
  auto_scaling_configuration_arn = "arn:aws:apprunner:eu-west-1:1:autoscalingconfiguration/x/1/abc"
  source_configuration {
    code_repository {
      repository_url   = "https://github.com/acme/web"
      source_directory = "web"
    }
  }
}
"""
    knative = KNATIVE.replace('"7"', '"many"')
    result = lint(
        write_tree(tmp_path, {**WEB, "infra/odd.tf": tf, "k8s/service.yaml": knative}), LintOptions(cpus=TEST_CPUS)
    )
    skipped = [f.message for f in result.findings if f.code == "PGC002"]
    assert any("aws_ecs_task_definition.computed container_definitions is not a list" in m for m in skipped)
    assert any("aws_ecs_task_definition.loop container_definitions is not a list" in m for m in skipped)
    assert not any("internal error" in m for m in skipped)
    assert any(
        "aws_apprunner_service.odd builds from a code repository and Terraform gives no start_command" in m
        for m in skipped
    )
    unknown = messages(result, "PGC110")
    assert any("Knative Service web autoscaling.knative.dev/max-scale is not a whole number" in m for m in unknown)


def test_an_image_a_workflow_publishes_runs_that_dockerfile(tmp_path):
    tf = """
resource "google_cloud_run_v2_service" "shop" {
  name = "shop"
  template {
    scaling {
      max_instance_count = 8
    }
    containers {
      image = "ghcr.io/acme/shop:latest"
    }
  }
}
"""
    workflow = """on: push
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          context: web
          push: true
          tags: ghcr.io/acme/shop:latest
"""
    files = {**WEB, "infra/run.tf": tf, ".github/workflows/image.yml": workflow}
    result = lint(write_tree(tmp_path, files), LintOptions(cpus=TEST_CPUS))
    assert not [f for f in result.findings if f.code == "PGC002"]
    [(name, counts)] = terms_of(result).items()
    assert name.startswith("infra/run.tf google_cloud_run_v2_service.shop") and counts == (32, 5)  # 4 workers × 8

"""Kubernetes manifests (issue #10): the processes each workload's containers start, with the replicas an autoscaler
allows, the surge of a rolling deploy and the CPU limit; PostgreSQL servers run by a StatefulSet or an operator,
with the Service names apps reach them by; env from ConfigMaps; bad documents reported, never raised."""

from __future__ import annotations

import shutil

from conftest import FIXTURES, TEST_CPUS, keys

from pgconnlint.discover import discover
from pgconnlint.extract import kubernetes
from pgconnlint.lint import LintOptions, extract_all, lint
from pgconnlint.model import Default, Known


def facts_of(name: str):
    root = (FIXTURES / name).resolve()
    return extract_all(root, discover(root))


def one(items, **match):
    found = [item for item in items if all(getattr(item, key) == value for key, value in match.items())]
    assert len(found) == 1, found
    return found[0]


def budget_of(result, server: str):
    return next(b for b in result.budgets if b.server.name == server)


# --- (a) a Deployment with an HPA and a surge, against a PostgreSQL StatefulSet --------------------------------------


def test_rollout_fixture_decl_carries_autoscaler_maximum_surge_and_cpu_limit():
    facts = facts_of("k8s-rollout")
    decl = one(facts.node_processes, source="deploy/k8s/api.yaml Deployment orders-api container web")
    assert (decl.runner, decl.script, decl.directory) == ("node", "src/server.js", "api")
    assert decl.replicas == Known(8, decl.replicas.location, "HorizontalPodAutoscaler orders-api maxReplicas")
    assert decl.replicas.location.short == "deploy/k8s/api-hpa.yaml:12"
    # maxSurge 50% of the HPA's 8, not of spec.replicas 3: the surge the budget adds at the autoscaler's maximum
    assert (decl.surge.value, decl.surge.location.short) == (4, "deploy/k8s/api.yaml:13")
    assert "50% of 8 replicas, rounded up" in decl.surge.via
    assert (decl.cpu_limit.value, decl.cpu_limit.location.short) == (0.5, "deploy/k8s/api.yaml:44")
    env = {binding.name: binding.value for binding in decl.env}
    assert env["DATABASE_URL"].startswith("postgres://orders@postgres.shop.svc.cluster.local")
    assert "PGPASSWORD" not in env  # from a Secret: stays unknown


def test_rollout_fixture_statefulset_is_the_server_with_its_service_names():
    facts = facts_of("k8s-rollout")
    command = one(facts.server_commands, name="deploy/k8s/postgres.yaml StatefulSet postgres")
    assert dict(command.settings)["max_connections"].value == 110
    assert command.image == "postgres:16.4"
    assert "postgres.shop.svc.cluster.local" in command.hosts and "postgres" in command.hosts
    assert {b.name for b in command.environment} == {"POSTGRES_DB", "POSTGRES_USER"}  # the password is a Secret's
    assert not facts.deployment  # every Kubernetes fact was consumed by resolve


def test_rollout_fixture_steady_state_fits_but_the_rollout_does_not():
    result = lint(FIXTURES / "k8s-rollout", LintOptions(cpus=TEST_CPUS))
    budget = budget_of(result, "deploy/k8s/postgres.yaml StatefulSet postgres")
    assert budget.server.usable == 107
    assert budget.total == 80  # 8 pods (HPA maxReplicas) × 1 process × pool max 10
    assert budget.rollout_total == 120  # (8 + 4 surge) × 10
    codes = [key[0] for key in keys(result)]
    assert "PGC101" not in codes and "PGC104" in codes  # the rollout budget, not the steady one


# --- (b) a CloudNativePG cluster and an app reaching it by `<name>-rw` ----------------------------------------------


def test_cnpg_cluster_is_a_primary_with_its_rw_service_and_a_standby_entry():
    facts = facts_of("k8s-cnpg")
    primary = one(facts.servers, name="k8s/database.yaml Cluster ledger-db")
    setting = primary.settings["max_connections"]
    assert (setting.value.value, setting.value.location.short) == (120, "k8s/database.yaml:11")
    assert primary.settings["shared_buffers"].value.value == 512 * 1024**2
    assert {"ledger-db-rw", "ledger-db-rw.ledger.svc.cluster.local"} <= set(primary.hosts)
    assert "ledger-db-ro" not in primary.hosts
    standby = one(facts.servers, name="k8s/database.yaml Cluster ledger-db standbys")
    assert standby.replica_of == primary.name and {"ledger-db-ro", "ledger-db-r"} <= set(standby.hosts)


def test_cnpg_app_runs_uvicorn_with_the_scaled_object_maximum_and_no_surge_for_recreate():
    facts = facts_of("k8s-cnpg")
    decl = one(facts.processes, source="k8s/app.yaml Deployment ledger container api")
    assert (decl.server, decl.directory) == ("uvicorn", "app")
    assert (decl.replicas.value, decl.replicas.via) == (4, "ScaledObject ledger maxReplicaCount")
    assert decl.surge is None  # strategy Recreate: the old pods stop first
    assert decl.image == "app/Dockerfile"  # the image whose CMD this command replaces
    env = {b.name: b.value for b in decl.env}
    assert env["DATABASE_URL"] == "postgresql+asyncpg://ledger@ledger-db-rw:5432/ledger"
    result = lint(FIXTURES / "k8s-cnpg", LintOptions(cpus=TEST_CPUS))
    # so the Dockerfile's own CMD is not counted a second time
    assert [group.name for group in result.project.groups] == ["k8s/app.yaml Deployment ledger container api"]
    budget = budget_of(result, "k8s/database.yaml Cluster ledger-db")
    assert (budget.total, budget.server.usable) == (80, 117)  # 4 pods × 2 workers × (5 + 5)


def test_keda_default_maximum_when_the_scaled_object_sets_none():
    text = """apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
spec:
  scaleTargetRef:
    name: worker
  triggers:
    - type: rabbitmq
"""
    (scaler,), problems = kubernetes.extract("k8s/worker.yaml", text)
    assert not problems
    assert isinstance(scaler.maximum, Default) and scaler.maximum.value == 100
    assert "KEDA default maxReplicaCount 100" in scaler.maximum.why
    assert (scaler.target_kind, scaler.target_name) == ("Deployment", "worker")


# --- (d) env from ConfigMaps, a Secret left unknown, postgresql.conf in a ConfigMap ----------------------------------


def test_configmap_env_gives_workers_and_pool_size_and_secret_stays_unbound():
    facts = facts_of("k8s-configmap-env")
    decl = one(facts.processes, source="k8s/web.yaml Deployment inventory-web container gunicorn")
    assert decl.options.entries["workers"].text == "${WEB_CONCURRENCY}"  # `$(WEB_CONCURRENCY)`, Kubernetes' form
    env = {b.name: b for b in decl.env}
    assert (env["WEB_CONCURRENCY"].value, env["WEB_CONCURRENCY"].location.short) == ("3", "k8s/config.yaml:6")
    assert env["WEB_CONCURRENCY"].source == "ConfigMap web-config key WEB_CONCURRENCY"
    assert (env["DB_POOL_SIZE"].value, env["DB_POOL_SIZE"].source) == ("8", "ConfigMap web-db key DB_POOL_SIZE")
    assert "DATABASE_URL" not in env  # secretKeyRef: unknown, never guessed
    # no strategy: Kubernetes' default maxSurge 25% of 4 replicas, rounded up
    assert isinstance(decl.surge, Default) and decl.surge.value == 1 and "25%" in decl.surge.why


def test_postgresql_conf_mounted_from_a_configmap_configures_the_statefulset():
    facts = facts_of("k8s-configmap-env")
    command = one(facts.server_commands, name="k8s/postgres.yaml StatefulSet inventory-db")
    config = one(facts.servers, name=command.config_file)
    assert config.settings["max_connections"].value.location.short == "k8s/postgres.yaml:8"  # the line in the manifest
    assert "inventory-db.default.svc.cluster.local" in command.hosts
    result = lint(FIXTURES / "k8s-configmap-env", LintOptions(cpus=TEST_CPUS))
    budget = budget_of(result, "k8s/postgres.yaml StatefulSet inventory-db")
    # 4 replicas × 3 workers (WEB_CONCURRENCY from the ConfigMap) × 4 threads, each pool of 8 + 0
    assert (budget.total, budget.ceiling, budget.server.usable) == (48, 96, 77)


# --- bad input: findings or notes, never a traceback ----------------------------------------------------------------

GOOD = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: api:1
          command: ["gunicorn", "-w", "3", "app:app"]
"""


def test_a_malformed_document_among_good_ones_costs_one_problem_at_its_line():
    text = GOOD + "---\nkind: [unclosed\n---\n" + GOOD.replace("name: api", "name: worker")
    found, problems = kubernetes.extract("k8s/all.yaml", text)
    assert [w.name for w in found] == ["api", "worker"]
    assert len(problems) == 1 and problems[0].location.line == 14 and "invalid YAML" in problems[0].message


def test_templated_non_mapping_unknown_and_huge_documents_are_notes():
    templated = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
    aliases = "apiVersion: v1\nkind: ConfigMap\nbase: &a [" + ", ".join(["x"] * 100) + "]\n"
    aliases += "".join(
        f"l{i}: &l{i} [*{'a' if i == 0 else f'l{i - 1}'}, *{'a' if i == 0 else f'l{i - 1}'}]\n" for i in range(20)
    )
    text = "\n---\n".join([GOOD, templated, "- just\n- a list", "apiVersion: v9\nkind: Gadget\n", aliases])
    found, problems = kubernetes.extract("k8s/mixed.yaml", text)
    assert [w.name for w in found] == ["api"]
    messages = sorted(p.message.split(" ")[0] + (" skipped" if p.skipped else "") for p in problems)
    assert messages == ["YAML skipped", "YAML skipped", "templated skipped"]


def test_every_workload_kind_and_missing_parts_resolve_without_error(lint_tree):
    jobs = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      parallelism: 3
      template:
        spec:
          containers:
            - name: report
              image: reports:1
              command: ["celery", "-A", "proj", "worker", "-c", "2"]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec: {}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: broken
spec:
  template:
    spec:
      containers: "not a list"
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: nothing
spec:
  maxReplicas: many
"""
    result = lint_tree({"k8s/jobs.yaml": jobs})
    decls = [g.name for g in result.project.groups]
    assert result.files == 1 and isinstance(decls, list)
    root_facts = extract_all(result.root, discover(result.root))
    celery = one(root_facts.processes, server="celery")
    assert (celery.replicas.value, celery.replicas.via, celery.surge) == (3, "CronJob nightly parallelism", None)


def test_a_python_image_without_command_runs_its_dockerfile_cmd_once_per_pod(lint_tree):
    deployment = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
  template:
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:7
          env:
            - name: DATABASE_URL
              value: postgresql://shop@db/shop
"""
    files = {
        "web/Dockerfile": 'FROM python:3.12-slim\nCOPY . /app\nCMD ["gunicorn", "--workers", "3", "app:app"]\n',
        "web/requirements.txt": "sqlalchemy\ngunicorn\n",
        "web/app.py": (
            "import os\nfrom sqlalchemy import create_engine\n\n"
            'engine = create_engine(os.environ["DATABASE_URL"], pool_size=2, max_overflow=0, pool_pre_ping=True,'
            ' connect_args={"connect_timeout": 5})\n'
        ),
        "k8s/web.yaml": deployment,
    }
    result = lint_tree(files)
    [group] = result.project.groups
    assert group.name == "k8s/web.yaml Deployment web container web (web/Dockerfile CMD)"
    assert group.processes.value == 15  # 3 workers × 5 replicas, not also 3 for the Dockerfile on its own
    assert "k8s/web.yaml:6" in group.processes.via


def test_a_configmap_postgresql_conf_reports_its_bad_lines_and_includes_at_their_manifest_lines(tmp_path):
    fixture = (FIXTURES / "k8s-configmap-env").resolve()
    shutil.copytree(fixture, tmp_path / "repo")
    manifest = tmp_path / "repo/k8s/postgres.yaml"
    text = manifest.read_text().replace(
        "    max_connections = 80\n", "    max_connections = 80\n    include 'tuning.conf'\n    work_mem\n"
    )
    manifest.write_text(text)
    result = lint(tmp_path / "repo", LintOptions(cpus=TEST_CPUS))
    found = [(f.code, f.location.short, f.message) for f in result.findings if f.code == "PGC001"]
    assert found == [
        ("PGC001", "k8s/postgres.yaml:9", "include inside an embedded postgresql.conf not followed: tuning.conf"),
        ("PGC001", "k8s/postgres.yaml:10", "cannot parse line: 'work_mem'"),
    ]


def test_objects_of_kinds_nothing_reads_are_not_converted():
    """An Ingress, a CustomResourceDefinition or RBAC among the workloads: composed (a syntax error there is still
    one), but not turned into values, which only the kinds `_object` reads need (issue 19); a scalar document beside
    them is still said not to be a Kubernetes object."""
    from pgconnlint.extract import yamlsource

    text = (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n---\n"
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  names: {kind: Thing}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n"
        "  template:\n    spec:\n      containers:\n        - name: api\n          image: acme/api:1\n"
    )
    documents, problems = yamlsource.load_documents("k8s/all.yaml", text, reads=kubernetes.READ_KINDS.__contains__)
    assert [(d.unread_kind, d.value is None) for d in documents] == [
        ("Ingress", True),
        ("CustomResourceDefinition", True),
        (None, False),
    ]
    assert problems == []
    found, _ = kubernetes.extract("k8s/all.yaml", text)
    assert [(type(item).__name__, item.name) for item in found] == [("KubeWorkload", "api")]
    _, problems = kubernetes.extract("k8s/ingress.yaml", text.split("---\n")[0] + "---\njust a string\n")
    assert [p.message for p in problems] == ["YAML document is not a mapping, so not a Kubernetes object; not read"]

"""Kubernetes manifests (issue #10): the processes each workload's containers start, with the replicas an autoscaler
allows, the surge of a rolling deploy and the CPU limit; PostgreSQL servers run by a StatefulSet or an operator,
with the Service names apps reach them by; env from ConfigMaps; bad documents reported, never raised."""

from __future__ import annotations

from conftest import FIXTURES, TEST_CPUS, keys

from pgconnlint.discover import discover
from pgconnlint.lint import LintOptions, extract_all, lint
from pgconnlint.model import Known


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

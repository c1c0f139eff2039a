"""Helm charts (issue #10): rendered with `helm template` when helm is on PATH; otherwise read by the `helm create`
conventions of values.yaml, with a note that the templates were not rendered."""

from __future__ import annotations

import shutil

import pytest
from conftest import FIXTURES, TEST_CPUS

from pgconnlint.discover import discover
from pgconnlint.extract import helm
from pgconnlint.lint import LintOptions, extract_all, lint
from pgconnlint.model import Default

CHART = "charts/api/Chart.yaml chart api (values.yaml, not rendered)"


@pytest.fixture
def no_helm(monkeypatch):
    """The values path, whether or not this machine has helm."""
    monkeypatch.setattr(helm.shutil, "which", lambda name: None)


def test_values_path_runs_the_image_with_the_autoscaling_maximum(no_helm):
    root = (FIXTURES / "helm-app").resolve()
    facts = extract_all(root, discover(root))
    decl = next(d for d in facts.node_processes if d.source == CHART)
    assert (decl.runner, decl.dockerfile, decl.directory) == ("image", "api/Dockerfile", "api")
    # autoscaling.enabled: autoscaling.maxReplicas, not replicaCount
    assert (decl.replicas.value, decl.replicas.location.short) == (6, "charts/api/values.yaml:24")
    assert isinstance(decl.surge, Default) and decl.surge.value == 2  # 25% of 6, rounded up: no strategy in templates
    assert (decl.cpu_limit.value, decl.cpu_limit.location.short) == (1, "charts/api/values.yaml:15")
    note = next(p for p in facts.problems if p.location.path == "charts/api/Chart.yaml")
    assert note.skipped and "templates not rendered (helm is not on PATH)" in note.message
    assert not facts.deployment


def test_values_path_budget_counts_the_chart_pods(no_helm):
    result = lint(FIXTURES / "helm-app", LintOptions(cpus=TEST_CPUS))
    budget = result.budgets[0]
    assert [term.processes for term in budget.terms] == [6]
    assert (budget.total, budget.rollout_total) == (90, 120)  # 6 pods × pool 15; (6 + 2 surge) × 15


def test_values_path_uses_replica_count_without_autoscaling(no_helm, tmp_path):
    shutil.copytree(FIXTURES / "helm-app", tmp_path / "repo")
    values = tmp_path / "repo/charts/api/values.yaml"
    values.write_text(values.read_text().replace("enabled: true", "enabled: false"))
    facts = extract_all(tmp_path / "repo", discover(tmp_path / "repo"))
    decl = next(d for d in facts.node_processes if d.source == CHART)
    assert (decl.replicas.value, decl.replicas.location.short) == (2, "charts/api/values.yaml:2")


@pytest.mark.skipif(shutil.which("helm") is None, reason="helm is not on PATH: the render path cannot run here")
def test_render_path_reads_the_rendered_manifests():
    root = (FIXTURES / "helm-app").resolve()
    facts = extract_all(root, discover(root))
    decl = next(d for d in facts.node_processes if "templates/deployment.yaml" in d.source)
    assert decl.runner == "image" and decl.directory == "api"
    # the rendered HPA's maxReplicas equals autoscaling.maxReplicas: the number points at values.yaml
    assert (decl.replicas.value, decl.replicas.location.short) == (6, "charts/api/values.yaml:24")
    assert not any(p.location.path == "charts/api/Chart.yaml" and p.skipped for p in facts.problems)


def test_a_chart_with_dependencies_not_vendored_is_not_rendered(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "helm-app", tmp_path / "repo")
    chart = tmp_path / "repo/charts/api/Chart.yaml"
    chart.write_text(
        chart.read_text()
        + "dependencies:\n  - name: redis\n    version: 19.x.x\n    repository: https://charts.example.com\n"
    )
    monkeypatch.setattr(helm.shutil, "which", lambda name: "/nonexistent/helm")  # never run: skipped before
    facts = extract_all(tmp_path / "repo", discover(tmp_path / "repo"))
    messages = [p.message for p in facts.problems if p.location.path == "charts/api/Chart.yaml"]
    assert any("dependencies redis are not in charts/" in m for m in messages)
    assert any("templates not rendered (helm template did not render it)" in m for m in messages)


RENDERED = """---
# Source: api/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: pgconnlint-api
spec:
  selector:
    app.kubernetes.io/name: api
---
# Source: api/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pgconnlint-api
spec:
  template:
    spec:
      containers:
        - name: api
          image: "ghcr.io/acme/api:0.4.0"
---
# Source: api/templates/hpa.yaml
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: pgconnlint-api
spec:
  scaleTargetRef:
    kind: Deployment
    name: pgconnlint-api
  maxReplicas: 6
"""


def test_render_plumbing_with_a_stand_in_for_helm(tmp_path, monkeypatch):
    """What helm prints is read as manifests (paths from `# Source:`, numbers traced to values.yaml). A stand-in
    script prints a rendering, so this runs where helm is not installed; the real render test is above."""
    (tmp_path / "out.yaml").write_text(RENDERED)
    fake = tmp_path / "helm"
    fake.write_text(f'#!/bin/sh\ntest "$1" = template || exit 3\ncat {tmp_path / "out.yaml"}\n')
    fake.chmod(0o755)
    monkeypatch.setattr(helm.shutil, "which", lambda name: str(fake))
    root = (FIXTURES / "helm-app").resolve()
    facts = extract_all(root, discover(root))
    decl = next(d for d in facts.node_processes if d.runner == "image")
    assert decl.source == "charts/api/templates/deployment.yaml Deployment pgconnlint-api container api"
    assert (decl.replicas.value, decl.replicas.location.short) == (6, "charts/api/values.yaml:24")
    assert "rendered into HorizontalPodAutoscaler pgconnlint-api maxReplicas" in decl.replicas.via
    assert not any(p.skipped for p in facts.problems if p.location.path == "charts/api/Chart.yaml")


def test_a_failing_helm_falls_back_to_values(tmp_path, monkeypatch):
    fake = tmp_path / "helm"
    fake.write_text("#!/bin/sh\necho 'Error: parse error in deployment.yaml' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(helm.shutil, "which", lambda name: str(fake))
    root = (FIXTURES / "helm-app").resolve()
    facts = extract_all(root, discover(root))
    messages = [p.message for p in facts.problems if p.location.path == "charts/api/Chart.yaml"]
    assert any("helm template failed: Error: parse error in deployment.yaml" in m for m in messages)
    assert any(d.source == CHART for d in facts.node_processes)


def test_a_chart_with_a_link_out_of_the_tree_is_not_rendered(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "helm-app", tmp_path / "repo")
    (tmp_path / "secret.txt").write_text("password=hunter2\n")
    (tmp_path / "repo/charts/api/files").mkdir()
    (tmp_path / "repo/charts/api/files/config.txt").symlink_to(tmp_path / "secret.txt")
    monkeypatch.setattr(helm.shutil, "which", lambda name: "/nonexistent/helm")  # never run: skipped before
    facts = extract_all(tmp_path / "repo", discover(tmp_path / "repo"))
    messages = [p.message for p in facts.problems if p.location.path == "charts/api/Chart.yaml"]
    assert any("charts/api/files/config.txt links out of the repository; not rendered" in m for m in messages)
    assert any(d.source == CHART for d in facts.node_processes)  # read by the values.yaml conventions instead

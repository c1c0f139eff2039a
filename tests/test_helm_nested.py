"""Helm charts read without helm (extract/helm.py): values nested under a component key (`web.image`), the chart's
top-level autoscaling for its own component, third-party and switched-off components left out, the image named
after the chart run from the repository's only Dockerfile, its start script followed to a Next.js standalone
server, and a vendored PostgreSQL subchart (folder or .tgz) as the chart's server."""

from __future__ import annotations

import io
import shutil
import tarfile

import pytest
from conftest import FIXTURES

from pgconnlint.extract import helm
from pgconnlint.lint import LintOptions, lint

SUBCHART = "charts/shop/charts/postgresql"


@pytest.fixture
def no_helm(monkeypatch):
    monkeypatch.setattr(helm.shutil, "which", lambda name: None)


def _budget(root):
    [budget] = lint(root, LintOptions(cpus=4)).budgets
    return budget


def test_component_image_and_chart_autoscaling_run_the_next_standalone_server(no_helm):
    budget = _budget(FIXTURES / "helm-nested-next")
    [term] = budget.terms
    # web.replicas 2 is ignored while the chart's autoscaling is on: maxReplicas 4 pods
    assert term.group.processes.value == 4
    assert "4 replicas [values autoscaling.maxReplicas (autoscaling.enabled), charts/shop/values.yaml:24]" in (
        term.group.processes.via
    )
    assert "ghcr.io/acme/shop taken to be built from apps/storefront/Dockerfile" in term.group.name
    # start.sh: the migration step is one-off, `exec node apps/storefront/server.js` is the Next.js server
    assert term.group.name.endswith("node apps/storefront/server.js")
    assert term.pool.location.path == "apps/storefront/lib/db.ts"
    assert int(budget.total) == 4 * 5


def test_vendored_postgresql_subchart_is_the_charts_server(no_helm):
    budget = _budget(FIXTURES / "helm-nested-next")
    assert budget.deployment == "charts/shop/"
    assert budget.server.name.startswith("charts/shop/Chart.yaml chart shop subchart postgresql")
    # the parent's primary.extendedConfiguration over the subchart's empty one
    assert budget.server.usable == 60 - 3


def test_subchart_read_from_its_tgz(no_helm, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "helm-nested-next", root)
    with tarfile.open(root / "charts/shop/charts/postgresql-1.0.0.tgz", "w:gz") as archive:
        for name in ("Chart.yaml", "values.yaml"):
            data = (root / SUBCHART / name).read_bytes()
            info = tarfile.TarInfo(f"postgresql/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    shutil.rmtree(root / SUBCHART)
    budget = _budget(root)
    assert "postgresql-1.0.0.tgz postgresql/values.yaml" in budget.server.name
    assert budget.server.usable == 57


def test_a_subchart_not_vendored_is_said_and_no_server_is_made_up(no_helm, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "helm-nested-next", root)
    shutil.rmtree(root / SUBCHART)
    result = lint(root, LintOptions(cpus=4))
    assert any("postgresql subchart is not vendored" in f.message for f in result.findings)
    assert all("subchart" not in server.name for server in result.project.servers)


def test_a_components_own_autoscaling_off_keeps_its_replicas(no_helm, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "helm-nested-next", root)
    values = root / "charts/shop/values.yaml"
    values.write_text(
        values.read_text().replace("  replicas: 2\n", "  replicas: 2\n  autoscaling:\n    enabled: false\n")
    )
    [term] = _budget(root).terms
    assert term.group.processes.value == 2

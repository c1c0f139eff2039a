"""Knative Services (`serving.knative.dev/v1`, `kind: Service`), and Cloud Run's service YAML, which is one too.

A Knative Service is a workload whose pod template is `spec.template.spec` and whose autoscaler maximum is the
revision template's `autoscaling.knative.dev/max-scale` annotation (`maxScale` before Knative 0.21). It becomes a
KubeWorkload and a KubeAutoscaler naming it, so kubernetes.py counts its containers' processes as it counts a
Deployment's with a HorizontalPodAutoscaler. Without the annotation, Knative sets no upper bound (unless the
cluster's `config-autoscaler` max-scale says, which is not in the repository): the count is unknown, never a guess.
Cloud Run, which serves the same YAML (`gcloud run services replace service.yaml`), caps it at 100 by default.
docs/platforms.md gives the sources.
"""

from __future__ import annotations

from pgconnlint.expr import Obj
from pgconnlint.extract.kubernetes import KubeAutoscaler, KubeWorkload
from pgconnlint.model import Default, Known, Unknown

SERVICE = ("serving.knative.dev", "Service")
_MAX_SCALE = ("autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/maxScale")
#: Cloud Run's service YAML carries its own annotations and labels (`run.googleapis.com/ingress`,
#: `cloud.googleapis.com/location`): Cloud Run's default maximum of 100 instances applies to it
_CLOUD_RUN_PREFIXES = ("run.googleapis.com/", "cloud.googleapis.com/")
CLOUD_RUN_DEFAULT_MAX = 100


def objects(path: str, item: Obj, name: str, namespace: str) -> list:
    """The Service as a workload, and its autoscaler maximum as a KubeAutoscaler that names it."""
    workload = KubeWorkload("Service", name, namespace, path, item)
    maximum = _maximum(item, name)
    autoscaler = KubeAutoscaler("Knative", name, namespace, "Service", name, maximum, item.location)
    return [workload, autoscaler]


def _maximum(item: Obj, name: str) -> Known | Default | Unknown:
    annotations = item.get("spec.template.metadata.annotations")
    entries = annotations.entries if isinstance(annotations, Obj) else {}
    for key in _MAX_SCALE:
        written = entries.get(key)
        if written is None:
            continue
        text = str(getattr(written, "value", "")).strip()  # annotation values are strings: "10"
        if not text.isdigit():
            return Unknown(text, written.location, f"Knative Service {name} {key} is not a whole number")
        if int(text) == 0:
            return _unbounded(item, name, f"{key} is 0, which Knative reads as no upper bound")
        return Known(int(text), written.location, f"Knative Service {name} {key}")
    return _unbounded(item, name, "no autoscaling.knative.dev/max-scale annotation on the revision template")


def _unbounded(item: Obj, name: str, why: str) -> Default | Unknown:
    if _is_cloud_run(item):
        text = (
            f"Cloud Run default max instances {CLOUD_RUN_DEFAULT_MAX} (cloud.google.com/run/docs/configuring/"
            f"max-instances); Service {name}: {why}"
        )
        return Default(CLOUD_RUN_DEFAULT_MAX, item.location, text)
    reason = f"Knative scales Service {name} without an upper bound: {why} (the cluster's config-autoscaler may cap it)"
    return Unknown("autoscaling.knative.dev/max-scale", item.location, reason)


def _is_cloud_run(item: Obj) -> bool:
    keys: list[str] = []
    for dotted in ("metadata.annotations", "metadata.labels", "spec.template.metadata.annotations"):
        found = item.get(dotted)
        keys += list(found.entries) if isinstance(found, Obj) else []
    return any(key.startswith(_CLOUD_RUN_PREFIXES) for key in keys)

"""yamlsource.load_documents: each manifest document composed on its own (PyYAML), values located and read as
Kubernetes reads them, nothing constructed."""

from __future__ import annotations

from pgconnlint.expr import Arr, Lit, Obj
from pgconnlint.extract.yamlsource import load_documents

STREAM = """\
kind: ConfigMap
---
kind: Deployment
x-defaults: &defaults
  replicas: 3
  paused: no
spec:
  <<: *defaults
  replicas: 0x10
  ratio: 1_000
  when: 2024-01-01
  custom: !Ref Bucket
  items: [a, ~]
"""


def test_documents_keep_their_lines_and_values():
    documents, problems = load_documents("k8s/app.yaml", STREAM)
    assert problems == [] and [d.line for d in documents] == [1, 2]
    spec = documents[1].value.get("spec")
    assert isinstance(spec, Obj) and spec.location.line == 8
    # the explicit key wins over the merged one; YAML 1.1 integers (hex, underscores) and booleans, as go-yaml v2
    assert spec.get("replicas").value == 16 and spec.key_location("replicas").line == 9
    assert spec.get("paused").value is False and spec.key_location("paused").line == 6
    assert spec.get("ratio").value == 1000
    assert spec.get("when").value == "2024-01-01"  # timestamps stay text
    custom = spec.get("custom")
    assert isinstance(custom, Lit) and custom.value == "Bucket"  # an application tag is never constructed
    items = spec.get("items")
    assert isinstance(items, Arr) and [item.value for item in items.items] == ["a", None]


def test_an_alias_bomb_is_cut_off_by_the_node_budget():
    bomb = "a: &a [x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 8)}]\n" for i in range(6)
    )
    documents, problems = load_documents("bomb.yaml", bomb, max_nodes=10_000)
    assert documents[0].value is None
    assert problems[0].skipped and "more than 10000 nodes" in problems[0].message


def test_an_unclosed_bracket_is_reported_on_its_own_document():
    documents, problems = load_documents("k8s/all.yaml", "kind: A\n---\nkind: [unclosed\n---\nkind: C\n")
    assert [d.value.get("kind").value if d.value else None for d in documents] == ["A", None, "C"]
    assert [(p.location.line, p.message) for p in problems] == [(3, "invalid YAML: did not find expected ',' or ']'")]

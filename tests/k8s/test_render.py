"""Every kustomization in k8s/ renders, and every object validates against its schema."""

from __future__ import annotations

import json
from collections import Counter

import jsonschema
import kubernetes_validate
import pytest
import yaml

from .helpers import (
    K8S_DIR,
    KUBERNETES_VERSION,
    KUSTOMIZATIONS,
    MONITORED_OVERLAYS,
    NAMESPACE,
    SCHEMA_DIR,
    get,
    objects,
)

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass"}


def _crd_schema(api_version: str, kind: str) -> dict | None:
    group_version = api_version.replace("/", "_")
    path = SCHEMA_DIR / f"{group_version}_{kind.lower()}.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_kubernetes_validate_knows_the_pinned_version():
    assert KUBERNETES_VERSION.rsplit(".", 1)[0] in {
        v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()
    }


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_renders_and_validates(rendered, name):
    docs = rendered(name)
    assert docs, f"{name} rendered nothing"
    errors = []
    for doc in docs:
        label = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc["apiVersion"].split("/")[0].endswith(".coreos.com"):
            schema = _crd_schema(doc["apiVersion"], doc["kind"])
            if schema is None:
                errors.append(f"{label}: no schema in tests/k8s/schemas for {doc['apiVersion']}")
                continue
            for error in jsonschema.Draft202012Validator(schema).iter_errors(doc):
                errors.append(f"{label}: {'/'.join(map(str, error.path))}: {error.message}")
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(map(str, error.path))
            errors.append(f"{label}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{label}: {error.message}")
    assert not errors, "\n".join(errors)


def test_crd_schemas_reject_typos():
    schema = _crd_schema("monitoring.coreos.com/v1", "ServiceMonitor")
    assert schema is not None
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "endpoints": [{"port": "http"}]},
    }
    jsonschema.validate(monitor, schema)
    monitor["spec"]["endpoints"][0]["interval"] = "15 seconds"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(monitor, schema)
    monitor["spec"]["endpoints"][0] = {"port": "http", "pathh": "/metrics"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(monitor, schema)


@pytest.mark.parametrize("name", list(KUSTOMIZATIONS))
def test_names_are_unique_and_namespaced(rendered, name):
    docs = rendered(name)
    keys = Counter((d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs)
    assert [k for k, n in keys.items() if n > 1] == []
    for doc in docs:
        meta = doc["metadata"]
        adapter_rules = meta["name"] == "calle-prometheus-adapter-rules"
        expected_ns = "monitoring" if adapter_rules else NAMESPACE
        if doc["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in meta
        else:
            assert meta.get("namespace") == expected_ns, f"{doc['kind']}/{meta['name']}"
        assert meta.get("labels", {}).get("app.kubernetes.io/part-of") == "calle", meta["name"]


def test_kustomizations_use_labels_not_common_labels():
    for path in K8S_DIR.rglob("kustomization.yaml"):
        config = yaml.safe_load(path.read_text())
        assert "commonLabels" not in config, path
        assert "labels" in config or "resources" in config, path


@pytest.mark.parametrize("name", ["gpu", "cpu", "base", *MONITORED_OVERLAYS])
def test_serving_overlay_contents(rendered, name):
    docs = rendered(name)
    kinds = Counter(d["kind"] for d in docs)
    monitored = name in MONITORED_OVERLAYS
    assert kinds["Namespace"] == 1
    assert kinds["Deployment"] == 2
    assert kinds["Job"] == 1
    # Without the component: only the gateway's CPU HPA (metrics-server), nothing that needs
    # the Prometheus Operator's CRDs or prometheus-adapter, so a plain cluster applies it.
    assert kinds["HorizontalPodAutoscaler"] == (2 if monitored else 1)
    assert kinds["PodDisruptionBudget"] == 2
    assert kinds["ServiceMonitor"] == (2 if monitored else 0)
    assert [d["kind"] for d in docs if "coreos.com" in d["apiVersion"]] == (
        ["ServiceMonitor"] * 2 if monitored else []
    )
    assert kinds["NetworkPolicy"] >= 4
    assert get(docs, "Namespace", NAMESPACE)["metadata"]["labels"][
        "pod-security.kubernetes.io/enforce"
    ] == ("restricted")


def test_dashboard_config_map(rendered):
    docs = rendered("cpu+monitoring")
    cm = get(docs, "ConfigMap", "calle-grafana-dashboard")
    assert cm["metadata"]["name"] == "calle-grafana-dashboard", "no hash suffix for the sidecar"
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    (body,) = cm["data"].values()
    dashboard = json.loads(body)
    assert dashboard["uid"] == "calle-serving"
    assert objects(docs, "ConfigMap")

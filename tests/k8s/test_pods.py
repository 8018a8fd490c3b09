"""The cpu overlay's containers, run from the rendered manifests as their pods would run them.

From ``kubectl kustomize`` output: the export Job, Triton (its init step, then the server), the
gateway and the load test's master and workers, each with its exact command, args, env
(ConfigMaps resolved), user and volume mounts, in a sandbox that mimics the pod (``pods.py``:
read-only root, every volume a writable or read-only mount at its mountPath). What differs
from a cluster is mapped explicitly in ``pods.py`` and below: image paths, DNS names, ports, and
the load test's length (users, run time), which a test cannot wait ten minutes for. The export
runs once for the module; everything after it serves that export.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from portpicker import pick_unused_port

from calle.triton import TritonInstall
from contract.repository import CURRENT
from export.versions import passed

from .helpers import (
    LOADTEST_WITH,
    Obj,
    cli_options,
    container,
    container_env,
    flag_args,
    get,
)
from .pods import (
    ImageMap,
    Mount,
    PodProcess,
    describe,
    pod_user,
    prepare_volume,
    sandbox_argv,
    volume_mounts,
)

pytestmark = [
    pytest.mark.triton,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("unshare") is None,
        reason="mount namespaces need root and util-linux's unshare",
    ),
    # The first test pays for the module's export (the Job's command, on a shared machine).
    pytest.mark.timeout(2400),
]

IMAGE = ImageMap()
# Cluster DNS names -> this machine.
SERVICE_HOSTS = ("calle-triton.calle.svc", "calle-gateway.calle.svc", "calle-locust-master")
# The load test's length only: users, spawn rate and run time. Everything else (the gate, the
# scenario, the worker count) is the manifests'.
LOADTEST_LENGTH = {"--users": "2", "--spawn-rate": "2", "--run-time": "20s"}
EXPORT_TIMEOUT_S = 1800


class Pods:
    """Scratch volumes, free ports and the running containers of the module."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.ports = {port: pick_unused_port() for port in (8000, 8001, 8002, 8080, 50051, 5557)}
        # PersistentVolumeClaims outlive pods: one folder each for the whole module, group-owned
        # by the export's fsGroup as the kubelet leaves a volume whose driver honours it.
        self.claims = {
            "calle-model-repository": prepare_volume(base / "pvc-models", uid=0, gid=10001),
            "calle-loadtest-reports": prepare_volume(base / "pvc-reports", uid=0, gid=10001),
        }
        self.running: list[PodProcess] = []
        # The volume folders of the last sandbox made for each container name.
        self.sources: dict[str, dict[str, Path]] = {}

    def localize(self, value: str) -> str:
        """A manifest value with cluster names and ports replaced by this machine's."""
        for host in SERVICE_HOSTS:
            value = value.replace(host, "127.0.0.1")
        for port, local in self.ports.items():
            value = value.replace(f":{port}", f":{local}").replace(f"={port}", f"={local}")
        return value if value not in map(str, self.ports) else str(self.ports[int(value)])

    def volumes(self, pod: str, obj: Obj) -> dict[str, Path]:
        """A folder for each volume of ``obj``'s pod: its claim's, or a fresh emptyDir."""
        sources = {}
        for volume in obj["spec"]["template"]["spec"]["volumes"]:
            claim = volume.get("persistentVolumeClaim", {}).get("claimName")
            if claim:
                sources[volume["name"]] = self.claims[claim]
            else:
                path = self.base / pod / volume["name"]
                sources[volume["name"]] = prepare_volume(path, uid=0, gid=0, mode=0o1777)
        return sources

    def argv(self, docs: list[Obj], obj: Obj, name: str, argv: list[str], **env: str) -> list[str]:
        """The sandboxed command of container ``name`` of ``obj`` running ``argv``."""
        spec = container(obj, name)
        pod = f"{obj['metadata']['name']}-{name}-{len(self.running)}"
        environment = {
            k: self.localize(v) for k, v in container_env(docs, obj, name).items() if v is not None
        }
        environment |= {"PATH": IMAGE.path_env(), **env}
        sources = self.volumes(pod, obj)
        mounts = volume_mounts(spec, sources)
        if spec.get("workingDir") == "/app":  # the gateway image's repository root
            mounts.append(Mount("/app", IMAGE.app, read_only=True))
        self.sources[name] = sources
        return sandbox_argv(
            argv,
            root=self.base / pod / "root",
            mounts=mounts,
            env=environment,
            user=pod_user(obj, spec),
            # An image's own WORKDIR is not in the manifest: "/" where none is given.
            workdir=spec.get("workingDir", "/"),
        )

    def start(self, name: str, argv: list[str]) -> PodProcess:
        process = PodProcess(name, argv, self.base / f"{name}-{len(self.running)}.log")
        self.running.append(process)
        return process


def _with_length(args: list[str]) -> list[str]:
    """The master's args with :data:`LOADTEST_LENGTH` in place of its users and run time."""
    out = []
    for arg in args:
        key = arg.split("=", 1)[0]
        out.append(f"{key}={LOADTEST_LENGTH[key]}" if key in LOADTEST_LENGTH else arg)
    assert len(set(out) - set(args)) == len(LOADTEST_LENGTH), "the master's args changed"
    return out


def _requests_made(stats_csv: Path) -> int:
    """The request count of the ``Aggregated`` row of Locust's stats CSV."""
    with stats_csv.open(newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    return int(rows["Aggregated"]["Request Count"])


def _wait_http(url: str, process: PodProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.process.poll() is not None:
            pytest.fail(
                f"{process.name} exited {process.process.returncode}:\n{process.log_tail()}"
            )
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    pytest.fail(f"{url} not ready after {timeout_s:.0f} s:\n{process.log_tail()}")


@pytest.fixture(scope="module")
def pods(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pods]:
    state = Pods(tmp_path_factory.mktemp("pods"))
    yield state
    for process in reversed(state.running):
        process.stop()


@pytest.fixture(scope="module")
def cluster(rendered) -> list[Obj]:
    return rendered(LOADTEST_WITH)


@pytest.fixture(scope="module")
def exported(pods: Pods, cluster: list[Obj]) -> Path:
    """The export Job's container run to completion: the model volume it filled."""
    job = get(cluster, "Job", "calle-export-models")
    spec = container(job, "export")
    argv = pods.argv(cluster, job, "export", [*spec["command"], *spec["args"]])
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S, check=False
    )
    assert done.returncode == 0, f"{describe(argv)}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return pods.claims["calle-model-repository"]


@pytest.fixture(scope="module")
def triton(pods: Pods, cluster: list[Obj], exported: Path) -> str:
    """Triton's init step, then the server with the container's args: its HTTP URL."""
    deployment = get(cluster, "Deployment", "calle-triton")
    init = container(deployment, "wait-for-models")
    done = subprocess.run(
        pods.argv(cluster, deployment, "wait-for-models", init["command"]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "serving" in done.stdout
    server = container(deployment, "tritonserver")
    install = TritonInstall.locate()
    args = [pods.localize(arg) for arg in server["args"][1:]]
    # The NGC image's backends folder: prepared in the pod's /tmp volume.
    argv = pods.argv(
        cluster,
        deployment,
        "tritonserver",
        [str(install.server), *args, "--backend-directory=/tmp/backends"],
        LD_LIBRARY_PATH=install.environment()["LD_LIBRARY_PATH"],
    )
    install.prepare_backends(pods.sources["tritonserver"]["tmp"] / "backends")
    process = pods.start("tritonserver", argv)
    url = f"http://127.0.0.1:{flag_args(args)['http-port']}"
    _wait_http(f"{url}/v2/health/ready", process, 600)
    return url


@pytest.fixture(scope="module")
def gateway(pods: Pods, cluster: list[Obj], triton: str) -> str:
    """The gateway Deployment's container: its HTTP URL once /readyz answers."""
    deployment = get(cluster, "Deployment", "calle-gateway")
    spec = container(deployment, "gateway")
    process = pods.start("gateway", pods.argv(cluster, deployment, "gateway", spec["command"]))
    env = container_env(cluster, deployment, "gateway")
    url = f"http://127.0.0.1:{pods.localize(env['CALLE_HTTP_PORT'])}"
    _wait_http(f"{url}/readyz", process, 180)
    return url


def test_export_job_switches_to_a_repository_that_passed(exported: Path) -> None:
    current = exported / CURRENT
    assert current.is_symlink()
    assert not os.readlink(current).startswith("/"), "relative: it must resolve in every pod"
    assert passed(current)
    assert (current / "chat_to_image" / "config.pbtxt").exists()
    # Written by the export user through the volume's group, readable by Triton's user.
    assert current.resolve().stat().st_uid == 10001
    assert (current / "summarizer" / "config.pbtxt").stat().st_mode & 0o004


def test_triton_serves_the_export_with_the_containers_args(triton: str) -> None:
    models = httpx.post(f"{triton}/v2/repository/index", json={"ready": True}, timeout=10).json()
    assert {m["name"] for m in models} >= {"summarizer", "diffusion", "chat_to_image"}


def test_gateway_answers_readyz(gateway: str) -> None:
    assert httpx.get(f"{gateway}/readyz", timeout=10).status_code == 200


def test_loadtest_master_passes_its_gate(pods: Pods, rendered, gateway: str) -> None:
    docs = rendered("loadtest")
    master_job = get(docs, "Job", "calle-locust-master")
    worker_job = get(docs, "Job", "calle-locust-worker")
    master = container(master_job, "locust")
    worker = container(worker_job, "locust")
    args = [*_with_length(master["args"]), f"--master-bind-port={pods.ports[5557]}"]
    grpc_target = f"127.0.0.1:{pods.ports[50051]}"
    master_run = pods.start(
        "locust-master",
        pods.argv(
            docs, master_job, "locust", [*master["command"], *args], LOCUST_GRPC_TARGET=grpc_target
        ),
    )
    workers = [
        pods.start(
            "locust-worker",
            pods.argv(
                docs,
                worker_job,
                "locust",
                [*worker["command"], *(pods.localize(a) for a in worker["args"])],
                LOCUST_GRPC_TARGET=grpc_target,
            ),
        )
        for _ in range(worker_job["spec"]["parallelism"])
    ]
    status = master_run.wait(600)
    assert status == 0, master_run.log_tail()
    for process in workers:
        assert process.wait(60) == 0, process.log_tail()
    reports = pods.claims["calle-loadtest-reports"]
    prefix = Path(cli_options(master["args"])["csv"]).name
    assert _requests_made(reports / f"{prefix}_stats.csv") > 0, "a gate passed on no traffic"

"""Security posture of the rendered manifests: our own checks, then a checkov scan.

The own checks always run (they need nothing but PyYAML); checkov runs when it is installed
(it conflicts with the project's environment, so it may live in its own virtualenv: see
``_find_checkov``). Accepted checkov findings are skipped next to the manifest with
``checkov.io/skipN: CKV_K8S_XX=reason`` annotations (Dockerfiles: ``# checkov:skip=`` comments).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import (
    DOCKER_DIR,
    KUSTOMIZATIONS,
    REPO_ROOT,
    containers,
    objects,
    parse_quantity,
    pod_spec,
    workloads,
)

LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}


def _all_workloads(rendered):
    seen = {}
    for name in KUSTOMIZATIONS:
        for w in workloads(rendered(name)):
            seen[(name, w["kind"], w["metadata"]["name"])] = w
    return seen


def test_pods_run_restricted(rendered):
    problems = []
    for (overlay, kind, name), w in _all_workloads(rendered).items():
        where = f"{overlay}: {kind}/{name}"
        spec = pod_spec(w)
        pod_sc = spec.get("securityContext", {})
        if pod_sc.get("runAsNonRoot") is not True:
            problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
        if pod_sc.get("runAsUser", 1) == 0:
            problems.append(f"{where}: runAsUser 0")
        if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: automountServiceAccountToken is not false")
        if spec.get("serviceAccountName", "default") == "default":
            problems.append(f"{where}: runs as the default service account")
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(key):
                problems.append(f"{where}: {key}")
        for volume in spec.get("volumes", []):
            if "hostPath" in volume:
                problems.append(f"{where}: hostPath volume {volume['name']}")
        for c in containers(w):
            cwhere = f"{where} container {c['name']}"
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{cwhere}: allowPrivilegeEscalation is not false")
            if sc.get("privileged"):
                problems.append(f"{cwhere}: privileged")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{cwhere}: readOnlyRootFilesystem is not true")
            if sc.get("runAsUser", 1) == 0:
                problems.append(f"{cwhere}: runAsUser 0")
            caps = sc.get("capabilities", {})
            if "ALL" not in caps.get("drop", []):
                problems.append(f"{cwhere}: does not drop ALL capabilities")
            if caps.get("add"):
                problems.append(f"{cwhere}: adds capabilities {caps['add']}")
    assert not problems, "\n".join(problems)


def test_resources_probes_and_images(rendered):
    problems = []
    for (overlay, kind, name), w in _all_workloads(rendered).items():
        where = f"{overlay}: {kind}/{name}"
        for c in containers(w):
            cwhere = f"{where} container {c['name']}"
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in res.get(part, {}):
                        problems.append(f"{cwhere}: no {resource} {part}")
            for resource, limit in res.get("limits", {}).items():
                request = res.get("requests", {}).get(resource)
                if request is not None and parse_quantity(request) > parse_quantity(limit):
                    problems.append(f"{cwhere}: {resource} request {request} > limit {limit}")
            image = c["image"]
            tag = image.rsplit("/", 1)[-1].partition(":")[2]
            if "@sha256:" not in image and (not tag or tag == "latest"):
                problems.append(f"{cwhere}: image {image} is not pinned")
        if kind in LONG_RUNNING:
            for c in containers(w, init=False):
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe not in c:
                        problems.append(f"{where} container {c['name']}: no {probe}")
    assert not problems, "\n".join(problems)


def test_read_only_root_filesystems_get_a_writable_tmp(rendered):
    for (_overlay, _kind, name), w in _all_workloads(rendered).items():
        volumes = {v["name"]: v for v in pod_spec(w).get("volumes", [])}
        for c in containers(w, init=False):
            if c["name"] == "reader":
                continue  # the reports reader only runs `sleep` and `tar`
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}/{c['name']} has no writable /tmp"
            assert "emptyDir" in volumes[mounts["/tmp"]]


def test_service_accounts_do_not_mount_tokens(rendered):
    for name in KUSTOMIZATIONS:
        docs = rendered(name)
        accounts = {sa["metadata"]["name"]: sa for sa in objects(docs, "ServiceAccount")}
        for sa in accounts.values():
            assert sa.get("automountServiceAccountToken") is False, sa["metadata"]["name"]
        for w in workloads(docs):
            assert pod_spec(w)["serviceAccountName"] in accounts, w["metadata"]["name"]


# --- checkov -----------------------------------------------------------------------------------


def _find_checkov() -> str | None:
    """$CHECKOV, else the test interpreter's environment, else PATH, else .venv-checkov/."""
    candidates = [
        os.environ.get("CHECKOV"),
        str(Path(sys.executable).parent / "checkov"),
        shutil.which("checkov"),
        str(REPO_ROOT / ".venv-checkov" / "bin" / "checkov"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def checkov_report(rendered_dir, tmp_path_factory):
    checkov = _find_checkov()
    if checkov is None:
        pytest.fail(
            "checkov not installed: `make test` puts checkov==3.3.30 in its own venv "
            ".venv-checkov/ (or set CHECKOV=/path/to/checkov)"
        )
    # Offline: --skip-download keeps checkov from fetching guidelines from its platform.
    env = {**os.environ, "HOME": str(tmp_path_factory.mktemp("checkov-home"))}
    env.pop("BC_API_KEY", None)
    # One directory for both frameworks: checkov prints one JSON report per --directory.
    scan_dir = tmp_path_factory.mktemp("checkov-scan")
    for path in [*rendered_dir.glob("*.yaml"), *DOCKER_DIR.glob("*.Dockerfile")]:
        shutil.copy(path, scan_dir / path.name)
    proc = subprocess.run(
        [
            checkov,
            "--directory",
            str(scan_dir),
            "--framework",
            "kubernetes",
            "dockerfile",
            "--skip-download",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    if proc.returncode not in (0, 1):
        pytest.fail(f"checkov crashed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    report = json.loads(proc.stdout)
    return report if isinstance(report, list) else [report]


def test_checkov_passes(checkov_report):
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} ({check['file_path']})"
        for framework in checkov_report
        for check in framework["results"]["failed_checks"]
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    scanned = {framework["check_type"] for framework in checkov_report}
    assert scanned == {"kubernetes", "dockerfile"}
    assert all(framework["summary"]["passed"] > 0 for framework in checkov_report)


def test_checkov_skips_carry_a_reason(checkov_report):
    for framework in checkov_report:
        for check in framework["results"]["skipped_checks"]:
            reason = check["check_result"].get("suppress_comment", "")
            assert len(reason) > 20, f"{check['check_id']} on {check['resource']}: no reason"

"""The container images in docker/: pinned, non-root, and consistent with pyproject and k8s/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from .helpers import DOCKER_DIR, REPO_ROOT, SERVING_OVERLAYS, container, get, pod_spec

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

DOCKERFILES = {
    "calle-gateway": DOCKER_DIR / "gateway.Dockerfile",
    "calle-triton": DOCKER_DIR / "triton.Dockerfile",
    "calle-export": DOCKER_DIR / "export.Dockerfile",
}
REQUIREMENTS = {
    "calle-gateway": DOCKER_DIR / "gateway-requirements.txt",
    "calle-triton": DOCKER_DIR / "triton-requirements.txt",
    "calle-export": DOCKER_DIR / "export-requirements.txt",
}
# Workload that runs each image, and its container, in the rendered serving overlays.
RUNS_IN = {
    "calle-gateway": ("Deployment", "calle-gateway", "gateway"),
    "calle-triton": ("Deployment", "calle-triton", "tritonserver"),
    "calle-export": ("Job", "calle-export-models", "export"),
}


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        instruction, _, rest = stripped.partition(" ")
        out.append((instruction.upper(), rest.strip()))
    return out


def _requirements(path: Path) -> dict[str, Requirement]:
    reqs = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            reqs[req.name.lower()] = req
    return reqs


def _pyproject_dependencies() -> dict[str, Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return {Requirement(d).name.lower(): Requirement(d) for d in project["dependencies"]}


def _pinned_version(req: Requirement) -> Version:
    (spec,) = req.specifier
    assert spec.operator == "==", f"{req} is not pinned with =="
    return Version(spec.version)


@pytest.mark.parametrize("image", list(DOCKERFILES))
def test_base_images_are_pinned_and_the_user_is_not_root(image):
    instructions = _instructions(DOCKERFILES[image])
    froms = [args.split()[0] for ins, args in instructions if ins == "FROM"]
    assert froms
    for ref in froms:
        tag = ref.rpartition("/")[2].partition(":")[2]
        assert "$" not in ref, f"{image}: FROM {ref} is not a literal reference"
        assert tag, f"{image}: FROM {ref} has no tag"
        assert tag != "latest", f"{image}: FROM {ref} is not pinned"
    users = [args for ins, args in instructions if ins == "USER"]
    assert users, f"{image}: no USER"
    assert users[-1].split(":")[0] not in {"0", "root"}


def test_base_image_choices():
    assert _instructions(DOCKERFILES["calle-triton"])[0] == (
        "FROM",
        "nvcr.io/nvidia/tritonserver:24.10-py3",
    )
    for image in ("calle-gateway", "calle-export"):
        for ins, args in _instructions(DOCKERFILES[image]):
            if ins == "FROM":
                assert re.match(r"python:3\.11(\.\d+)?-slim", args), args


@pytest.mark.parametrize("image", list(DOCKERFILES))
def test_images_install_requirements_then_the_project_without_deps(image):
    runs = " ".join(args for ins, args in _instructions(DOCKERFILES[image]) if ins == "RUN")
    copies = [args for ins, args in _instructions(DOCKERFILES[image]) if ins == "COPY"]
    requirements = REQUIREMENTS[image].relative_to(REPO_ROOT).as_posix()
    assert any(c.startswith(requirements) for c in copies), f"{image} does not COPY {requirements}"
    assert re.search(r"pip install (--\S+ )*-r \S*" + Path(requirements).name, runs)
    assert re.search(r"pip install --no-deps \S+", runs)


@pytest.mark.parametrize("image", list(DOCKERFILES))
def test_copy_sources_exist_and_are_not_docker_ignored(image):
    ignored = {
        line.strip().rstrip("/")
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for ins, args in _instructions(DOCKERFILES[image]):
        if ins != "COPY" or "--from=" in args:
            continue
        sources = [a for a in args.split() if not a.startswith("--")][:-1]
        for source in sources:
            assert (REPO_ROOT / source).exists(), f"{image}: COPY {source}: no such path"
            assert source.split("/")[0] not in ignored, f"{image}: {source} is .dockerignored"


def test_dockerignore_keeps_the_context_small():
    ignored = {
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "build", "**/*.onnx"} <= ignored


@pytest.mark.parametrize("image", list(REQUIREMENTS))
def test_requirements_are_pinned_within_pyproject_ranges(image):
    declared = _pyproject_dependencies()
    for name, req in _requirements(REQUIREMENTS[image]).items():
        version = _pinned_version(req)
        if name in declared:
            assert declared[name].specifier.contains(version, prereleases=True), (
                f"{REQUIREMENTS[image].name}: {req} is outside pyproject's {declared[name]}"
            )
        if name == "numpy":
            assert version < Version("2"), "the Python backend and pytriton need numpy<2"


def test_torch_version_matches_pyproject():
    declared = _pyproject_dependencies()["torch"]
    for image in ("calle-triton", "calle-export"):
        args = [a for ins, a in _instructions(DOCKERFILES[image]) if ins == "ARG"]
        (version,) = [a.split("=", 1)[1] for a in args if a.startswith("TORCH_VERSION=")]
        assert declared.specifier.contains(version), f"{image}: torch {version} vs {declared}"
        index = [a for a in args if a.startswith("TORCH_INDEX_URL=")]
        assert index == ["TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu"]


def test_gateway_image_carries_no_model_stack():
    reqs = set(_requirements(REQUIREMENTS["calle-gateway"]))
    heavy = {"torch", "transformers", "diffusers", "onnx", "onnxruntime", "nvidia-pytriton"}
    assert not reqs & heavy
    assert {"fastapi", "uvicorn", "grpcio", "tritonclient", "prometheus-client", "pydantic"} <= reqs
    assert "locust" in reqs, "the load test runs from the gateway image"


def test_triton_and_export_images_carry_what_the_models_import():
    triton = set(_requirements(REQUIREMENTS["calle-triton"]))
    assert {"transformers", "diffusers", "tokenizers", "onnxruntime-gpu", "pillow", "numpy"} <= (
        triton
    )
    assert "onnxruntime" not in triton, "onnxruntime-gpu provides the onnxruntime module"
    export = set(_requirements(REQUIREMENTS["calle-export"]))
    assert {"transformers", "diffusers", "onnx", "onnxscript", "onnxruntime"} <= export
    assert "nvidia-pytriton" not in export


@pytest.mark.parametrize("overlay", SERVING_OVERLAYS)
def test_k8s_runs_each_image_as_its_dockerfile_user(rendered, overlay):
    docs = rendered(overlay)
    for image, (kind, name, container_name) in RUNS_IN.items():
        workload = get(docs, kind, name)
        c = container(workload, container_name)
        assert c["image"].rsplit("/", 1)[-1].startswith(image + ":")
        users = [a for ins, a in _instructions(DOCKERFILES[image]) if ins == "USER"]
        uid = int(users[-1].split(":")[0])
        assert pod_spec(workload)["securityContext"]["runAsUser"] == uid, image


def test_loadtest_runs_in_the_gateway_image_workdir(rendered):
    workdirs = [a for ins, a in _instructions(DOCKERFILES["calle-gateway"]) if ins == "WORKDIR"]
    master = get(rendered("loadtest"), "Job", "calle-locust-master")
    locust = container(master, "locust")
    assert locust["workingDir"] == workdirs[-1]
    assert locust["image"].rsplit("/", 1)[-1].startswith("calle-gateway:")
    copies = [a for ins, a in _instructions(DOCKERFILES["calle-gateway"]) if ins == "COPY"]
    assert any(c.split()[-2] == "loadtest" for c in copies), "the image must hold loadtest/"


def _third_party_imports(paths: list[Path]) -> set[str]:
    """Distributions that the module-level imports of ``paths`` need."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    first_party = {
        "calle",
        "contract",
        "evaluation",
        "export",
        "gateway",
        "loadtest",
        "triton_models",
    }
    modules = set()
    for path in paths:
        for node in ast.parse(path.read_text()).body:  # module level only: lazy imports differ
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    # triton_python_backend_utils is provided by Triton's Python backend itself.
    provided = {"__future__", "triton_python_backend_utils"}
    modules -= first_party | set(sys.stdlib_module_names) | provided
    distributions = packages_distributions()
    return {re.sub(r"[-_.]+", "-", distributions[m][0]).lower() for m in modules}


def _python_files(*roots: str) -> list[Path]:
    files = []
    for root in roots:
        path = REPO_ROOT / root
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if "generated" not in f.parts]


LOCUST_MODULES = (
    "hooks",
    "chats",
    "checks",
    "grpc_client",
    "thresholds",
    "step_plan",
    "locustfiles",
)


def test_gateway_image_carries_what_the_gateway_imports():
    needed = _third_party_imports(
        _python_files(
            "gateway",
            "contract",
            # What `calle gateway` imports on its way to the gateway (calle.cli loads these).
            *(f"calle/{name}.py" for name in ("cli", "settings", "triton", "serving", "soak")),
            *(f"calle/{name}.py" for name in ("supervisor", "inspection")),
            # What the load test's Locust processes import (they run in this image).
            "loadtest/scenarios",
            "loadtest/shapes",
            *(f"loadtest/{name}.py" for name in LOCUST_MODULES),
        )
    )
    missing = needed - set(_requirements(REQUIREMENTS["calle-gateway"]))
    assert not missing, f"gateway-requirements.txt lacks {sorted(missing)}"


def test_triton_image_carries_what_the_python_models_import():
    paths = [p for p in _python_files("triton_models") if p.name != "model.py"]
    paths += sorted((REPO_ROOT / "triton_models").glob("*/1/model.py"))
    needed = {"onnxruntime-gpu" if d == "onnxruntime" else d for d in _third_party_imports(paths)}
    missing = needed - set(_requirements(REQUIREMENTS["calle-triton"])) - {"torch"}
    assert not missing, f"triton-requirements.txt lacks {sorted(missing)}"

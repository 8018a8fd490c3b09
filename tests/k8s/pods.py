"""Run a rendered container's command the way its pod would: a sandbox that mimics the pod.

Each command runs in its own mount namespace (``unshare --mount``, root only) under a new root:
a tmpfs made read-only once set up, holding read-only bind mounts of this machine's top-level
folders (the "image") and, at each ``volumeMount``'s ``mountPath``, a writable or read-only bind
mount of a scratch folder standing for the volume; then ``chroot`` and ``setpriv`` to the pod's
``runAsUser``/``runAsGroup``, with exactly the container's environment and working directory.

The images' paths differ from this checkout; :class:`ImageMap` maps each one explicitly:

* the images' ``/opt/venv/bin`` (gateway, export) and the Triton image's Python: this checkout's
  ``.venv/bin`` first on ``PATH``; its interpreter lives under ``/root/.pyenv``, which is bound
  alone (``/root`` itself is mode 700, unlike an image's ``/usr/local``);
* the gateway image's working directory ``/app`` (the repository root, for the load test's
  ``loadtest/...`` locustfile paths): this checkout, bound read-only at ``/app``;
* the NGC image's ``tritonserver`` and ``/opt/tritonserver/backends``: the nvidia-pytriton
  wheel's binary (with its ``LD_LIBRARY_PATH``) and a backend folder prepared in the pod's
  ``/tmp`` volume, passed as ``--backend-directory``;
* cluster DNS names and fixed ports: ``127.0.0.1`` and free ports (this machine is shared).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .helpers import REPO_ROOT, Obj, pod_spec

# Host top-level folders not bound into the pod's root: the kernel's (bound on their own), the
# host's /tmp (each pod has its own), and /root (its Python alone is bound, see above).
_NOT_BOUND = {"proc", "sys", "dev", "tmp", "root", "lost+found"}
PYENV = Path("/root/.pyenv")


@dataclass(frozen=True)
class Mount:
    """A volume at ``path`` inside the pod, backed by the scratch folder ``source``."""

    path: str
    source: Path
    read_only: bool = False


@dataclass(frozen=True)
class ImageMap:
    """What stands for an image's paths here (see the module docstring)."""

    venv_bin: Path = REPO_ROOT / ".venv" / "bin"
    app: Path = REPO_ROOT
    extra_env: dict[str, str] = field(default_factory=dict)

    def path_env(self) -> str:
        """``PATH`` inside the pod: the image's venv first, then the usual system folders."""
        return f"{self.venv_bin}:/usr/local/bin:/usr/bin:/bin"


def pod_user(obj: Obj, container: Obj) -> tuple[int, int]:
    """``(uid, gid)`` a container runs as: its securityContext over the pod's."""
    pod = pod_spec(obj).get("securityContext", {})
    own = container.get("securityContext", {})
    uid = own.get("runAsUser", pod.get("runAsUser"))
    gid = own.get("runAsGroup", pod.get("runAsGroup", uid))
    assert uid is not None, f"{container['name']} sets no runAsUser"
    return int(uid), int(gid)


def volume_mounts(container: Obj, sources: dict[str, Path]) -> list[Mount]:
    """The container's volumeMounts, each volume (by name) backed by ``sources[name]``."""
    mounts = []
    for mount in container.get("volumeMounts", []):
        assert "subPath" not in mount, f"{container['name']}: subPath mounts are not mimicked"
        mounts.append(
            Mount(mount["mountPath"], sources[mount["name"]], bool(mount.get("readOnly")))
        )
    return mounts


def _setup_script() -> str:
    """Shell run as root in the new mount namespace; ``$1`` is the new root, then mounts."""
    return r"""
R=$1; shift
mount -t tmpfs -o mode=755 pod-root "$R"
for entry in /*; do
  name=${entry#/}
  case " $NOT_BOUND " in *" $name "*) continue ;; esac
  if [ -L "$entry" ]; then ln -s "$(readlink "$entry")" "$R/$name"; continue; fi
  [ -d "$entry" ] || continue
  mkdir "$R/$name"; mount --rbind "$entry" "$R/$name"; mount -o remount,ro,bind "$R/$name"
done
for kernel in proc sys dev; do mkdir "$R/$kernel"; mount --rbind "/$kernel" "$R/$kernel"; done
mkdir -p "$R$PYENV"; mount --rbind "$PYENV" "$R$PYENV"; mount -o remount,ro,bind "$R$PYENV"
while [ "$1" != "--" ]; do
  target=$1 source=$2 mode=$3; shift 3
  mkdir -p "$R$target"; mount --bind "$source" "$R$target"
  if [ "$mode" = ro ]; then mount -o remount,ro,bind "$R$target"; fi
done
shift
mount -o remount,ro "$R"
exec chroot "$R" "$@"
"""


def sandbox_argv(
    argv: list[str],
    *,
    root: Path,
    mounts: list[Mount],
    env: dict[str, str],
    user: tuple[int, int],
    workdir: str,
) -> list[str]:
    """The host command that runs ``argv`` inside the pod sandbox."""
    root.mkdir(parents=True, exist_ok=True)
    mount_args = [
        item for m in mounts for item in (m.path, str(m.source), "ro" if m.read_only else "rw")
    ]
    # The checkout (its .venv stands for the images' venv, its scripts name its own path) at its
    # own path, last, over whatever the pod's root or volumes put there: a clone under /tmp or
    # /root would otherwise be hidden by the pod's own /tmp or the unbound /root.
    mount_args += [str(REPO_ROOT), str(REPO_ROOT), "ro"]
    uid, gid = user
    not_bound = sorted(_NOT_BOUND | {m.path.strip("/").split("/")[0] for m in mounts})
    inner = [
        "/usr/bin/setpriv",
        f"--reuid={uid}",
        f"--regid={gid}",
        "--clear-groups",
        "/usr/bin/env",
        "-i",
        *(f"{k}={v}" for k, v in sorted(env.items())),
        "/bin/sh",
        "-c",
        'cd "$0" && exec "$@"',
        workdir,
        *argv,
    ]
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "/usr/bin/env",
        f"NOT_BOUND={' '.join(not_bound)}",
        f"PYENV={PYENV}",
        "/bin/sh",
        "-euc",
        _setup_script(),
        "pod-sandbox",
        str(root),
        *mount_args,
        "--",
        *inner,
    ]


def prepare_volume(path: Path, *, uid: int, gid: int, mode: int = 0o2775) -> Path:
    """A scratch folder standing for a volume, owned as the kubelet would leave it for the pod.

    ``fsGroup`` makes a volume group-owned and group-writable (with setgid); an emptyDir is
    world-writable. Pass ``mode=0o1777`` for an emptyDir.
    """
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, uid, gid)
    path.chmod(mode)
    return path


class PodProcess:
    """A long-running container (Triton, the gateway, a Locust master) in its sandbox."""

    def __init__(self, name: str, argv: list[str], log_file: Path) -> None:
        self.name = name
        self.log_file = log_file
        self._log = log_file.open("wb")
        self.process = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log_tail(self, lines: int = 60) -> str:
        """The end of what the container printed."""
        text = self.log_file.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def wait(self, timeout_s: float) -> int:
        """Its exit status (raises ``subprocess.TimeoutExpired`` past ``timeout_s``)."""
        return self.process.wait(timeout_s)

    def stop(self) -> None:
        """SIGTERM to its process group, then SIGKILL after 20 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()


def describe(argv: list[str]) -> str:
    """``argv`` as one shell line (for failure messages)."""
    return shlex.join(argv)

"""The export's output layout: versioned repositories and an atomic ``current`` switch.

``calle export --output ROOT`` never deletes ``ROOT`` (in Kubernetes it is a volume mount, and
the container's root filesystem is read-only). Each export is staged into a new
``ROOT/versions/<id>/``; ``export.json`` is written there last with the verdict; only an export
that passed its checks becomes ``ROOT/current``, a relative symlink replaced with one
``rename(2)``, so Triton (``--model-repository=ROOT/current``) sees either the old repository or
the new one, never half of one. The previous repository is kept (pods started on it may still
read it); versions staged before it, failed ones included, are pruned after a switch.

Only the standard library of Python 3.10 is used, and :mod:`contract.repository` (standard
library only too): the Triton image (Python 3.10) runs ``python3 -m export.versions wait
/models`` as the init step before Triton starts.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from contract.repository import CURRENT, MANIFEST, VERSIONS

log = logging.getLogger(__name__)

PASSED = "passed"
FAILED = "failed"


def served_repository(root: Path) -> Path:
    """The repository ``root`` serves: ``root/current`` when the switch exists, else ``root``.

    ``root`` may also be a repository itself (``ROOT/current`` or a version folder), so callers
    can pass either.
    """
    current = root / CURRENT
    return current if current.is_dir() else root


def new_version(root: Path) -> Path:
    """Create and return an empty ``root/versions/<UTC time>-<random>/`` to stage into.

    Names sort in staging order (the time has microseconds).
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    version = root / VERSIONS / f"{stamp}-{uuid.uuid4().hex[:6]}"
    version.mkdir(parents=True)
    return version


def write_verdict(version: Path, manifest: dict[str, object], *, error: str | None) -> None:
    """Write ``export.json`` (last, atomically): the manifest plus ``verdict`` and ``error``."""
    record = {
        **manifest,
        "verdict": FAILED if error else PASSED,
        "error": error,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    tmp = version / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    os.replace(tmp, version / MANIFEST)


def read_verdict(repository: Path) -> dict[str, object] | None:
    """``repository/export.json`` as a dict, or ``None`` if missing or unreadable."""
    try:
        record = json.loads((repository / MANIFEST).read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None


def passed(repository: Path) -> bool:
    """Whether ``repository`` holds a finished export that passed its checks."""
    record = read_verdict(repository)
    return record is not None and record.get("verdict") == PASSED


def switch(root: Path, version: Path) -> None:
    """Point ``root/current`` at ``version`` in one rename, then prune old versions.

    Raises:
        ValueError: ``version`` did not pass (a failed export is never switched to).
    """
    if not passed(version):
        raise ValueError(f"{version} has not passed its checks; not switching to it")
    previous = (root / CURRENT).resolve() if (root / CURRENT).is_symlink() else None
    link = root / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
    link.symlink_to(version.relative_to(root))
    os.replace(link, root / CURRENT)
    log.info("%s now serves %s", root / CURRENT, version.name)
    _prune(root, version, previous)


def _prune(root: Path, version: Path, previous: Path | None) -> None:
    """Remove versions staged before ``version``, except ``previous`` (the one it replaced).

    Versions staged after it (another export still running) are left alone.
    """
    for path in sorted((root / VERSIONS).iterdir()):
        if path.name < version.name and path.resolve() != previous:
            log.info("removing old export %s", path.name)
            shutil.rmtree(path, ignore_errors=True)


def newest_version(root: Path) -> Path | None:
    """The most recently staged version (names sort by time), or ``None``."""
    versions = sorted(p for p in (root / VERSIONS).glob("*") if p.is_dir())
    return versions[-1] if versions else None


def check_root(root: Path) -> tuple[bool, str]:
    """Whether Triton may start on ``root`` now, and a line saying why (for the init step).

    Returns ``(True, ...)`` when ``current`` names a passed export; ``(False, reason)`` while
    waiting. Raises :class:`RuntimeError` when the newest export failed and nothing passed
    before it: that is reported, never served.
    """
    newest = newest_version(root)
    newest_record = read_verdict(newest) if newest else None
    failed = newest_record is not None and newest_record.get("verdict") == FAILED
    current = root / CURRENT
    if current.is_dir() and passed(current):
        line = f"serving {current.resolve().name}"
        if failed and newest is not None and newest.resolve() != current.resolve():
            line += f" (the newer export {newest.name} FAILED: {newest_record.get('error')})"
        return True, line
    if failed and newest is not None:
        raise RuntimeError(f"export {newest.name} failed: {newest_record.get('error')}")
    return False, f"waiting for the export Job to finish writing {root}"


def wait(root: Path, *, interval_s: float, timeout_s: float | None) -> int:
    """Poll :func:`check_root` until Triton may start; 0 when it may, 1 on failure/timeout."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        try:
            ready, line = check_root(root)
        except RuntimeError as exc:
            log.error("%s; not serving it (see the export Job's log)", exc)
            return 1
        log.info("%s", line)
        if ready:
            return 0
        if deadline is not None and time.monotonic() > deadline:
            log.error("no passed export in %s after %.0f s", root, timeout_s)
            return 1
        time.sleep(interval_s)


def main(argv: list[str] | None = None) -> int:
    """``python3 -m export.versions wait ROOT``: the Triton pod's init step."""
    parser = argparse.ArgumentParser(prog="python3 -m export.versions")
    sub = parser.add_subparsers(dest="command", required=True)
    waiter = sub.add_parser("wait", help="wait until ROOT/current is an export that passed")
    waiter.add_argument("root", type=Path)
    waiter.add_argument("--interval", type=float, default=10.0, help="seconds between checks")
    waiter.add_argument("--timeout", type=float, default=None, help="give up after (seconds)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    return wait(args.root, interval_s=args.interval, timeout_s=args.timeout)


if __name__ == "__main__":
    sys.exit(main())

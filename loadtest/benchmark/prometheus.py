"""Reading a Prometheus text page over HTTP (Triton's metrics port, the gateway's /metrics)."""

from __future__ import annotations

import urllib.request


def fetch(url: str, timeout_s: float = 5.0) -> str:
    """The page at ``url`` as text."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return response.read().decode("utf-8")

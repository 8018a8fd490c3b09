"""Locust scenarios, one per file; each file is a locustfile (``locust -f <file>``).

- ``chat_images``: the main journey, a chat to a picture on the streaming HTTP endpoint;
- ``summaries``: summaries only;
- ``images``: pictures from prompts only;
- ``grpc_chat_images``: the main journey over gRPC ``ChatToImage``;
- ``mixed``: all of them in a production-like proportion (the Kubernetes load test's default).

Shapes (``loadtest/shapes/``) combine with any scenario, as a second locustfile.
"""

from __future__ import annotations

from pathlib import Path

from loadtest.locustfiles import locustfile_names, locustfile_path

SCENARIO_DIR = Path(__file__).parent


def scenario_names() -> list[str]:
    """The scenarios there are, by file name."""
    return locustfile_names(SCENARIO_DIR)


def scenario_path(name: str) -> Path:
    """The locustfile of scenario ``name`` (``ValueError`` if there is none)."""
    return locustfile_path(SCENARIO_DIR, "scenario", name)

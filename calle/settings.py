"""How ``calle`` starts the local Triton: ``CALLE_TRITON_*`` variables, overridden by CLI flags.

The gateway's own settings are :mod:`gateway.settings`. Nothing is read at import time: call
:func:`triton_settings` (or build the class with keyword overrides) when a command starts.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from contract.repository import DEFAULT_ROOT
from gateway.settings import TritonEndpoints


class TritonSettings(TritonEndpoints):
    """How the local Triton server is started (where it listens: :class:`TritonEndpoints`)."""

    model_repository: Path = Field(
        DEFAULT_ROOT, description="Exported model repository served by Triton."
    )
    startup_timeout_s: float = Field(300.0, description="How long to wait for readiness.")
    exit_timeout_s: int = Field(30, description="Grace period for in-flight requests on stop.")
    log_file: Path | None = Field(None, description="Write the server log here (else inherit).")
    cpu_cores: int | None = Field(
        None, ge=1, description="Cores the CPU models compute on at once (default: all usable)."
    )
    max_restarts: int = Field(
        5, ge=0, description="Failed restarts in a row before `calle serve` gives up (exit 1)."
    )
    restart_backoff_s: float = Field(
        1.0, gt=0, description="Delay before restarting a dead Triton; doubles per failure."
    )


def triton_settings(**overrides: object) -> TritonSettings:
    """Read Triton settings from the environment; keyword overrides (CLI flags) win.

    ``None`` values are dropped so that an unset CLI flag never hides an environment variable.
    """
    return TritonSettings(**{k: v for k, v in overrides.items() if v is not None})

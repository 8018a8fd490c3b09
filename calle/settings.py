"""One place for configuration: ``CALLE_*`` environment variables, overridden by CLI flags.

Nothing is read at import time: call :func:`triton_settings` or :func:`gateway_settings` (or
build the classes directly with keyword overrides) when a command starts.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_REPOSITORY = Path("build/model_repository")


class TritonSettings(BaseSettings):
    """How the local Triton server is started and reached."""

    model_config = SettingsConfigDict(env_prefix="CALLE_TRITON_", extra="ignore")

    model_repository: Path = Field(
        DEFAULT_REPOSITORY, description="Exported model repository served by Triton."
    )
    host: str = Field("127.0.0.1", description="Host the gateway uses to reach Triton.")
    http_port: int = Field(8000, description="Triton HTTP/REST port.")
    grpc_port: int = Field(8001, description="Triton gRPC port.")
    metrics_port: int = Field(8002, description="Triton Prometheus metrics port.")
    startup_timeout_s: float = Field(300.0, description="How long to wait for readiness.")
    exit_timeout_s: int = Field(30, description="Grace period for in-flight requests on stop.")
    log_file: Path | None = Field(None, description="Write the server log here (else inherit).")

    @property
    def grpc_url(self) -> str:
        """``host:port`` of Triton's gRPC endpoint."""
        return f"{self.host}:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        """``host:port`` of Triton's HTTP endpoint."""
        return f"{self.host}:{self.http_port}"


def triton_settings(**overrides: object) -> TritonSettings:
    """Read Triton settings from the environment; keyword overrides (CLI flags) win.

    ``None`` values are dropped so that an unset CLI flag never hides an environment variable.
    """
    return TritonSettings(**{k: v for k, v in overrides.items() if v is not None})

"""The gateway's configuration: ``CALLE_*`` environment variables, overridden by CLI flags.

Nothing is read at import time: call :func:`gateway_settings` (or build the class with keyword
overrides) when a command starts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from contract.repository import CURRENT, DEFAULT_ROOT, diffusion_pipeline, summarizer_tokenizer
from gateway.ingest.selection import DEFAULT_MIN_MESSAGES, DEFAULT_MIN_SPEAKERS


class TritonEndpoints(BaseSettings):
    """Where Triton listens: the one place its host and ports are configured.

    The gateway reads it to reach Triton; ``calle serve`` extends it to start one
    (:class:`calle.settings.TritonSettings`), with the same ``CALLE_TRITON_*`` variables.
    """

    model_config = SettingsConfigDict(env_prefix="CALLE_TRITON_", extra="ignore")

    host: str = Field("127.0.0.1", description="Host the gateway uses to reach Triton.")
    http_port: int = Field(8000, description="Triton HTTP/REST port.")
    grpc_port: int = Field(8001, description="Triton gRPC port (inference).")
    metrics_port: int = Field(8002, description="Triton Prometheus metrics port.")

    @property
    def grpc_url(self) -> str:
        """``host:port`` of Triton's gRPC endpoint."""
        return f"{self.host}:{self.grpc_port}"

    @property
    def http_url(self) -> str:
        """``host:port`` of Triton's HTTP endpoint."""
        return f"{self.host}:{self.http_port}"


class GatewaySettings(BaseSettings):
    """The HTTP/gRPC gateway in front of Triton."""

    model_config = SettingsConfigDict(env_prefix="CALLE_", extra="ignore")

    http_host: str = Field("127.0.0.1", description="Interface the HTTP and gRPC servers bind.")
    http_port: int = Field(8080, description="HTTP port (API, web page, /metrics).")
    grpc_port: int = Field(50051, description="gRPC port.")
    triton: TritonEndpoints = Field(
        default_factory=TritonEndpoints, description="Where Triton listens (CALLE_TRITON_*)."
    )
    max_concurrency: int = Field(32, ge=1, description="Requests served at once; more get 429.")
    max_request_bytes: int = Field(5 * 1024 * 1024, ge=1024, description="Largest request body.")
    summary_timeout_s: float = Field(60.0, gt=0, description="Deadline of one summary.")
    header_timeout_s: float = Field(
        10.0, gt=0, description="Time a client has to send a request's headers."
    )
    body_timeout_s: float = Field(
        30.0, gt=0, description="Time a client has to send a request's whole body (else 408)."
    )
    image_timeout_s: float = Field(300.0, gt=0, description="Deadline of one image.")
    burst_gap_minutes: float = Field(120.0, gt=0, description="Silence that ends a burst.")
    min_dialogue_messages: int = Field(
        DEFAULT_MIN_MESSAGES, ge=1, description="Extend a shorter burst past the gap to this."
    )
    min_dialogue_speakers: int = Field(
        DEFAULT_MIN_SPEAKERS, ge=1, description="Extend a burst with fewer speakers to this."
    )
    summarizer_tokenizer: Path = Field(
        summarizer_tokenizer(DEFAULT_ROOT / CURRENT),
        description="The exported summarizer's tokenizer.json (chats are trimmed with it).",
    )
    diffusion_pipeline: Path = Field(
        diffusion_pipeline(DEFAULT_ROOT / CURRENT),
        description="The exported diffusion model's pipeline.json (the image sizes it takes).",
    )
    ingest_workers: int = Field(
        1, ge=1, description="Processes parsing big chats at once; more big chats get 429."
    )
    ingest_inline_bytes: int = Field(
        64 * 1024, ge=0, description="Chats smaller than this are parsed in a thread instead."
    )
    triton_probe_interval_s: float = Field(
        0.5, gt=0, description="How often the gateway checks that Triton is ready."
    )
    triton_probe_timeout_s: float = Field(
        1.0, gt=0, description="Deadline of one readiness check (two misses: not ready)."
    )
    cors_origins: str = Field("", description="Comma-separated allowed origins; empty = closed.")
    api_keys: str = Field("", description="Comma-separated API keys; empty = no key needed.")
    log_level: str = Field("INFO", description="Logging level.")

    @property
    def burst_gap(self) -> timedelta:
        """The silence that ends a conversation."""
        return timedelta(minutes=self.burst_gap_minutes)

    @property
    def api_key_set(self) -> frozenset[str]:
        """The configured API keys."""
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    @property
    def cors_origin_list(self) -> list[str]:
        """The allowed CORS origins."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def gateway_settings(**overrides: object) -> GatewaySettings:
    """Read gateway settings from the environment; keyword overrides (CLI flags) win."""
    return GatewaySettings(**{k: v for k, v in overrides.items() if v is not None})

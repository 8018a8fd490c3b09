"""Probes and metrics: ``/healthz`` (alive), ``/readyz`` (backend and models), ``/metrics``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.errors import TokenizerMismatchError, TritonUnavailableError
from gateway.http.dependencies import ModelBackend, Service
from gateway.http.errors import ErrorResponse
from gateway.http.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["operations"])

# A probe must answer well within the kubelet's probe timeout.
READINESS_TIMEOUT_S = 2.0


@router.get("/healthz", response_model=HealthResponse, summary="Liveness")
async def healthz() -> HealthResponse:
    """The process is up and serving HTTP; says nothing about Triton."""
    return HealthResponse()


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    responses={503: {"model": ErrorResponse, "description": "Triton or a model not ready."}},
    summary="Readiness",
)
async def readyz(service: Service, backend: ModelBackend) -> ReadyResponse:
    """Ready when Triton is, and so is each model the gateway calls.

    The models are summarizer and diffusion; 503 lists those not ready. The summarizer must
    also have been exported with the tokenizer the gateway trims chats with (same SHA-256):
    otherwise the budget the gateway counts in is not the summarizer's. On a mismatch the
    gateway first re-reads its tokenizer file, which a new export replaces.
    """
    ready = await backend.readiness(timeout_s=READINESS_TIMEOUT_S)
    if not all(ready.values()):
        waiting = [{"model": name, "ready": False} for name, ok in ready.items() if not ok]
        raise TritonUnavailableError(details=waiting)
    served = await backend.summarizer_tokenizer_digest(timeout_s=READINESS_TIMEOUT_S)
    if served != service.tokenizer.digest:
        await asyncio.to_thread(service.reload_tokenizer)
    if served != service.tokenizer.digest:
        raise TokenizerMismatchError(service.tokenizer.digest, served)
    return ReadyResponse(models=ready)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """The gateway's metrics in Prometheus' text format (Triton's stay on Triton's port)."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )

"""The ``grpc.aio`` server: ``calle.v1.Calle`` plus health checking and reflection."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from gateway.auth import ApiKeys
from gateway.grpc.servicer import SERVICE_NAME, CalleServicer, add_to_server
from gateway.metrics import GatewayMetrics
from gateway.service import CalleService

# grpcio's own cap, above which it answers RESOURCE_EXHAUSTED before the servicer sees the
# message; the servicer refuses anything over max_request_bytes itself, with calle-error-code.
CORE_LIMIT_FACTOR = 2


class GrpcServer:
    """The gateway's gRPC server, started and stopped by :func:`gateway.server.serve_gateway`.

    Args:
        service: The service layer shared with HTTP.
        api_keys: The API keys (off when empty).
        metrics: The process's metrics.
        host: Interface to bind.
        port: Port to bind (``CALLE_GRPC_PORT``).
        max_request_bytes: Largest chat accepted (``CALLE_MAX_REQUEST_BYTES``).
    """

    def __init__(
        self,
        service: CalleService,
        *,
        api_keys: ApiKeys,
        metrics: GatewayMetrics,
        host: str,
        port: int,
        max_request_bytes: int,
    ) -> None:
        self._server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", max_request_bytes * CORE_LIMIT_FACTOR),
                ("grpc.so_reuseport", 0),
            ]
        )
        servicer = CalleServicer(
            service, api_keys=api_keys, metrics=metrics, max_request_bytes=max_request_bytes
        )
        add_to_server(servicer, self._server)
        self._health = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection(
            (
                SERVICE_NAME,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            self._server,
        )
        self.address = f"{host}:{port}"
        self._server.add_insecure_port(self.address)

    async def start(self) -> None:
        """Start serving and report SERVING for the server and for ``calle.v1.Calle``."""
        await self._server.start()
        for name in ("", SERVICE_NAME):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace_s: float) -> None:
        """Report NOT_SERVING, refuse new calls, let running ones finish for ``grace_s``."""
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace_s)

"""The ``grpc.aio`` server: ``calle.v1.Calle`` plus health checking and reflection."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from gateway.auth import ApiKeys
from gateway.grpc.generated import calle_pb2_grpc
from gateway.grpc.servicer import SERVICE_NAME, CalleServicer
from gateway.metrics import GatewayMetrics
from gateway.service import CalleService

# Room for the message framing around the largest chat export accepted.
MESSAGE_OVERHEAD_BYTES = 64 * 1024


class GrpcServer:
    """The gateway's gRPC server, started and stopped by the app's lifespan.

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
                ("grpc.max_receive_message_length", max_request_bytes + MESSAGE_OVERHEAD_BYTES),
                ("grpc.so_reuseport", 0),
            ]
        )
        calle_pb2_grpc.add_CalleServicer_to_server(
            CalleServicer(service, api_keys=api_keys, metrics=metrics), self._server
        )
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

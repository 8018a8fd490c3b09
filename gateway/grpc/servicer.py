"""``calle.v1.Calle``: each method converts its message and calls the service layer.

The methods take the request's raw bytes (see :func:`add_to_server`) and decode them inside
the call's error handling: a message over ``CALLE_MAX_REQUEST_BYTES`` is ``INVALID_ARGUMENT``
with ``calle-error-code: payload_too_large`` (as HTTP's 413 at the same size), and bytes that
are not the request message are ``INVALID_ARGUMENT`` too, where grpcio's own deserializer
answers ``UNKNOWN``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import TypeVar

import grpc
from google.protobuf.message import DecodeError, Message

from gateway.auth import ApiKeys
from gateway.errors import (
    GatewayError,
    InternalError,
    InvalidMessageError,
    PayloadTooLargeError,
)
from gateway.grpc.convert import (
    chat_input,
    event_message,
    image_message,
    image_options,
    image_request,
    summary_message,
)
from gateway.grpc.errors import error_metadata, grpc_status, status_message
from gateway.grpc.generated import calle_pb2, calle_pb2_grpc
from gateway.metrics import GatewayMetrics
from gateway.request_id import current_request_id, request_id_from
from gateway.service import CalleService
from gateway.service_io import ImageOptions, ImageRequest

logger = logging.getLogger(__name__)

SERVICE_NAME = calle_pb2.DESCRIPTOR.services_by_name["Calle"].full_name
REQUEST_ID_KEY = "x-request-id"

Request = TypeVar("Request", bound=Message)


class CalleServicer(calle_pb2_grpc.CalleServicer):
    """The gRPC methods, over the same service layer as the HTTP routes.

    Args:
        service: The service layer.
        api_keys: Checked against the ``authorization`` / ``x-api-key`` metadata.
        metrics: Where calls are counted (``route`` = full method name, ``status`` = code name).
        max_request_bytes: Largest request message (``CALLE_MAX_REQUEST_BYTES``).
    """

    def __init__(
        self,
        service: CalleService,
        *,
        api_keys: ApiKeys,
        metrics: GatewayMetrics,
        max_request_bytes: int,
    ):
        self._service = service
        self._api_keys = api_keys
        self._metrics = metrics
        self._max_request_bytes = max_request_bytes
        # The HTTP bodies' models (the same classes): the sizes the served export takes.
        self._options_model = service.image_sizes.bounded(ImageOptions)
        self._request_model = service.image_sizes.bounded(ImageRequest)

    async def Summarize(  # noqa: N802 (the proto's method name)
        self, raw: bytes, context: grpc.aio.ServicerContext
    ) -> calle_pb2.Summary:
        """Summarize the latest conversation of a chat."""
        async with self._call(context, "Summarize"):
            request = self._decode(calle_pb2.SummarizeRequest, raw)
            return summary_message(await self._service.summarize(chat_input(request.chat)))

    async def GenerateImage(  # noqa: N802 (the proto's method name)
        self, raw: bytes, context: grpc.aio.ServicerContext
    ) -> calle_pb2.Image:
        """Draw a picture from a prompt."""
        async with self._call(context, "GenerateImage"):
            request = self._decode(calle_pb2.GenerateImageRequest, raw)
            image = image_request(request, self._request_model)
            return image_message(await self._service.generate_image(image))

    async def ChatToImage(  # noqa: N802 (the proto's method name)
        self, raw: bytes, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[calle_pb2.ChatToImageEvent]:
        """Summarize a chat and stream the summary, then draw it and stream the image."""
        async with self._call(context, "ChatToImage"):
            request = self._decode(calle_pb2.ChatToImageRequest, raw)
            chat = chat_input(request.chat)
            options = image_options(request.options, self._options_model)
            async with aclosing(self._service.chat_to_image(chat, options)) as events:
                async for item in events:
                    yield event_message(item)

    @asynccontextmanager
    async def _call(self, context: grpc.aio.ServicerContext, method: str) -> AsyncIterator[None]:
        """Request id, API key, error mapping, metrics and the log line of one call."""
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        request_id = request_id_from(metadata.get(REQUEST_ID_KEY))
        # Each RPC runs in its own task, so the id set here stays with this call.
        current_request_id.set(request_id)
        await context.send_initial_metadata(((REQUEST_ID_KEY, request_id),))
        route = f"/{SERVICE_NAME}/{method}"
        started = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            self._api_keys.check(metadata.get("authorization"), metadata.get("x-api-key"))
            yield
        except asyncio.CancelledError:  # the client cancelled or went away: not an OK call
            code = grpc.StatusCode.CANCELLED
            raise
        except Exception as exc:
            if not isinstance(exc, GatewayError):
                logger.exception("unhandled error in %s", method)
            error = exc if isinstance(exc, GatewayError) else InternalError()
            code = grpc_status(error)
            await context.abort(
                code, status_message(error), trailing_metadata=error_metadata(error)
            )
        finally:
            self._metrics.requests.labels(route=route, status=code.name).inc()
            logger.info("grpc %s -> %s in %.3f s", route, code.name, time.perf_counter() - started)

    def _decode(self, kind: type[Request], raw: bytes) -> Request:
        if len(raw) > self._max_request_bytes:
            raise PayloadTooLargeError(self._max_request_bytes)
        try:
            return kind.FromString(raw)
        except DecodeError as exc:  # also invalid UTF-8 in a string field
            raise InvalidMessageError() from exc


def add_to_server(servicer: CalleServicer, server: grpc.aio.Server) -> None:
    """Register ``servicer`` like the generated code does, but with the raw request bytes."""

    def handler(method: str, response: type[Message]) -> grpc.RpcMethodHandler:
        kind = (
            calle_pb2.DESCRIPTOR.services_by_name["Calle"].methods_by_name[method].server_streaming
        )
        make = grpc.unary_stream_rpc_method_handler if kind else grpc.unary_unary_rpc_method_handler
        return make(getattr(servicer, method), response_serializer=response.SerializeToString)

    handlers = {
        "Summarize": handler("Summarize", calle_pb2.Summary),
        "GenerateImage": handler("GenerateImage", calle_pb2.Image),
        "ChatToImage": handler("ChatToImage", calle_pb2.ChatToImageEvent),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)

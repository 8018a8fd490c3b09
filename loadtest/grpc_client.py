"""A gRPC client interceptor that reports server-streaming calls to Locust.

Locust counts what its request event is told; a gRPC stub tells it nothing. The interceptor
times each call from the moment it is made until its stream ends (or the caller's ``with``
block closes it) and fires one request event, with the status as the failure when the call
fails. Callers mark a call that succeeded but brought a wrong answer with
:meth:`ReportedStream.failure`, as HTTP users do with ``response.failure(...)``.

Only unary-stream calls are intercepted: ``ChatToImage`` is the one the load test makes
(:func:`chat_to_image_request` builds it from a generated chat).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import grpc

from gateway.grpc.generated import calle_pb2
from loadtest.chats import GeneratedChat
from loadtest.checks import RequestHook, ResponseCheckError

REQUEST_TYPE = "gRPC"


class RpcStatusError(Exception):
    """A call that ended with a non-OK status; the message is ``CODE: details``.

    Locust groups failures by message, so the status is stated without the per-call debug
    string that ``grpc.RpcError`` carries.
    """


class ReportedStream:
    """A server stream that reports itself to Locust exactly once.

    Inside a ``with`` block it reports when the block ends (so :meth:`failure` can still be
    called after the last message) and swallows ``grpc.RpcError`` (recorded as the failure);
    without one it reports when the stream ends.
    """

    def __init__(self, call: Any, report: Callable[[int, Exception | None], None]) -> None:
        self._call = call
        self._report = report
        self._entered = False
        self._reported = False
        self._length = 0
        self._failure: Exception | None = None

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            message = next(self._call)
        except StopIteration:
            if not self._entered:
                self._finish(None)
            raise
        except grpc.RpcError as error:
            if not self._entered:
                self._finish(error)
            raise
        self._length += message.ByteSize()
        return message

    def failure(self, problem: str) -> None:
        """Report the call as failed although its status is OK."""
        self._failure = ResponseCheckError(problem)

    def __enter__(self) -> ReportedStream:
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        error = exc if isinstance(exc, grpc.RpcError) else None
        self._finish(error)
        return error is not None

    def __getattr__(self, name: str) -> Any:
        """Everything else (metadata, ``cancel``) is the underlying call's."""
        return getattr(self._call, name)

    def _finish(self, error: grpc.RpcError | None) -> None:
        if self._reported:
            return
        self._reported = True
        self._call.cancel()  # a no-op once the stream has ended; frees the server otherwise
        failure = self._failure
        if error is not None:
            code = error.code()
            failure = RpcStatusError(f"{code.name if code else 'UNKNOWN'}: {error.details()}")
        self._report(self._length, failure)


class LocustInterceptor(grpc.UnaryStreamClientInterceptor):
    """Fires Locust's request event for every server-streaming call on the channel.

    Args:
        hook: Locust's ``environment.events.request``.
    """

    def __init__(self, hook: RequestHook) -> None:
        self._hook = hook

    def intercept_unary_stream(
        self,
        continuation: Callable[[grpc.ClientCallDetails, Any], Any],
        client_call_details: grpc.ClientCallDetails,
        request: Any,
    ) -> ReportedStream:
        """Start the call and wrap its stream so that it reports when done."""
        method = client_call_details.method
        name = method.decode() if isinstance(method, bytes) else str(method)
        start_time = time.time()
        started = time.perf_counter()

        def report(length: int, failure: Exception | None) -> None:
            self._hook.fire(
                request_type=REQUEST_TYPE,
                name=name,
                response_time=(time.perf_counter() - started) * 1000,
                response_length=length,
                exception=failure,
                context={},
                start_time=start_time,
            )

        return ReportedStream(continuation(client_call_details, request), report)


def chat_to_image_request(chat: GeneratedChat) -> calle_pb2.ChatToImageRequest:
    """The gRPC request for a generated chat, with its seed."""
    body = chat.request_body()
    if "messages" in body:
        messages = [
            calle_pb2.ChatMessage(speaker=m["speaker"], text=m["text"], time=m["time"] or "")
            for m in body["messages"]
        ]
        source = calle_pb2.Chat(messages=calle_pb2.ChatMessages(messages=messages))
    else:
        source = calle_pb2.Chat(export=chat.content.encode("utf-8"))
    return calle_pb2.ChatToImageRequest(
        chat=source, options=calle_pb2.ImageOptions(seed=chat.image_seed)
    )

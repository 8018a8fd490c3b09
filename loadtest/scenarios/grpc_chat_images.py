"""Chat-to-image users over gRPC: ``calle.v1.Calle/ChatToImage``, a server stream.

The call is reported by :class:`loadtest.grpc_client.LocustInterceptor` (entry
``gRPC /calle.v1.Calle/ChatToImage``); the summary and image messages are reported as
``gRPC time-to-summary`` and ``gRPC time-to-image``. The target is ``--grpc-target`` (default:
the ``--host`` name on port 50051).
"""

from __future__ import annotations

import grpc
import grpc.experimental.gevent as grpc_gevent
from locust import User, task

from gateway.grpc.generated import calle_pb2_grpc
from loadtest import hooks
from loadtest.checks import ChatImageTimer
from loadtest.grpc_client import REQUEST_TYPE, LocustInterceptor, chat_to_image_request

# gRPC's own threads would block Locust's gevent loop; this makes them cooperate.
grpc_gevent.init_gevent()

DEADLINE_S = 900.0


class GrpcChatImageUser(User):
    """Streams chats to pictures over gRPC."""

    wait_time = hooks.think_time

    def on_start(self) -> None:
        """Open this user's channel, with the reporting interceptor."""
        self.chats = hooks.user_chats(self.environment)
        self.channel = grpc.insecure_channel(hooks.grpc_target(self.environment))
        intercepted = grpc.intercept_channel(
            self.channel, LocustInterceptor(self.environment.events.request)
        )
        self.stub = calle_pb2_grpc.CalleStub(intercepted)

    def on_stop(self) -> None:
        """Close the channel."""
        self.channel.close()

    @task
    def chat_to_image(self) -> None:
        """One chat, streamed."""
        request = chat_to_image_request(next(self.chats))
        timer = ChatImageTimer(self.environment.events.request, REQUEST_TYPE)
        with self.stub.ChatToImage(request, timeout=DEADLINE_S) as stream:
            for event in stream:
                kind = event.WhichOneof("event")
                if kind == "summary":
                    timer.summary(event.summary.summary)
                elif kind == "image":
                    timer.image(event.image.png)
            problem = timer.outcome()
            if problem:
                stream.failure(problem)

"""A production-like mix: mostly streamed chat-to-image, some summaries, images and gRPC.

The Kubernetes load test runs this file by default (``LOCUST_LOCUSTFILE``). The scenario
modules are imported as modules, not their classes: Locust runs every user class it finds in
a locustfile, so only the weighted subclasses below may be visible here.
"""

from __future__ import annotations

from loadtest.scenarios import chat_images, grpc_chat_images, images, summaries


class StreamingChatImages(chat_images.ChatImageUser):
    """People turning a chat into a picture in the web page or app."""

    weight = 5


class Summaries(summaries.SummaryUser):
    """Clients that want the summary only."""

    weight = 2


class Images(images.ImageUser):
    """Clients that draw their own prompts."""

    weight = 1


class GrpcChatImages(grpc_chat_images.GrpcChatImageUser):
    """Services calling the gRPC API."""

    weight = 2

"""Where summaries come from: Triton's summarizer directly, or the gateway's HTTP API.

Triton is the primary target: it measures a checkpoint and its decoding settings with nothing in
between, and it takes per-request decoding settings. Dialogues given as messages or exports are
first cut the way the gateway cuts them (the latest conversation within the summarizer's source
budget, speakers pseudonymized), with the gateway's own function and the exported summarizer
tokenizer, so that both targets summarize the same text. The gateway target measures the service as
users meet it: parsing, selection and admission included in the latency.

Errors become :class:`TargetError` with the server's status and message, never chat text.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.grpc import aio as grpcaio
from tritonclient.utils import InferenceServerException

from contract.tensors import DIALOGUE, SUMMARY
from evaluation.configs import SummarizerConfig
from evaluation.dataset import Dialogue, DialogueText, ExportFile
from gateway.dialogue import SourceTokenizer, trim

logger = logging.getLogger(__name__)

SUMMARIES_PATH = "/v1/summaries"

T = TypeVar("T")


class TargetError(RuntimeError):
    """A target is unreachable or not ready, or a request to it failed."""


class Target(ABC):
    """A server that turns dialogues into summaries; an async context manager.

    ``prepare`` turns each dataset dialogue into the request the server takes (it may call the
    server, synchronously: run it off the event loop); ``summarize`` sends one.
    """

    def __init__(self, config: SummarizerConfig) -> None:
        self.config = config

    async def __aenter__(self) -> Target:
        try:
            await self.open()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @abstractmethod
    async def open(self) -> None:
        """Connect and check that the server is ready, so a wrong URL fails at once.

        Raises:
            TargetError: The server or its model is not ready.
        """

    @abstractmethod
    async def close(self) -> None:
        """Release the connection."""

    @abstractmethod
    def prepare(self, dialogues: Sequence[Dialogue]) -> list[Any]:
        """The request for each dialogue, in order (blocking: call it in a worker thread).

        Raises:
            TargetError: The server failed while preparing (e.g. counting tokens).
        """

    @abstractmethod
    async def summarize(self, request: Any) -> str:
        """The summary for one prepared request.

        Raises:
            TargetError: The request failed.
        """


class TritonTarget(Target):
    """The ``summarizer`` model (or another model name) over Triton's gRPC API.

    Args:
        config: The configuration (``triton_url``, ``model``, ``decoding``).
        timeout_s: Client-side deadline of each request.
        burst_gap: The silence that ends a conversation, as the gateway is configured.
        tokenizer: The exported summarizer's ``tokenizer.json`` (read when chats need trimming).
    """

    def __init__(
        self,
        config: SummarizerConfig,
        *,
        timeout_s: float,
        burst_gap: timedelta,
        tokenizer: Path,
    ) -> None:
        super().__init__(config)
        self._url = str(config.triton_url)
        self._timeout_s = timeout_s
        self._burst_gap = burst_gap
        self._tokenizer_path = tokenizer
        self._client: grpcaio.InferenceServerClient | None = None

    async def open(self) -> None:
        """Connect and check that Triton and the model are ready."""
        self._client = grpcaio.InferenceServerClient(self._url)
        model = self.config.model
        try:
            ready = await self._client.is_model_ready(model, client_timeout=self._timeout_s)
        except InferenceServerException as exc:
            raise TargetError(f"Triton at {self._url} is unreachable: {exc.message()}") from exc
        if not ready:
            raise TargetError(f"model '{model}' is not ready on Triton at {self._url}")

    async def close(self) -> None:
        """Close the gRPC channel."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    def prepare(self, dialogues: Sequence[Dialogue]) -> list[str]:
        """The summarizer's input text for each dialogue.

        Text-form dialogues go as they are; chats are cut to the latest conversation within
        the source budget, as the gateway would (:func:`gateway.dialogue.trim`).

        Raises:
            TargetError: The dataset has chats and the tokenizer file is unusable.
        """
        tokenizer: SourceTokenizer | None = None
        texts: list[str] = []
        for dialogue in dialogues:
            if isinstance(dialogue, DialogueText):
                texts.append(dialogue.text)
                continue
            if tokenizer is None:
                try:
                    tokenizer = SourceTokenizer(self._tokenizer_path)
                except (OSError, ValueError) as exc:
                    raise TargetError(f"cannot trim chats without the tokenizer: {exc}") from exc
            texts.append(trim(dialogue.chat, tokenizer, self._burst_gap).text)
        return texts

    async def summarize(self, request: str) -> str:
        """One ``summarizer`` call with the configuration's decoding settings."""
        client = _opened(self._client)
        inputs = [_text_input(DIALOGUE, [request])]
        for name, value in self.config.decoding.items():
            tensor = grpcclient.InferInput(name, [1, 1], "INT32")
            tensor.set_data_from_numpy(np.array([[value]], dtype=np.int32))
            inputs.append(tensor)
        try:
            result = await client.infer(self.config.model, inputs, client_timeout=self._timeout_s)
        except InferenceServerException as exc:
            raise TargetError(f"{exc.status()}: {exc.message()}") from exc
        raw = result.as_numpy(SUMMARY).reshape(-1)[0]
        return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)


class GatewayTarget(Target):
    """``POST /v1/summaries`` on the gateway.

    Args:
        config: The configuration (``gateway_url``).
        timeout_s: Client-side deadline of each request.
        api_key: Sent as ``X-API-Key`` when the gateway requires keys.
        transport: An httpx transport to use instead of the network (tests).
    """

    def __init__(
        self,
        config: SummarizerConfig,
        *,
        timeout_s: float,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config)
        self._url = str(config.gateway_url).rstrip("/")
        self._timeout_s = timeout_s
        self._headers = {"X-API-Key": api_key} if api_key else {}
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        """Create the HTTP client and check the gateway answers ``/healthz``.

        Readiness (``/readyz``) is not required: it also waits for the image models, which
        summaries do not use.
        """
        self._client = httpx.AsyncClient(
            base_url=self._url,
            headers=self._headers,
            timeout=self._timeout_s,
            transport=self._transport,
        )
        try:
            response = await self._client.get("/healthz")
        except httpx.HTTPError as exc:
            raise TargetError(f"gateway at {self._url} is unreachable: {exc}") from exc
        if response.status_code != httpx.codes.OK:
            raise TargetError(f"gateway at {self._url} answered /healthz with {_problem(response)}")

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def prepare(self, dialogues: Sequence[Dialogue]) -> list[dict[str, Any]]:
        """The JSON body for each dialogue: ``{"chat": ...}`` or ``{"messages": [...]}``."""
        bodies: list[dict[str, Any]] = []
        for dialogue in dialogues:
            if isinstance(dialogue, DialogueText):
                bodies.append({"messages": dialogue.as_messages()})
            elif isinstance(dialogue, ExportFile):
                bodies.append({"chat": dialogue.text})
            else:
                bodies.append({"messages": list(dialogue.items)})
        return bodies

    async def summarize(self, request: dict[str, Any]) -> str:
        """One summary request."""
        try:
            response = await _opened(self._client).post(SUMMARIES_PATH, json=request)
        except httpx.HTTPError as exc:
            raise TargetError(f"request failed: {type(exc).__name__}") from exc
        if response.status_code != httpx.codes.OK:
            raise TargetError(_problem(response))
        body = _json(response)
        summary = body.get("summary") if isinstance(body, dict) else None
        if not isinstance(summary, str):
            raise TargetError("the gateway's answer has no 'summary'")
        return summary


def open_target(
    config: SummarizerConfig,
    *,
    timeout_s: float,
    burst_gap: timedelta,
    tokenizer: Path,
    api_key: str | None = None,
) -> Target:
    """The target a configuration names (not yet opened: use it with ``async with``)."""
    if config.gateway_url is not None:
        return GatewayTarget(config, timeout_s=timeout_s, api_key=api_key)
    return TritonTarget(config, timeout_s=timeout_s, burst_gap=burst_gap, tokenizer=tokenizer)


def _opened(client: T | None) -> T:
    if client is None:
        raise RuntimeError("open the target first (async with ...)")
    return client


def _text_input(name: str, texts: Sequence[str]) -> grpcclient.InferInput:
    array = np.array([[text.encode("utf-8")] for text in texts], dtype=np.object_)
    tensor = grpcclient.InferInput(name, list(array.shape), "BYTES")
    tensor.set_data_from_numpy(array)
    return tensor


def _problem(response: httpx.Response) -> str:
    """``HTTP 429 gateway_busy: ...`` from the gateway's error schema, when it has one."""
    body = _json(response)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code"):
        return f"HTTP {response.status_code} {error['code']}: {error.get('message_en', '')}"
    return f"HTTP {response.status_code}"


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None

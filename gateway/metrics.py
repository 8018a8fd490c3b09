"""The gateway's Prometheus metrics (names fixed by the k8s dashboard), in one registry.

Each app gets its own :class:`GatewayMetrics` and registry, shared by the HTTP and gRPC servers
of one process, so that several gateways can live in one test process. Triton's own metrics
stay on Triton's port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

# Seconds: a tiny model answers in tens of milliseconds, a real image on CPU takes minutes.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)


class GatewayMetrics:
    """Request counts, stage latencies, time to first result, in-flight work, Triton errors.

    Attributes:
        registry: What ``/metrics`` exposes.
        requests: ``calle_requests_total{route,status}``; HTTP statuses are numbers, gRPC ones
            code names (``OK``, ``INVALID_ARGUMENT``), routes paths or gRPC method names.
        stage_seconds: ``calle_stage_seconds{stage,model}``: ``parse`` (reading the chat and
            choosing the dialogue in the gateway, model ``gateway``), ``summarize``
            (``summarizer``),
            ``generate`` (``diffusion``).
        time_to_summary: From the request's admission to its summary.
        time_to_image: From the request's admission to its image.
        in_flight: Requests holding a concurrency slot.
        triton_errors: ``calle_triton_errors_total{kind}``, kind = the gateway error code.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "calle_requests_total",
            "Requests answered, by route and status.",
            ("route", "status"),
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "calle_stage_seconds",
            "Time spent per pipeline stage, by the Triton model the stage calls.",
            ("stage", "model"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.time_to_summary = Histogram(
            "calle_time_to_summary_seconds",
            "Time from a request's admission to its summary.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.time_to_image = Histogram(
            "calle_time_to_image_seconds",
            "Time from a request's admission to its image.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "calle_requests_in_flight",
            "Requests being served (holding a concurrency slot).",
            registry=self.registry,
        )
        self.triton_errors = Counter(
            "calle_triton_errors_total",
            "Errors returned by Triton or met reaching it, by kind.",
            ("kind",),
            registry=self.registry,
        )

    @contextmanager
    def stage(self, stage: str, model: str) -> Iterator[None]:
        """Time the enclosed block as ``stage`` (failed attempts included)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stage_seconds.labels(stage=stage, model=model).observe(
                time.perf_counter() - started
            )

"""What Triton did during a load point, from its Prometheus counters before and after.

``nv_inference_request_success`` counts requests, ``nv_inference_count`` the rows they
carried and ``nv_inference_exec_count`` the model executions: their deltas over the point give
the batches the dynamic batcher formed. Queue and compute microseconds are summed per request
by Triton, so per-request averages show whether time went to waiting or to computing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from loadtest.benchmark.prometheus import fetch

REQUESTS = "nv_inference_request_success"
ROWS = "nv_inference_count"
EXECUTIONS = "nv_inference_exec_count"
QUEUE_US = "nv_inference_queue_duration_us"
COMPUTE_US = "nv_inference_compute_infer_duration_us"
PENDING = "nv_inference_pending_request_count"  # a gauge: requests queued right now
COUNTERS = (REQUESTS, ROWS, EXECUTIONS, QUEUE_US, COMPUTE_US, PENDING)

Snapshot = dict[str, dict[str, float]]
"""Counter name -> model -> value (versions summed)."""


def parse_metrics(text: str) -> Snapshot:
    """The inference counters (and the pending gauge) in a Prometheus text page, per model."""
    snapshot: Snapshot = {name: defaultdict(float) for name in COUNTERS}
    for family in text_string_to_metric_families(text):
        if family.name not in snapshot:
            continue
        # The parser names counter samples "<family>_total" (Triton's own names lack it).
        names = {family.name, f"{family.name}_total"}
        for sample in family.samples:
            if sample.name in names and "model" in sample.labels:
                snapshot[family.name][sample.labels["model"]] += sample.value
    return {name: dict(values) for name, values in snapshot.items()}


def scrape(url: str) -> Snapshot:
    """Read Triton's metrics page (``http://host:8002/metrics``)."""
    return parse_metrics(fetch(url))


@dataclass(frozen=True)
class ModelActivity:
    """One model's work during a point.

    Attributes:
        requests: Requests that succeeded.
        rows: Batch rows those requests carried (a UNet step with guidance carries 2).
        executions: Model executions (batches).
        queue_ms_per_request: Average time a request waited in the model's queue.
        compute_ms_per_request: Average compute time of the executions a request was in.
    """

    requests: float
    rows: float
    executions: float
    queue_ms_per_request: float
    compute_ms_per_request: float

    @property
    def requests_per_batch(self) -> float:
        """Requests the dynamic batcher put into one execution, on average."""
        return self.requests / self.executions if self.executions else 0.0

    @property
    def rows_per_batch(self) -> float:
        """Rows per execution, on average (what the graph saw as its batch dimension)."""
        return self.rows / self.executions if self.executions else 0.0


def activity(before: Snapshot, after: Snapshot) -> dict[str, ModelActivity]:
    """Per-model activity between two snapshots (models without requests are left out)."""

    def delta(name: str, model: str) -> float:
        return after.get(name, {}).get(model, 0.0) - before.get(name, {}).get(model, 0.0)

    result = {}
    for model in sorted(after.get(REQUESTS, {})):
        requests = delta(REQUESTS, model)
        if requests <= 0:
            continue
        result[model] = ModelActivity(
            requests=requests,
            rows=delta(ROWS, model),
            executions=delta(EXECUTIONS, model),
            queue_ms_per_request=delta(QUEUE_US, model) / requests / 1000,
            compute_ms_per_request=delta(COMPUTE_US, model) / requests / 1000,
        )
    return result

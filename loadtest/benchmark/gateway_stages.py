"""Where the gateway's time went during a point: its ``calle_stage_seconds`` histogram.

Stages are ``parse`` (reading the chat and trimming it with the summarizer's tokenizer),
``summarize`` (the ``summarizer`` call, Triton's queue included) and ``generate`` (the
``diffusion`` call). Their mean per request, next to Triton's own queue and compute times,
tells waiting from working.
"""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from loadtest.benchmark.prometheus import fetch

STAGE_METRIC = "calle_stage_seconds"

StageTotals = dict[str, tuple[float, float]]
"""Stage -> (observations, seconds) since the gateway started."""


def parse_stages(text: str) -> StageTotals:
    """The stage histogram's counts and sums in a Prometheus text page."""
    counts: dict[str, float] = {}
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != STAGE_METRIC:
            continue
        for sample in family.samples:
            stage = sample.labels.get("stage")
            if stage is None:
                continue
            if sample.name.endswith("_count"):
                counts[stage] = counts.get(stage, 0.0) + sample.value
            elif sample.name.endswith("_sum"):
                sums[stage] = sums.get(stage, 0.0) + sample.value
    return {stage: (counts[stage], sums.get(stage, 0.0)) for stage in counts}


def scrape_stages(url: str) -> StageTotals:
    """Read the gateway's ``/metrics`` page."""
    return parse_stages(fetch(url))


def mean_stage_seconds(before: StageTotals, after: StageTotals) -> dict[str, float]:
    """Mean seconds per observation of each stage between two readings."""
    means = {}
    for stage, (count, total) in after.items():
        count_before, total_before = before.get(stage, (0.0, 0.0))
        if count > count_before:
            means[stage] = (total - total_before) / (count - count_before)
    return means

"""The gateway's metric names and labels are the ones the k8s dashboard queries."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics import GatewayMetrics
from tests.k8s.helpers import GATEWAY_METRICS


def scrape(metrics: GatewayMetrics) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
    return labels


def test_names_and_labels_match_the_dashboard():
    metrics = GatewayMetrics()
    metrics.requests.labels(route="/v1/summaries", status="200").inc()
    with metrics.stage("summarize", "summarizer"):
        pass
    metrics.time_to_summary.observe(0.1)
    metrics.time_to_image.observe(0.2)
    metrics.triton_errors.labels(kind="triton_unavailable").inc()

    scraped = scrape(metrics)

    for name, labels in GATEWAY_METRICS.items():
        assert scraped.get(name) == set(labels), name


def test_each_app_has_its_own_registry():
    first, second = GatewayMetrics(), GatewayMetrics()
    first.in_flight.inc()

    assert first.registry.get_sample_value("calle_requests_in_flight") == 1
    assert second.registry.get_sample_value("calle_requests_in_flight") == 0

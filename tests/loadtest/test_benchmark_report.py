"""The benchmark's arithmetic on fixed numbers: samples, Triton deltas, ratios, targets, output."""

from __future__ import annotations

import dataclasses
import json

import pytest

from loadtest.benchmark.cpu import CpuUsage
from loadtest.benchmark.gateway_stages import mean_stage_seconds, parse_stages
from loadtest.benchmark.report import (
    BASELINE,
    OURS,
    BenchmarkReport,
    Point,
    Reference,
    format_table,
    write_chart,
)
from loadtest.benchmark.samples import Latency, Sample, failures, percentile, read_samples
from loadtest.benchmark.triton_metrics import ModelActivity, activity, parse_metrics

COUNTER_NAMES = (
    "nv_inference_request_success",
    "nv_inference_count",
    "nv_inference_exec_count",
    "nv_inference_queue_duration_us",
    "nv_inference_compute_infer_duration_us",
)


def metrics_page(values: dict[str, dict[str, float]], pending: float = 0) -> str:
    """A Triton metrics page: counter -> model -> value, plus the pending gauge for unet."""
    lines = []
    for name in COUNTER_NAMES:
        lines += [f"# HELP {name} test", f"# TYPE {name} counter"]
        for model, value in values.get(name, {}).items():
            lines.append(f'{name}{{model="{model}",version="1"}} {value}')
    gauge = "nv_inference_pending_request_count"
    lines += [f"# TYPE {gauge} gauge", f'{gauge}{{model="unet",version="1"}} {pending}']
    return "\n".join(lines) + "\n"


BEFORE = {
    "nv_inference_request_success": {"unet": 100, "summarizer": 10, "idle": 5},
    "nv_inference_count": {"unet": 200, "summarizer": 10, "idle": 5},
    "nv_inference_exec_count": {"unet": 100, "summarizer": 10, "idle": 5},
    "nv_inference_queue_duration_us": {"unet": 1000, "summarizer": 0},
    "nv_inference_compute_infer_duration_us": {"unet": 50000, "summarizer": 0},
}
AFTER = {
    "nv_inference_request_success": {"unet": 500, "summarizer": 40, "idle": 5},
    "nv_inference_count": {"unet": 1000, "summarizer": 40, "idle": 5},
    "nv_inference_exec_count": {"unet": 200, "summarizer": 20, "idle": 5},
    "nv_inference_queue_duration_us": {"unet": 801000, "summarizer": 30000},
    "nv_inference_compute_infer_duration_us": {"unet": 4050000, "summarizer": 60000},
}


def test_triton_deltas_give_batch_sizes_and_per_request_times():
    before = parse_metrics(metrics_page(BEFORE, pending=3))
    after = parse_metrics(metrics_page(AFTER))
    assert before["nv_inference_pending_request_count"] == {"unet": 3}
    models = activity(before, after)
    assert set(models) == {"unet", "summarizer"}  # idle models are left out
    unet = models["unet"]
    assert (unet.requests, unet.rows, unet.executions) == (400, 800, 100)
    assert unet.requests_per_batch == 4.0
    assert unet.rows_per_batch == 8.0
    assert unet.queue_ms_per_request == 2.0
    assert unet.compute_ms_per_request == 10.0
    summarizer = models["summarizer"]
    assert summarizer.requests_per_batch == 3.0
    assert (summarizer.queue_ms_per_request, summarizer.compute_ms_per_request) == (1.0, 2.0)


def stage_page(count: float, total: float) -> str:
    return (
        "# TYPE calle_stage_seconds histogram\n"
        f'calle_stage_seconds_bucket{{le="+Inf",model="summarizer",stage="summarize"}} {count}\n'
        f'calle_stage_seconds_count{{model="summarizer",stage="summarize"}} {count}\n'
        f'calle_stage_seconds_sum{{model="summarizer",stage="summarize"}} {total}\n'
        "# TYPE calle_requests_in_flight gauge\ncalle_requests_in_flight 0.0\n"
    )


def test_gateway_stage_means_between_two_readings():
    before, after = parse_stages(stage_page(10, 20.0)), parse_stages(stage_page(14, 32.0))
    assert before == {"summarize": (10.0, 20.0)}
    assert mean_stage_seconds(before, after) == {"summarize": 3.0}
    assert mean_stage_seconds(after, after) == {}


def test_percentiles_and_latency_from_samples(tmp_path):
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile([10], 0.95) == 10
    assert percentile(list(range(101)), 0.95) == 95
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    path = tmp_path / "samples.jsonl"
    lines = [
        {"type": "SSE", "name": "time-to-image", "ms": ms, "ok": ok, "end": 1.0}
        for ms, ok in ((1000, True), (3000, True), (99999, False))
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    samples = read_samples(path)
    latency = Latency.of_entry(samples, "time-to-image")
    assert (latency.count, latency.p50_s) == (2, 2.0)
    assert failures(samples, "time-to-image") == 1
    assert read_samples(tmp_path / "missing.jsonl") == []
    assert Latency.of_seconds([]) == Latency(0, None, None)


def test_latency_without_the_start_up_burst():
    # (seconds, end): two users' first requests start at 0 and take 9 and 10 s; later ones 2 s.
    timings = ((9.0, 9.0), (10.0, 10.0), (2.0, 11.0), (2.0, 13.0), (2.0, 14.0))
    samples = [Sample("SSE", "time-to-summary", s * 1000, True, end) for s, end in timings]
    assert Latency.of_entry(samples, "time-to-summary").count == 5
    steady = Latency.of_entry(samples, "time-to-summary", skip_first=2)
    assert (steady.count, steady.p50_s, steady.p95_s) == (3, 2.0, 2.0)


def point(system: str, users: int, completed: int, tts: float, tti: float, **kw) -> Point:
    return Point(
        system=system,
        users=users,
        run_seconds=60,
        completed=completed,
        errors=kw.get("errors", 0),
        time_to_summary=Latency(completed, tts, tts * 1.5),
        time_to_image=Latency(completed, tti, tti * 1.2),
        time_to_summary_after_start=Latency(completed, tts, tts * 1.2),
        cpu=CpuUsage(95.0, 1.8),
        triton=kw.get("triton", {}),
    )


@pytest.fixture
def report() -> BenchmarkReport:
    unet = ModelActivity(400, 800, 100, 2.0, 10.0)
    return BenchmarkReport(
        settings={"preset": "small"},
        points=[
            point(BASELINE, 1, 6, 4.0, 10.0),
            point(OURS, 1, 5, 5.0, 12.0, triton={"unet": unet}),
            point(BASELINE, 16, 6, 60.0, 150.0, errors=2),
            dataclasses.replace(
                point(OURS, 16, 15, 12.0, 50.0, triton={"unet": unet}),
                stages={"summarize": 11.5, "generate": 38.0},
            ),
        ],
        reference=Reference(5, Latency(5, 4.5, 5.0), Latency(5, 11.0, 11.5)),
    )


def test_ratios_are_ours_over_the_baseline(report):
    assert report.user_counts == [1, 16]
    ratios = report.ratios(16)
    assert ratios["requests_per_minute"] == pytest.approx(2.5)
    assert ratios["time_to_summary_p50"] == pytest.approx(0.2)
    assert ratios["time_to_image_p95"] == pytest.approx(50 / 150)
    assert report.ratios(4) == {}


def test_targets(report):
    throughput, summary_growth, overhead, *_ = report.targets()
    assert throughput.value == pytest.approx(2.5)
    assert throughput.met is False  # at least 3
    assert summary_growth.value == pytest.approx(12.0 / 5.0)
    assert summary_growth.met is True
    assert "baseline 6.00 -> 90.00 s (x15.00)" in summary_growth.detail
    assert "without each user's first request: ours 6.00 -> 14.40 s (x2.40)" in (
        summary_growth.detail
    )
    assert overhead.value == pytest.approx(12.0 / 11.0)
    assert overhead.met is True
    report.reference = None
    assert report.targets()[2].met is None


def test_summary_targets(report):
    """Burst and steady state against the baseline's one-user p95; CPU cost per summary."""
    loaded = ModelActivity(32, 32, 32, 1.0, 900.0)  # the closed loop: one per execution
    report.points[3] = point(OURS, 16, 15, 4.0, 50.0, triton={"summarizer": loaded})
    assert report.targets()[-1].met is None  # no burst measured
    report.summary_burst = ModelActivity(8, 8, 2, 1.0, 1200.0)  # 4 per batch, 1.2 s each
    burst, steady, cost = report.targets()[3:]
    assert burst.value == pytest.approx(6.0 / 6.0)  # ours p95 6.0 vs the baseline's 6.0
    assert burst.met is True
    assert steady.value == pytest.approx(4.8 / 6.0)
    assert cost.value == pytest.approx(0.3 / 2.6)  # 1.2 s / 4 requests x 1 core
    assert cost.met is True
    assert "0.30 core-s per summary, 4.00 requests per batch" in cost.detail
    assert "closed loop at 16 users: 0.90 core-s, 1.00 requests per batch" in cost.detail
    assert "at 8 concurrent summaries" in cost.name
    assert json.loads(json.dumps(report.to_json()))["summary_burst"]["requests_per_batch"] == 4


def test_a_missed_target_says_so(report):
    report.points[3] = point(OURS, 16, 9, 30.0, 90.0)
    table = format_table(report)
    assert "throughput at 16 users, ours / baseline: x1.50 (target >= 3) MISSED" in table
    assert "x6.00 (target <= 3) MISSED" in table


def test_table_json_and_chart(report, tmp_path):
    table = format_table(report)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["users", "system", "pics/min"]
    ours_16 = next(line for line in lines if line.split()[:2] == ["16", "ours"])
    assert ours_16.split()[2:5] == ["15.00", "12.00", "18.00"]
    assert ours_16.split()[-2] == "4.00"  # unet requests per batch
    ratio_16 = next(line for line in lines if line.split()[:2] == ["16", "ours/base"])
    assert ratio_16.split()[2] == "x2.50"
    assert "in-process reference (the exported engines), 1 user, 5 requests" in table
    assert "   16 users: unet 2/10 x4.00" in table
    assert "gateway stages (s per request): summarize 11.50, generate 38.00" in table

    data = json.loads(json.dumps(report.to_json()))
    assert data["ratios"]["16"]["requests_per_minute"] == pytest.approx(2.5)
    ours = next(p for p in data["points"] if p["system"] == OURS and p["users"] == 16)
    assert ours["requests_per_minute"] == 15.0
    assert ours["triton"]["unet"]["rows_per_batch"] == 8.0
    assert [t["met"] for t in data["targets"]] == [False, True, True, False, False, None]

    chart = tmp_path / "chart.png"
    write_chart(report, chart)
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_the_best_single_process_peer(report, tmp_path):
    assert report.peer_targets() == []  # not measured
    report.peer = Reference(
        4, Latency(4, 2.0, 2.5), Latency(4, 14.0, 16.0), seconds=60.0, threads=2
    )
    assert report.peer.requests_per_minute == pytest.approx(4.0)
    (target,) = report.peer_targets()
    assert target.value == pytest.approx(15.0 / 4.0)
    assert target.met is True
    assert target in report.targets()
    table = format_table(report)
    assert "best single-process peer (2 threads), one request at a time, 4 requests: 4.00" in table
    assert "ours / best single-process peer: x3.75 (target >= 1.2) met" in table
    assert json.loads(json.dumps(report.to_json()))["peer"]["threads"] == 2
    write_chart(report, tmp_path / "chart.png")

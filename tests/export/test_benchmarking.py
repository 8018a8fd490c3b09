"""The benchmark commands' shared timer and table layout."""

from __future__ import annotations

from export.benchmark import Measurement, UnetEngineRow, format_table, format_unet_table
from export.benchmarking import Column, median_seconds, render_table
from export.summarizer_benchmark import SummaryTiming, format_summary_table


def test_median_seconds_warms_up_once_then_times_each_repeat() -> None:
    calls = []
    assert median_seconds(lambda: calls.append(1), 3) >= 0
    assert len(calls) == 4


def test_columns_align_titles_and_cells_to_one_width() -> None:
    columns = (
        Column("name", 6, lambda r: r[0], left=True),
        Column("ratio", 8, lambda r: r[1], ".1f", "x"),
    )
    table = render_table(columns, [("a", 2.25), ("bb", 10.0)], note="note")
    assert table.splitlines() == [
        "name     ratio",
        "--------------",
        "a         2.2x",
        "bb       10.0x",
        "note",
    ]


def test_graph_table() -> None:
    table = format_table([Measurement("unet", 4, 120.0, 60.0)])
    assert table.splitlines() == [
        "graph                  batch   PyTorch ms   ONNX RT ms   speedup",
        "-" * 64,
        "unet                       4        120.0         60.0     2.00x",
    ]


def test_unet_engine_table_lines_up_with_its_header() -> None:
    row = UnetEngineRow("openvino/bf16 static batches 2", 1, 159.0, 318.0, 12.0, 89.0)
    header, rule, line, note = format_unet_table([row]).splitlines()
    assert header == f"{'unet engine':37}threads   ms/step  vs PyTorch   GFLOP/s  of peak"
    assert (
        line
        == f"{'openvino/bf16 static batches 2':37}      1     159.0       2.00x      75.5      85%"
    )
    assert len(rule) == len(header) == len(line)
    assert note.startswith("guided step = 2 rows, 12.0 GFLOP")


def test_summary_table() -> None:
    timing = SummaryTiming("ctranslate2", "int8", 2, 4, 1.0, 3.0)
    header, _, line = format_summary_table([timing]).splitlines()
    assert (
        header == "summarizer         precision threads batch  s/batch  core-s/summary  vs generate"
    )
    assert (
        line == "ctranslate2             int8       2     4     1.00            0.50        3.00x"
    )

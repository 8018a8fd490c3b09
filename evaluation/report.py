"""The evaluation's outputs: ``report.json``, ``examples.jsonl``, a histogram and a table.

``report.json`` holds everything needed to read the numbers later (dataset, embedder, ROUGE
tokenization and the analyser's version, threshold, each configuration's target and
settings); ``examples.jsonl`` has one line per example and configuration, with both summaries,
so that a surprising mean can be traced to the summaries behind it. The dialogues themselves
are not copied: they stay in the dataset, and the ids point to them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evaluation.scoring import ConfigScore

logger = logging.getLogger(__name__)

REPORT_FILE = "report.json"
EXAMPLES_FILE = "examples.jsonl"
HISTOGRAM_FILE = "similarity_hist.png"


def write_report(output: Path, report: Mapping[str, Any], scores: Sequence[ConfigScore]) -> None:
    """Write the three files into ``output`` (created if needed, files replaced).

    Args:
        output: The report folder.
        report: The content of ``report.json``.
        scores: Every configuration's scores (for the examples and the histogram).
    """
    output.mkdir(parents=True, exist_ok=True)
    (output / REPORT_FILE).write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    with (output / EXAMPLES_FILE).open("w", encoding="utf-8") as handle:
        for score in scores:
            for example in score.examples:
                handle.write(json.dumps(example.as_dict(), ensure_ascii=False) + "\n")
    plot_histogram(output / HISTOGRAM_FILE, scores, float(report["threshold"]))
    logger.info("report written to %s", output)


def plot_histogram(path: Path, scores: Sequence[ConfigScore], threshold: float) -> None:
    """One step histogram of similarities per configuration, with the threshold marked.

    Drawn on a bare Agg canvas (no pyplot state, no display needed).
    """
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    values = [np.asarray(score.similarities) for score in scores]
    low = -1.0 if any(v.size and v.min() < 0 for v in values) else 0.0
    bins = np.linspace(low, 1.0, 41 if low == 0.0 else 81)
    for score, similarities in zip(scores, values, strict=True):
        if similarities.size:
            label = f"{score.name} (mean {similarities.mean():.3f}, n={similarities.size})"
            axes.hist(similarities, bins=bins, histtype="step", linewidth=1.8, label=label)
    axes.axvline(
        threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:g}"
    )
    axes.set_xlim(low, 1.0)
    axes.set_xlabel("cosine similarity to the reference summary")
    axes.set_ylabel("summaries")
    axes.set_title("Summary embedding similarity")
    axes.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    figure.savefig(path, format="png")


def render_table(report: Mapping[str, Any], scores: Sequence[ConfigScore]) -> str:
    """The configurations side by side, one column each, with what the numbers depend on."""
    threshold = float(report["threshold"])
    rows: list[tuple[str, list[str]]] = [
        ("summaries (ok/failed)", [f"{len(s.examples) - s.failed}/{s.failed}" for s in scores]),
        ("similarity mean", [_number(s.similarity and s.similarity.mean) for s in scores]),
        (
            f"share > {threshold:g}",
            [_percent(s.similarity and s.similarity.share_above) for s in scores],
        ),
    ]
    for name, label in (
        ("rouge1", "ROUGE-1 F1"),
        ("rouge2", "ROUGE-2 F1"),
        ("rougeL", "ROUGE-L F1"),
    ):
        rows.append((label, [_number(s.rouge and s.rouge[name]) for s in scores]))
    rows += [
        ("length (chars)", [_number(s.length_chars, 1) for s in scores]),
        ("length (morphemes)", [_number(s.length_morphemes, 1) for s in scores]),
        (
            "summaries/s",
            [_number(s.throughput and s.throughput.summaries_per_s, 2) for s in scores],
        ),
        ("latency p50 (s)", [_number(s.throughput and s.throughput.latency_p50_s) for s in scores]),
        ("latency p95 (s)", [_number(s.throughput and s.throughput.latency_p95_s) for s in scores]),
    ]
    header = ("", [s.name for s in scores])
    first = max(len(label) for label, _ in [header, *rows])
    widths = [max(len(cells[i]) for _, cells in [header, *rows]) for i in range(len(scores))]
    lines = [
        "  ".join(
            [label.ljust(first), *(cell.rjust(w) for cell, w in zip(cells, widths, strict=True))]
        )
        for label, cells in [header, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    dataset = report["dataset"]
    rouge = report["rouge"]
    lines += [
        "",
        f"dataset: {dataset['path']} ({dataset['examples']} examples, reference length "
        f"{dataset['reference_length']['chars']:.1f} chars)",
        f"embedder: {report['embedder']}"
        if report["embedder"]
        else f"similarity: skipped ({report['similarity_skipped']})",
        f"ROUGE: F1 on Kiwi morphemes (kiwipiepy {rouge['kiwipiepy']}), punctuation dropped",
        f"concurrency: {report['concurrency']} requests in flight",
    ]
    return "\n".join(lines)


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"

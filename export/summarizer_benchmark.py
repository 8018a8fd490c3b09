"""Benchmark: whole summaries on CTranslate2 (float32, int8) against PyTorch ``generate``.

A summary is timed end to end (tokens in, tokens out) at the exported decoding settings, for
each batch size and thread count, with PyTorch ``generate`` on the same checkpoint, dialogues
and threads as the in-run baseline. Core-seconds per summary (seconds x threads / batch) is what
a Triton instance holding that many cores spends per request. Part of ``calle bench-graphs``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import GenerationConfig

from contract.repository import SUMMARIZER_ENGINE_DIR, TOKENIZER_FILE
from export.benchmarking import Column, median_seconds, render_table
from export.options import GenerationSettings
from export.summarizer import convert, export_tokenizer, generation_config, load_summarizer
from export.summarizer_fidelity import DIALOGUES
from triton_models.summarization import Summarizer

log = logging.getLogger(__name__)

PRECISIONS = ("float32", "int8")
BASELINE = "pytorch generate"


@dataclass(frozen=True)
class SummaryTiming:
    """Median time of one batch of summaries."""

    engine: str
    precision: str
    threads: int
    batch: int
    seconds: float
    baseline_seconds: float

    @property
    def core_seconds_per_summary(self) -> float:
        """Seconds x threads / batch."""
        return self.seconds * self.threads / self.batch

    @property
    def speedup(self) -> float:
        """PyTorch ``generate`` time over this one at the same batch and threads."""
        return self.baseline_seconds / self.seconds


def _folders(checkpoint: Path, workdir: Path) -> dict[str, Path]:
    """One converted folder per precision (reused when already there)."""
    model, tokenizer = load_summarizer(checkpoint)
    settings = GenerationSettings()
    folders = {}
    for precision in PRECISIONS:
        folder = workdir / f"summarizer-{precision}"
        if not (folder / SUMMARIZER_ENGINE_DIR / "model.bin").exists():
            folder.mkdir(parents=True, exist_ok=True)
            generation_config(model, settings).save_pretrained(folder)
            export_tokenizer(tokenizer, settings.max_source_tokens, folder / TOKENIZER_FILE)
            convert(checkpoint, folder / SUMMARIZER_ENGINE_DIR, precision)
        folders[precision] = folder
    return folders


def run_summarizer_benchmark(
    checkpoint: Path,
    workdir: Path,
    *,
    batches: Sequence[int] = (1, 4, 8),
    threads: Sequence[int] = (1, 2),
    repeats: int = 2,
) -> list[SummaryTiming]:
    """Time summaries of ``batch`` dialogues (the fidelity dialogues, cycled) per setting."""
    folders = _folders(checkpoint, workdir)
    model, _ = load_summarizer(checkpoint)
    config = GenerationConfig.from_pretrained(folders["float32"])
    timings = []
    previous = torch.get_num_threads()
    try:
        for count in threads:
            torch.set_num_threads(count)
            engines = {
                precision: Summarizer(folder, threads=count, compute_type=precision)
                for precision, folder in folders.items()
            }
            for batch in batches:
                dialogues = [DIALOGUES[i % len(DIALOGUES)] for i in range(batch)]
                encoded = engines["float32"].tokenizer.encode_batch(dialogues)
                width = max(len(e.ids) for e in encoded)
                pad = engines["float32"].pad_token_id
                ids = torch.tensor([e.ids + [pad] * (width - len(e.ids)) for e in encoded])
                mask = (ids != pad).long()

                def generate(ids: torch.Tensor = ids, mask: torch.Tensor = mask) -> None:
                    with torch.no_grad():
                        model.generate(input_ids=ids, attention_mask=mask, generation_config=config)

                baseline = median_seconds(generate, repeats)
                row = SummaryTiming(BASELINE, "float32", count, batch, baseline, baseline)
                timings.append(row)
                for precision, engine in engines.items():
                    seconds = median_seconds(lambda e=engine, d=dialogues: e.summarize(d), repeats)
                    timing = SummaryTiming(
                        "ctranslate2", precision, count, batch, seconds, baseline
                    )
                    log.info("%s", timing)
                    timings.append(timing)
    finally:
        torch.set_num_threads(previous)
    return timings


COLUMNS: tuple[Column[SummaryTiming], ...] = (
    Column("summarizer", 18, lambda t: t.engine, left=True),
    Column("precision", 10, lambda t: t.precision),
    Column("threads", 8, lambda t: t.threads),
    Column("batch", 6, lambda t: t.batch),
    Column("s/batch", 9, lambda t: t.seconds, ".2f"),
    Column("core-s/summary", 16, lambda t: t.core_seconds_per_summary, ".2f"),
    Column("vs generate", 13, lambda t: t.speedup, ".2f", "x"),
)


def format_summary_table(timings: Sequence[SummaryTiming]) -> str:
    """A plain-text table of the timings."""
    return render_table(COLUMNS, timings)


def timings_json(timings: Sequence[SummaryTiming]) -> list[dict[str, object]]:
    """JSON-ready rows."""
    return [
        {
            **asdict(t),
            "core_seconds_per_summary": t.core_seconds_per_summary,
            "speedup_vs_generate": t.speedup,
        }
        for t in timings
    ]

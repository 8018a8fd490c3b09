"""Turn a run's summaries into per-example scores and one column of the report.

Each summary gets its embedding similarity to the reference, its ROUGE F1 on morphemes and its
length. Lengths are counted two ways: characters (spaces included, as Korean length limits
are usually stated) and morphemes (the ROUGE tokens, independent of any checkpoint's
tokenizer, so that checkpoints with different vocabularies compare fairly). Failed requests
have no scores and are left out of every average; the column says how many there were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from sentence_transformers import SentenceTransformer

from evaluation.dataset import Example
from evaluation.embedding import cosine_similarities, embed
from evaluation.metrics import (
    SimilarityStats,
    ThroughputStats,
    mean,
    similarity_stats,
    throughput_stats,
)
from evaluation.rouge_korean import ROUGE_TYPES, KoreanRouge
from evaluation.runner import RunResult


@dataclass(frozen=True)
class ExampleScore:
    """One line of ``examples.jsonl``.

    The scores stay ``None`` for a failed request (and the similarity without an embedder).

    Attributes:
        config: The configuration's name.
        id: The example's id.
        reference: The reference summary.
        prediction: The summary, ``None`` when the request failed.
        similarity: Cosine similarity of the two summaries' embeddings.
        rouge: ROUGE F1 per type (``rouge1``, ``rouge2``, ``rougeL``).
        length_chars: Characters of the summary.
        length_morphemes: Morphemes of the summary.
        latency_s: Seconds the request took.
        error: Why the request failed.
    """

    config: str
    id: str
    reference: str
    prediction: str | None = None
    similarity: float | None = None
    rouge: dict[str, float] | None = None
    length_chars: int | None = None
    length_morphemes: int | None = None
    latency_s: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON object written for this example."""
        return asdict(self)


@dataclass(frozen=True)
class ConfigScore:
    """One configuration's column.

    Attributes:
        config: The configuration's description (:meth:`SummarizerConfig.describe`).
        examples: Per-example scores, in dataset order.
        failed: Requests that failed.
        similarity: Similarity aggregates, ``None`` when every request failed (and so below).
        rouge: Mean ROUGE F1 per type.
        length_chars: Mean summary length in characters.
        length_morphemes: Mean summary length in morphemes.
        throughput: Throughput and latency percentiles.
    """

    config: dict[str, Any]
    examples: list[ExampleScore]
    failed: int
    similarity: SimilarityStats | None = None
    rouge: dict[str, float] | None = None
    length_chars: float | None = None
    length_morphemes: float | None = None
    throughput: ThroughputStats | None = None

    @property
    def name(self) -> str:
        """The configuration's name."""
        return str(self.config["name"])

    @property
    def similarities(self) -> list[float]:
        """The similarities of the successful summaries."""
        return [score.similarity for score in self.examples if score.similarity is not None]

    def as_dict(self) -> dict[str, Any]:
        """The configuration's entry in ``report.json`` (without the per-example scores)."""
        return {
            **self.config,
            "examples": len(self.examples),
            "succeeded": len(self.examples) - self.failed,
            "failed": self.failed,
            "similarity": _as_dict(self.similarity),
            "rouge": self.rouge,
            "length": {"chars": self.length_chars, "morphemes": self.length_morphemes},
            "throughput": _as_dict(self.throughput),
        }


class Scorer:
    """Scores runs on one dataset; reference embeddings are computed once for all runs.

    Args:
        examples: The dataset, in the order runs report their outcomes.
        embedder: The sentence-embedding model; ``None`` skips the similarity metric (every
            other figure is still scored).
        rouge: ROUGE on morphemes (its tokenizer also counts lengths).
        threshold: The similarity threshold.
    """

    def __init__(
        self,
        examples: Sequence[Example],
        embedder: SentenceTransformer | None,
        rouge: KoreanRouge,
        threshold: float,
    ) -> None:
        self._examples = list(examples)
        self._embedder = embedder
        self._rouge = rouge
        self._threshold = threshold
        self._references = (
            None
            if embedder is None
            else embed(embedder, [example.reference for example in self._examples])
        )

    def reference_lengths(self) -> dict[str, float]:
        """Mean length of the reference summaries, to read the predictions' lengths against."""
        references = [example.reference for example in self._examples]
        return {
            "chars": mean([len(text) for text in references]),
            "morphemes": mean([len(self._rouge.tokenizer.tokenize(text)) for text in references]),
        }

    def score(self, run: RunResult) -> ConfigScore:
        """Per-example scores and aggregates of one run."""
        done = [index for index, outcome in enumerate(run.outcomes) if outcome.error is None]
        summaries = [(run.outcomes[index].summary or "").strip() for index in done]
        references = [self._examples[index].reference for index in done]
        examples = [self._unscored(run, index) for index in range(len(run.outcomes))]
        if not done:  # nothing to aggregate
            return ConfigScore(config=run.config.describe(), examples=examples, failed=run.failed)
        similarities = self._similarities(summaries, done)
        rouge = [
            self._rouge.f1(ref, summary) for ref, summary in zip(references, summaries, strict=True)
        ]
        chars = [len(summary) for summary in summaries]
        morphemes = [len(self._rouge.tokenizer.tokenize(summary)) for summary in summaries]
        latencies = [float(run.outcomes[index].latency_s or 0.0) for index in done]
        for row, index in enumerate(done):
            examples[index] = replace(
                examples[index],
                prediction=summaries[row],
                similarity=None if similarities is None else float(similarities[row]),
                rouge=rouge[row],
                length_chars=chars[row],
                length_morphemes=morphemes[row],
                latency_s=latencies[row],
            )
        return ConfigScore(
            config=run.config.describe(),
            examples=examples,
            failed=run.failed,
            similarity=None
            if similarities is None
            else similarity_stats(similarities, self._threshold),
            rouge={name: mean([scores[name] for scores in rouge]) for name in ROUGE_TYPES},
            length_chars=mean(chars),
            length_morphemes=mean(morphemes),
            throughput=throughput_stats(latencies, run.wall_s),
        )

    def _similarities(self, summaries: list[str], done: list[int]) -> np.ndarray | None:
        """Each summary's similarity to its reference, or ``None`` without an embedder."""
        if self._embedder is None or self._references is None:
            return None
        return cosine_similarities(embed(self._embedder, summaries), self._references[done])

    def _unscored(self, run: RunResult, index: int) -> ExampleScore:
        """The example's line without scores (a failed request's; successes are filled in)."""
        example = self._examples[index]
        return ExampleScore(
            config=run.config.name,
            id=example.id,
            reference=example.reference,
            error=run.outcomes[index].error,
        )


def _as_dict(stats: SimilarityStats | ThroughputStats | None) -> dict[str, float] | None:
    return None if stats is None else asdict(stats)

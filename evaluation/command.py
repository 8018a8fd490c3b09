"""``calle eval``: score the deployed summarizer against reference summaries.

Sends each dialogue of a JSONL dataset through the summarizer that is being served (Triton's
``summarizer`` model over gRPC, or the gateway's ``POST /v1/summaries``), a bounded number at a
time, and reports what the service's first version measured (the mean cosine similarity of
sentence embeddings between predicted and reference summaries, and the share above a threshold)
beside ROUGE-1/2/L F1 on Korean morphemes, summary lengths and throughput.

Usage::

    calle eval                                # shipped sample dataset, Triton from CALLE_TRITON_*
    calle eval --triton-url triton:8001 --dataset chats.jsonl --embedder /models/ko-sroberta-sts
    calle eval --compare num_beams=1 --compare num_beams=5        # one column per configuration
    calle eval --compare name=old,triton_url=a:8001 --compare name=new,triton_url=b:8001
    calle eval --gateway-url http://localhost:8080
    python -m evaluation ...                  # the same without the calle command

Dataset lines are ``{"id"?, "dialogue", "summary"}``; ``dialogue`` is text in the summarizer's
input form (``P01: ...`` per line), a list of ``{"speaker", "text", "time"?}`` messages, or
``{"file": "export.txt"}`` (a KakaoTalk export relative to the dataset file).

Compare mode: every ``--compare SPEC`` is a configuration built on the flags' one, with
``key=value`` pairs separated by commas: ``num_beams``, ``max_length``, ``no_repeat_ngram_size``
(decoding settings sent per request, Triton only), ``triton_url``, ``gateway_url``, ``model``
(another server or model, e.g. another checkpoint) and ``name`` (the column's label).
Configurations run one after the other on the same examples.

The embedder is any sentence-transformers model, by hub id or local directory; the default,
``jhgan/ko-sroberta-sts`` (klue/roberta-base fine-tuned on KorSTS, mean pooling), needs the
Hugging Face hub or a local copy. ROUGE tokenizes with the Kiwi morpheme analyser (see
:mod:`evaluation.rouge_korean` for why).

Outputs, in ``--output`` (``build/eval/<timestamp>`` by default): ``report.json``,
``examples.jsonl`` (one line per example and configuration) and ``similarity_hist.png``; the
table goes to stdout. Exit status: 0 when every request succeeded, 1 when any failed (the
report is still written) or the run could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract.repository import SUMMARIZER
from evaluation.configs import DECODING_KEYS, ConfigError, base_config, configurations
from evaluation.embedding import DEFAULT_EMBEDDER, NO_EMBEDDER
from evaluation.metrics import DEFAULT_THRESHOLD
from gateway.settings import TritonEndpoints, gateway_settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from evaluation.configs import SummarizerConfig
    from evaluation.dataset import Example

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT_ROOT = Path("build/eval")
API_KEY_ENV = "CALLE_EVAL_API_KEY"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the evaluation's flags to ``parser``."""
    parser.add_argument(
        "--dataset", type=Path, help="JSONL dataset (default: the shipped Korean sample)"
    )
    parser.add_argument("--limit", type=_positive_int, help="evaluate the first N examples only")
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--triton-url",
        help="Triton gRPC host:port (default: CALLE_TRITON_HOST and CALLE_TRITON_GRPC_PORT)",
    )
    target.add_argument("--gateway-url", help="gateway base URL, e.g. http://localhost:8080")
    parser.add_argument(
        "--api-key", help=f"gateway API key (default: ${API_KEY_ENV}); sent as X-API-Key"
    )
    parser.add_argument("--model", default=SUMMARIZER, help=f"Triton model name ({SUMMARIZER})")
    parser.add_argument(
        "--tokenizer",
        type=Path,
        help="the exported summarizer/1/tokenizer.json chats are trimmed with "
        "(default: CALLE_SUMMARIZER_TOKENIZER)",
    )
    for key in DECODING_KEYS:
        parser.add_argument(
            f"--{key.replace('_', '-')}",
            dest=key,
            type=_non_negative_int,
            help=f"{key} sent with each request (default: the model's exported setting)",
        )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="SPEC",
        help="a configuration to compare, e.g. 'num_beams=1' or 'name=new,triton_url=h:8001' "
        "(repeat it; keys: num_beams, max_length, no_repeat_ngram_size, triton_url, "
        "gateway_url, model, name)",
    )
    parser.add_argument(
        "--embedder",
        default=DEFAULT_EMBEDDER,
        help=f"sentence-transformers model: hub id or local directory (default: {DEFAULT_EMBEDDER};"
        " a hub id needs the Hugging Face hub), or 'none'. Without a loadable model the "
        "similarity metric is skipped (the report says why) and the other figures are reported",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help="similarity threshold for the share above it (0.6 = KorSTS 3.0)",
    )
    parser.add_argument(
        "--concurrency", type=_positive_int, default=4, help="requests in flight at once (4)"
    )
    parser.add_argument(
        "--timeout-s", type=float, default=120.0, help="deadline of each request (120)"
    )
    parser.add_argument(
        "--output", type=Path, help="report folder (default: build/eval/<timestamp>)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``eval`` to a parser's subcommands (``calle``'s), with :func:`run` to execute it.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers`` returned.

    Returns:
        The ``eval`` parser.
    """
    parser = subparsers.add_parser(
        "eval",
        help="score the served summarizer against reference summaries",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the evaluation the parsed flags describe; returns the exit status."""
    # Imported here, not at the top: `calle --help` and the other subcommands should not pay
    # for importing the clients, Kiwi and matplotlib.
    from evaluation.dataset import DatasetError, default_dataset, load_dataset
    from evaluation.embedding import EmbedderError, load_embedder
    from evaluation.targets import TargetError

    try:
        configs = configurations(
            base_config(
                triton_url=None if args.gateway_url else args.triton_url or _default_triton(),
                gateway_url=args.gateway_url,
                model=args.model,
                decoding={key: getattr(args, key) for key in DECODING_KEYS},
            ),
            args.compare,
        )
        dataset = args.dataset or default_dataset()
        examples = load_dataset(dataset, limit=args.limit)
        embedder, skipped = None, None
        if args.embedder.lower() == NO_EMBEDDER:
            skipped = "no embedder asked for (--embedder none)"
        else:
            try:
                embedder = load_embedder(args.embedder)
            except EmbedderError as exc:
                skipped = str(exc)
        if skipped:
            logger.warning("similarity metric skipped: %s", skipped)
        return _evaluate(
            args, configs, dataset, examples, embedder=embedder, similarity_skipped=skipped
        )
    except (ConfigError, DatasetError, TargetError) as exc:
        logger.error("%s", exc)
        return 1


def _evaluate(
    args: argparse.Namespace,
    configs: Sequence[SummarizerConfig],
    dataset: Path,
    examples: Sequence[Example],
    *,
    embedder: SentenceTransformer | None,
    similarity_skipped: str | None,
) -> int:
    from evaluation.report import render_table, write_report
    from evaluation.rouge_korean import KoreanRouge, MorphemeTokenizer
    from evaluation.runner import run_configs
    from evaluation.scoring import Scorer
    from evaluation.targets import open_target

    scorer = Scorer(examples, embedder, KoreanRouge(MorphemeTokenizer()), args.threshold)
    settings = gateway_settings()
    burst_gap = timedelta(minutes=settings.burst_gap_minutes)
    api_key = args.api_key or os.environ.get(API_KEY_ENV)
    started = datetime.now(timezone.utc)
    runs = asyncio.run(
        run_configs(
            configs,
            examples,
            open_target=lambda config: open_target(
                config,
                timeout_s=args.timeout_s,
                burst_gap=burst_gap,
                tokenizer=args.tokenizer or settings.summarizer_tokenizer,
                api_key=api_key,
            ),
            concurrency=args.concurrency,
            progress=not args.no_progress,
        )
    )
    scores = [scorer.score(result) for result in runs]
    report = {
        "created": started.isoformat(timespec="seconds"),
        "dataset": {
            "path": str(dataset),
            "examples": len(examples),
            "reference_length": scorer.reference_lengths(),
        },
        # What the similarity metric was computed with: the name it was loaded by and, for a
        # local copy, where. None when it was skipped, with the reason.
        "embedder": None if embedder is None else args.embedder,
        "similarity_skipped": similarity_skipped,
        "threshold": args.threshold,
        "rouge": KoreanRouge.describe(),
        "concurrency": args.concurrency,
        "configs": [score.as_dict() for score in scores],
    }
    output = args.output or DEFAULT_OUTPUT_ROOT / started.strftime("%Y%m%d-%H%M%S")
    write_report(output, report, scores)
    sys.stdout.write(render_table(report, scores) + f"\nreport: {output}\n")
    return 1 if any(score.failed for score in scores) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m evaluation``: the ``calle eval`` command on its own."""
    parser = argparse.ArgumentParser(
        prog="python -m evaluation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return run(args)


def _default_triton() -> str:
    return TritonEndpoints().grpc_url


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return value

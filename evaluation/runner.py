"""Send a dataset through each configuration's target, a bounded number of requests at a time.

Configurations run one after another, never interleaved, so that each one's throughput and
latencies are its own. A failed request is recorded with its error and the run goes on: one
timeout should not throw away an hour of summaries. Latency is measured around each request
(server queueing included, the wait for a free slot here excluded); throughput is successful
summaries over the wall time of the requests (preparing the dialogues excluded).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from evaluation.configs import SummarizerConfig
from evaluation.dataset import Example
from evaluation.targets import Target, TargetError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one request brought back.

    Attributes:
        example: The dataset example.
        summary: The summary, ``None`` when the request failed.
        latency_s: Seconds the request took, ``None`` when it failed.
        error: Why it failed, ``None`` when it did not.
    """

    example: Example
    summary: str | None
    latency_s: float | None
    error: str | None


@dataclass(frozen=True)
class RunResult:
    """Every outcome of one configuration, in dataset order.

    Attributes:
        config: The configuration.
        outcomes: One outcome per example.
        wall_s: Seconds from the first request sent to the last answer received.
    """

    config: SummarizerConfig
    outcomes: list[Outcome]
    wall_s: float

    @property
    def failed(self) -> int:
        """How many requests failed."""
        return sum(outcome.error is not None for outcome in self.outcomes)


async def run_target(
    target: Target, examples: Sequence[Example], *, concurrency: int, progress: bool
) -> RunResult:
    """Summarize every example with ``target`` (opened), ``concurrency`` requests in flight.

    Raises:
        TargetError: Preparing the requests failed (e.g. Triton cannot count tokens).
    """
    requests = await asyncio.to_thread(target.prepare, [example.dialogue for example in examples])
    slots = asyncio.Semaphore(concurrency)
    bar = tqdm(total=len(examples), desc=target.config.name, unit="summary", disable=not progress)

    async def one(example: Example, request: Any) -> Outcome:
        async with slots:
            start = time.perf_counter()
            try:
                summary = await target.summarize(request)
            except TargetError as exc:
                outcome = Outcome(example, None, None, str(exc))
            else:
                outcome = Outcome(example, summary, time.perf_counter() - start, None)
        bar.update()
        return outcome

    start = time.perf_counter()
    with bar:
        outcomes = await asyncio.gather(*map(one, examples, requests))
    result = RunResult(target.config, list(outcomes), time.perf_counter() - start)
    _log_failures(result)
    return result


async def run_configs(
    configs: Sequence[SummarizerConfig],
    examples: Sequence[Example],
    *,
    open_target: Callable[[SummarizerConfig], Target],
    concurrency: int,
    progress: bool,
) -> list[RunResult]:
    """Run every configuration in turn on the same examples.

    Raises:
        TargetError: A target is not ready or preparing its requests failed.
    """
    results = []
    for config in configs:
        async with open_target(config) as target:
            results.append(
                await run_target(target, examples, concurrency=concurrency, progress=progress)
            )
    return results


def _log_failures(result: RunResult) -> None:
    errors = Counter(outcome.error for outcome in result.outcomes if outcome.error is not None)
    for error, count in errors.most_common():
        logger.warning("%s: %d request(s) failed: %s", result.config.name, count, error)
    logger.info(
        "%s: %d of %d summaries in %.2f s",
        result.config.name,
        len(result.outcomes) - result.failed,
        len(result.outcomes),
        result.wall_s,
    )

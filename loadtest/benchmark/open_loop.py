"""Open-loop load: chats arriving as a Poisson process, and the goodput they get.

Closed-loop users (Locust) wait for their answer before asking again, so a slow server is
offered less work and its latency looks bounded. Real users arrive whether or not the server
kept up: here requests start at exponentially distributed intervals at a given rate, each on
its own thread, and goodput counts the requests per minute that met both objectives (time to
the summary and time to the picture over the event stream). Locust has no open-loop mode,
hence this small driver.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from httpx_sse import EventSource, SSEError

from loadtest.benchmark.samples import Latency
from loadtest.chats import GeneratedChat

logger = logging.getLogger(__name__)

ROUTE = "/v1/chat-images"
MAX_IN_FLIGHT = 256  # threads; arrivals beyond this wait, and their lateness counts


@dataclass(frozen=True)
class Objectives:
    """What a request must meet to count towards goodput (seconds from its arrival)."""

    time_to_summary_s: float
    time_to_image_s: float


# A summary within 10 s (the gateway streams it first) and a picture within a minute.
DEFAULT_OBJECTIVES = Objectives(time_to_summary_s=10.0, time_to_image_s=60.0)


@dataclass(frozen=True)
class Outcome:
    """One request: seconds from its arrival to its summary and to its picture (``None``: never)."""

    time_to_summary: float | None
    time_to_image: float | None

    def meets(self, objectives: Objectives) -> bool:
        """Whether both arrived within their objectives."""
        return (
            self.time_to_summary is not None
            and self.time_to_image is not None
            and self.time_to_summary <= objectives.time_to_summary_s
            and self.time_to_image <= objectives.time_to_image_s
        )


@dataclass(frozen=True)
class OpenLoopPoint:
    """One system at one arrival rate.

    Attributes:
        system: Which system was measured.
        rate_per_minute: The Poisson arrival rate offered.
        seconds: How long arrivals were generated.
        offered: Requests that arrived.
        completed: Requests that got their picture.
        goodput_per_minute: Requests per minute (of the arrival window) meeting both objectives.
        objectives: The objectives.
        time_to_summary: Over completed summaries.
        time_to_image: Over completed pictures.
    """

    system: str
    rate_per_minute: float
    seconds: float
    offered: int
    completed: int
    goodput_per_minute: float
    objectives: Objectives
    time_to_summary: Latency
    time_to_image: Latency


def poisson_arrivals(rate_per_minute: float, seconds: float, seed: int) -> list[float]:
    """Arrival offsets (seconds) of a Poisson process at ``rate_per_minute`` over ``seconds``."""
    if rate_per_minute <= 0 or seconds <= 0:
        raise ValueError("rate and duration must be positive")
    rng = random.Random(seed)
    arrivals, now = [], rng.expovariate(rate_per_minute / 60.0)
    while now < seconds:
        arrivals.append(now)
        now += rng.expovariate(rate_per_minute / 60.0)
    return arrivals


def summarize(
    system: str,
    rate_per_minute: float,
    seconds: float,
    outcomes: Sequence[Outcome],
    objectives: Objectives,
) -> OpenLoopPoint:
    """The point for these outcomes (goodput per minute of the arrival window)."""
    summaries = [o.time_to_summary for o in outcomes if o.time_to_summary is not None]
    images = [o.time_to_image for o in outcomes if o.time_to_image is not None]
    good = sum(o.meets(objectives) for o in outcomes)
    return OpenLoopPoint(
        system=system,
        rate_per_minute=rate_per_minute,
        seconds=seconds,
        offered=len(outcomes),
        completed=len(images),
        goodput_per_minute=60.0 * good / seconds,
        objectives=objectives,
        time_to_summary=Latency.of_seconds(summaries),
        time_to_image=Latency.of_seconds(images),
    )


def run_open_loop(
    system: str,
    url: str,
    chats: Iterator[GeneratedChat],
    *,
    rate_per_minute: float,
    seconds: float,
    objectives: Objectives,
    seed: int = 0,
    timeout_s: float = 600.0,
) -> OpenLoopPoint:
    """Offer ``rate_per_minute`` Poisson arrivals for ``seconds`` and wait for every answer.

    Args:
        system: Label of the system at ``url``.
        url: Base URL of a gateway (or the baseline) serving ``/v1/chat-images``.
        chats: One chat per arrival.
        rate_per_minute: Mean arrivals per minute.
        seconds: Length of the arrival window.
        objectives: Time-to-summary and time-to-image objectives for goodput.
        seed: Seed of the arrival times.
        timeout_s: Longest a request may take before it counts as failed.
    """
    arrivals = poisson_arrivals(rate_per_minute, seconds, seed)
    bodies = [next(chats).chat_image_body() for _ in arrivals]
    outcomes: list[Outcome | None] = [None] * len(arrivals)
    client = httpx.Client(base_url=url, timeout=timeout_s)
    start = time.monotonic()
    lock = threading.Lock()

    def send(index: int) -> None:
        arrived = start + arrivals[index]
        outcome = _stream(client, bodies[index], arrived)
        with lock:
            outcomes[index] = outcome

    with client, ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="open-loop") as pool:
        for index, offset in enumerate(arrivals):
            time.sleep(max(0.0, start + offset - time.monotonic()))
            pool.submit(send, index)
    done = [o if o is not None else Outcome(None, None) for o in outcomes]
    point = summarize(system, rate_per_minute, seconds, done, objectives)
    logger.info(
        "open loop %s at %.1f/min: %d offered, %d completed, goodput %.2f/min",
        system,
        rate_per_minute,
        point.offered,
        point.completed,
        point.goodput_per_minute,
    )
    return point


def _stream(client: httpx.Client, body: dict[str, object], arrived: float) -> Outcome:
    """One chat over the event stream; times are from its arrival, not from when it was sent."""
    summary_at = image_at = None
    try:
        with client.stream(
            "POST", ROUTE, json=body, headers={"Accept": "text/event-stream"}
        ) as response:
            if response.status_code != 200:
                return Outcome(None, None)
            for event in EventSource(response).iter_sse():
                if event.event == "summary":
                    summary_at = time.monotonic() - arrived
                elif event.event == "image":
                    image_at = time.monotonic() - arrived
                elif event.event in ("done", "error"):
                    break
    except (httpx.HTTPError, SSEError) as exc:
        logger.warning("open-loop request failed: %s", exc)
    return Outcome(summary_at, image_at)

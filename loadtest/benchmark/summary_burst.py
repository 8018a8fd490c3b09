"""The summarizer's cost at N concurrent summaries, measured on our running stack.

Issue 15 defines the summarizer's cost target "at 8 concurrent requests". The closed-loop
points cannot show it: their users are staggered by their pictures, so summaries seldom arrive
together (about 1.1 per execution at 16 users). This sends ``len(chats)`` summaries through
the gateway at once, on an idle stack, and reads what Triton's summarizer did from its
counters.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from contract.repository import SUMMARIZER
from loadtest.benchmark.servers import Endpoint
from loadtest.benchmark.triton_metrics import REQUESTS, ModelActivity, activity, scrape
from loadtest.chats import GeneratedChat

SUMMARY_ROUTE = "/v1/summaries"
TIMEOUT_S = 300.0
SETTLE_TIMEOUT_S = 10.0


def measure_summary_burst(endpoint: Endpoint, chats: list[GeneratedChat]) -> ModelActivity:
    """Send ``chats`` to ``/v1/summaries`` all at once; the summarizer's activity meanwhile.

    Raises:
        RuntimeError: The endpoint has no Triton metrics, or Triton's counters did not record
            every request within a few seconds.
        httpx.HTTPStatusError: A summary failed.
    """
    if endpoint.metrics_url is None:
        raise RuntimeError("the summary burst needs our stack (Triton's metrics)")
    before = scrape(endpoint.metrics_url)
    with httpx.Client(base_url=endpoint.url, timeout=TIMEOUT_S) as client:

        def summarize(chat: GeneratedChat) -> None:
            client.post(SUMMARY_ROUTE, json=chat.request_body()).raise_for_status()

        with ThreadPoolExecutor(max_workers=len(chats)) as pool:
            list(pool.map(summarize, chats))
    # Triton records a request's statistics when it releases it, which can come after the
    # response: read the counters once they show every request.
    expected = before[REQUESTS].get(SUMMARIZER, 0.0) + len(chats)
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        after = scrape(endpoint.metrics_url)
        if after[REQUESTS].get(SUMMARIZER, 0.0) >= expected:
            return activity(before, after)[SUMMARIZER]
        if time.monotonic() > deadline:
            raise RuntimeError(f"Triton counted fewer than {len(chats)} summarizer requests")
        time.sleep(0.2)

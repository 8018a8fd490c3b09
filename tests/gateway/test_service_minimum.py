"""The selection minimum (``CALLE_MIN_DIALOGUE_*``) reaches ``select_dialogue`` from the service."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from gateway.admission import ConcurrencyLimit
from gateway.dialogue import SourceTokenizer
from gateway.metrics import GatewayMetrics
from gateway.service import CalleService
from gateway.service_io import ChatInput
from tests.gateway.fakes import FAKE_SIZES, FakeBackend, write_word_tokenizer
from tests.gateway.test_service import INLINE_ONLY

EVENING_THEN_MORNING = ChatInput(
    [
        *(
            {"speaker": ("민지", "지훈")[i % 2], "text": f"말 {i}", "time": f"2024-05-02T21:0{i}"}
            for i in range(6)
        ),
        {"speaker": "민지", "text": "굿모닝", "time": "2024-05-03T08:00"},
    ]
)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> SourceTokenizer:
    """A word-level tokenizer with a budget far above these chats: only the minimum decides."""
    path = write_word_tokenizer(tmp_path_factory.mktemp("tokenizer") / "tokenizer.json")
    return SourceTokenizer(path)


@pytest.mark.parametrize(
    ("min_messages", "min_speakers", "expected"),
    [(1, 1, (1, 1)), (1, 2, (2, 2)), (4, 1, (4, 2)), (10, 2, (7, 2))],
)
def test_the_configured_minimum_decides_how_far_selection_goes(
    tokenizer, min_messages, min_speakers, expected
):
    metrics = GatewayMetrics()
    service = CalleService(
        FakeBackend(),
        tokenizer=tokenizer,
        image_sizes=FAKE_SIZES,
        limit=ConcurrencyLimit(4, in_flight=metrics.in_flight),
        metrics=metrics,
        summary_timeout_s=5.0,
        image_timeout_s=5.0,
        burst_gap=timedelta(hours=2),
        min_messages=min_messages,
        min_speakers=min_speakers,
        cpu_pool=INLINE_ONLY,
    )

    result = asyncio.run(service.summarize(EVENING_THEN_MORNING))

    assert (result.message_count, result.speaker_count) == expected

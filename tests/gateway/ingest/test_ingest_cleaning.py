"""Clean-up shared by every format."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.ingest import Message
from gateway.ingest.cleaning import make_message

WHEN = datetime(2024, 5, 2, 21, 3)


def test_text_and_speaker_are_stripped():
    assert make_message(" 민지 ", "\n 안녕 \n\n", WHEN) == Message("민지", "안녕", WHEN)


def test_media_placeholder_becomes_tag():
    assert make_message("민지", "사진 3장", WHEN) == Message("민지", "[사진]", WHEN)


@pytest.mark.parametrize(
    ("speaker", "text"),
    [
        ("민지", ""),
        ("민지", "  \n "),
        ("", "안녕"),
        ("민지", "삭제된 메시지입니다."),
        ("민지", "이모티콘"),
        ("Minji", "Emoticon"),
    ],
)
def test_messages_without_content_are_dropped(speaker, text):
    assert make_message(speaker, text, WHEN) is None

"""Media placeholders become one bracket tag per kind."""

from __future__ import annotations

import pytest

from gateway.ingest.media import normalize_media


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("사진", "[사진]"),
        ("사진 3장", "[사진]"),
        ("Photo", "[사진]"),
        ("Photos", "[사진]"),
        ("3 photos", "[사진]"),
        ("동영상", "[동영상]"),
        ("Video", "[동영상]"),
        ("2 videos", "[동영상]"),
        ("이모티콘", "[이모티콘]"),
        ("(이모티콘)", "[이모티콘]"),
        ("Emoticon", "[이모티콘]"),
        ("Sticker", "[이모티콘]"),
        ("음성메시지", "[음성]"),
        ("Voice Note", "[음성]"),
        ("Voice Message", "[음성]"),
        ("파일: 부산_일정표.pdf", "[파일] 부산_일정표.pdf"),
        ("File: plan final.pdf", "[파일] plan final.pdf"),
        ("파일:", "[파일]"),
        ("샵검색: 부산 맛집", "[검색] 부산 맛집"),
        ("#검색: 광안리 숙소", "[검색] 광안리 숙소"),
    ],
)
def test_placeholders_become_tags(text, expected):
    assert normalize_media(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "사진 보내줘",
        "사진\n보내줘",
        "nice photos!",
        "이모티콘 귀엽다",
        "파일 이름이 뭐야?",
        "video call?",
    ],
)
def test_placeholder_words_inside_conversation_are_kept(text):
    assert normalize_media(text) == text

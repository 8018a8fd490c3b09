"""The report behind ``calle inspect``: counts, kinds and line numbers, text only on request."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gateway.ingest import parse_chat
from gateway.ingest.inspection import Inspection, Rejected, format_report, inspect_export, to_json

FIXTURES = Path(__file__).parent / "fixtures"


def words(texts):
    return [len(text.split()) for text in texts]


def inspect(data: bytes | str, **kwargs) -> Inspection | Rejected:
    return inspect_export(
        data,
        count_tokens=words,
        max_tokens=kwargs.pop("max_tokens", 512),
        gap=timedelta(hours=2),
        min_messages=10,
        min_speakers=2,
        **kwargs,
    )


def test_report_counts_what_was_read_and_dropped():
    result = inspect((FIXTURES / "android_ko.txt").read_bytes())

    assert isinstance(result, Inspection)
    assert (result.format, result.encoding, result.repairs) == ("android_ko", "utf-8", [])
    assert (result.messages, result.speakers) == (6, 3)
    assert (result.first, result.last) == ("2024-05-02 11:58:00", "2024-05-03 00:10:00")
    assert result.lines == {
        "message": 8,
        "continuation": 3,
        "system": 2,
        "header": 2,
        "day": 2,
        "blank": 2,
        "unplaced": 0,
    }
    assert result.system_lines == {"membership": 2}
    assert result.placeholders == {"emoticon": 1, "photo": 1}
    assert result.dropped_messages == {"deleted": 1, "emoticon": 1}
    assert result.selection is not None
    assert result.selection.why.extended_past_gap


def test_unplaced_lines_are_given_by_number():
    text = "부산 님과 카카오톡 대화\n누가 붙여넣은 줄\n2024년 5월 2일 오후 9:03, 민지 : 안녕\n"

    result = inspect(text)

    assert isinstance(result, Inspection)
    assert result.unplaced_lines == [2]


def test_no_chat_text_unless_asked():
    data = (FIXTURES / "android_ko.txt").read_bytes()
    chat = parse_chat(data)
    secrets = {chat.room, *(m.speaker for m in chat.messages), *(m.text for m in chat.messages)}

    hidden = inspect(data)
    shown = inspect(data, include_text=True)

    for rendered in (format_report("x", hidden), str(to_json(hidden))):
        assert [secret for secret in secrets if secret and secret in rendered] == []
    assert "room" not in to_json(hidden)
    assert isinstance(shown, Inspection)
    assert shown.selection is not None
    assert shown.room == "부산 여행"
    assert shown.selection.dialogue is not None
    assert shown.selection.dialogue.startswith("P01: 다들 점심 먹었어?")
    assert "dialogue:" in format_report("x", shown)


def test_a_rejected_file_reports_the_users_error():
    result = inspect(b"hello")

    assert isinstance(result, Rejected)
    assert "not a KakaoTalk chat export" in result.error_en
    assert format_report("x", result).startswith("== x\nrejected: ")


def test_an_export_without_messages_says_why_nothing_is_selected():
    result = inspect("부산 여행 님과 카카오톡 대화\n저장한 날짜 : 2024년 5월 3일 오전 12:20\n")

    assert isinstance(result, Inspection)
    assert result.selection is None
    assert result.selection_error is not None
    assert "nothing is left" in result.selection_error

"""Errors carry Korean and English messages and share one ValueError base."""

from __future__ import annotations

from gateway.ingest import ChatFormatError, EmptyChatError, IngestError


def test_ingest_error_keeps_both_languages():
    error = IngestError("한국어 메시지", "English message")

    assert isinstance(error, ValueError)
    assert (error.message_ko, error.message_en) == ("한국어 메시지", "English message")
    assert str(error) == "한국어 메시지 / English message"


def test_chat_format_error_default_names_accepted_formats():
    error = ChatFormatError()

    assert isinstance(error, IngestError)
    assert error.message_ko == (
        "카카오톡 대화 내보내기 파일 형식이 아닙니다. 지원 형식: PC(Windows) 한국어/영어, "
        "macOS CSV, Android 한국어/영어, iOS 한국어/영어, 또는 JSON 메시지 목록."
    )
    assert error.message_en == (
        "This is not a KakaoTalk chat export. Accepted: PC (Windows) Korean/English, macOS CSV, "
        "Android Korean/English, iOS Korean/English, or JSON messages."
    )


def test_chat_format_error_reason_is_followed_by_accepted_formats():
    error = ChatFormatError("이유.", "Reason.")

    assert error.message_ko.startswith("이유. 지원 형식:")
    assert error.message_en.startswith("Reason. Accepted:")


def test_empty_chat_error_is_an_ingest_error():
    assert isinstance(EmptyChatError(), IngestError)

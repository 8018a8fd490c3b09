"""Errors raised for chat input the service cannot summarize.

Every error carries a Korean and an English message because the gateway shows them to the
person who sent the chat, in either language. They are plain ``ValueError`` subclasses so the
web and gRPC layers decide the status code (400/422, ``INVALID_ARGUMENT``); nothing here knows
about HTTP. Messages never quote chat text: they are returned to clients and may be logged.
"""

from __future__ import annotations

ACCEPTED_FORMATS_KO = (
    "지원 형식: PC(Windows) 한국어/영어, macOS CSV, Android 한국어/영어, iOS 한국어/영어, "
    "또는 JSON 메시지 목록."
)
ACCEPTED_FORMATS_EN = (
    "Accepted: PC (Windows) Korean/English, macOS CSV, Android Korean/English, "
    "iOS Korean/English, or JSON messages."
)


class IngestError(ValueError):
    """Base class: the input cannot be turned into a dialogue to summarize.

    Attributes:
        message_ko: The explanation in Korean.
        message_en: The same explanation in English.
    """

    def __init__(self, message_ko: str, message_en: str) -> None:
        super().__init__(f"{message_ko} / {message_en}")
        self.message_ko = message_ko
        self.message_en = message_en


class ChatFormatError(IngestError):
    """The input is not a KakaoTalk export (or JSON message list) in any accepted format.

    The message always ends with the list of accepted formats so that the sender knows what to
    send instead.
    """

    def __init__(
        self,
        reason_ko: str = "카카오톡 대화 내보내기 파일 형식이 아닙니다.",
        reason_en: str = "This is not a KakaoTalk chat export.",
    ) -> None:
        super().__init__(f"{reason_ko} {ACCEPTED_FORMATS_KO}", f"{reason_en} {ACCEPTED_FORMATS_EN}")


class EmptyChatError(IngestError):
    """The input was readable but holds no message worth summarizing."""

    def __init__(self) -> None:
        super().__init__(
            "요약할 대화가 없습니다. 시스템 메시지와 이모티콘을 제외하면 남는 메시지가 없습니다.",
            "There is no conversation to summarize: nothing is left once system lines and "
            "emoticons are removed.",
        )

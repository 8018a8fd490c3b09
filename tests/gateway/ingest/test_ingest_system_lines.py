"""KakaoTalk notices are told apart from conversation lines."""

from __future__ import annotations

import pytest

from gateway.ingest.system_lines import is_removed_message, is_system_notice


@pytest.mark.parametrize(
    "line",
    [
        "지훈님이 들어왔습니다.",
        "지훈님이 나갔습니다.",
        "민지님이 수아님을 초대했습니다.",
        "민지님이 지훈님과 수아님을 초대하였습니다.",
        "방장이 도윤님을 내보냈습니다.",
        "도윤님을 채팅방에서 내보냈습니다.",
        "운영정책을 위반한 메시지로 신고 접수 시 카카오톡 이용에 제한이 있을 수 있습니다.",
        "불법촬영물등 식별 및 게재제한 조치 안내",
        "타인, 기관 등의 사칭에 유의해 주세요. "
        "금전 또는 개인정보를 요구 받을 경우 신고해 주시기 바랍니다.",
        "Jihoon joined this chatroom.",
        "Jihoon left this chatroom.",
        "Minji invited Jihoon and Sua.",
        "Minji kicked Jihoon out.",
        "Minji removed Jihoon from this chatroom.",
        "You may be restricted from using KakaoTalk if a message is reported.",
    ],
)
def test_notices_are_recognized(line):
    assert is_system_notice(line)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "내일 몇 시에 만나?",
        "수아가 들어왔대",
        "운영정책을 위반" + " 아주 긴 대화" * 60,  # too long to be a notice
        "I left my umbrella at home",
        "월: 팀 회의",
    ],
)
def test_conversation_is_not_a_notice(line):
    assert not is_system_notice(line)


@pytest.mark.parametrize(
    "text",
    ["삭제된 메시지입니다.", "This message was deleted.", "채팅방 관리자가 메시지를 가렸습니다."],
)
def test_removed_messages(text):
    assert is_removed_message(text)


def test_talking_about_a_deleted_message_is_kept():
    assert not is_removed_message("삭제된 메시지입니다. 라고 뜨는데 뭐였어?")

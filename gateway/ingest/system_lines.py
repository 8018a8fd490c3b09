"""KakaoTalk's own lines (joins, leaves, invites, kicks, deleted messages, open-chat notices).

They are not conversation and would end up in the summary, so every parser drops them. Mobile
exports mark them by shape (a timestamp with no ``speaker :``), which the format table handles;
the PC export writes them as bare lines, indistinguishable from the continuation of a multi-line
message except by their wording, which is what this module recognizes.
"""

from __future__ import annotations

import re

# System notices are one short sentence; a longer line is conversation. The cap also bounds the
# regex work on hostile input with very long lines.
_MAX_NOTICE_LENGTH = 300

_MEMBERSHIP = re.compile(
    "|".join(
        (
            r".+님이 (?:들어왔습니다|나갔습니다)\.?",
            r".+님.*(?:초대했습니다|초대하였습니다)\.?",
            r".*님을 (?:채팅방에서 )?(?:내보냈습니다|내보내었습니다)\.?",
            r".+ (?:joined|entered|left) (?:this |the )?chat ?room\.?",
            r".+ invited .+\.",
            r".+ (?:kicked|removed) .+ (?:out|from (?:this |the )?chat ?room)\.?",
        )
    )
)

# Open-chat policy and safety notices ("…안내") are long and reworded from time to time, so they
# are recognized by phrases no member would type.
_POLICY = re.compile(
    "|".join(
        (
            r"운영정책을 위반",
            r"불법촬영물",
            r"전기통신사업법",
            r"사칭에 유의",
            r"카카오톡 이용에 제한",
            r"개인정보를 요구",
            r"violat\w* (?:the )?(?:KakaoTalk )?Operation(?:al|s)? Polic",
            r"restricted from using KakaoTalk",
            r"illegally filmed",
        )
    ),
    re.IGNORECASE,
)

_REMOVED_MESSAGES = frozenset(
    {
        "삭제된 메시지입니다.",
        "메시지가 삭제되었습니다.",
        "채팅방 관리자가 메시지를 가렸습니다.",
        "This message was deleted.",
        "This message has been deleted.",
        "Message deleted.",
        "This message was hidden by the chatroom admin.",
    }
)


MEMBERSHIP = "membership"
POLICY = "policy"
OTHER = "other"  # a timestamped line without a speaker whose wording is not known here


def notice_kind(line: str) -> str | None:
    """The kind of KakaoTalk notice ``line`` is (:data:`MEMBERSHIP`, :data:`POLICY`), if any."""
    line = line.strip()
    if not line or len(line) > _MAX_NOTICE_LENGTH:
        return None
    if _MEMBERSHIP.fullmatch(line) is not None:
        return MEMBERSHIP
    if _POLICY.search(line) is not None:
        return POLICY
    return None


def is_system_notice(line: str) -> bool:
    """Whether a line without a message prefix is a KakaoTalk notice rather than chat text."""
    return notice_kind(line) is not None


def is_removed_message(text: str) -> bool:
    """Whether a message's whole text is the stand-in for a deleted or hidden message."""
    return text.strip() in _REMOVED_MESSAGES

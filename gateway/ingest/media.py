"""Media placeholders: what an export writes where a photo, video or file was sent.

Exports write words such as ``사진 3장``, ``Photo`` or ``파일: 일정표.pdf``. They are replaced by
one bracket tag per kind, in Korean, whatever the export language, so the Korean summarizer sees
a token it can tell apart from conversation:

- ``사진``, ``사진 3장``, ``Photo``, ``Photos``, ``3 photos`` -> ``[사진]``
- ``동영상``, ``동영상 2개``, ``Video``, ``2 videos`` -> ``[동영상]``
- ``이모티콘``, ``Emoticon``, ``Emoticons`` (Android English 2022+), ``Sticker`` -> ``[이모티콘]``
- ``음성메시지``, ``Voice Note``, ``Voice Message`` -> ``[음성]``
- ``파일: 일정표.pdf``, ``File: plan.pdf`` -> ``[파일] 일정표.pdf``
- ``샵검색: 부산 맛집``, ``#검색: 부산 맛집`` -> ``[검색] 부산 맛집``

Photos, videos and emoticons may also come wrapped and marked unread, as newer apps and the
macOS export write them: ``<Photo>``, ``<Photo Unread>``, ``<Video Unread>``, ``(Photo)``,
``(사진)``, ``(emoticon)``, and with U+2039 for ``<`` in Korean: ``‹사진>``, ``‹사진 읽지 않음>``.

File names and search words are kept after the tag because they usually say what was shared.
Only a message whose whole text is a placeholder is replaced: the same word inside a sentence
(``사진 보내줘``) is conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMOTICON = "[이모티콘]"


def _wrapped(core: str) -> re.Pattern[str]:
    """``core``, optionally in ``<>``/``‹>``/``()`` and followed by an unread marker."""
    return re.compile(rf"[<‹(]?(?:{core})(?: ?(?:unread|읽지 않음))?[>›)]?", re.IGNORECASE)


@dataclass(frozen=True)
class _Placeholder:
    kind: str  # stable name for reports
    pattern: re.Pattern[str]
    tag: str


_PLACEHOLDERS = (
    _Placeholder("photo", _wrapped(r"사진(?: \d+장)?|(?:\d+ )?photos?"), "[사진]"),
    _Placeholder("video", _wrapped(r"동영상(?: \d+개)?|(?:\d+ )?videos?"), "[동영상]"),
    _Placeholder("emoticon", _wrapped(r"이모티콘|emoticons?|stickers?"), EMOTICON),
    _Placeholder("voice", _wrapped(r"음성 ?메시지|voice (?:note|message)s?"), "[음성]"),
    _Placeholder("file", re.compile(r"(?:파일|file): ?(?P<detail>.*)", re.IGNORECASE), "[파일]"),
    _Placeholder("search", re.compile(r"(?:샵검색|#검색): ?(?P<detail>.*)"), "[검색]"),
)


def placeholder_kind(text: str) -> tuple[str, str] | None:
    """The kind and tag text of a whole-message placeholder, or ``None`` for conversation.

    Args:
        text: A message's text, already stripped.

    Returns:
        ``(kind, replacement)``: the kind (``photo``, ``video``, ``emoticon``, ``voice``,
        ``file``, ``search``) and the tag, followed by the file name or search words when
        there are any.
    """
    for placeholder in _PLACEHOLDERS:
        match = placeholder.pattern.fullmatch(text)
        if match is not None:
            detail = (match.groupdict().get("detail") or "").strip()
            return placeholder.kind, f"{placeholder.tag} {detail}" if detail else placeholder.tag
    return None


def normalize_media(text: str) -> str:
    """Replace a whole-message media placeholder by its tag; other text is returned unchanged."""
    found = placeholder_kind(text)
    return text if found is None else found[1]

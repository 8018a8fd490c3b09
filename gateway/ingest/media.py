"""Media placeholders: what an export writes where a photo, video or file was sent.

Exports write words such as ``사진 3장``, ``Photo`` or ``파일: 일정표.pdf``. They are replaced by
one bracket tag per kind, in Korean, whatever the export language, so the Korean summarizer sees
a token it can tell apart from conversation:

- ``사진``, ``사진 3장``, ``Photo``, ``Photos``, ``3 photos`` -> ``[사진]``
- ``동영상``, ``동영상 2개``, ``Video``, ``2 videos`` -> ``[동영상]``
- ``이모티콘``, ``(이모티콘)``, ``Emoticon``, ``Sticker`` -> ``[이모티콘]``
- ``음성메시지``, ``Voice Note``, ``Voice Message`` -> ``[음성]``
- ``파일: 일정표.pdf``, ``File: plan.pdf`` -> ``[파일] 일정표.pdf``
- ``샵검색: 부산 맛집``, ``#검색: 부산 맛집`` -> ``[검색] 부산 맛집``

File names and search words are kept after the tag because they usually say what was shared.
Only a message whose whole text is a placeholder is replaced: the same word inside a sentence
(``사진 보내줘``) is conversation.
"""

from __future__ import annotations

import re

EMOTICON = "[이모티콘]"

_PLACEHOLDERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"사진(?: \d+장)?|(?:\d+ )?photos?", re.IGNORECASE), "[사진]"),
    (re.compile(r"동영상(?: \d+개)?|(?:\d+ )?videos?", re.IGNORECASE), "[동영상]"),
    (re.compile(r"\(?이모티콘\)?|emoticon|sticker", re.IGNORECASE), EMOTICON),
    (re.compile(r"음성 ?메시지|voice (?:note|message)", re.IGNORECASE), "[음성]"),
    (re.compile(r"(?:파일|file): ?(?P<detail>.*)", re.IGNORECASE), "[파일]"),
    (re.compile(r"(?:샵검색|#검색): ?(?P<detail>.*)"), "[검색]"),
)


def normalize_media(text: str) -> str:
    """Replace a whole-message media placeholder by its tag; other text is returned unchanged.

    Args:
        text: A message's text, already stripped.

    Returns:
        The tag (followed by the file name or search words, when there are any), or ``text``.
    """
    for pattern, tag in _PLACEHOLDERS:
        match = pattern.fullmatch(text)
        if match is not None:
            detail = (match.groupdict().get("detail") or "").strip()
            return f"{tag} {detail}" if detail else tag
    return text

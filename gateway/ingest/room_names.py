"""The room name in an export's title line, without the decorations apps add to it.

Titles carry a member count (``우리방 (24)``, ``우리방(4명)``; the bare count of
``우리방 62 카카오톡 대화`` is left out by its title pattern in :mod:`gateway.ingest.line_formats`)
and, when an app
names the room after the export file, the file name (``Talk_2023.4.28 11:12-1.txt``); neither
is the room's name.
"""

from __future__ import annotations

import re

_FILE_SUFFIX = re.compile(r"(?:-\d+)?\.(?:txt|csv)\Z", re.IGNORECASE)
_MEMBER_COUNT = re.compile(r" ?\(\d+(?:명)?\)\Z")
# Names the apps give export files: iOS ``Talk_2023.4.28 11:12``, PC ``KakaoTalk_20230428_1112``.
_EXPORT_FILE_NAME = re.compile(
    r"Talk_\d{4}\.\d{1,2}\.\d{1,2} \d{1,2}:\d{2}|KakaoTalk_\d{8}_\d{4,6}(?:_\d+)?(?:_\w+)?"
)


def clean_room(title: str | None) -> str | None:
    """The room name in ``title``; ``None`` when nothing but decorations is left."""
    room = (title or "").strip()
    room = _MEMBER_COUNT.sub("", _FILE_SUFFIX.sub("", room)).strip()
    if not room or _EXPORT_FILE_NAME.fullmatch(room) is not None:
        return None
    return room

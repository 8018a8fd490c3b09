"""Small dataset builders shared by the evaluation tests."""

from __future__ import annotations

import json
from pathlib import Path

EXPORT = Path(__file__).parents[2] / "gateway" / "ingest" / "sample_chat.txt"
MESSAGES = [
    {"speaker": "민지", "text": "내일 몇 시에 만나?", "time": "2024-05-02T21:03:00"},
    {"speaker": "지훈", "text": "7시 어때? 강남역에서", "time": "2024-05-02T21:04:00"},
]


def write_lines(path: Path, records: list[object]) -> Path:
    """A JSONL file of ``records`` (strings are written as they are)."""
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records),
        encoding="utf-8",
    )
    return path

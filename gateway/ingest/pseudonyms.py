"""Replace people's names by ``P01``, ``P02``, ... before text leaves the gateway.

Display names are personal data and the summarizer does not need them. Labels follow the order
in which speakers first appear in the selected dialogue, so the same dialogue always gets the
same labels.

Names are also replaced inside message text, where that is safe:

- only exact display names of people in the chat (no guessing at nicknames or given names:
  ``김민지`` in text is replaced for speaker ``김민지``, ``민지`` is not);
- only names of two characters or more: a one-letter name (``나``, ``A``) is an ordinary word;
- only at the start of a word (``민지야`` becomes ``P01야``, but ``김민지`` is left alone for
  speaker ``민지``) and not followed by a Latin letter or digit (``Mina`` does not match in
  ``Minako``). Korean particles may follow, which also means a longer Korean word starting with
  the name is replaced (``민지연`` -> ``P01연``);
- longer names first, so ``민지 언니`` wins over ``민지``.

People who are mentioned but do not speak in the dialogue get the next free labels, in order of
first mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_NAME_LENGTH = 2


class Pseudonyms:
    """Labels for the speakers of one dialogue, and scrubbing of names in its text."""

    def __init__(self, speakers: Iterable[str], known_names: Iterable[str] = ()) -> None:
        """Label ``speakers`` in the given order.

        Args:
            speakers: The dialogue's speakers, in order of first appearance.
            known_names: Everyone else in the chat, whose names are scrubbed when mentioned.
        """
        self._labels: dict[str, str] = {}
        for speaker in speakers:
            self.label(speaker)
        names = sorted(
            {name for name in (*self._labels, *known_names) if len(name) >= MIN_NAME_LENGTH},
            key=lambda name: (-len(name), name),
        )
        alternatives = "|".join(map(re.escape, names))
        self._mentions = (
            re.compile(rf"(?<!\w)(?:{alternatives})(?![A-Za-z0-9_])") if names else None
        )

    def label(self, name: str) -> str:
        """The label of ``name``, giving it the next free one if it has none yet."""
        label = self._labels.get(name)
        if label is None:
            label = self._labels[name] = f"P{len(self._labels) + 1:02d}"
        return label

    def scrub(self, text: str) -> str:
        """``text`` with every known name replaced by its label."""
        if self._mentions is None:
            return text
        return self._mentions.sub(lambda match: self.label(match.group()), text)

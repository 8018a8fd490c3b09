"""Replace people's names by ``P01``, ``P02``, ... before text leaves the gateway.

Display names are personal data and the summarizer does not need them. Labels follow the order
in which speakers first appear in the selected dialogue, so the same dialogue always gets the
same labels.

Names are also replaced inside message text. The rule, chosen so that no name of the chat can
reach the model whatever surrounds it:

- only exact display names of people in the chat (no guessing at nicknames or given names:
  ``김민지`` in text is replaced for speaker ``김민지``; for speaker ``민지`` it becomes ``김P01``);
- only names of two characters or more: a one-letter name (``나``, ``A``) is an ordinary word;
- **wherever they occur**, with no word-boundary condition. Korean attaches particles
  (``민지가``, ``민지는``, ``민지야``), surnames and honorifics to names without a space, people
  glue names together (``민지민지``) and to Latin letters, digits or ``_`` (``민지abc``,
  ``민지123``, ``민지_``); every one of those is a name the model must not see. The price is
  over-replacement inside longer words (speaker ``Mina`` turns ``Minako`` into ``P01ko``), which
  costs the summarizer a word but never leaks a name;
- leftmost-longest: at each position the longest name wins (``민지 언니`` over ``민지``), and
  matches do not overlap.

Matching is one Aho-Corasick automaton over all names (``ahocorasick-rs``, the Rust
``aho-corasick`` crate, leftmost-longest), built once per chat: scrubbing is linear in the text
whatever the number of names (a regex alternation of N names costs up to N tries per position
in Python's backtracking engine: 100,000 speakers made a 3.5 MB chat take ~15 s).

People who are mentioned but do not speak in the dialogue get the next free labels, in order of
first mention.
"""

from __future__ import annotations

from collections.abc import Iterable

from ahocorasick_rs import AhoCorasick, MatchKind

MIN_NAME_LENGTH = 2


class NameMatcher:
    """One automaton that finds every name of a chat in a text, in one pass over it."""

    def __init__(self, names: Iterable[str]) -> None:
        """Build the automaton (linear in the total length of the names).

        Args:
            names: Display names; duplicates and names shorter than :data:`MIN_NAME_LENGTH`
                are left out.
        """
        self._names = [name for name in dict.fromkeys(names) if len(name) >= MIN_NAME_LENGTH]
        self._automaton = (
            AhoCorasick(self._names, matchkind=MatchKind.LeftmostLongest) if self._names else None
        )

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """``(name, start, end)`` of every non-overlapping leftmost-longest name in ``text``."""
        if self._automaton is None:
            return []
        return [
            (self._names[index], start, end)
            for index, start, end in self._automaton.find_matches_as_indexes(text)
        ]


class Pseudonyms:
    """Labels for the speakers of one dialogue, and scrubbing of names in its text."""

    def __init__(
        self,
        speakers: Iterable[str],
        known_names: Iterable[str] = (),
        *,
        matcher: NameMatcher | None = None,
    ) -> None:
        """Label ``speakers`` in the given order.

        Args:
            speakers: The dialogue's speakers, in order of first appearance.
            known_names: Everyone else in the chat, whose names are scrubbed when mentioned.
            matcher: A matcher built once for the whole chat (it must know every speaker and
                known name); without one, a matcher over ``speakers`` and ``known_names`` is
                built here.
        """
        self._labels: dict[str, str] = {}
        for speaker in speakers:
            self.label(speaker)
        self._matcher = matcher or NameMatcher((*self._labels, *known_names))

    def label(self, name: str) -> str:
        """The label of ``name``, giving it the next free one if it has none yet."""
        label = self._labels.get(name)
        if label is None:
            label = self._labels[name] = f"P{len(self._labels) + 1:02d}"
        return label

    def scrub(self, text: str) -> str:
        """``text`` with every known name replaced by its label (one pass over ``text``)."""
        pieces: list[str] = []
        done = 0
        for name, start, end in self._matcher.find(text):
            pieces += (text[done:start], self.label(name))
            done = end
        return "".join(pieces) + text[done:]

"""Names become P01, P02, ... in speakers and, where safe, inside text."""

from __future__ import annotations

import pytest

from gateway.ingest import pseudonyms
from gateway.ingest.pseudonyms import NameMatcher, Pseudonyms


def test_speakers_are_labelled_in_the_given_order():
    names = Pseudonyms(["수아", "민지", "지훈"])

    assert [names.label(name) for name in ["민지", "지훈", "수아"]] == ["P02", "P03", "P01"]


def test_labels_are_stable_and_new_names_get_the_next_label():
    names = Pseudonyms(["민지"])

    assert names.label("민지") == names.label("민지") == "P01"
    assert names.label("지훈") == "P02"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("민지야 뭐해", "P01야 뭐해"),
        ("민지는 7시, 김지훈은 8시", "P01는 7시, P02은 8시"),  # particles follow names
        ("민지가 왔어", "P01가 왔어"),
        ("@민지 답장 좀", "@P01 답장 좀"),
        ("김민지랑 통화했어", "김P01랑 통화했어"),  # a surname before the name
        ("지훈이 말고 김지훈", "지훈이 말고 P02"),  # no guessing at given names
        ("민지abc 민지123 민지_ 민지민지", "P01abc P01123 P01_ P01P01"),  # glued to anything
        ("Mina, Minako and Mina2", "P03, P03ko and P032"),  # over-replacement, never a leak
        ("나 먼저 갈게", "나 먼저 갈게"),  # one-letter names are ordinary words
        ("P01은 누구?", "P01은 누구?"),
    ],
)
def test_exact_names_are_scrubbed_wherever_they_occur(text, expected):
    names = Pseudonyms(["민지", "김지훈", "Mina", "나"])

    assert names.scrub(text) == expected


def test_longer_names_win_over_their_prefixes():
    names = Pseudonyms(["민지", "민지 언니"])

    assert names.scrub("민지 언니랑 민지랑") == "P02랑 P01랑"


def test_mentioned_chat_members_get_the_next_labels_in_order_of_mention():
    names = Pseudonyms(["민지"], known_names=["도윤", "서연", "민지"])

    assert names.scrub("서연이랑 도윤이 온대, 서연이는 늦고") == "P02이랑 P03이 온대, P02이는 늦고"


def test_names_with_regex_characters_are_literal():
    names = Pseudonyms(["지훈 (부산)", "a.b"])

    assert names.scrub("지훈 (부산) axb a.b") == "P01 axb P02"


def test_a_shared_matcher_is_used_as_given(monkeypatch):
    matcher = NameMatcher(["민지", "지훈"])
    found: list[str] = []
    find = matcher.find
    monkeypatch.setattr(matcher, "find", lambda text: found.append(text) or find(text))

    names = Pseudonyms(["지훈"], matcher=matcher)

    assert names.scrub("민지랑 지훈") == "P02랑 P01"
    assert found == ["민지랑 지훈"]  # one pass over the text


def test_automaton_is_built_once_over_all_names_and_scans_each_text_once(monkeypatch):
    """Linear by design: one automaton for N names, one scan per text, whatever N is."""
    built: list[int] = []
    scans: list[str] = []

    real = pseudonyms.AhoCorasick

    class Counting:  # a spy around the real automaton (the compiled type cannot be subclassed)
        def __init__(self, patterns, **kwargs):
            built.append(len(patterns))
            self._automaton = real(patterns, **kwargs)

        def find_matches_as_indexes(self, haystack):
            scans.append(haystack)
            return self._automaton.find_matches_as_indexes(haystack)

    monkeypatch.setattr(pseudonyms, "AhoCorasick", Counting)
    speakers = [f"사람{number:06d}" for number in range(100_000)]
    names = Pseudonyms(speakers[:3], known_names=speakers)
    texts = [f"{speakers[number]}아 {speakers[-1]}는?" for number in range(0, 100_000, 25_000)]

    scrubbed = [names.scrub(text) for text in texts]

    assert built == [100_000]
    assert scans == texts
    assert scrubbed == ["P01아 P04는?", "P05아 P04는?", "P06아 P04는?", "P07아 P04는?"]

"""The serving side of the summarizer without a server: settings, tokens, decoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.repository import SUMMARIZER, version_dir
from triton_models.summarization import (
    Decoding,
    Summarizer,
    first_sentence,
    search_options,
)

DIALOGUES = ["P01: 내일 몇 시에 만나?\nP02: 세 시 어때?", "P01: 회의 자료 올렸어요"]


@pytest.fixture(scope="module")
def summarizer(tiny_repository: Path) -> Summarizer:
    return Summarizer(version_dir(tiny_repository, SUMMARIZER), threads=1)


def test_exported_settings_follow_the_original_service(summarizer: Summarizer) -> None:
    decoding = summarizer.decoding
    assert (decoding.num_beams, decoding.max_length, decoding.no_repeat_ngram_size) == (5, 64, 3)
    assert decoding.decoder_start_token_id == 1  # read from the tiny checkpoint
    assert decoding.forced_eos_token_id == 1
    with pytest.raises(ValueError, match="not overridable"):
        decoding.overridden(eos_token_id=3)


def test_unknown_generation_settings_fail_loudly() -> None:
    document = {"decoder_start_token_id": 2, "eos_token_id": 1, "do_sample": True}
    with pytest.raises(ValueError, match="do_sample"):
        Decoding.from_generation_config(document)


def test_forced_eos_reserves_the_last_position() -> None:
    forced = Decoding(num_beams=1, max_length=10, no_repeat_ngram_size=0, forced_eos_token_id=1)
    assert search_options(forced)["max_decoding_length"] == 8  # start token + 8 + forced EOS
    free = Decoding(num_beams=1, max_length=10, no_repeat_ngram_size=0)
    assert search_options(free)["max_decoding_length"] == 9


def test_summaries_end_with_eos_within_max_length(summarizer: Summarizer) -> None:
    decoding = summarizer.decoding.overridden(max_length=12)
    for summary in summarizer.summarize(DIALOGUES, decoding):
        assert summary.token_ids[0] == decoding.decoder_start_token_id
        assert summary.token_ids[-1] == decoding.eos_token_id
        assert len(summary.token_ids) <= 12


def test_long_chats_are_cut_from_the_oldest_end(summarizer: Summarizer) -> None:
    old, new = "P01: 옛날 이야기 " * 400, "P02: 마지막 메시지"
    (tokens,) = summarizer.source_tokens([old + "\n" + new])
    assert len(tokens) == summarizer.max_source_tokens
    ids = [summarizer.tokenizer.token_to_id(t) for t in tokens]
    assert summarizer.tokenizer.decode(ids, skip_special_tokens=True).endswith("마지막 메시지")


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("친구들은 부산에 가기로 했다. 숙소는 광안리다.", "친구들은 부산에 가기로 했다."),
        ("언제 만나? 세 시에.", "언제 만나?"),
        ("마침표가 없는 요약", "마침표가 없는 요약"),
        ("  3.5시간 회의를 했다! 끝.", "3.5시간 회의를 했다!"),
    ],
)
def test_first_sentence(text: str, first: str) -> None:
    assert first_sentence(text) == first

"""The ONNX summarizer is token-identical to ``generate`` of the PyTorch checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import BartForConditionalGeneration

from export.summarizer import export_summarizer
from model_repository.onnx_bart import Summarizer, first_sentence

DIALOGUES = [
    "P01: 내일 몇 시에 만나?\nP02: 세 시 어때? 역 앞에서 보자.",
    "P01: 주말에 부산 가자!\nP02: 좋아 기차표는 내가 예매할게.\n"
    "P03: ㅋㅋ 고마워\nP01: 숙소는 광안리로",
    "P01: 회의 자료 올렸어요",
]


@pytest.fixture(scope="module")
def summarizer(summarizer_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Summarizer:
    repository = tmp_path_factory.mktemp("onnx-bart")
    export_summarizer(summarizer_checkpoint, repository)
    return Summarizer(repository / "summarizer" / "1")


@pytest.fixture(scope="module")
def pytorch_model(summarizer_checkpoint: Path) -> BartForConditionalGeneration:
    return BartForConditionalGeneration.from_pretrained(summarizer_checkpoint).eval()


@pytest.mark.parametrize("num_beams", [5, 1], ids=["beam", "greedy"])
def test_token_identical_to_pytorch_generate(summarizer, pytorch_model, num_beams) -> None:
    for dialogue in DIALOGUES:
        expected = pytorch_model.generate(
            **summarizer.encode([dialogue]), **summarizer.generate_kwargs(num_beams=num_beams)
        )[0].tolist()
        (got,) = summarizer.summarize([dialogue], num_beams=num_beams)
        assert got.token_ids == expected
        assert len(expected) > 3  # a real decode, not an immediate EOS


def test_batched_rows_match_single_requests(summarizer) -> None:
    batched = summarizer.summarize(DIALOGUES)
    singles = [summarizer.summarize([d])[0] for d in DIALOGUES]
    assert [s.token_ids for s in batched] == [s.token_ids for s in singles]


def test_settings_defaults_follow_the_original_service(summarizer) -> None:
    kwargs = summarizer.generate_kwargs()
    assert (kwargs["num_beams"], kwargs["max_length"], kwargs["no_repeat_ngram_size"]) == (5, 64, 3)
    assert kwargs["decoder_start_token_id"] == 1  # read from the tiny checkpoint
    with pytest.raises(ValueError, match="not overridable"):
        summarizer.generate_kwargs(eos_token_id=3)


def test_long_chats_are_trimmed_from_the_oldest_end(summarizer) -> None:
    budget = summarizer.settings["max_source_tokens"]
    old, new = "P01: 옛날 이야기 " * 400, "P02: 마지막 메시지"
    ids = summarizer.encode([old + "\n" + new])["input_ids"][0].tolist()
    assert len(ids) == budget
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

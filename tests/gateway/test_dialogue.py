"""Trimming in the gateway with the real exported tokenizer, no Triton."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from contract.repository import SUMMARIZER, version_dir
from gateway.dialogue import SourceTokenizer, latest_dialogue
from gateway.service_io import ChatInput
from triton_models.summarization import Summarizer


@pytest.fixture(scope="module")
def folder(tiny_repository: Path) -> Path:
    return version_dir(tiny_repository, SUMMARIZER)


@pytest.fixture(scope="module")
def tokenizer(folder: Path) -> SourceTokenizer:
    return SourceTokenizer(folder / "tokenizer.json")


def test_counts_equal_the_checkpoint_tokenizer(
    tokenizer: SourceTokenizer, summarizer_checkpoint: Path
) -> None:
    checkpoint = AutoTokenizer.from_pretrained(summarizer_checkpoint)
    lines = ["P01: 내일 몇 시에 만나?", "P02: 세 시 어때?", "P03: ㅋㅋ 🎉"]
    expected = [len(ids) for ids in checkpoint(lines, add_special_tokens=False)["input_ids"]]
    assert tokenizer.count_tokens(lines) == expected
    # The exported budget (512) less <s> and </s>, which the summarizer adds.
    assert tokenizer.budget == 510


def test_a_chat_over_budget_is_trimmed_from_its_oldest_end(
    tokenizer: SourceTokenizer, folder: Path
) -> None:
    text = "번째 이야기: 주말에 부산 가서 회 먹자"
    messages = [{"speaker": f"친구{n % 3}", "text": f"{n}{text}"} for n in range(300)]
    parsed, dialogue = latest_dialogue(ChatInput(messages), tokenizer)
    assert len(parsed.messages) == 300
    assert 1 < dialogue.message_count < 300
    lines = dialogue.text.splitlines()
    assert lines[-1].endswith(f": 299{text}")
    assert lines[0].endswith(f": {300 - dialogue.message_count}{text}")
    assert tokenizer.count_tokens([dialogue.text])[0] <= tokenizer.budget
    # The summarizer then has nothing left to cut.
    summarizer = Summarizer(folder, threads=1)
    (tokens,) = summarizer.source_tokens([dialogue.text])
    assert len(tokens) == tokenizer.count_tokens([dialogue.text])[0] + 2


def test_travels_to_a_worker_process(tokenizer: SourceTokenizer) -> None:
    copy = pickle.loads(pickle.dumps(tokenizer))
    assert copy.count_tokens(["P01: 안녕"]) == tokenizer.count_tokens(["P01: 안녕"])
    assert (copy.budget, copy.digest) == (tokenizer.budget, tokenizer.digest)


def test_a_tokenizer_without_budget_is_refused(folder: Path, tmp_path: Path) -> None:
    plain = Tokenizer.from_file(str(folder / "tokenizer.json"))
    plain.no_truncation()
    plain.save(str(tmp_path / "tokenizer.json"))
    with pytest.raises(ValueError, match="no truncation"):
        SourceTokenizer(tmp_path / "tokenizer.json")

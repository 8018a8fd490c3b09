"""Summarizer export: three graphs, parity on shapes other than the tracing ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from export.options import GenerationSettings
from export.parity import ParityError, require_parity
from export.summarizer import export_summarizer
from model_repository.onnx_bart import DECODER_FILE, DECODER_INIT_FILE, ENCODER_FILE


@pytest.fixture(scope="module")
def exported(summarizer_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory):
    repository = tmp_path_factory.mktemp("summarizer-export")
    results = export_summarizer(
        summarizer_checkpoint, repository, settings=GenerationSettings(max_source_tokens=2000)
    )
    return repository / "summarizer" / "1", results


def test_writes_graphs_tokenizer_and_settings(exported) -> None:
    folder, _ = exported
    for name in (ENCODER_FILE, DECODER_INIT_FILE, DECODER_FILE, "config.json"):
        assert (folder / name).is_file(), name
    assert (folder / "tokenizer" / "tokenizer.json").is_file()
    settings = json.loads((folder / "generation.json").read_text())
    assert settings["num_beams"] == 5
    assert settings["max_length"] == 64
    assert settings["no_repeat_ngram_size"] == 3
    # Capped by the checkpoint's positions (1026 - 2), not the 2000 asked for.
    assert settings["max_source_tokens"] == 1024


def test_special_ids_come_from_the_checkpoint(summarizer_checkpoint: Path, tmp_path: Path) -> None:
    """A fine-tune whose decoder starts with <s> (id 0) keeps that id in the export."""
    from transformers import BartForConditionalGeneration

    model = BartForConditionalGeneration.from_pretrained(summarizer_checkpoint)
    model.generation_config.decoder_start_token_id = 0
    model.generation_config.forced_bos_token_id = 0
    source = tmp_path / "finetune"
    model.save_pretrained(source)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (source / name).write_bytes((summarizer_checkpoint / name).read_bytes())
    export_summarizer(source, tmp_path / "repo")
    settings = json.loads((tmp_path / "repo/summarizer/1/generation.json").read_text())
    assert settings["decoder_start_token_id"] == 0
    assert settings["forced_bos_token_id"] == 0


def test_parity_on_several_shapes(exported) -> None:
    _, results = exported
    assert [r.graph for r in results] == [
        "summarizer/encoder",
        "summarizer/decoder_init",
        "summarizer/decoder",
    ]
    require_parity(results)
    for result in results:
        batches = {case.shapes["input_ids"][0] for case in result.cases}
        lengths = {case.shapes["input_ids"][1] for case in result.cases}
        # Traced at batch 2, length 7: parity must cover other sizes.
        assert batches - {2}
        assert lengths - {7}
        assert result.max_abs_diff < 1e-3


def test_a_wrong_graph_fails_export(
    summarizer_checkpoint: Path, tmp_path: Path, monkeypatch
) -> None:
    """Parity compares with the checkpoint's own forward pass, so a broken step is caught."""
    import export.summarizer as module

    original = module.DecoderStepGraph.forward

    def broken(self, input_ids, encoder_hidden_states, encoder_attention_mask, *past):
        logits, *rest = original(
            self, input_ids, encoder_hidden_states, encoder_attention_mask, *past
        )
        return (logits + 0.5 * torch.tanh(logits), *rest)

    monkeypatch.setattr(module.DecoderStepGraph, "forward", broken)
    results = export_summarizer(summarizer_checkpoint, tmp_path)
    with pytest.raises(ParityError, match=r"summarizer/decoder_init: max abs diff"):
        require_parity(results)

"""Summarizer export to CTranslate2: files, settings, and fidelity to PyTorch ``generate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tokenizers import Tokenizer
from transformers import BartForConditionalGeneration, GenerationConfig

from contract.repository import SUMMARIZER, version_dir
from export.options import GenerationSettings
from export.parity import ParityError, require_parity
from export.summarizer import export_summarizer, generation_config
from export.summarizer_fidelity import TIE_TOLERANCE, VARIANTS
from triton_models import summarization


@pytest.fixture(scope="module")
def exported(summarizer_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory):
    repository = tmp_path_factory.mktemp("summarizer-export")
    result = export_summarizer(
        summarizer_checkpoint, repository, settings=GenerationSettings(max_source_tokens=2000)
    )
    return version_dir(repository, SUMMARIZER), result


def test_writes_model_tokenizer_and_generation_config(exported) -> None:
    folder, result = exported
    assert (folder / "ctranslate2" / "model.bin").is_file()
    config = GenerationConfig.from_pretrained(folder)
    assert (config.num_beams, config.max_length, config.no_repeat_ngram_size) == (5, 64, 3)
    assert config.forced_eos_token_id == 1
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # Capped by the checkpoint's positions (1026 - 2), not the 2000 asked for; oldest end cut.
    assert tokenizer.truncation["max_length"] == 1024
    assert tokenizer.truncation["direction"] == "left"
    assert result.parameters["max_source_tokens"] == "1024"
    assert result.parameters["tokenizer_sha256"] == summarization.tokenizer_digest(
        folder / "tokenizer.json"
    )


def test_float32_equals_generate_greedy_beam_and_overrides(exported) -> None:
    _, result = exported
    require_parity(result.checks)
    float32 = result.checks[0]
    assert (float32.engine, float32.precision) == ("ctranslate2", "float32")
    for name, _ in VARIANTS:
        assert float32.figures[name]["exact_match_rate"] == 1.0, name
    assert float32.figures["exported"]["reference"] == "generate + RenormalizeAfterMasking"
    assert float32.figures["greedy"]["reference"] == "generate"
    # Both hypotheses of the no-repeat case were scored under PyTorch.
    assert float32.figures["exported"]["plain_generate_logprob_per_token"] < 0
    # The score float ties are judged by is what generate ranks its beams by.
    for name in ("exported", "overrides"):
        assert 0 <= float32.figures[name]["beam_score_max_error"] <= TIE_TOLERANCE, name
        assert float32.figures[name]["float_ties"] == 0, name  # none on the tiny preset
    assert float32.figures["generate_decoder_calls"] > 3  # a real decode, not an immediate EOS


def test_int8_differs_from_float32_only_within_tolerance(exported) -> None:
    _, result = exported
    quantized = result.checks[1]
    assert (quantized.precision, quantized.passed) == ("int8", True)
    figures = quantized.figures
    assert figures["compute_type"].startswith("int8")
    assert (
        0
        < figures["token_logprob_mean_abs_diff"]
        <= figures["bounds"]["token_logprob_mean_abs_diff"]
    )
    assert figures["token_logprob_max_abs_diff"] <= figures["bounds"]["token_logprob_max_abs_diff"]
    assert figures["hypothesis_logprob_gap_max"] <= figures["bounds"]["hypothesis_logprob_gap_max"]


def test_report_names_engine_precision_and_figures(tiny_repository: Path) -> None:
    report = json.loads((tiny_repository / "parity_report.json").read_text())
    summarizer = [g for g in report["graphs"] if g["graph"].startswith("summarizer/")]
    assert [(g["engine"], g["precision"]) for g in summarizer] == [
        ("ctranslate2", "float32"),
        ("ctranslate2", "int8"),
    ]
    assert all(g["passed"] and g["figures"] for g in summarizer)


def test_a_wrong_forced_eos_handling_fails_export(
    summarizer_checkpoint: Path, tmp_path: Path, monkeypatch
) -> None:
    """Decoding one position too many (forced EOS ignored) differs from generate."""
    original = summarization.search_options

    def ignoring_forced_eos(decoding):
        options = original(decoding)
        options["max_decoding_length"] += 1
        return options

    monkeypatch.setattr(summarization, "search_options", ignoring_forced_eos)
    result = export_summarizer(summarizer_checkpoint, tmp_path, quantization="float32")
    with pytest.raises(ParityError, match="differs from generate"):
        require_parity(result.checks)


def test_a_missing_no_repeat_rule_is_not_taken_for_a_float_tie(
    summarizer_checkpoint: Path, tmp_path: Path, monkeypatch
) -> None:
    """Beam search without the no-repeat rule ranks other hypotheses: far from a tie."""
    original = summarization.search_options

    def without_the_rule(decoding):
        return {**original(decoding), "no_repeat_ngram_size": 0}

    monkeypatch.setattr(summarization, "search_options", without_the_rule)
    result = export_summarizer(summarizer_checkpoint, tmp_path, quantization="float32")
    with pytest.raises(ParityError, match="differs from generate with CTranslate2's no-repeat"):
        require_parity(result.checks)


def test_sampling_checkpoints_are_refused(summarizer_checkpoint: Path) -> None:
    model = BartForConditionalGeneration.from_pretrained(summarizer_checkpoint)
    model.generation_config.do_sample = True
    with pytest.raises(ValueError, match="do_sample"):
        generation_config(model, GenerationSettings())

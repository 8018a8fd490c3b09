"""Export a BART summarizer (KoBART or any ``BartForConditionalGeneration``) to CTranslate2.

Into ``<repository>/summarizer/1/`` (file names in :mod:`triton_models.summarization`):
the converted model at the chosen quantization, ``tokenizer.json`` with the source budget as its
left-side truncation, and the generation settings as transformers' ``GenerationConfig`` (the
checkpoint's special ids and length handling, the service's beams, lengths and n-gram rule).
Fidelity is part of export (:mod:`export.summarizer_fidelity`): float32 is held to ``generate``
token for token and the quantized model to per-token log-probability bounds.
"""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ctranslate2.converters import TransformersConverter
from tokenizers import Tokenizer
from transformers import (
    AutoTokenizer,
    BartForConditionalGeneration,
    GenerationConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from contract import tensors
from contract.repository import (
    GENERATION_CONFIG_FILE,
    SUMMARIZER,
    SUMMARIZER_ENGINE_DIR,
    TOKENIZER_FILE,
    version_dir,
)
from export.options import GenerationSettings
from export.summarizer_fidelity import SummarizerCheck, check_fidelity
from triton_models.summarization import (
    ID_KEYS,
    SUPPORTED_GENERATION_KEYS,
    tokenizer_digest,
)

log = logging.getLogger(__name__)

QUANTIZATIONS = ("int8", "float32", "int8_float16", "float16")


class BartConverter(TransformersConverter):
    """CTranslate2's converter, told explicitly that BART normalizes after each sub-layer.

    CTranslate2 4.8's BART loader reads ``config.normalize_before`` to choose pre- or
    post-norm layers. transformers 5's ``BartConfig`` dropped that attribute (BART is always
    post-norm: ``BartEncoderLayer`` applies its layer norms after the residual), so the loader
    would fail with ``AttributeError``. The value is set here, and only when it is missing, on
    the loaded model's config; a config that carries its own value keeps it.
    """

    def load_model(self, model_class: type, model_name_or_path: str, **kwargs: object) -> object:
        """Load as the base converter does, then supply ``normalize_before`` for BART."""
        model = model_class.from_pretrained(model_name_or_path, **kwargs)
        if not isinstance(model, BartForConditionalGeneration):
            raise TypeError(f"expected a BartForConditionalGeneration, got {type(model).__name__}")
        if not hasattr(model.config, "normalize_before"):
            model.config.normalize_before = False
        return model


@dataclass
class SummarizerExport:
    """What the summarizer export produced.

    Attributes:
        checks: Fidelity checks (the caller writes the report and enforces them).
        parameters: Config parameters of the served ``summarizer`` model.
    """

    checks: list[SummarizerCheck]
    parameters: dict[str, str]


def load_summarizer(
    source: str | Path,
) -> tuple[BartForConditionalGeneration, PreTrainedTokenizerBase]:
    """Load a checkpoint and its tokenizer from a hub id or a local directory."""
    model = BartForConditionalGeneration.from_pretrained(str(source))
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    return model.eval().float(), tokenizer


def generation_config(model: PreTrainedModel, settings: GenerationSettings) -> GenerationConfig:
    """The checkpoint's generation config with the service's decoding settings.

    Raises:
        ValueError: The checkpoint asks for something the served summarizer cannot do
            (sampling, diverse beams, ...): it would not decode what ``generate`` decodes.
    """
    config = copy.deepcopy(model.generation_config)
    for key in ID_KEYS:
        if getattr(config, key, None) is None and getattr(model.config, key, None) is not None:
            setattr(config, key, getattr(model.config, key))
    config.num_beams = settings.num_beams
    config.max_length = settings.max_length
    config.no_repeat_ngram_size = settings.no_repeat_ngram_size
    unsupported = set(config.to_diff_dict()) - SUPPORTED_GENERATION_KEYS
    if unsupported:
        raise ValueError(f"generation settings the summarizer cannot honour: {sorted(unsupported)}")
    return config


def export_tokenizer(tokenizer: PreTrainedTokenizerBase, budget: int, path: Path) -> None:
    """Write the fast tokenizer's ``tokenizer.json`` with the budget as left truncation."""
    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.no_padding()
    # Chats are trimmed from the oldest end: the newest turns matter most.
    backend.enable_truncation(max_length=budget, direction="left")
    backend.save(str(path))


def convert(source: str | Path, output: Path, quantization: str) -> None:
    """Convert the checkpoint with CTranslate2 (``float32`` stores unquantized weights)."""
    BartConverter(str(source)).convert(
        str(output), quantization=None if quantization == "float32" else quantization, force=True
    )


def export_summarizer(
    source: str | Path,
    repository: Path,
    *,
    settings: GenerationSettings | None = None,
    quantization: str = "int8",
) -> SummarizerExport:
    """Export the summarizer into ``repository/summarizer/1`` and check its fidelity.

    Args:
        source: Hub id or local directory of a ``BartForConditionalGeneration`` checkpoint
            with its tokenizer.
        repository: The model repository being written.
        settings: Decoding settings for the served model.
        quantization: Weights of the served model (:data:`QUANTIZATIONS`); float32 is
            checked against ``generate`` whatever is served.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization '{quantization}'; choose from {QUANTIZATIONS}")
    settings = settings or GenerationSettings()
    model, tokenizer = load_summarizer(source)
    out = version_dir(repository, SUMMARIZER)
    out.mkdir(parents=True, exist_ok=True)
    budget = min(settings.max_source_tokens, model.config.max_position_embeddings - 2)
    generation_config(model, settings).save_pretrained(out)
    export_tokenizer(tokenizer, budget, out / TOKENIZER_FILE)
    convert(source, out / SUMMARIZER_ENGINE_DIR, quantization)
    with tempfile.TemporaryDirectory(prefix="summarizer-float32-") as scratch:
        float32 = Path(scratch)
        for name in (TOKENIZER_FILE, GENERATION_CONFIG_FILE):
            shutil.copy2(out / name, float32 / name)
        if quantization == "float32":
            shutil.copytree(out / SUMMARIZER_ENGINE_DIR, float32 / SUMMARIZER_ENGINE_DIR)
        else:
            convert(source, float32 / SUMMARIZER_ENGINE_DIR, "float32")
        checks = check_fidelity(model, tokenizer, float32, out, quantization=quantization)
    parameters = {
        # The stored quantization (CTranslate2 adapts it per device).
        tensors.COMPUTE_TYPE: "default",
        tensors.FIRST_SENTENCE_ONLY: "true" if settings.first_sentence_only else "false",
        tensors.MAX_SOURCE_TOKENS: str(budget),
        tensors.TOKENIZER_SHA256: tokenizer_digest(out / TOKENIZER_FILE),
    }
    log.info("summarizer exported (%s, budget %d tokens)", quantization, budget)
    return SummarizerExport(checks, parameters)

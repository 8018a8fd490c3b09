"""Run an exported BART summarizer: ONNX graphs under transformers' own ``generate``.

Beam search, the no-repeat-n-gram rule, forced EOS and length handling are transformers'
``GenerationMixin``; only the forward pass is replaced by the ONNX Runtime sessions. That keeps
the served output token-identical to ``model.generate(...)`` of the PyTorch checkpoint instead of
re-implementing beam search by hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoTokenizer, BartConfig, GenerationMixin, PreTrainedModel
from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.modeling_outputs import BaseModelOutput, Seq2SeqLMOutput

from model_repository.onnx_session import create_session

ENCODER_FILE = "encoder.onnx"
DECODER_INIT_FILE = "decoder_init.onnx"
DECODER_FILE = "decoder.onnx"
GENERATION_FILE = "generation.json"
TOKENIZER_DIR = "tokenizer"

# Settings a request may override; everything else in generation.json is fixed at export.
OVERRIDABLE = ("num_beams", "max_length", "no_repeat_ngram_size")
# generation.json keys passed to ``generate`` as they are.
GENERATE_KEYS = (
    *OVERRIDABLE,
    "decoder_start_token_id",
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "length_penalty",
    "early_stopping",
    "min_length",
)


def cache_input_names(layers: int) -> list[str]:
    """Decoder-with-past cache inputs: self-attention k/v per layer, then cross-attention."""
    return [
        f"past_{kind}_{i}_{part}"
        for kind in ("self", "cross")
        for i in range(layers)
        for part in ("key", "value")
    ]


def cache_output_names(layers: int, *, cross: bool) -> list[str]:
    """Cache outputs of a decoder step (the first step also returns the cross cache)."""
    kinds = ("self", "cross") if cross else ("self",)
    return [
        f"present_{kind}_{i}_{part}"
        for kind in kinds
        for i in range(layers)
        for part in ("key", "value")
    ]


def _tensors(arrays: list[np.ndarray], layers: int) -> DynamicCache:
    return DynamicCache(
        [
            (torch.from_numpy(arrays[2 * i]), torch.from_numpy(arrays[2 * i + 1]))
            for i in range(layers)
        ]
    )


class _OnnxEncoder(torch.nn.Module):
    """What ``generate`` calls as ``model.get_encoder()``."""

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_: Any
    ) -> BaseModelOutput:
        feeds = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()}
        (hidden,) = self.session.run(None, feeds)
        return BaseModelOutput(last_hidden_state=torch.from_numpy(hidden))


class OnnxBartForConditionalGeneration(PreTrainedModel, GenerationMixin):
    """A ``BartForConditionalGeneration`` look-alike whose forward runs ONNX graphs."""

    config_class = BartConfig
    main_input_name = "input_ids"
    _supports_sdpa = True

    def __init__(self, config: BartConfig, directory: Path, *, use_gpu: bool = False) -> None:
        super().__init__(config)
        self.encoder_session = create_session(directory / ENCODER_FILE, use_gpu=use_gpu)
        self.init_session = create_session(directory / DECODER_INIT_FILE, use_gpu=use_gpu)
        self.step_session = create_session(directory / DECODER_FILE, use_gpu=use_gpu)
        self.layers = config.decoder_layers
        self._past_names = cache_input_names(self.layers)
        # GenerationMixin reads device and dtype from the parameters; this one is never used.
        self._placeholder = torch.nn.Parameter(torch.zeros(1), requires_grad=False)

    @classmethod
    def load(cls, directory: Path, *, use_gpu: bool = False) -> OnnxBartForConditionalGeneration:
        """Open an exported summarizer folder (``summarizer/1``)."""
        return cls(BartConfig.from_pretrained(directory), directory, use_gpu=use_gpu).eval()

    def get_encoder(self) -> torch.nn.Module:
        """The encoder ``generate`` runs once per batch."""
        return _OnnxEncoder(self.encoder_session)

    def forward(  # type: ignore[override]
        self,
        attention_mask: torch.Tensor,
        decoder_input_ids: torch.Tensor,
        encoder_outputs: BaseModelOutput,
        past_key_values: EncoderDecoderCache | None = None,
        **_: Any,
    ) -> Seq2SeqLMOutput:
        """One decoding step on the last token of ``decoder_input_ids``."""
        feeds = {
            "input_ids": decoder_input_ids[:, -1:].numpy(),
            "encoder_hidden_states": encoder_outputs.last_hidden_state.numpy(),
            "encoder_attention_mask": attention_mask.numpy(),
        }
        if past_key_values is None or past_key_values.get_seq_length() == 0:
            logits, *cache = self.init_session.run(None, feeds)
            past_key_values = EncoderDecoderCache(
                _tensors(cache[: 2 * self.layers], self.layers),
                _tensors(cache[2 * self.layers :], self.layers),
            )
        else:
            self_cache = past_key_values.self_attention_cache.layers
            cross_cache = past_key_values.cross_attention_cache.layers
            flat = [t for layer in self_cache for t in (layer.keys, layer.values)]
            flat += [t for layer in cross_cache for t in (layer.keys, layer.values)]
            feeds.update({name: t.numpy() for name, t in zip(self._past_names, flat, strict=True)})
            logits, *cache = self.step_session.run(None, feeds)
            past_key_values = EncoderDecoderCache(
                _tensors(cache, self.layers), past_key_values.cross_attention_cache
            )
        return Seq2SeqLMOutput(
            logits=torch.from_numpy(logits)[:, None, :], past_key_values=past_key_values
        )


_SENTENCE_END = re.compile(r"^(.+?[.!?。？！])(?=\s|$)", re.DOTALL)


def first_sentence(text: str) -> str:
    """Keep the first sentence, as the original service did.

    Hand-written because no library splits Korean sentences without a model: a sentence ends
    at ``. ! ?`` (or their full-width forms) followed by white space or the end.
    """
    text = text.strip()
    match = _SENTENCE_END.match(text)
    return match.group(1).strip() if match else text


@dataclass(frozen=True)
class Summary:
    """A generated summary and the ids it was decoded from."""

    text: str
    token_ids: list[int]


class Summarizer:
    """Tokenize, generate and detokenize with an exported summarizer folder."""

    def __init__(self, directory: Path, *, use_gpu: bool = False) -> None:
        self.settings: dict[str, Any] = json.loads((directory / GENERATION_FILE).read_text("utf-8"))
        self.tokenizer = AutoTokenizer.from_pretrained(directory / TOKENIZER_DIR)
        # Chats are trimmed from the oldest end: the newest turns matter most.
        self.tokenizer.truncation_side = "left"
        self.model = OnnxBartForConditionalGeneration.load(directory, use_gpu=use_gpu)

    def generate_kwargs(self, **overrides: int | None) -> dict[str, Any]:
        """Keyword arguments for ``generate``: exported settings plus request overrides."""
        unknown = set(overrides) - set(OVERRIDABLE)
        if unknown:
            raise ValueError(f"not overridable: {sorted(unknown)}")
        kwargs = {k: self.settings[k] for k in GENERATE_KEYS if self.settings.get(k) is not None}
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return kwargs

    def encode(self, dialogues: list[str]) -> dict[str, torch.Tensor]:
        """Tokenize a batch, padded to its longest and truncated to the source budget."""
        return self.tokenizer(
            dialogues,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.settings["max_source_tokens"],
        )

    def summarize(self, dialogues: list[str], **overrides: int | None) -> list[Summary]:
        """Summarize a batch of dialogues with one ``generate`` call."""
        with torch.no_grad():
            ids = self.model.generate(**self.encode(dialogues), **self.generate_kwargs(**overrides))
        summaries = []
        for row in ids.tolist():
            text = self.tokenizer.decode(row, skip_special_tokens=True)
            if self.settings.get("first_sentence_only", True):
                text = first_sentence(text)
            summaries.append(Summary(text=text, token_ids=row))
        return summaries

"""Export a BART summarizer (KoBART or any ``BartForConditionalGeneration``) to ONNX.

Three graphs go into ``<repository>/summarizer/1/``:

- ``encoder.onnx``: ``input_ids``, ``attention_mask`` -> ``last_hidden_state``;
- ``decoder_init.onnx``: the first decoding step, which also computes the cross-attention
  keys/values once per request;
- ``decoder.onnx``: one step with the key/value cache (self-attention cache grows by one
  position per step, cross-attention cache is reused).

Next to them: ``config.json`` (the BART config), the tokenizer files and ``generation.json``
(token ids read from the checkpoint, never hard-coded, plus the service's decoding settings).
Parity compares the graphs with the checkpoint's own full forward pass (no cache) on shapes
other than the tracing ones, so a cache wrapper that is wrong fails export.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch.export import Dim
from transformers import AutoTokenizer, BartForConditionalGeneration, PreTrainedTokenizerBase
from transformers.cache_utils import DynamicCache, EncoderDecoderCache

from export.onnx_graph import export_graph
from export.options import GenerationSettings
from export.parity import ParityResult
from model_repository.onnx_bart import (
    DECODER_FILE,
    DECODER_INIT_FILE,
    ENCODER_FILE,
    GENERATE_KEYS,
    GENERATION_FILE,
    TOKENIZER_DIR,
    cache_input_names,
    cache_output_names,
)
from model_repository.onnx_session import create_session

log = logging.getLogger(__name__)

# Relative to the output scale (see export.parity): fp32 graph rewrites stay around 1e-6 of it.
FP32_TOLERANCE = 1e-3
FP16_TOLERANCE = 5e-2


def _flatten(cache: EncoderDecoderCache, *, cross: bool) -> list[torch.Tensor]:
    layers = cache.self_attention_cache.layers
    flat = [t for layer in layers for t in (layer.keys, layer.values)]
    if cross:
        layers = cache.cross_attention_cache.layers
        flat += [t for layer in layers for t in (layer.keys, layer.values)]
    return flat


class DecoderStepGraph(torch.nn.Module):
    """The decoder plus LM head for one step, with the cache as flat tensors.

    ``past`` holds self-attention keys/values then cross-attention keys/values (2 tensors per
    layer each). With no ``past`` the step is the first one and computes the cross cache.
    """

    def __init__(self, model: BartForConditionalGeneration) -> None:
        super().__init__()
        self.model = model
        self.layers = model.config.decoder_layers

    def forward(
        self,
        input_ids: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor,
        *past: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        """Logits of the next token and the updated cache."""
        n = self.layers
        if past:
            self_kv = DynamicCache([(past[2 * i], past[2 * i + 1]) for i in range(n)])
            cross = past[2 * n :]
            cross_kv = DynamicCache([(cross[2 * i], cross[2 * i + 1]) for i in range(n)])
            cache = EncoderDecoderCache(self_kv, cross_kv)
        else:
            cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        # encoder_hidden_states is passed even when the cross cache is filled: BART's decoder
        # skips cross-attention entirely when it is None.
        out = self.model.model.decoder(
            input_ids=input_ids,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            past_key_values=cache,
            use_cache=True,
        )
        logits = self.model.lm_head(out.last_hidden_state[:, -1]) + self.model.final_logits_bias
        return (logits, *_flatten(out.past_key_values, cross=not past))


class EncoderGraph(torch.nn.Module):
    """``input_ids``, ``attention_mask`` -> ``last_hidden_state``."""

    def __init__(self, model: BartForConditionalGeneration) -> None:
        super().__init__()
        self.encoder = model.model.encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Encode a padded batch."""
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def load_summarizer(
    source: str | Path,
) -> tuple[BartForConditionalGeneration, PreTrainedTokenizerBase]:
    """Load a checkpoint and its tokenizer from a hub id or a local directory."""
    model = BartForConditionalGeneration.from_pretrained(str(source))
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    return model.eval().float(), tokenizer


def _example_batch(
    model: BartForConditionalGeneration, batch: int, length: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random source ids with right padding on the last row (as the tokenizer pads)."""
    generator = torch.Generator().manual_seed(seed)
    low = max(model.config.pad_token_id, model.config.eos_token_id, 6) + 1
    ids = torch.randint(low, model.config.vocab_size, (batch, length), generator=generator)
    mask = torch.ones(batch, length, dtype=torch.long)
    if batch > 1 and length > 2:
        mask[-1, length // 2 :] = 0
        ids[-1, length // 2 :] = model.config.pad_token_id
    return ids, mask


def export_summarizer(
    source: str | Path,
    repository: Path,
    *,
    settings: GenerationSettings | None = None,
    fp16: bool = False,
) -> list[ParityResult]:
    """Export the summarizer into ``repository/summarizer/1`` and check parity.

    Args:
        source: Hub id or local directory of a ``BartForConditionalGeneration`` checkpoint
            with its tokenizer.
        repository: The model repository being written.
        settings: Decoding settings for the served model.
        fp16: Store the graphs in float16 (for GPU targets).

    Returns:
        Parity results of the three graphs (the caller writes the report and enforces them).
    """
    settings = settings or GenerationSettings()
    model, tokenizer = load_summarizer(source)
    out = repository / "summarizer" / "1"
    out.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        _export_graphs(model, out)
    if fp16:
        _convert_fp16(out)
    _write_metadata(model, tokenizer, out, settings)
    with torch.no_grad():
        return _check_parity(model, out, fp16=fp16)


def _export_graphs(model: BartForConditionalGeneration, out: Path) -> None:
    batch, src, past = Dim("batch"), Dim("src_len"), Dim("past_len")
    ids, mask = _example_batch(model, 2, 7, seed=1)
    encoder = EncoderGraph(model)
    export_graph(
        encoder,
        (ids, mask),
        out / ENCODER_FILE,
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_shapes={"input_ids": {0: batch, 1: src}, "attention_mask": {0: batch, 1: src}},
    )
    hidden = encoder(ids, mask)
    step = DecoderStepGraph(model)
    layers = model.config.decoder_layers
    start = torch.full((2, 1), model.config.decoder_start_token_id)
    common = {"input_ids": {0: batch}, "encoder_hidden_states": {0: batch, 1: src}}
    common["encoder_attention_mask"] = {0: batch, 1: src}
    export_graph(
        step,
        (start, hidden, mask),
        out / DECODER_INIT_FILE,
        input_names=["input_ids", "encoder_hidden_states", "encoder_attention_mask"],
        output_names=["logits", *cache_output_names(layers, cross=True)],
        dynamic_shapes=common,
    )
    # Trace the cached step with a past of 3 positions: torch.export specialises dims of
    # size 0 or 1, and the past length must stay symbolic.
    outputs = step(start, hidden, mask)
    cross = list(outputs[1 + 2 * layers :])
    self_kv = list(outputs[1 : 1 + 2 * layers])
    for token in (7, 8):
        outputs = step(torch.full((2, 1), token), hidden, mask, *self_kv, *cross)
        self_kv = list(outputs[1:])
    past_shapes = tuple([{0: batch, 2: past}] * (2 * layers) + [{0: batch, 2: src}] * (2 * layers))
    export_graph(
        step,
        (torch.full((2, 1), 9), hidden, mask, *self_kv, *cross),
        out / DECODER_FILE,
        input_names=[
            "input_ids",
            "encoder_hidden_states",
            "encoder_attention_mask",
            *cache_input_names(layers),
        ],
        output_names=["logits", *cache_output_names(layers, cross=False)],
        dynamic_shapes={**common, "past": past_shapes},
    )


def _convert_fp16(out: Path) -> None:
    """Store weights and compute in float16, keeping float32 graph inputs and outputs.

    BART's fp16 forward has a data-dependent overflow check that ``torch.export`` cannot trace,
    so the float32 graphs are converted instead (ONNX Runtime's own converter).
    """
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    for name in (ENCODER_FILE, DECODER_INIT_FILE, DECODER_FILE):
        graph = onnx.load(str(out / name))
        # The exporter's intermediate type annotations would contradict the converted types.
        del graph.graph.value_info[:]
        onnx.save(convert_float_to_float16(graph, keep_io_types=True), str(out / name))


def _write_metadata(
    model: BartForConditionalGeneration,
    tokenizer: PreTrainedTokenizerBase,
    out: Path,
    settings: GenerationSettings,
) -> None:
    model.config.save_pretrained(out)
    # token_count (the gateway's way to measure chats) needs the same tokenizer and budget.
    counter = out.parent.parent / "token_count" / "1"
    for folder in (out, counter):
        tokenizer.save_pretrained(folder / TOKENIZER_DIR)
    document: dict[str, object] = {}
    # Special ids and length handling come from the checkpoint (KoBART fine-tunes use other
    # ids than the base model); the service's own decoding settings then take precedence.
    for key in GENERATE_KEYS:
        value = getattr(model.generation_config, key, None)
        if value is None:
            value = getattr(model.config, key, None)
        if value is not None:
            document[key] = value
    document.update(asdict(settings))
    document["max_source_tokens"] = min(
        settings.max_source_tokens, model.config.max_position_embeddings - 2
    )
    for folder in (out, counter):
        (folder / GENERATION_FILE).write_text(json.dumps(document, indent=2) + "\n", "utf-8")


def _check_parity(
    model: BartForConditionalGeneration, out: Path, *, fp16: bool
) -> list[ParityResult]:
    tolerance = FP16_TOLERANCE if fp16 else FP32_TOLERANCE
    encoder = create_session(out / ENCODER_FILE)
    init = create_session(out / DECODER_INIT_FILE)
    decoder = create_session(out / DECODER_FILE)
    results = [
        ParityResult("summarizer/encoder", tolerance),
        ParityResult("summarizer/decoder_init", tolerance),
        ParityResult("summarizer/decoder", tolerance),
    ]
    layers = model.config.decoder_layers
    start = model.config.decoder_start_token_id
    for seed, (batch, length) in enumerate([(1, 5), (3, 17), (4, 33)], start=10):
        ids, mask = _example_batch(model, batch, length, seed)
        reference = model.model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        (hidden,) = encoder.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
        shapes = {"input_ids": list(ids.shape)}
        results[0].add(shapes, [reference.numpy()], [hidden])
        # Decode a few steps on the ONNX cache and compare every step's logits with the
        # checkpoint's uncached forward pass over the whole prefix.
        prefix = torch.full((batch, 1), start)
        feeds = {"encoder_hidden_states": hidden, "encoder_attention_mask": mask.numpy()}
        logits, *cache = init.run(None, {"input_ids": prefix.numpy(), **feeds})
        cross = cache[2 * layers :]
        for step in range(4):
            full = model(input_ids=ids, attention_mask=mask, decoder_input_ids=prefix).logits
            target = results[1] if step == 0 else results[2]
            target.add(
                {**shapes, "decoder_prefix": list(prefix.shape)}, [full[:, -1].numpy()], [logits]
            )
            nxt = torch.from_numpy(np.argsort(-logits, axis=-1)[:, step : step + 1].copy())
            prefix = torch.cat([prefix, nxt], dim=1)
            past = dict(zip(cache_input_names(layers), [*cache[: 2 * layers], *cross], strict=True))
            logits, *cache = decoder.run(None, {"input_ids": nxt.numpy(), **feeds, **past})
    return results

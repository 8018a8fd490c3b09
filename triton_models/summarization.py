"""Run an exported summarizer: CTranslate2 decodes, ``tokenizers`` turns text into tokens and back.

No torch and no transformers at serve time. The export folder (``summarizer/1``) holds:

- ``ctranslate2/``: the converted BART (weights stored at the export's quantization);
- ``tokenizer.json``: the checkpoint's tokenizer, with the source budget as its truncation
  (left side: chats lose their oldest turns first). The gateway trims with the same file;
- ``generation_config.json``: transformers' ``GenerationConfig`` of the checkpoint with the
  service's decoding settings, read here as the plain JSON file it is.

:func:`search_options` is the one place where transformers' generation settings become
CTranslate2 options; export's fidelity check holds it to ``generate`` token for token.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from contract.repository import GENERATION_CONFIG_FILE, SUMMARIZER_ENGINE_DIR, TOKENIZER_FILE
from contract.tensors import MAX_LENGTH, NO_REPEAT_NGRAM_SIZE, NUM_BEAMS

# Settings a request may override (optional inputs of the same names), and their accepted
# ranges (inclusive).
OVERRIDABLE = (NUM_BEAMS, MAX_LENGTH, NO_REPEAT_NGRAM_SIZE)
LIMITS: dict[str, tuple[int, int]] = {
    NUM_BEAMS: (1, 16),
    MAX_LENGTH: (2, 256),
    NO_REPEAT_NGRAM_SIZE: (0, 16),
}
# GenerationConfig keys the summarizer honours; export refuses a checkpoint that sets others.
# Special ids of a generation config (older checkpoints keep them on the model config only).
ID_KEYS = (
    "decoder_start_token_id",
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
    "forced_bos_token_id",
    "forced_eos_token_id",
)
SUPPORTED_GENERATION_KEYS = frozenset(
    {
        *OVERRIDABLE,
        *ID_KEYS,
        "length_penalty",
        "min_length",
        "early_stopping",
        "transformers_version",
        "_from_model_config",
    }
)


def tokenizer_digest(path: Path) -> str:
    """SHA-256 of a ``tokenizer.json``: the gateway and the summarizer must hold the same one."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Decoding:
    """What one decode is asked for: the exported settings with a request's overrides.

    Attributes mirror transformers' ``GenerationConfig`` (``max_length`` counts the decoder
    start token and the final EOS, as ``generate`` does).
    """

    num_beams: int
    max_length: int
    no_repeat_ngram_size: int
    length_penalty: float = 1.0
    min_length: int = 0
    decoder_start_token_id: int = 2
    eos_token_id: int = 1
    forced_bos_token_id: int | None = None
    forced_eos_token_id: int | None = None

    @classmethod
    def from_generation_config(cls, document: Mapping[str, Any]) -> Decoding:
        """Read a saved ``GenerationConfig``; keys this summarizer cannot honour fail loudly."""
        unknown = set(document) - SUPPORTED_GENERATION_KEYS
        if unknown:
            raise ValueError(f"generation settings the summarizer cannot honour: {sorted(unknown)}")
        eos = document["eos_token_id"]
        if isinstance(eos, list):  # GenerationConfig allows several; BART has one
            if len(eos) != 1:
                raise ValueError(f"one eos_token_id expected, got {eos}")
            eos = eos[0]
        return cls(
            num_beams=int(document.get("num_beams", 1)),
            max_length=int(document.get("max_length", 20)),
            no_repeat_ngram_size=int(document.get("no_repeat_ngram_size", 0)),
            length_penalty=float(document.get("length_penalty", 1.0)),
            min_length=int(document.get("min_length", 0)),
            decoder_start_token_id=int(document["decoder_start_token_id"]),
            eos_token_id=int(eos),
            forced_bos_token_id=document.get("forced_bos_token_id"),
            forced_eos_token_id=document.get("forced_eos_token_id"),
        )

    def overridden(self, **overrides: int | None) -> Decoding:
        """These settings with a request's overrides (``None`` keeps the exported value)."""
        unknown = set(overrides) - set(OVERRIDABLE)
        if unknown:
            raise ValueError(f"not overridable: {sorted(unknown)}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def search_options(decoding: Decoding) -> dict[str, Any]:
    """``Translator.translate_batch`` keywords equivalent to ``generate`` with ``decoding``.

    - ``generate``'s ``max_length`` counts the decoder start token, which CTranslate2 does not
      emit, and, with ``forced_eos_token_id``, a last position that can only be EOS: CTranslate2
      decodes the positions before it and :meth:`Summarizer.summarize` appends the forced EOS
      to a hypothesis that did not end (``generate`` forces it at ``max_length - 1``).
    - A forced BOS is the first generated token: it is given as the target prefix instead.
    - ``min_length`` also counts the start token.
    - The no-repeat rule: CTranslate2 masks the banned tokens before its log-softmax, so the
      remaining tokens' probabilities are renormalized, while ``generate`` masks after it.
      Greedy search is unaffected; beam scores differ (export's fidelity check reproduces
      CTranslate2's rule in ``generate`` and reports how both hypotheses score).
    """
    reserved = 1 + (decoding.forced_eos_token_id is not None)
    return {
        "beam_size": decoding.num_beams,
        "no_repeat_ngram_size": decoding.no_repeat_ngram_size,
        "length_penalty": decoding.length_penalty,
        "max_decoding_length": decoding.max_length - reserved,
        "min_decoding_length": max(decoding.min_length - 1, 0),
        "return_end_token": True,
    }


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
    """A generated summary and its ids as ``generate`` returns them (start token first)."""

    text: str
    token_ids: list[int]


class Summarizer:
    """Tokenize, decode with CTranslate2 and detokenize, a batch at a time.

    Args:
        directory: An exported ``summarizer/1`` folder.
        device: ``cpu`` or ``cuda``.
        device_index: The GPU, when ``device`` is ``cuda``.
        compute_type: CTranslate2 compute type (``default``: the stored quantization).
        threads: Intra-op threads (0: CTranslate2's default).
        first_sentence_only: Cut summaries after their first sentence.
    """

    def __init__(
        self,
        directory: Path,
        *,
        device: str = "cpu",
        device_index: int = 0,
        compute_type: str = "default",
        threads: int = 0,
        first_sentence_only: bool = True,
    ) -> None:
        import ctranslate2
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        if self.tokenizer.truncation is None:
            raise ValueError(f"{directory / TOKENIZER_FILE} has no truncation (the source budget)")
        document = json.loads((directory / GENERATION_CONFIG_FILE).read_text("utf-8"))
        self.decoding = Decoding.from_generation_config(document)
        self.pad_token_id = int(document.get("pad_token_id", 0))
        self.first_sentence_only = first_sentence_only
        self.translator = ctranslate2.Translator(
            str(directory / SUMMARIZER_ENGINE_DIR),
            device=device,
            device_index=device_index,
            compute_type=compute_type,
            intra_threads=threads,
        )

    @property
    def max_source_tokens(self) -> int:
        """The source budget (special tokens included)."""
        return int(self.tokenizer.truncation["max_length"])

    def source_tokens(self, dialogues: Sequence[str]) -> list[list[str]]:
        """Tokens of each dialogue, special tokens added, cut to the budget from the oldest end."""
        return [encoding.tokens for encoding in self.tokenizer.encode_batch(list(dialogues))]

    def summarize(
        self, dialogues: Sequence[str], decoding: Decoding | None = None
    ) -> list[Summary]:
        """Summarize dialogues in one CTranslate2 call (it sorts them by length to pad less)."""
        decoding = decoding or self.decoding
        sources = self.source_tokens(dialogues)
        prefix = None
        if decoding.forced_bos_token_id is not None:
            bos = self.tokenizer.id_to_token(decoding.forced_bos_token_id)
            prefix = [[bos] for _ in sources]
        results = self.translator.translate_batch(
            sources, prefix, max_batch_size=len(sources), **search_options(decoding)
        )
        summaries = []
        for result in results:
            ids = [decoding.decoder_start_token_id]
            ids += [self.tokenizer.token_to_id(token) for token in result.hypotheses[0]]
            forced = decoding.forced_eos_token_id
            if forced is not None and ids[-1] != decoding.eos_token_id:
                ids.append(forced)
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            if self.first_sentence_only:
                text = first_sentence(text)
            summaries.append(Summary(text=text, token_ids=ids))
        return summaries

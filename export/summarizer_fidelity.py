"""Fidelity of the CTranslate2 summarizer to the PyTorch checkpoint, checked at every export.

- **float32** must equal transformers' ``generate`` token for token with the same settings
  (the exported ``GenerationConfig`` plus overrides), greedy and beam, on dialogues that are not
  in the tokenizer's training corpus, one at a time and batched. The one exception is a float
  tie: two hypotheses whose beam scores (what both searches rank by, recomputed teacher-forced
  under the PyTorch model and checked against ``generate``'s own ``sequences_scores``) differ
  by at most :data:`TIE_TOLERANCE`, where float32 rounding (a batch's padding, another
  summation order) decides which beam survives. Random weights spread probability thinly over
  a large vocabulary, so such ties do occur late in long beam searches; the report counts
  them. The tokenizer file must give the checkpoint tokenizer's ids. The run of ``generate``
  itself is checked too (one decoder call per generated token, each on one new token with a
  growing cache), so a change in how ``generate`` drives the model shows up here instead of as
  different text.
- **Beam search with the no-repeat rule**: CTranslate2 masks banned tokens *before* its
  log-softmax (the allowed tokens' probabilities are renormalized); ``generate`` masks after
  it. Greedy search is unaffected, beam scores are not. The reference for that case is
  ``generate`` with :class:`RenormalizeAfterMasking` appended, which must match token for
  token; plain ``generate``'s hypothesis and ours are both scored teacher-forced under the
  PyTorch model and the report gives both (plain ``generate`` optimizes exactly that score).
- **Quantized weights** (int8, float16) cannot match token for token, and on random weights
  their summaries diverge at once: the float32 hypothesis is scored teacher-forced under both
  precisions (``score_batch``) with a bound on the per-token log-probability difference, and
  the quantized hypothesis may score at most :data:`HYPOTHESIS_GAP` nats per token worse under
  float32 than the float32 one.
"""

from __future__ import annotations

import copy
import functools
import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import (
    BartForConditionalGeneration,
    ForcedBOSTokenLogitsProcessor,
    ForcedEOSTokenLogitsProcessor,
    GenerationConfig,
    LogitsProcessor,
    LogitsProcessorList,
    MinLengthLogitsProcessor,
    NoRepeatNGramLogitsProcessor,
    PreTrainedTokenizerBase,
)

from contract.repository import GENERATION_CONFIG_FILE
from triton_models.summarization import Decoding, Summarizer

log = logging.getLogger(__name__)

ENGINE = "ctranslate2"

# Chats written for this check (not in export/data/korean_corpus.txt), of different lengths.
DIALOGUES = (
    "P01: 이번 주말에 다들 시간 돼?\nP02: 나 토요일은 괜찮아\nP03: 나도! 어디 가게?\n"
    "P01: 부산 어때? 바다 보고 회 먹자",
    "P01: 내일 회의 오후 2시로 옮겨도 될까요?\nP02: 네 괜찮습니다",
    "P01: 다음 주 수요일이 엄마 생신인 거 기억하지?\nP02: 케이크는 내가 살게\n"
    "P03: 나는 꽃다발 준비할게\nP01: 저녁은 집 근처 한정식집 예약할까?\nP02: 좋아 7시쯤",
    "P01: 과제 마감이 금요일 자정이래\nP02: 헐 벌써?",
)
# Decoding variants checked besides the exported settings: (name, overrides).
VARIANTS: tuple[tuple[str, dict[str, int]], ...] = (
    ("exported", {}),
    ("greedy", {"num_beams": 1}),
    ("beam without the no-repeat rule", {"no_repeat_ngram_size": 0}),
    ("overrides", {"num_beams": 3, "max_length": 24, "no_repeat_ngram_size": 2}),
)
# Quantized weights against float32, in nats (natural log) per target token.
# Measured on the tiny preset's random weights (d_model 64, the worst case for int8): max 2.5,
# mean 0.57, gap 0.57. A model that lost its weights is off by several nats per token.
TOKEN_LOGPROB_MAX_DIFF = 4.0
TOKEN_LOGPROB_MEAN_DIFF = 1.0
HYPOTHESIS_GAP = 1.0
# Hypotheses whose length-normalized beam scores differ by at most this many nats per token are
# a float tie. Measured on the small preset's random weights (KoBART-base sizes, 5 beams, 64
# tokens): ties differ by under 1e-6 per token, and the recomputed score matches ``generate``'s
# to 2e-6. A wrong no-repeat rule, cache or position costs tenths of a nat per token or more.
TIE_TOLERANCE = 1e-4


class RenormalizeAfterMasking(LogitsProcessor):
    """Re-apply log-softmax after the masking processors: CTranslate2's no-repeat rule.

    Appended to ``generate``'s processors, it renormalizes the probabilities over the tokens
    the no-repeat rule (and the length rules) left allowed, as CTranslate2 does.
    """

    def __call__(self, _input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """Log-probabilities over the allowed tokens."""
        return scores.log_softmax(dim=-1)


@dataclass
class SummarizerCheck:
    """One fidelity check of the exported summarizer, as the parity report shows it."""

    graph: str
    precision: str
    figures: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    engine: str = ENGINE

    @property
    def passed(self) -> bool:
        """Whether nothing was out of bounds."""
        return not self.problems

    def failure(self) -> str:
        """What went wrong, for the export error."""
        return f"{self.graph}: " + "; ".join(self.problems)

    def to_json(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "graph": self.graph,
            "engine": self.engine,
            "precision": self.precision,
            "passed": self.passed,
            "figures": self.figures,
            "problems": self.problems,
        }


class _Reference:
    """The PyTorch checkpoint under ``generate``, fed the exported tokenizer's ids."""

    def __init__(self, model: BartForConditionalGeneration, folder: Path, served: Summarizer):
        self.model = model
        self.config = GenerationConfig.from_pretrained(folder, GENERATION_CONFIG_FILE)
        self.served = served
        self.decoder_inputs: list[int] = []
        self.last_length = 0
        # beam_score's results: a hypothesis is compared with up to two others.
        self._beam_scores: dict[tuple[str, tuple[int, ...], Decoding, bool], float] = {}
        model.model.decoder.register_forward_pre_hook(self._record, with_kwargs=True)

    def _record(self, _module: object, args: tuple, kwargs: dict) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        # -1: the decoder got no token ids at all (embeddings instead): wiring check fails.
        self.decoder_inputs.append(-1 if ids is None else int(ids.shape[-1]))

    def source(self, dialogue: str) -> torch.Tensor:
        ids = self.served.tokenizer.encode(dialogue).ids
        return torch.tensor([ids])

    def generate(self, dialogue: str, overrides: dict[str, int], *, renormalize: bool) -> list[int]:
        processors = LogitsProcessorList([RenormalizeAfterMasking()] if renormalize else [])
        source = self.source(dialogue)
        config = copy.deepcopy(self.config)
        config.update(**overrides, output_scores=True, return_dict_in_generate=True)
        self.decoder_inputs.clear()
        with torch.no_grad():
            output = self.model.generate(
                input_ids=source,
                attention_mask=torch.ones_like(source),
                generation_config=config,
                logits_processor=processors,
            )
        sequence = output.sequences[0]
        self.last_length = int(sequence.shape[-1])
        # Beam search's ranking score of the hypothesis (greedy search has none).
        scores = getattr(output, "sequences_scores", None)
        self.last_score = None if scores is None else float(scores[0])
        return sequence.tolist()

    def beam_score(
        self, dialogue: str, ids: Sequence[int], decoding: Decoding, *, renormalize: bool
    ) -> float:
        """What beam search ranks ``ids`` by: its length-normalized sum of processed log-probs.

        Teacher-forced: each step's log-softmax goes through the processors ``generate`` builds
        for ``decoding`` (transformers' public classes, in ``generate``'s order), then
        :class:`RenormalizeAfterMasking` when CTranslate2's rule is asked for. Checked against
        ``generate``'s ``sequences_scores`` for its own hypotheses.
        """
        key = (dialogue, tuple(ids), decoding, renormalize)
        if key not in self._beam_scores:
            processors = _processors(decoding)
            if renormalize:
                processors.append(RenormalizeAfterMasking())
            logits = self.teacher_forced(dialogue, ids)
            total = 0.0
            for step in range(len(ids) - 1):
                scores = logits[step : step + 1].log_softmax(-1)
                scores = processors(torch.tensor([list(ids[: step + 1])]), scores)
                total += float(scores[0, ids[step + 1]])
            self._beam_scores[key] = total / (len(ids) - 1) ** decoding.length_penalty
        return self._beam_scores[key]

    def logprob_per_token(self, dialogue: str, ids: Sequence[int]) -> float:
        """Mean log-probability of ``ids[1:]`` under the checkpoint, teacher-forced."""
        logits = self.teacher_forced(dialogue, ids)
        picked = logits.log_softmax(-1).gather(-1, torch.tensor(ids[1:])[:, None])
        return float(picked.mean())

    def teacher_forced(self, dialogue: str, ids: Sequence[int]) -> torch.Tensor:
        """The checkpoint's logits for each next token of ``ids``, fed ``ids[:-1]``."""
        source = self.source(dialogue)
        with torch.no_grad():
            return self.model(
                input_ids=source,
                attention_mask=torch.ones_like(source),
                decoder_input_ids=torch.tensor([list(ids[:-1])]),
            ).logits[0]


def _processors(decoding: Decoding) -> LogitsProcessorList:
    """The masking processors ``generate`` applies for ``decoding`` (the Decoding fields)."""
    processors = LogitsProcessorList()
    if decoding.min_length > 0:
        processors.append(MinLengthLogitsProcessor(decoding.min_length, decoding.eos_token_id))
    if decoding.no_repeat_ngram_size > 0:
        processors.append(NoRepeatNGramLogitsProcessor(decoding.no_repeat_ngram_size))
    if decoding.forced_bos_token_id is not None:
        processors.append(ForcedBOSTokenLogitsProcessor(decoding.forced_bos_token_id))
    if decoding.forced_eos_token_id is not None:
        processors.append(
            ForcedEOSTokenLogitsProcessor(decoding.max_length, decoding.forced_eos_token_id)
        )
    return processors


def check_fidelity(
    model: BartForConditionalGeneration,
    tokenizer: PreTrainedTokenizerBase,
    float32_folder: Path,
    served_folder: Path,
    *,
    quantization: str,
) -> list[SummarizerCheck]:
    """The float32 check, then the quantized one unless float32 is what is served.

    PyTorch runs on one thread meanwhile: decoding step by step is dominated by per-call
    overhead, and on a busy machine more threads made ``generate`` 20x slower (measured).
    """
    float32 = Summarizer(
        float32_folder, compute_type="float32", threads=1, first_sentence_only=False
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        checks = [_float32_check(model, tokenizer, float32_folder, float32)]
    finally:
        torch.set_num_threads(threads)
    if quantization != "float32":
        served = Summarizer(served_folder, threads=1, first_sentence_only=False)
        checks.append(_quantized_check(float32, served, quantization))
    for check in checks:
        log.info("%s: %s %s", check.graph, "passed" if check.passed else "FAILED", check.figures)
    return checks


def _float32_check(
    model: BartForConditionalGeneration,
    tokenizer: PreTrainedTokenizerBase,
    folder: Path,
    ours: Summarizer,
) -> SummarizerCheck:
    check = SummarizerCheck(f"summarizer/{ENGINE}-float32", "float32")
    tokenizer.truncation_side = "left"
    long_chat = "P01: 옛날 이야기 " * 600 + "\nP02: 마지막 메시지"
    for dialogue in (*DIALOGUES, long_chat):
        expected = tokenizer(dialogue, truncation=True, max_length=ours.max_source_tokens)
        if ours.tokenizer.encode(dialogue).ids != expected["input_ids"]:
            check.problems.append("tokenizer.json gives other ids than the checkpoint's tokenizer")
            break
    reference = _Reference(model, folder, ours)
    for name, overrides in VARIANTS:
        decoding = ours.decoding.overridden(**overrides)
        renormalize = decoding.num_beams > 1 and decoding.no_repeat_ngram_size > 0
        figures = _compare_variant(
            check, reference, ours, name=name, overrides=overrides, renormalize=renormalize
        )
        check.figures[name] = figures
        if name == "greedy":
            _check_generate_wiring(check, reference)
    return check


def _compare_variant(
    check: SummarizerCheck,
    reference: _Reference,
    ours: Summarizer,
    *,
    name: str,
    overrides: dict[str, int],
    renormalize: bool,
) -> dict[str, object]:
    decoding = ours.decoding.overridden(**overrides)
    batched = [s.token_ids for s in ours.summarize(DIALOGUES, decoding)]
    matches, plain_matches, ours_scores, plain_scores = 0, 0, [], []
    ties: list[float] = []  # score gaps of hypotheses that differ by a float tie only
    score_errors: list[float] = []  # the recomputed beam score against generate's own
    for index, (dialogue, together) in enumerate(zip(DIALOGUES, batched, strict=True)):
        (alone,) = ours.summarize([dialogue], decoding)
        expected = reference.generate(dialogue, overrides, renormalize=renormalize)
        beam_score = functools.partial(
            reference.beam_score, dialogue, decoding=decoding, renormalize=renormalize
        )
        if reference.last_score is not None:
            score_errors.append(abs(beam_score(expected) - reference.last_score))
        for first, second, differs in (
            (alone.token_ids, expected, "differs from generate"),
            (together, alone.token_ids, "decoded in a batch differs from alone"),
        ):
            if first == second:
                continue
            gap = abs(beam_score(first) - beam_score(second))
            if gap > TIE_TOLERANCE:
                rule = " with CTranslate2's no-repeat rule" if renormalize else ""
                check.problems.append(f"{name}: dialogue {index} {differs}{rule}")
            else:
                ties.append(gap)
        matches += alone.token_ids == expected
        if renormalize:
            plain = reference.generate(dialogue, overrides, renormalize=False)
            plain_matches += plain == alone.token_ids
            ours_scores.append(reference.logprob_per_token(dialogue, alone.token_ids))
            plain_scores.append(reference.logprob_per_token(dialogue, plain))
    if score_errors and max(score_errors) > TIE_TOLERANCE:
        check.problems.append(
            f"{name}: the recomputed beam score is {max(score_errors):.3g} off generate's "
            "sequences_scores: the tie check no longer scores what generate ranks by"
        )
    figures: dict[str, object] = {
        "settings": overrides,
        "dialogues": len(DIALOGUES),
        "exact_match_rate": matches / len(DIALOGUES),
        "float_ties": len(ties),
        "reference": "generate" + (" + RenormalizeAfterMasking" if renormalize else ""),
    }
    if ties:
        figures["float_tie_max_gap_per_token"] = max(ties)
    if score_errors:
        figures["beam_score_max_error"] = max(score_errors)
    if renormalize:
        figures["plain_generate_exact_match_rate"] = plain_matches / len(DIALOGUES)
        figures["ours_logprob_per_token"] = statistics.fmean(ours_scores)
        figures["plain_generate_logprob_per_token"] = statistics.fmean(plain_scores)
        figures["ours_scores_at_least_as_well"] = sum(
            o >= p - 1e-6 for o, p in zip(ours_scores, plain_scores, strict=True)
        ) / len(DIALOGUES)
    return figures


def _check_generate_wiring(check: SummarizerCheck, reference: _Reference) -> None:
    """The last greedy ``generate`` call: one decoder call per new token, one token each.

    Feeding one token per step is only right with the cache; that the cache holds the right
    history is what the token-for-token comparison with CTranslate2 (its own cache) shows.
    """
    calls = reference.decoder_inputs
    check.figures["generate_decoder_calls"] = len(calls)
    if any(length != 1 for length in calls) or len(calls) != reference.last_length - 1:
        check.problems.append(
            f"generate ran {len(calls)} decoder calls on inputs of {sorted(set(calls))} tokens "
            f"for {reference.last_length - 1} new tokens: its calling convention changed"
        )


def _quantized_check(float32: Summarizer, served: Summarizer, precision: str) -> SummarizerCheck:
    check = SummarizerCheck(f"summarizer/{ENGINE}-{precision}", precision)
    sources = float32.source_tokens(DIALOGUES)
    ours32 = float32.summarize(DIALOGUES)
    oursq = served.summarize(DIALOGUES)
    targets32 = [_target_tokens(float32, s.token_ids) for s in ours32]
    targetsq = [_target_tokens(float32, s.token_ids) for s in oursq]
    under32 = float32.translator.score_batch(sources, targets32)
    underq = served.translator.score_batch(sources, targets32)
    diffs = [
        abs(a - b)
        for x, y in zip(under32, underq, strict=True)
        for a, b in zip(x.log_probs, y.log_probs, strict=True)
    ]
    quantized_under32 = float32.translator.score_batch(sources, targetsq)
    gaps = [
        statistics.fmean(a.log_probs) - statistics.fmean(b.log_probs)
        for a, b in zip(under32, quantized_under32, strict=True)
    ]
    check.figures = {
        "compute_type": served.translator.compute_type,
        "dialogues": len(DIALOGUES),
        "exact_match_rate": sum(
            a.token_ids == b.token_ids for a, b in zip(ours32, oursq, strict=True)
        )
        / len(DIALOGUES),
        "token_logprob_max_abs_diff": max(diffs),
        "token_logprob_mean_abs_diff": statistics.fmean(diffs),
        "hypothesis_logprob_gap_max": max(gaps),
        "bounds": {
            "token_logprob_max_abs_diff": TOKEN_LOGPROB_MAX_DIFF,
            "token_logprob_mean_abs_diff": TOKEN_LOGPROB_MEAN_DIFF,
            "hypothesis_logprob_gap_max": HYPOTHESIS_GAP,
        },
    }
    if max(diffs) > TOKEN_LOGPROB_MAX_DIFF:
        check.problems.append(f"per-token log-prob differs by up to {max(diffs):.3g}")
    if statistics.fmean(diffs) > TOKEN_LOGPROB_MEAN_DIFF:
        check.problems.append(
            f"per-token log-prob differs by {statistics.fmean(diffs):.3g} on mean"
        )
    if max(gaps) > HYPOTHESIS_GAP:
        check.problems.append(f"its hypotheses score {max(gaps):.3g} nats/token worse")
    return check


def _target_tokens(summarizer: Summarizer, ids: Sequence[int]) -> list[str]:
    """Hypothesis tokens as ``score_batch`` takes them: no start token, no final EOS."""
    body = list(ids[1:])
    if body and body[-1] == summarizer.decoding.eos_token_id:
        body = body[:-1]
    return [summarizer.tokenizer.id_to_token(i) for i in body]

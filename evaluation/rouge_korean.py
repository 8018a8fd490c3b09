"""ROUGE for Korean: the ``rouge-score`` reference implementation on Kiwi morphemes.

``rouge_score``'s default tokenizer keeps only ``[a-z0-9]``, so every Hangul syllable vanishes
and two Korean summaries always score 0. A tokenizer has to be plugged in, and for Korean the
choice decides what ROUGE means:

- whitespace words (eojeol) carry their particles and endings: ``부산에`` and ``부산으로``, or
  ``했다`` and ``하기로``, never match, so word-level ROUGE punishes paraphrases that keep the
  meaning, which is the very weakness the similarity metric was chosen to avoid;
- character bigrams match across those, but also across unrelated words that share syllables,
  and their scores are not comparable with published Korean summarization results;
- morphemes split ``부산으로`` into ``부산`` + ``으로`` and ``했다`` into ``하`` + ``었`` + ``다``:
  content words match whatever particles follow them, and grammatical morphemes count as the
  small tokens they are. Morphemes are the usual unit of Korean ROUGE for this reason.

So tokens are the surface forms of the morphemes that Kiwi (``kiwipiepy``, a pure wheel with
its model in the ``kiwipiepy_model`` package: nothing is downloaded at run time) finds, with
punctuation and symbols dropped (as the default tokenizer drops them) and Latin letters
lowercased. Scores depend on the analyser's version, so the report records it and the
dependency is pinned to one minor version.
"""

from __future__ import annotations

from collections.abc import Mapping

from kiwipiepy import Kiwi
from kiwipiepy import __version__ as KIWI_VERSION  # noqa: N812
from rouge_score import rouge_scorer

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
TOKENIZATION = "kiwi-morphemes"
# Kiwi's tags for punctuation, brackets, ellipses, other symbols and emoji (the Sejong tag set
# with Kiwi's extensions). Numbers (SN), Latin (SL) and Hanja (SH) are words and stay.
_DROPPED_TAGS = frozenset({"SF", "SP", "SSO", "SSC", "SE", "SO", "SW", "W_EMOJI"})


class MorphemeTokenizer:
    """A ``rouge_score`` tokenizer that splits Korean text into morphemes with Kiwi.

    Loading Kiwi's model takes about a second: build one tokenizer per run and reuse it.
    """

    def __init__(self) -> None:
        self._kiwi = Kiwi()

    def tokenize(self, text: str) -> list[str]:
        """The morphemes of ``text`` without punctuation, Latin letters lowercased."""
        return [
            token.form.lower()
            for token in self._kiwi.tokenize(text)
            if token.tag not in _DROPPED_TAGS
        ]


class KoreanRouge:
    """ROUGE-1, ROUGE-2 and ROUGE-L F1 on morphemes.

    Args:
        tokenizer: The morpheme tokenizer (shared with the length statistics).
    """

    def __init__(self, tokenizer: MorphemeTokenizer) -> None:
        self.tokenizer = tokenizer
        self._scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=tokenizer)

    def f1(self, reference: str, prediction: str) -> dict[str, float]:
        """The F1 of each ROUGE type for one prediction against its reference."""
        scores = self._scorer.score(reference, prediction)
        return {name: float(scores[name].fmeasure) for name in ROUGE_TYPES}

    @staticmethod
    def describe() -> Mapping[str, str]:
        """What the report records about the tokenization."""
        return {"tokenization": TOKENIZATION, "kiwipiepy": KIWI_VERSION, "measure": "F1"}

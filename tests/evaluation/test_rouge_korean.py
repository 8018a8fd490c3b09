"""ROUGE on Kiwi morphemes: the reference implementation, fed a tokenizer that keeps Hangul."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer

from evaluation.rouge_korean import ROUGE_TYPES, KoreanRouge, MorphemeTokenizer

REFERENCE = "친구들은 주말에 부산 여행을 가기로 했다."
PREDICTION = "친구들이 주말에 부산으로 여행 가기로 결정했다."
PAIRS = [
    (REFERENCE, PREDICTION),
    ("팀원들은 내일 회의를 오후 2시로 옮기기로 했다.", "내일 회의는 오후 2시에 3층에서 한다."),
    ("가족들은 KTX를 타고 할머니 댁에 간다.", "가족들이 ktx로 할머니 댁에 갔다!"),
    ("친구들은 영화를 보기로 했다.", "스터디는 금요일에 한다."),
]


@pytest.fixture(scope="module")
def tokenizer() -> MorphemeTokenizer:
    return MorphemeTokenizer()  # loading Kiwi takes a second or two: once per module


@pytest.fixture(scope="module")
def rouge(tokenizer: MorphemeTokenizer) -> KoreanRouge:
    return KoreanRouge(tokenizer)


def test_tokenizer_keeps_hangul_as_morphemes(rouge: KoreanRouge) -> None:
    assert rouge.tokenizer.tokenize(REFERENCE) == [
        "친구", "들", "은", "주말", "에", "부산", "여행", "을", "가", "기", "로", "하", "었", "다",
    ]  # fmt: skip


def test_tokenizer_drops_punctuation_and_lowercases_latin(rouge: KoreanRouge) -> None:
    tokens = rouge.tokenizer.tokenize("KTX, 10km… 가자! ㅋㅋ (진짜)")
    assert tokens == ["ktx", "10", "km", "가", "자", "진짜"]


def test_default_tokenizer_would_score_korean_zero() -> None:
    default = rouge_scorer.RougeScorer(list(ROUGE_TYPES))
    scores = default.score(REFERENCE, REFERENCE)
    assert all(scores[name].fmeasure == 0.0 for name in ROUGE_TYPES)


def test_identical_summaries_score_one(rouge: KoreanRouge) -> None:
    assert rouge.f1(REFERENCE, REFERENCE) == {name: 1.0 for name in ROUGE_TYPES}


def test_f1_by_hand(rouge: KoreanRouge) -> None:
    # 14 reference and 15 predicted morphemes share 12 unigrams, in the same order (LCS 12);
    # 13 and 14 bigrams share 7 (친구들, 주말에, 에부산, 가기, 기로, 하었, 었다).
    assert rouge.f1(REFERENCE, PREDICTION) == pytest.approx(
        {"rouge1": 24 / 29, "rouge2": 14 / 27, "rougeL": 24 / 29}
    )


@pytest.mark.parametrize(
    ("reference", "prediction"), PAIRS, ids=["paraphrase", "partial", "latin", "unrelated"]
)
def test_matches_reference_implementation(
    rouge: KoreanRouge, tokenizer: MorphemeTokenizer, reference: str, prediction: str
) -> None:
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=tokenizer)
    expected = scorer.score(reference, prediction)
    assert rouge.f1(reference, prediction) == {
        name: expected[name].fmeasure for name in ROUGE_TYPES
    }


def test_unrelated_summaries_score_low(rouge: KoreanRouge) -> None:
    scores = rouge.f1(*PAIRS[-1])
    assert scores["rouge2"] == 0.0
    assert scores["rouge1"] < 0.5


def test_describe_names_the_analyser_version() -> None:
    described = KoreanRouge.describe()
    assert described["tokenization"] == "kiwi-morphemes"
    assert described["kiwipiepy"].startswith("0.24")

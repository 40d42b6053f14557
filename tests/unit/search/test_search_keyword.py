"""BM25 keyword index: hand-computed scores, ranking, filters, incremental updates and persistence."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from fashion_search.errors import IndexCorruptError, StoreError, ValidationError
from fashion_search.search.keyword import KeywordIndex, tokenize

# Four documents, lengths 2, 2, 2, 3 (avgdl 2.25). df(titan) = 2, df(watch) = 3, N = 4.
CORPUS = {1: "Titan watch", 2: "Titan wallet", 3: "Casio watch", 4: "Casio watch strap"}
IDF_TITAN = math.log(1 + (4 - 2 + 0.5) / (2 + 0.5))  # = ln 2
IDF_WATCH = math.log(1 + (4 - 3 + 0.5) / (3 + 0.5))  # = ln(10/7)


def test_tokenize_folds_case_plurals_hyphens_and_accents() -> None:
    assert tokenize("Titan Men's WATCHES") == ["titan", "men", "watch"]
    assert tokenize("T-Shirt") == ["shirt", "tshirt"]
    assert tokenize("Tshirts") == ["tshirt"]
    assert tokenize("U.S. Polo Assn.") == ["us", "polo", "assn"]
    assert tokenize("Dresses, Shoes & Accessories") == ["dress", "shoe", "accessorie"]
    assert tokenize("accessory hoodie hoodies") == ["accessorie", "hoodie", "hoodie"]
    assert tokenize("Café Crème") == ["cafe", "creme"]
    assert tokenize("jealous 21 for the men") == ["jealous", "21", "men"]
    assert tokenize("👗 ,,, ") == []


def test_bm25_scores_match_hand_computation_without_length_normalisation() -> None:
    index = KeywordIndex.build(CORPUS, k1=1.2, b=0.0)
    # With b = 0 and tf = 1 the tf factor is (1 * 2.2) / (1 + 1.2) = 1, so a score is the sum of idfs.
    assert IDF_TITAN == pytest.approx(math.log(2))
    result = index.search("titan watch", k=10)
    assert [doc for doc, _ in result] == [1, 2, 3, 4]
    scores = dict(result)
    assert scores[1] == pytest.approx(IDF_TITAN + IDF_WATCH, rel=1e-6)
    assert scores[2] == pytest.approx(IDF_TITAN, rel=1e-6)
    assert scores[3] == pytest.approx(IDF_WATCH, rel=1e-6)
    assert scores[4] == pytest.approx(IDF_WATCH, rel=1e-6)


def test_bm25_length_normalisation_matches_hand_computation() -> None:
    index = KeywordIndex.build(CORPUS, k1=1.2, b=0.75)
    scores = dict(index.search("watch", k=10))
    # doc 3: dl 2 -> K = 1.2 * (0.25 + 0.75 * 2 / 2.25) = 1.1, tf factor 2.2 / 2.1
    # doc 4: dl 3 -> K = 1.2 * (0.25 + 0.75 * 3 / 2.25) = 1.5, tf factor 2.2 / 2.5
    assert scores[3] == pytest.approx(IDF_WATCH * 2.2 / 2.1, rel=1e-5)
    assert scores[4] == pytest.approx(IDF_WATCH * 2.2 / 2.5, rel=1e-5)
    assert scores[1] == pytest.approx(scores[3], rel=1e-6)
    assert [doc for doc, _ in index.search("watch", k=3)] == [1, 3, 4]


def test_rare_terms_weigh_more() -> None:
    index = KeywordIndex.build(CORPUS)
    scores = dict(index.search("titan watch", k=10))
    # Titan alone (df 2) beats watch alone (df 3) on documents of equal length.
    assert scores[2] > scores[3]


def test_term_frequency_saturates_with_k1() -> None:
    docs = {1: "puma", 2: "puma puma", 3: "nike", 4: "nike", 5: "nike"}
    saturated = dict(KeywordIndex.build(docs, k1=0.0, b=0.0).search("puma", k=5))
    assert saturated[1] == pytest.approx(saturated[2])
    graded = dict(KeywordIndex.build(docs, k1=1.2, b=0.0).search("puma", k=5))
    # tf 2 -> 2 * 2.2 / (2 + 1.2) = 1.375 times the tf-1 score.
    assert graded[2] / graded[1] == pytest.approx(1.375, rel=1e-5)


def test_exact_brand_and_name_first() -> None:
    docs = {
        10: "Nike Men Black Sneakers Casual Shoes Black",
        11: "Puma Men Black Sneakers Casual Shoes Black",
        12: "Puma Women Pink Tshirt Tshirts Pink",
        13: "Titan Men Steel Watch Watches Silver",
        14: "Fastrack Men Black Watch Watches Black",
        15: "Titan Women Gold Watch Watches Gold",
        16: "Titan Eye Sunglasses",
        17: "Casio Men Black Watch Watches Black",
        18: "Timex Women Pink Watch Watches Pink",
    }
    index = KeywordIndex.build(docs)
    # Only Puma documents match; the shorter one (6 terms against 7) first.
    assert [d for d, _ in index.search("Puma", k=10)] == [12, 11]
    titan = [d for d, _ in index.search("Titan watch", k=10)]
    assert set(titan[:2]) == {13, 15}
    # Titan (3 documents) is rarer than watch (5): Titan sunglasses beat other brands' watches.
    assert titan[2] == 16
    assert set(titan[3:]) == {14, 17, 18}
    assert index.search("adidas", k=10) == []
    assert index.search("", k=10) == []
    assert index.search("the and of", k=10) == []


def test_plural_and_hyphen_forms_meet() -> None:
    index = KeywordIndex.build({1: "Men Black Tshirts", 2: "Women Red Dress", 3: "Kids T-Shirt"})
    assert {d for d, _ in index.search("t-shirt", k=5)} == {1, 3}
    assert {d for d, _ in index.search("tshirt", k=5)} == {1, 3}
    assert [d for d, _ in index.search("dresses", k=5)] == [2]


def test_ties_are_broken_by_id_and_k_limits() -> None:
    index = KeywordIndex.build({5: "red shirt", 3: "red shirt", 9: "red shirt", 1: "blue shirt"})
    assert [d for d, _ in index.search("red", k=2)] == [3, 5]
    assert [d for d, _ in index.search("shirt", k=10)] == [1, 3, 5, 9]


@pytest.mark.parametrize(
    "allowed",
    [{2, 4}, [2, 4], frozenset({2, 4, 999}), np.array([2, 4]), np.array([4, 2], dtype=np.int32)],
)
def test_allowed_ids_restrict_results(allowed: object) -> None:
    index = KeywordIndex.build(CORPUS)
    assert [d for d, _ in index.search("titan watch", k=10, allowed=allowed)] == [2, 4]  # type: ignore[arg-type]


def test_allowed_boolean_mask_is_aligned_with_row_ids() -> None:
    index = KeywordIndex.build(CORPUS)
    mask = np.isin(index.row_ids, [1, 3])
    assert [d for d, _ in index.search("watch", k=10, allowed=mask)] == [1, 3]
    with pytest.raises(ValidationError, match="one entry per row"):
        index.search("watch", allowed=np.ones(3, dtype=bool))
    with pytest.raises(ValidationError, match="integers"):
        index.search("watch", allowed=np.array([1.5]))


def test_incremental_update_and_remove_equal_a_fresh_build() -> None:
    index = KeywordIndex.build(CORPUS)
    index.add({2: "Casio wallet", 5: "Titan strap"})  # replace 2, add 5
    index.remove([3, 42])
    expected_docs = {1: "Titan watch", 2: "Casio wallet", 4: "Casio watch strap", 5: "Titan strap"}
    fresh = KeywordIndex.build(expected_docs)
    assert len(index) == 4
    assert 3 not in index and 5 in index
    for query in ("titan", "casio watch", "strap", "wallet", "watch"):
        got, want = index.search(query, k=10), fresh.search(query, k=10)
        assert [d for d, _ in got] == [d for d, _ in want], query
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-6), query


def test_compaction_keeps_results() -> None:
    docs = {i: f"item {i} {'red' if i % 2 else 'blue'} shirt" for i in range(40)}
    index = KeywordIndex.build(docs)
    before = index.search("red shirt", k=5)
    index.add({i: docs[i] for i in range(5)})  # 5 dead rows: below the compaction threshold
    again = index.search("red shirt", k=5)
    assert [d for d, _ in again] == [d for d, _ in before]
    assert [s for _, s in again] == pytest.approx([s for _, s in before], rel=1e-6)
    assert (index.row_ids == -1).sum() == 5
    index.compact()
    assert (index.row_ids == -1).sum() == 0
    got = index.search("red shirt", k=5)
    assert [d for d, _ in got] == [d for d, _ in before]
    assert [s for _, s in got] == pytest.approx([s for _, s in before], rel=1e-6)
    index.remove(range(40))
    assert len(index) == 0
    assert index.search("red", k=5) == []


def test_score_ids() -> None:
    index = KeywordIndex.build(CORPUS, b=0.0)
    scores = index.score_ids("titan", [2, 3, 77, 1])
    assert scores.tolist() == pytest.approx([IDF_TITAN, 0.0, 0.0, IDF_TITAN], rel=1e-6)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = KeywordIndex.build(CORPUS, k1=1.5, b=0.5)
    index.add({2: "Titan wallet black"})
    path = tmp_path / "kw.npz"
    index.save(path)
    loaded = KeywordIndex.load(path)
    assert (loaded.k1, loaded.b) == (1.5, 0.5)
    assert len(loaded) == 4
    for query in ("titan watch", "black", "strap"):
        assert loaded.search(query, k=10) == index.search(query, k=10)
    loaded.add({9: "Titan black watch"})
    assert loaded.search("titan black watch", k=1)[0][0] == 9


def test_load_rejects_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        KeywordIndex.load(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(IndexCorruptError):
        KeywordIndex.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, meta=np.frombuffer(b'{"format": "x", "version": 1}', dtype=np.uint8))
    with pytest.raises(IndexCorruptError, match="not a keyword index"):
        KeywordIndex.load(other)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"k1": -1}, "k1"), ({"k1": float("nan")}, "k1"), ({"b": 1.5}, "b must"), ({"b": "x"}, "b must")],
)
def test_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KeywordIndex(**kwargs)  # type: ignore[arg-type]


def test_bad_documents_and_queries() -> None:
    index = KeywordIndex()
    with pytest.raises(ValidationError, match="ids must be integers"):
        index.add({"a": "text"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must have a text"):
        index.add({1: None})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="pairs"):
        index.add([1, 2])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="positive integer"):
        index.search("x", k=0)
    with pytest.raises(ValidationError, match="must be a string"):
        index.search(None)  # type: ignore[arg-type]
    assert index.search("anything") == []


def test_hostile_queries_are_safe() -> None:
    index = KeywordIndex.build(CORPUS)
    for query in ("🔥" * 5000, "titan " * 5000, "\x00\ud800 watch", "ووتش \u202e titan"):
        result = index.search(query, k=3)
        assert all(isinstance(d, int) for d, _ in result)

"""Rank fusion: RRF with known values, weights, tie-breaks, and min-max score fusion."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from fashion_search.errors import ValidationError
from fashion_search.search.fusion import RRF_K, hybrid_fusion, reciprocal_rank_fusion, score_fusion


def test_rrf_known_values() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]])
    scores = {f.id: f.score for f in fused}
    assert scores[1] == pytest.approx(1 / 61 + 1 / 62)
    assert scores[2] == pytest.approx(1 / 62)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert [f.id for f in fused] == [1, 3, 2]
    first = fused[0]
    assert first.ranks == (1, 2)
    assert first.contributions == pytest.approx((1 / 61, 1 / 62))
    assert fused[2].ranks == (2, None)
    assert fused[2].contributions == (pytest.approx(1 / 62), 0.0)


def test_rrf_weights_and_constant() -> None:
    fused = reciprocal_rank_fusion([[1, 2], [2, 1]], weights=[1.0, 3.0], k=0)
    scores = {f.id: f.score for f in fused}
    assert scores[1] == pytest.approx(1 / 1 + 3 / 2)
    assert scores[2] == pytest.approx(1 / 2 + 3 / 1)
    assert [f.id for f in fused] == [2, 1]
    assert RRF_K == 60


def test_rrf_accepts_scored_pairs_and_numpy_ids_and_ignores_repeats() -> None:
    # numpy ids are accepted at run time although Ranking declares plain int ids
    fused = reciprocal_rank_fusion([[(np.int64(7), 0.9), (8, 0.5), (7, 0.1)], [8]])  # type: ignore[list-item]
    scores = {f.id: f.score for f in fused}
    assert scores == {7: pytest.approx(1 / 61), 8: pytest.approx(1 / 62 + 1 / 61)}
    assert all(type(f.id) is int for f in fused)


def test_rrf_ties_break_by_best_rank_then_id() -> None:
    # 5 is rank 1 in the second list, 4 is rank 1 in the first: equal scores, equal best rank -> id order.
    fused = reciprocal_rank_fusion([[4, 5], [5, 4]])
    assert [f.id for f in fused] == [4, 5]
    # 9 (rank 1, weight 61) and 1 (rank 2, weight 62) both score exactly 1.0: the better rank wins.
    fused = reciprocal_rank_fusion([[9], [5, 1]], weights=[61.0, 62.0])
    assert {f.id: f.score for f in fused}[9] == {f.id: f.score for f in fused}[1] == 1.0
    assert [f.id for f in fused] == [5, 9, 1]


def test_rrf_limit_and_empty() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []
    assert [f.id for f in reciprocal_rank_fusion([[3, 2, 1]], limit=2)] == [3, 2]


def test_hybrid_fusion_keyword_weight() -> None:
    vector, keyword = [1, 2, 3], [3, 4]
    equal = {f.id: f.score for f in hybrid_fusion(vector, keyword)}
    assert equal[3] == pytest.approx(0.5 / 63 + 0.5 / 61)
    only_vector = hybrid_fusion(vector, keyword, keyword_weight=0.0)
    assert [f.id for f in only_vector][:3] == [1, 2, 3]
    assert {f.id: f.score for f in only_vector}[4] == 0.0
    only_keyword = hybrid_fusion(vector, keyword, keyword_weight=1.0)
    assert [f.id for f in only_keyword][:2] == [3, 4]
    # An item in both lists beats each list's favourite at equal weights.
    assert [f.id for f in hybrid_fusion(vector, keyword)][:2] == [3, 1]
    # A keyword-only match (9) overtakes the vector favourite (1) only when keywords weigh more.
    assert hybrid_fusion([1, 2], [9], keyword_weight=0.7)[0].id == 9
    assert hybrid_fusion([1, 2], [9], keyword_weight=0.3)[0].id == 1


def test_score_fusion_min_max() -> None:
    fused = score_fusion([[(1, 10.0), (2, 5.0), (3, 0.0)], [(3, 0.9), (1, 0.1)]], weights=[1.0, 2.0])
    scores = {f.id: f.score for f in fused}
    assert scores[1] == pytest.approx(1.0 + 0.0)
    assert scores[2] == pytest.approx(0.5)
    assert scores[3] == pytest.approx(0.0 + 2.0)
    assert [f.id for f in fused] == [3, 1, 2]
    flat = score_fusion([[(4, 3.0), (5, 3.0)]])
    assert [f.score for f in flat] == [1.0, 1.0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: reciprocal_rank_fusion([[1]], weights=[1, 2]), "2 weights for 1"),
        (lambda: reciprocal_rank_fusion([[1]], weights=[-1]), "weights"),
        (lambda: reciprocal_rank_fusion([[1]], weights=[float("inf")]), "weights"),
        (lambda: reciprocal_rank_fusion([[1]], k=-1), "constant k"),
        (lambda: reciprocal_rank_fusion([["a"]]), "non-integer id"),  # type: ignore[list-item]
        (lambda: reciprocal_rank_fusion(["12"]), "sequence of ids"),  # type: ignore[list-item]
        (lambda: reciprocal_rank_fusion([[1]], limit=-1), "limit"),
        (lambda: hybrid_fusion([1], [2], keyword_weight=1.5), "keyword_weight"),
        (lambda: score_fusion([[1, 2]]), r"\(id, score\) pairs"),  # type: ignore[list-item]
        (lambda: score_fusion([[(1, float("nan"))]]), "non-finite"),
    ],
)
def test_bad_inputs(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()

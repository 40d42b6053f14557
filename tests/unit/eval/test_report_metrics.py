"""Ranking metrics on tiny lists whose answers are worked out by hand in the comments."""

from __future__ import annotations

import math

import pytest

from fashion_search.errors import ValidationError
from fashion_search.eval.metrics import (
    auc,
    catalog_coverage,
    dcg_at_k,
    hit_at_k,
    ndcg_at_k,
    precision_at_k,
    reciprocal_rank,
    standard_error,
)

RANKED = [1, 2, 3, 4]
RELEVANT = {2, 4, 9}


def test_precision_divides_by_k_even_past_the_end_of_the_list() -> None:
    assert precision_at_k(RANKED, RELEVANT, 1) == 0.0
    assert precision_at_k(RANKED, RELEVANT, 2) == 0.5
    assert precision_at_k(RANKED, RELEVANT, 4) == 0.5
    # Only 4 results for 10 slots: 2 hits / 10.
    assert precision_at_k(RANKED, RELEVANT, 10) == pytest.approx(0.2)


def test_ndcg_against_the_ideal_list_of_min_k_relevant() -> None:
    # Hits at ranks 2 and 4: 1/log2(3) + 1/log2(5).
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    assert dcg_at_k(RANKED, RELEVANT, 4) == pytest.approx(dcg)
    # Three relevant items exist, so the ideal puts three first: 1 + 1/log2(3) + 1/log2(4).
    ideal = 1 + 1 / math.log2(3) + 0.5
    assert ndcg_at_k(RANKED, RELEVANT, 4) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(RANKED, RELEVANT, 4) == pytest.approx(0.49819, abs=1e-5)
    # k=2: one hit at rank 2; the ideal holds two relevant items.
    assert ndcg_at_k(RANKED, RELEVANT, 2) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([2, 4], {2, 4}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(RANKED, set(), 10) == 0.0


def test_hit_rate_and_reciprocal_rank() -> None:
    assert hit_at_k(RANKED, RELEVANT, 1) == 0.0
    assert hit_at_k(RANKED, RELEVANT, 2) == 1.0
    assert reciprocal_rank(RANKED, RELEVANT) == 0.5
    assert reciprocal_rank([5, 6, 7, 9], RELEVANT) == 0.25
    assert reciprocal_rank([5, 6], RELEVANT) == 0.0


def test_catalog_coverage_counts_distinct_items() -> None:
    assert catalog_coverage([[1, 2], [2, 3]], 10) == pytest.approx(0.3)
    assert catalog_coverage([], 10) == 0.0
    with pytest.raises(ValidationError, match="catalog_size"):
        catalog_coverage([[1]], 0)


def test_auc_counts_ties_as_half() -> None:
    # Pairs: 3>1, 3>2, 2>1 win; 2 vs 2 ties -> (3 + 0.5) / 4.
    assert auc([3, 2], [1, 2]) == pytest.approx(0.875)
    assert auc([1, 1], [1, 1]) == pytest.approx(0.5)
    assert auc([0.0], [1.0]) == 0.0
    assert auc([], [1.0]) is None


def test_k_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="k must be a positive integer"):
        precision_at_k(RANKED, RELEVANT, 0)
    with pytest.raises(ValidationError):
        ndcg_at_k(RANKED, RELEVANT, True)


def test_standard_error() -> None:
    # Values 0 and 1: sample sd = sqrt(0.5), se = sqrt(0.5)/sqrt(2) = 0.5.
    assert standard_error([0.0, 1.0]) == pytest.approx(0.5)
    assert standard_error([1.0]) is None

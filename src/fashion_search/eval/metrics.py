"""Ranking metrics over one ranked list and a set of relevant items, and a rank-based AUC.

Conventions (binary relevance, as in Amazon Personalize's offline metrics):

* ``precision_at_k``: relevant items among the first ``k`` ranked, divided by ``k`` (a list shorter
  than ``k`` still divides by ``k``: an empty slot is a miss);
* ``ndcg_at_k``: DCG with gain 1 and discount ``1 / log2(rank + 1)`` (rank from 1), divided by the
  DCG of the ideal list that puts ``min(k, |relevant|)`` relevant items first;
* ``hit_at_k``: 1 when any of the first ``k`` is relevant;
* ``reciprocal_rank``: ``1 / rank`` of the first relevant item anywhere in the list, else 0;
* ``catalog_coverage``: distinct items recommended over all lists / catalog size.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence

import numpy as np

from fashion_search.errors import ValidationError


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValidationError(f"k must be a positive integer, got {k!r}")


def precision_at_k(ranked: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Share of the first ``k`` slots holding a relevant item."""
    _check_k(k)
    return sum(1 for item in ranked[:k] if item in relevant) / k


def dcg_at_k(ranked: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Discounted cumulative gain of the first ``k`` items (gain 1 per relevant item)."""
    _check_k(k)
    return sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)


def ndcg_at_k(ranked: Sequence[int], relevant: Collection[int], k: int) -> float:
    """DCG@k over the ideal DCG@k; 0 when nothing is relevant."""
    _check_k(k)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return 0.0 if ideal == 0 else dcg_at_k(ranked, relevant, k) / ideal


def hit_at_k(ranked: Sequence[int], relevant: Collection[int], k: int) -> float:
    """1.0 when any of the first ``k`` items is relevant, else 0.0."""
    _check_k(k)
    return 1.0 if any(item in relevant for item in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[int], relevant: Collection[int]) -> float:
    """``1 / rank`` of the first relevant item (rank from 1), 0 when there is none."""
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def catalog_coverage(lists: Iterable[Sequence[int]], catalog_size: int) -> float:
    """Distinct items appearing in any list, as a share of the catalog."""
    if catalog_size < 1:
        raise ValidationError(f"catalog_size must be positive, got {catalog_size}")
    seen: set[int] = set()
    for items in lists:
        seen.update(items)
    return len(seen) / catalog_size


def auc(positive: Sequence[float] | np.ndarray, negative: Sequence[float] | np.ndarray) -> float | None:
    """Probability that a random positive scores above a random negative (ties count one half).

    None when either side is empty.
    """
    pos = np.asarray(positive, dtype=np.float64).reshape(-1)
    neg = np.asarray(negative, dtype=np.float64).reshape(-1)
    if len(pos) == 0 or len(neg) == 0:
        return None
    scores = np.concatenate([pos, neg])
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    # Average ranks over ties (1-based), then the Mann-Whitney U statistic.
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, None for no values."""
    return float(np.mean(values)) if len(values) else None


def standard_error(values: Sequence[float]) -> float | None:
    """Standard error of the mean (sample standard deviation / sqrt(n)); None below two values."""
    if len(values) < 2:
        return None
    return float(np.std(values, ddof=1) / math.sqrt(len(values)))

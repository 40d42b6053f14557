"""Fusing ranked lists: reciprocal rank fusion (RRF) and a min-max score fusion.

RRF scores a product by ``sum_i w_i / (k + rank_i)`` over the lists it appears in (ranks start at 1),
so it needs no comparable scores: a BM25 score and a cosine similarity fuse by their ranks alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from fashion_search.errors import ValidationError

RRF_K = 60
"""The usual RRF constant: it damps the weight of the very first ranks."""

DEFAULT_KEYWORD_WEIGHT = 0.5

Ranking = Sequence[int] | Sequence[tuple[int, float]]
"""Ids best first, or ``(id, score)`` pairs best first."""


class Fused(NamedTuple):
    """One fused result: its score, and per input list its rank (1-based, None when absent) and
    the part of the score that list contributed."""

    id: int
    score: float
    ranks: tuple[int | None, ...]
    contributions: tuple[float, ...]


def _ids(ranking: Ranking, which: int) -> list[int]:
    if isinstance(ranking, str | bytes) or not isinstance(ranking, Sequence):
        raise ValidationError(f"ranking {which} must be a sequence of ids or (id, score) pairs")
    ids: list[int] = []
    for item in ranking:
        doc = item[0] if isinstance(item, tuple) else item
        if isinstance(doc, bool) or not isinstance(doc, int):
            try:
                doc = int(doc)  # NumPy integers
            except (TypeError, ValueError):
                raise ValidationError(f"ranking {which} holds a non-integer id {doc!r:.40}") from None
        ids.append(doc)
    return ids


def _weights(weights: Sequence[float] | None, n: int) -> list[float]:
    if weights is None:
        return [1.0] * n
    if len(weights) != n:
        raise ValidationError(f"got {len(weights)} weights for {n} rankings")
    out = []
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            raise ValidationError(f"fusion weights must be finite numbers >= 0, got {w!r}")
        out.append(float(w))
    return out


def _ordered(
    scores: dict[int, float],
    ranks: dict[int, list[int | None]],
    contrib: dict[int, list[float]],
    limit: int | None,
) -> list[Fused]:
    def best_rank(doc: int) -> int:
        return min((r for r in ranks[doc] if r is not None), default=1 << 62)

    order = sorted(scores, key=lambda d: (-scores[d], best_rank(d), d))
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValidationError(f"limit must be a non-negative integer, got {limit!r}")
        order = order[:limit]
    return [Fused(d, scores[d], tuple(ranks[d]), tuple(contrib[d])) for d in order]


def reciprocal_rank_fusion(
    rankings: Sequence[Ranking],
    weights: Sequence[float] | None = None,
    k: float = RRF_K,
    limit: int | None = None,
) -> list[Fused]:
    """Fuse rankings by weighted RRF; best first, ties broken by the best single rank, then by id.

    An id repeated within one list counts at its first (best) rank only.
    """
    if isinstance(k, bool) or not isinstance(k, int | float) or not math.isfinite(k) or k < 0:
        raise ValidationError(f"the RRF constant k must be a finite number >= 0, got {k!r}")
    lists = [_ids(r, i) for i, r in enumerate(rankings)]
    ws = _weights(weights, len(lists))
    n = len(lists)
    scores: dict[int, float] = {}
    ranks: dict[int, list[int | None]] = {}
    contrib: dict[int, list[float]] = {}
    for li, (ids, w) in enumerate(zip(lists, ws, strict=True)):
        seen: set[int] = set()
        for position, doc in enumerate(ids, start=1):
            if doc in seen:
                continue
            seen.add(doc)
            if doc not in scores:
                scores[doc] = 0.0
                ranks[doc] = [None] * n
                contrib[doc] = [0.0] * n
            part = w / (k + position)
            scores[doc] += part
            ranks[doc][li] = position
            contrib[doc][li] = part
    return _ordered(scores, ranks, contrib, limit)


def hybrid_fusion(
    vector: Ranking,
    keyword: Ranking,
    keyword_weight: float = DEFAULT_KEYWORD_WEIGHT,
    k: float = RRF_K,
    limit: int | None = None,
) -> list[Fused]:
    """RRF of a vector ranking and a keyword ranking with weights ``1 - keyword_weight`` and
    ``keyword_weight``: 0 is vector search alone, 1 keyword search alone, 0.5 (default) equal."""
    if (
        isinstance(keyword_weight, bool)
        or not isinstance(keyword_weight, int | float)
        or not (0.0 <= keyword_weight <= 1.0)
    ):
        raise ValidationError(f"keyword_weight must be a number between 0 and 1, got {keyword_weight!r}")
    return reciprocal_rank_fusion(
        [vector, keyword], weights=[1.0 - keyword_weight, float(keyword_weight)], k=k, limit=limit
    )


def score_fusion(
    results: Sequence[Sequence[tuple[int, float]]],
    weights: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[Fused]:
    """Fuse scored lists by a weighted sum of min-max normalised scores (0..1 within each list).

    A list whose scores are all equal gives each of its items 1. An item absent from a list gets 0
    from it, so this suits lists that cover the same candidates (e.g. BM25 re-scoring vector hits).
    """
    ws = _weights(weights, len(results))
    n = len(results)
    scores: dict[int, float] = {}
    ranks: dict[int, list[int | None]] = {}
    contrib: dict[int, list[float]] = {}
    for li, (items, w) in enumerate(zip(results, ws, strict=True)):
        ids = _ids(items, li)
        values = []
        for item in items:
            if not isinstance(item, tuple) or len(item) != 2:
                raise ValidationError(f"score_fusion list {li} must hold (id, score) pairs")
            s = float(item[1])
            if not math.isfinite(s):
                raise ValidationError(f"score_fusion list {li} holds a non-finite score {item[1]!r}")
            values.append(s)
        if not values:
            continue
        lo, hi = min(values), max(values)
        seen: set[int] = set()
        for position, (doc, s) in enumerate(zip(ids, values, strict=True), start=1):
            if doc in seen:
                continue
            seen.add(doc)
            norm = 1.0 if hi == lo else (s - lo) / (hi - lo)
            if doc not in scores:
                scores[doc] = 0.0
                ranks[doc] = [None] * n
                contrib[doc] = [0.0] * n
            scores[doc] += w * norm
            ranks[doc][li] = position
            contrib[doc][li] = w * norm
    return _ordered(scores, ranks, contrib, limit)

"""Diversity by maximal marginal relevance (MMR).

From a candidate pool larger than the page, items are picked one at a time, each maximising
``lam * relevance - (1 - lam) * (highest similarity to an item already picked)``. Relevance is
min-max scaled to [0, 1] within the pool so that ``lam`` means the same for any score scale;
similarity is the cosine of the items' vectors (an item without a vector is similar to nothing).
``lam = 1`` returns the relevance order; lower values trade relevance for variety.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fashion_search.errors import ValidationError
from fashion_search.rank.scoring import Ranked


def _check_lambda(lam: float) -> None:
    if (
        isinstance(lam, bool)
        or not isinstance(lam, int | float)
        or not math.isfinite(lam)
        or not 0 <= lam <= 1
    ):
        raise ValidationError(f"MMR lambda must be a number between 0 and 1, got {lam!r}")


def _unit_rows(vectors: Sequence[np.ndarray | None] | np.ndarray) -> np.ndarray:
    if isinstance(vectors, np.ndarray) and vectors.ndim == 2:
        # Rows of zeros (no vector) stay zero: similar to nothing, as a missing vector is.
        stacked = vectors.astype(np.float32, copy=False)
        norms = np.linalg.norm(stacked, axis=1, keepdims=True)
        return np.divide(stacked, norms, out=np.zeros_like(stacked), where=norms > 0)
    present = [i for i, v in enumerate(vectors) if v is not None]
    if not present:
        return np.zeros((len(vectors), 1), dtype=np.float32)
    rows = [np.asarray(vectors[i], dtype=np.float32).reshape(-1) for i in present]
    dim = rows[0].shape[0]
    for row in rows:
        if row.shape[0] != dim:
            raise ValidationError(f"candidate vectors differ in dimension: {row.shape[0]} and {dim}")
    stacked = np.stack(rows)
    norms = np.linalg.norm(stacked, axis=1, keepdims=True)
    out = np.zeros((len(vectors), dim), dtype=np.float32)
    out[present] = np.divide(stacked, norms, out=np.zeros_like(stacked), where=norms > 0)
    return out


def mmr_order(
    relevance: Sequence[float] | np.ndarray,
    vectors: Sequence[np.ndarray | None] | np.ndarray,
    k: int,
    lam: float,
) -> list[int]:
    """Indices of the ``k`` items MMR picks, in pick order. Ties go to the earlier index."""
    _check_lambda(lam)
    if k < 0:
        raise ValidationError(f"k must not be negative, got {k}")
    rel = np.asarray(relevance, dtype=np.float64).reshape(-1)
    if len(vectors) != len(rel):
        raise ValidationError(f"got {len(rel)} relevance scores but {len(vectors)} vectors")
    n = len(rel)
    k = min(k, n)
    if k == 0:
        return []
    spread = float(rel.max() - rel.min())
    scaled = (rel - rel.min()) / spread if spread > 0 else np.zeros(n)
    unit = _unit_rows(vectors if isinstance(vectors, np.ndarray) else list(vectors))
    relevant = lam * scaled
    gain = relevant
    penalty: np.ndarray | None = None
    picked: list[int] = []
    while True:
        best = int(np.argmax(gain))
        picked.append(best)
        if len(picked) == k:
            return picked
        # The penalty: each item's highest similarity to the items picked so far.
        sims = unit @ unit[best]
        penalty = sims.astype(np.float64) if penalty is None else np.maximum(penalty, sims)
        gain = relevant - (1.0 - lam) * penalty
        gain[picked] = -np.inf


def diversify(ranked: Sequence[Ranked], k: int, lam: float) -> list[Ranked]:
    """The ``k`` items MMR picks from ``ranked`` (relevance = final score, similarity = vectors)."""
    order = mmr_order([r.score for r in ranked], [r.vector for r in ranked], k, lam)
    return [ranked[i] for i in order]


def intra_list_similarity(vectors: Sequence[np.ndarray | None] | np.ndarray) -> float:
    """Mean pairwise cosine similarity of a list (lower = more diverse); 0 for fewer than two items."""
    n = len(vectors)
    if n < 2:
        return 0.0
    unit = _unit_rows(list(vectors))
    sims = unit @ unit.T
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1)))

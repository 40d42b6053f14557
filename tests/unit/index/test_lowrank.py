"""LowRankBound: per-row cosine bounds from a projection, and the rows that can reach the top k."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_search.errors import ValidationError
from fashion_search.index.lowrank import LowRankBound


def clustered(n: int, dim: int, clusters: int, spread: float, seed: int = 0) -> np.ndarray:
    """Unit rows around a few centres: most of their energy lies in few directions, as embeddings'."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    rows = centres[rng.integers(clusters, size=n)] + spread * rng.standard_normal((n, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


@pytest.mark.parametrize(("clusters", "spread"), [(8, 0.3), (40, 1.0), (1, 10.0)])
def test_bounds_hold_for_every_row(clusters: int, spread: float) -> None:
    matrix = clustered(3000, 64, clusters, spread)
    bound = LowRankBound(matrix, rank=16)
    rng = np.random.default_rng(1)
    for q in [unit(rng.standard_normal(64)), unit(matrix[5] + 0.1 * rng.standard_normal(64)), matrix[7]]:
        estimate, error = bound.estimates(q)
        exact = matrix @ q
        assert np.all(np.abs(exact - estimate) <= error + 1e-5)


@pytest.mark.parametrize(("clusters", "spread"), [(8, 0.3), (40, 1.0), (1, 10.0)])
def test_candidates_always_hold_the_true_top_k(clusters: int, spread: float) -> None:
    matrix = clustered(3000, 64, clusters, spread, seed=2)
    bound = LowRankBound(matrix, rank=16)
    rng = np.random.default_rng(3)
    for trial in range(20):
        q = unit(matrix[trial] + rng.uniform(0, 1) * rng.standard_normal(64))
        rows = np.flatnonzero(rng.random(3000) < rng.uniform(0.05, 1.0))
        k = int(rng.integers(1, 300))
        estimate, error = bound.estimates(q)
        candidates = LowRankBound.candidates(estimate, error, rows, k)
        assert set(candidates.tolist()) <= set(rows.tolist())
        assert np.all(np.diff(candidates) > 0)
        scores = matrix[rows] @ q
        kth = np.sort(scores)[::-1][min(k, rows.shape[0]) - 1]
        # Every row at least as good as the k-th best (ties included) is a candidate.
        assert set(rows[scores >= kth].tolist()) <= set(candidates.tolist())


def test_clustered_rows_are_pruned_to_a_few() -> None:
    matrix = clustered(20_000, 128, 30, 0.25, seed=4)
    bound = LowRankBound(matrix, rank=32)
    # A shopper-like query: the mean of a few rows of one cluster.
    q = unit(matrix[:5].sum(axis=0))
    estimate, error = bound.estimates(q)
    candidates = LowRankBound.candidates(estimate, error, np.arange(20_000), 200)
    assert 200 <= candidates.shape[0] < 20_000 // 5


def test_edges_and_validation() -> None:
    matrix = clustered(100, 16, 3, 0.5)
    bound = LowRankBound(matrix, rank=4)
    assert bound.rank == 4 and bound.projection.shape == (100, 4)
    estimate, error = bound.estimates(matrix[0])
    rows = np.arange(0, 100, 3)
    assert LowRankBound.candidates(estimate, error, rows, 0).shape == (0,)
    assert LowRankBound.candidates(estimate, error, rows, 50).tolist() == rows.tolist()
    assert LowRankBound.candidates(estimate, error, rows[:0], 5).shape == (0,)
    with pytest.raises(ValidationError, match="rank"):
        LowRankBound(matrix, rank=16)
    with pytest.raises(ValidationError, match="non-empty"):
        LowRankBound(matrix[:0], rank=4)
    with pytest.raises(ValidationError, match="dimensions"):
        bound.estimates(np.ones(8, dtype=np.float32))

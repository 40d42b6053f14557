from __future__ import annotations

import numpy as np
import pytest

from fashion_search.domain import Hit, Product
from fashion_search.errors import ValidationError
from fashion_search.rank import diversify, intra_list_similarity, mmr_order, rank


def clustered(n_per: int = 10, clusters: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors in tight clusters; cluster 0 is the most relevant, then 1, ..."""
    rng = np.random.default_rng(seed)
    centres = np.eye(clusters, 16)
    vectors, relevance, label = [], [], []
    for c in range(clusters):
        for i in range(n_per):
            v = centres[c] + 0.05 * rng.standard_normal(16)
            vectors.append(v / np.linalg.norm(v))
            relevance.append(1.0 - 0.2 * c - 0.01 * i)
            label.append(c)
    return np.array(vectors, np.float32), np.array(relevance), np.array(label)


def test_lambda_one_is_the_relevance_order() -> None:
    vectors, relevance, _ = clustered()
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(relevance))
    order = mmr_order(relevance[perm], vectors[perm], k=len(perm), lam=1.0)
    assert order == list(np.argsort(-relevance[perm], kind="stable"))


def test_lower_lambda_spreads_over_clusters() -> None:
    vectors, relevance, label = clustered()
    page = {lam: mmr_order(relevance, vectors, k=8, lam=lam) for lam in (1.0, 0.7, 0.3)}
    assert set(label[page[1.0]]) == {0}
    assert len(set(label[page[0.3]])) == 4
    ils = {lam: intra_list_similarity(vectors[idx]) for lam, idx in page.items()}
    assert ils[1.0] > ils[0.7] > ils[0.3]
    assert page[0.3][0] == 0  # the most relevant item always comes first


def test_diversify_ranked_results() -> None:
    vectors, relevance, label = clustered()
    products = [Product(i, f"p{i}", article_type=f"type{label[i]}") for i in range(len(label))]
    hits = [Hit(p, float(r)) for p, r in zip(products, relevance, strict=True)]
    ranked = rank(hits, None, vectors=vectors)
    assert [r.product.id for r in diversify(ranked, 5, 1.0)] == [r.product.id for r in ranked[:5]]
    varied = diversify(ranked, 4, 0.3)
    assert {r.product.article_type for r in varied} == {"type0", "type1", "type2", "type3"}


def test_edges_and_validation() -> None:
    vectors, relevance, _ = clustered(n_per=2, clusters=2)
    assert mmr_order(relevance, vectors, k=0, lam=0.5) == []
    assert sorted(mmr_order(relevance, vectors, k=10, lam=0.5)) == [0, 1, 2, 3]
    assert mmr_order([0.5, 0.5, 0.5], [None, None, None], k=3, lam=0.5) == [0, 1, 2]
    for bad in (-0.1, 1.1, float("nan"), True):
        with pytest.raises(ValidationError, match="lambda"):
            mmr_order(relevance, vectors, k=2, lam=bad)
    with pytest.raises(ValidationError, match="relevance scores"):
        mmr_order(relevance[:3], vectors, k=2, lam=0.5)
    with pytest.raises(ValidationError, match="negative"):
        mmr_order(relevance, vectors, k=-1, lam=0.5)
    assert intra_list_similarity(vectors[:1]) == 0.0
    assert intra_list_similarity(np.stack([vectors[0], vectors[0]])) == pytest.approx(1.0)

"""PgVectorIndex beyond the contract: recall of the HNSW walks, k results under filters, catalog reads."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from fashion_search.domain import SPACES, Filter, Product, condition, where
from fashion_search.index.exact import ExactIndex
from fashion_search.index.pgvector import PgVectorIndex
from fashion_search.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

N, DIM, CLUSTERS = 4000, 32, 40
COLOURS = ["Black", "White", "Blue", "Red", "Green", "Grey", "Pink", "Brown", "Navy Blue", "Olive"]


def clustered(seed: int = 0) -> tuple[list[Product], np.ndarray, np.ndarray]:
    """Products with clustered vectors (like real embeddings) and queries near the clusters."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIM)).astype(np.float32)
    cluster = rng.integers(CLUSTERS, size=N)
    vectors = centres[cluster] + 0.5 * rng.standard_normal((N, DIM)).astype(np.float32)
    products = [
        Product(
            id=i + 1,
            name=f"p{i + 1}",
            # Colour follows the cluster loosely, as it does in a real catalog, so that a colour
            # filter keeps ~10% of the products mostly far from a given query.
            base_colour=COLOURS[int(cluster[i]) % 10]
            if rng.random() < 0.8
            else COLOURS[int(rng.integers(10))],
            price=float(rng.uniform(5, 200)),
            year=int(rng.integers(2008, 2019)),
        )
        for i in range(N)
    ]
    queries = centres[rng.integers(CLUSTERS, size=60)] + 0.7 * rng.standard_normal((60, DIM)).astype(
        np.float32
    )
    return products, vectors, queries


@pytest.fixture(scope="module")
def data() -> tuple[list[Product], np.ndarray, np.ndarray]:
    return clustered()


@pytest.fixture(scope="module")
def loaded(
    postgres_uri: str, data: tuple[list[Product], np.ndarray, np.ndarray]
) -> Iterator[tuple[PostgresStore, ExactIndex]]:
    import psycopg

    products, vectors, _ = data
    store = PostgresStore(postgres_uri, schema="recall_module")
    reference = ExactIndex(model="m")
    reference.upsert_products(products)
    store.upsert_products(products)
    ids = [p.id for p in products]
    reference.upsert("text", ids, vectors)
    store.put_vectors("text", "m", ids, vectors, [""] * N)
    store.analyze()
    try:
        yield store, reference
    finally:
        store.close()
        with psycopg.connect(postgres_uri, autocommit=True) as conn:
            conn.execute("DROP SCHEMA recall_module CASCADE")


def _recall(
    index: PgVectorIndex, reference: ExactIndex, queries: np.ndarray, filt: Filter | None, k: int = 10
) -> float:
    recalls = []
    for q in queries:
        expected = [h.product.id for h in reference.search("text", q, k=k, where=filt)]
        got = index.search("text", q, k=k, where=filt)
        assert len(got) == len(expected)
        assert all(filt is None or filt.matches(h.product) for h in got)
        scores = [h.score for h in got]
        assert scores == sorted(scores, reverse=True)
        recalls.append(len({h.product.id for h in got} & set(expected)) / max(1, len(expected)))
    return float(np.mean(recalls))


@pytest.mark.parametrize("iterative_scan", ["strict_order", "relaxed_order"])
def test_hnsw_recall_unfiltered_and_filtered(
    loaded: tuple[PostgresStore, ExactIndex],
    data: tuple[list[Product], np.ndarray, np.ndarray],
    iterative_scan: str,
) -> None:
    store, reference = loaded
    _, _, queries = data
    index = PgVectorIndex(store, model="m", iterative_scan=iterative_scan)
    assert store.vector_indexes() != []
    assert _recall(index, reference, queries, None) >= 0.98
    # exact_max_rows=0: every filtered query walks the graph (iteratively), none is ordered exactly.
    walker = PgVectorIndex(store, model="m", iterative_scan=iterative_scan, exact_max_rows=0)
    for filt in (where(base_colour="Blue"), Filter((condition("price", "<", 40.0),))):
        share = reference.count_matching(filt) / N
        assert 0.05 < share < 0.3
        assert _recall(walker, reference, queries, filt) >= 0.98, filt


def test_selective_filters_are_exact_and_give_k(
    loaded: tuple[PostgresStore, ExactIndex], data: tuple[list[Product], np.ndarray, np.ndarray]
) -> None:
    store, reference = loaded
    _, _, queries = data
    index = PgVectorIndex(store, model="m")  # default: <= 3,000 candidates are ordered exactly
    filt = Filter((condition("base_colour", "=", "Olive"), condition("year", ">=", 2015)))
    assert 10 < reference.count_matching(filt) < 3000
    for q in queries[:20]:
        expected = [(h.product.id, h.score) for h in reference.search("text", q, k=10, where=filt)]
        got = [(h.product.id, h.score) for h in index.search("text", q, k=10, where=filt)]
        assert [i for i, _ in got] == [i for i, _ in expected]
        assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)


def test_a_walk_that_gives_up_falls_back_to_exact(
    loaded: tuple[PostgresStore, ExactIndex], data: tuple[list[Product], np.ndarray, np.ndarray]
) -> None:
    store, reference = loaded
    _, _, queries = data
    # The walk may visit only 30 tuples: a 10% filter runs dry, and the exact query must answer.
    index = PgVectorIndex(store, model="m", exact_max_rows=0, max_scan_tuples=30, ef_search=10)
    filt = where(base_colour="Pink")
    for q in queries[:10]:
        expected = [h.product.id for h in reference.search("text", q, k=50, where=filt)]
        assert [h.product.id for h in index.search("text", q, k=50, where=filt)] == expected


def test_products_without_vectors_count_as_candidates_but_k_still_come_back(
    postgres_uri: str, postgres_schema: str
) -> None:
    # The candidate count reads products only: 3,500 match the filter, but only 12 have a vector.
    # The count picks a graph walk, which runs dry, and the exact fallback answers.
    rng = np.random.default_rng(5)
    store = PostgresStore(postgres_uri, schema=postgres_schema)
    try:
        store.upsert_products([Product(id=i, name=f"p{i}", base_colour="Black") for i in range(1, 3501)])
        with_vectors = [int(i) for i in rng.choice(np.arange(1, 3501), size=12, replace=False)]
        vectors = rng.standard_normal((12, DIM)).astype(np.float32)
        store.put_vectors("text", "m", with_vectors, vectors, [""] * 12)
        index = PgVectorIndex(store, model="m", exact_max_rows=3000)
        reference = ExactIndex(model="m")
        reference.upsert_products([Product(id=i, name=f"p{i}", base_colour="Black") for i in with_vectors])
        reference.upsert("text", with_vectors, vectors)
        filt = where(base_colour="Black")
        assert index.count_matching(filt) == 3500
        for q in rng.standard_normal((5, DIM)).astype(np.float32):
            expected = [h.product.id for h in reference.search("text", q, k=10, where=filt)]
            assert [h.product.id for h in index.search("text", q, k=10, where=filt)] == expected
        assert [h.product.id for h in index.search("text", vectors[0], k=50, where=filt)] == [
            h.product.id for h in reference.search("text", vectors[0], k=50, where=filt)
        ]
    finally:
        store.close()


def test_catalog_reads_equal_the_exact_index(loaded: tuple[PostgresStore, ExactIndex]) -> None:
    store, reference = loaded
    index = PgVectorIndex(store, model="m")
    filters = [
        None,
        where(base_colour="Blue"),
        Filter((condition("price", ">=", 150.0),)),
        where(colour="None"),
    ]
    for filt in filters:
        assert index.count_matching(filt) == reference.count_matching(filt)
        assert index.matching_ids(filt).tolist() == reference.matching_ids(filt).tolist()
        assert index.facets(filt, ["base_colour", "gender"]) == reference.facets(
            filt, ["base_colour", "gender"]
        )
        edges = [0.0, 25.0, 75.0, 150.0, float("inf")]
        assert index.histogram(filt, "price", edges) == reference.histogram(filt, "price", edges)
        for sort_by, descending in ((None, False), (None, True), ("price", True), ("year", False)):
            for offset in (0, 37, 10_000):
                got = index.browse(filt, offset=offset, limit=25, sort_by=sort_by, descending=descending)
                assert got == reference.browse(
                    filt, offset=offset, limit=25, sort_by=sort_by, descending=descending
                )
    assert index.ids("text").tolist() == reference.ids("text").tolist()
    assert index.ids("image").tolist() == []
    assert index.products_by_id() == reference.products_by_id()
    assert index.get_product(17) == reference.get_product(17)
    some = [5, 99999, 17]
    assert np.allclose(index.vectors("text", some), reference.vectors("text", some), atol=1e-6)
    ids = reference.ids("text")[:300].tolist()
    q = np.ones(DIM, dtype=np.float32)
    assert [h.product.id for h in index.search("text", q, k=7, include_ids=ids)] == [
        h.product.id for h in reference.search("text", q, k=7, include_ids=ids)
    ]
    assert index.search("text", q, k=7, include_ids=[]) == []
    assert {s: index.count(s) for s in SPACES} == {"image": 0, "text": N, "hybrid": 0}

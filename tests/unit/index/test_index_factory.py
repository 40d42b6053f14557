from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_search.domain import Product
from fashion_search.errors import ConfigurationError, StoreError
from fashion_search.index.exact import ExactIndex
from fashion_search.index.factory import build_index, index_from_store
from fashion_search.store.sqlite import SqliteStore


@pytest.mark.parametrize("kind", ["exact", "auto", " Exact "])
def test_build_index_exact(kind: str) -> None:
    index = build_index(kind, model="fake:4")
    assert isinstance(index, ExactIndex) and index.model == "fake:4" and index.count() == 0


def test_build_index_hnsw_not_yet() -> None:
    with pytest.raises(ConfigurationError, match="HNSW.*not available yet"):
        build_index("hnsw")


def test_build_index_unknown_names_the_kinds() -> None:
    with pytest.raises(ConfigurationError, match="'faiss'.*auto, exact, hnsw"):
        build_index("faiss")


def test_index_from_store_loads_products_and_every_space(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    store = SqliteStore(tmp_path)
    try:
        store.upsert_products(
            [Product(id=i, name=f"p{i}", gender="Men" if i % 2 else "Women") for i in range(1, 31)]
        )
        image = rng.standard_normal((30, 6)).astype(np.float32)
        text = rng.standard_normal((10, 6)).astype(np.float32)
        store.put_vectors("image", "m", list(range(1, 31)), image, ["h"] * 30)
        store.put_vectors("text", "m", list(range(1, 11)), text, ["h"] * 10)
        index = index_from_store(store, model="m", batch_size=7)
        assert index.count() == 30
        assert (index.count("image"), index.count("text"), index.count("hybrid")) == (30, 10, 0)
        assert index.model == "m"
        best = index.search("image", image[4], k=1)[0]
        assert best.product.id == 5 and best.score == pytest.approx(1.0, abs=1e-6)
        assert index.search("text", text[0], k=1)[0].product == store.get_product(1)

        store.put_vectors("hybrid", "other", [1], np.ones((1, 3)), ["h"])
        store.put_vectors("hybrid", "m", [2], np.ones((1, 6)), ["h"])
        with pytest.raises(StoreError, match="several models"):
            index_from_store(store)
        assert index_from_store(store, model="m").count("hybrid") == 1
    finally:
        store.close()

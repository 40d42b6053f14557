from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_search.domain import Product, where
from fashion_search.errors import ConfigurationError, MissingDependencyError, StoreError
from fashion_search.index.exact import ExactIndex
from fashion_search.index.factory import build_index, index_from_store, load_index, saved_index_exists
from fashion_search.index.hnsw import HnswIndex, HnswParams
from fashion_search.store.sqlite import SqliteStore


@pytest.mark.parametrize("kind", ["exact", "auto", " Exact "])
def test_build_index_exact(kind: str) -> None:
    index = build_index(kind, model="fake:4")
    assert isinstance(index, ExactIndex) and index.model == "fake:4" and index.count() == 0


def test_build_index_hnsw_and_auto_by_size() -> None:
    pytest.importorskip("faiss")
    params = HnswParams(m=8, ef_search=20)
    index = build_index(" HNSW", model="fake:4", hnsw=params)
    assert isinstance(index, HnswIndex) and index.params == params and index.model == "fake:4"
    assert type(build_index("auto", size=199_999)) is ExactIndex
    assert type(build_index("auto", size=None)) is ExactIndex
    assert isinstance(build_index("auto", size=200_000), HnswIndex)
    assert isinstance(build_index("auto", size=10, hnsw_threshold=10), HnswIndex)
    assert type(build_index("exact", size=10**7)) is ExactIndex
    with pytest.raises(ConfigurationError, match="hnsw_threshold"):
        build_index("auto", size=5, hnsw_threshold=-1)


def test_hnsw_without_faiss_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "faiss", None)  # makes `import faiss` fail
    with pytest.raises(MissingDependencyError, match=r"faiss-cpu.*fashion-search\[hnsw\]"):
        build_index("hnsw")
    assert type(build_index("auto", size=10)) is ExactIndex


def test_index_from_store_auto_and_load_index_dispatch(tmp_path: Path) -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(1)
    store = SqliteStore(tmp_path / "store")
    try:
        store.upsert_products([Product(id=i, name=f"p{i}") for i in range(1, 41)])
        store.put_vectors("text", "m", list(range(1, 41)), rng.standard_normal((40, 8)), ["h"] * 40)
        small = index_from_store(store, model="m", kind="auto", hnsw_threshold=41)
        large = index_from_store(store, model="m", kind="auto", hnsw_threshold=40)
    finally:
        store.close()
    assert type(small) is ExactIndex and isinstance(large, HnswIndex)
    assert large.count("text") == 40
    with pytest.raises(StoreError, match="no index found"):
        load_index(tmp_path / "nothing")
    small.save(tmp_path / "exact")
    large.save(tmp_path / "hnsw")
    assert saved_index_exists(tmp_path / "exact") and saved_index_exists(tmp_path / "hnsw")
    assert type(load_index(tmp_path / "exact")) is ExactIndex
    loaded = load_index(tmp_path / "hnsw")
    assert isinstance(loaded, HnswIndex) and loaded.count("text") == 40
    # An HNSW directory is an exact index plus graphs: it also opens as an exact index.
    assert type(ExactIndex.load(tmp_path / "hnsw")) is ExactIndex


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
        assert isinstance(index, ExactIndex)  # kind "exact"; CatalogIndex does not declare model
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


@pytest.mark.parametrize(
    ("kind", "threshold", "expected"),
    [("hnsw", 10**6, HnswIndex), ("auto", 20, HnswIndex), ("auto", 21, ExactIndex), ("exact", 0, ExactIndex)],
)
def test_settings_choose_the_index_the_services_build_and_reopen(
    tmp_path: Path, kind: str, threshold: int, expected: type
) -> None:
    pytest.importorskip("faiss")
    from fashion_search.app import build
    from fashion_search.settings import Settings

    settings = Settings(data_dir=tmp_path, model="fake:40", index=kind, hnsw_threshold=threshold)
    services = build(settings)
    try:
        services.store.upsert_products([Product(id=i, name=f"p{i}") for i in range(1, 21)])
        vectors = np.random.default_rng(2).standard_normal((20, 40))
        services.store.put_vectors("text", "fake-40", list(range(1, 21)), vectors, ["h"] * 20)
        built = services.rebuild_index()
    finally:
        services.close()
    assert type(built) is expected and built.count("text") == 20
    reopened = build(settings)
    try:
        index = reopened.index()  # loaded from the saved files, graphs included
        assert type(index) is expected
        assert index.search("text", vectors[3], k=1)[0].product.id == 4
    finally:
        reopened.close()


def test_settings_partition_fields_reach_the_hnsw_index_and_its_saved_files(tmp_path: Path) -> None:
    pytest.importorskip("faiss")
    from fashion_search.app import build
    from fashion_search.settings import Settings

    settings = Settings(
        data_dir=tmp_path, model="fake:40", index="hnsw", hnsw_partition_fields=["gender", "base_colour"]
    )
    services = build(settings)
    try:
        products = [Product(id=i, name=f"p{i}", gender="Men" if i % 2 else "Women") for i in range(1, 21)]
        services.store.upsert_products(products)
        vectors = np.random.default_rng(2).standard_normal((20, 40))
        services.store.put_vectors("text", "fake-40", list(range(1, 21)), vectors, ["h"] * 20)
        built = services.rebuild_index()
    finally:
        services.close()
    assert isinstance(built, HnswIndex) and built.params.partition_fields == ("gender", "base_colour")
    reopened = build(settings)
    try:
        index = reopened.index()
        assert isinstance(index, HnswIndex) and index.params.partition_fields == ("gender", "base_colour")
        hits = index.search("text", vectors[3], k=3, where=where(gender="Women"))
        assert hits[0].product.id == 4 and all(h.product.gender == "Women" for h in hits)
    finally:
        reopened.close()
    wrong = build(Settings(data_dir=tmp_path, model="fake:40", index="hnsw", hnsw_partition_fields=["price"]))
    try:
        with pytest.raises(ConfigurationError, match="partition_fields"):
            wrong.rebuild_index()
    finally:
        wrong.close()

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from fashion_search.domain import SPACES, Event, EventType, ImageStatus, Product, User  # noqa: E402
from fashion_search.errors import ValidationError  # noqa: E402
from fashion_search.lakehouse import export_store, import_store  # noqa: E402
from fashion_search.lakehouse.schema import SCHEMAS  # noqa: E402
from fashion_search.store.sqlite import SqliteStore  # noqa: E402

FORMATS = [
    "parquet",
    pytest.param(
        "delta",
        marks=pytest.mark.skipif(
            not __import__("importlib").util.find_spec("deltalake"),
            reason="deltalake not installed (extra lakehouse)",
        ),
    ),
]


def _products() -> list[Product]:
    return [
        Product(
            id=1163,
            name="Nike Sahara Team India Fanwear Round Neck Jersey",
            gender="Men",
            master_category="Apparel",
            sub_category="Topwear",
            article_type="Tshirts",
            base_colour="Blue",
            season="Summer",
            year=2011,
            usage="Sports",
            price=24.99,
            image_status=ImageStatus.PRESENT,
            image_file="1163.jpg",
            attributes={"pattern": "printed", "sleeves": "short"},
        ),
        Product(id=2, name="Plain, no metadata ünïcødé 'quoted'"),
        Product(
            id=3,
            name="Broken photo watch",
            article_type="Watches",
            year=2016,
            price=1234.5,
            image_status=ImageStatus.UNREADABLE,
            image_file="3.jpg",
        ),
        Product(id=4, name="Embedded by another model only"),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "source")
    s.upsert_products(_products())
    s.upsert_users(
        [
            User(1, "Asha", "budget", "likes bright colours", is_persona=True),
            User(2, "Ben", "premium"),
        ]
    )
    t0 = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    s.add_events(
        [
            Event(1, 1163, EventType.VIEW, t0),
            Event(1, 1163, EventType.ADD_TO_CART, t0 + timedelta(seconds=5)),
            Event(2, 3, EventType.PURCHASE, t0 + timedelta(days=1, microseconds=7)),
        ]
    )
    rng = np.random.default_rng(0)
    for space in SPACES:
        s.put_vectors(
            space, "fake-8", [1163, 2, 3], rng.standard_normal((3, 8)), [f"{space}-h{i}" for i in range(3)]
        )
    # A second model in one space: exported side by side, imported back per model.
    s.put_vectors("text", "other-4", [4], rng.standard_normal((1, 4)), ["o"])
    yield s
    s.close()


class Snapshot(TypedDict):
    """Everything a store holds, in comparable form."""

    products: list[Product]
    users: list[User]
    events: list[Event]
    vectors: dict[tuple[str, str], tuple[list[int], np.ndarray, dict[int, str]]]
    """(space, model) -> (ids, vectors, content hash per id)."""


def _snapshot(s: SqliteStore) -> Snapshot:
    vectors: dict[tuple[str, str], tuple[list[int], np.ndarray, dict[int, str]]] = {}
    for space in SPACES:
        infos = s.embedding_info(space)
        for model in sorted({i.model for i in infos.values()}):
            ids, vecs = s.load_vectors(space, model=model)
            vectors[(space, model)] = (ids.tolist(), vecs, {i: infos[i].content_hash for i in ids.tolist()})
    return {
        "products": [p for batch in s.iter_products() for p in batch],
        "users": s.list_users(limit=100),
        "events": [e for batch in s.iter_events() for e in batch],
        "vectors": vectors,
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_is_exact(store: SqliteStore, tmp_path: Path, fmt: str) -> None:
    report = export_store(store, tmp_path / "out", fmt)
    assert report.rows == {"products": 4, "users": 2, "events": 3, "embeddings": 10}
    target = SqliteStore(tmp_path / "target")
    try:
        back = import_store(target, tmp_path / "out")
        assert back.rows == report.rows
        want, got = _snapshot(store), _snapshot(target)
        assert got["products"] == want["products"]
        assert got["users"] == want["users"]
        assert got["events"] == want["events"]
        assert got["vectors"].keys() == want["vectors"].keys()
        for key, (ids, vecs, hashes) in want["vectors"].items():
            got_ids, got_vecs, got_hashes = got["vectors"][key]
            assert got_ids == ids and got_hashes == hashes
            np.testing.assert_array_equal(got_vecs, vecs)  # float32 bit for bit
        # Upserts by id: importing products, users and vectors again changes nothing.
        import_store(target, tmp_path / "out", tables=["products", "users", "embeddings"])
        assert _snapshot(target)["products"] == want["products"]
        assert target.count_products() == 4
    finally:
        target.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_uses_the_documented_columns_and_refuses_to_clobber(
    store: SqliteStore, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out"
    export_store(store, out, fmt, tables=["products", "embeddings"], image_root="/Volumes/main/shop/images")
    import pyarrow.dataset as ds

    if fmt == "delta":
        from deltalake import DeltaTable

        products = DeltaTable(str(out / "products")).to_pyarrow_table()
        embeddings = DeltaTable(str(out / "embeddings")).to_pyarrow_table()
        assert DeltaTable(str(out / "embeddings")).metadata().partition_columns == ["space"]
    else:
        products = ds.dataset(str(out / "products")).to_table()
        embeddings = ds.dataset(str(out / "embeddings")).to_table()
    assert products.schema.names == SCHEMAS["products"].names
    assert products.schema.field("attributes").type == pa.map_(pa.string(), pa.string())
    assert sorted(embeddings.schema.names) == sorted(SCHEMAS["embeddings"].names)
    assert embeddings.schema.field("embedding").type == pa.list_(pa.float32())
    row = products.filter(pa.compute.equal(products["product_id"], 1163)).to_pylist()[0]
    assert row["product_display_name"].startswith("Nike Sahara")
    assert row["image_path"] == "/Volumes/main/shop/images/1163.jpg"
    assert dict(row["attributes"]) == {"pattern": "printed", "sleeves": "short"}
    assert not (out / "users").exists()

    with pytest.raises(ValidationError, match="already exists"):
        export_store(store, out, fmt, tables=["products"])
    store.upsert_products([Product(id=5, name="new")])
    assert export_store(store, out, fmt, tables=["products"], overwrite=True).rows == {"products": 5}
    # The image root is stripped again on import.
    target = SqliteStore(tmp_path / "target")
    try:
        import_store(target, out, tables=["products"], image_root="/Volumes/main/shop/images")
        assert target.get_product(1163) == store.get_product(1163)
        assert target.count_products() == 5
    finally:
        target.close()


def test_import_databricks_style_table_with_aliases(tmp_path: Path) -> None:
    """A table as Spark would write it: camelCase catalog names, array<double> vectors, extra columns."""
    folder = tmp_path / "lake" / "products"
    folder.mkdir(parents=True)
    pq.write_table(
        pa.table(
            {
                "id": pa.array([10, 11], pa.int64()),
                "productDisplayName": ["Red Dress", "Blue Jeans"],
                "articleType": ["Dresses", "Jeans"],
                "baseColour": ["Red", None],
                "year": pa.array([2012, None], pa.int64()),
                "price": [49.5, None],
                "image_path": ["dbfs:/mnt/catalog/images/10.jpg", None],
                "ingested_by": ["job-1", "job-1"],  # ignored
            }
        ),
        folder / "part-00000-abc.snappy.parquet",
    )
    (folder / "_SUCCESS").write_bytes(b"")
    emb = tmp_path / "lake" / "embeddings"
    emb.mkdir()
    pq.write_table(
        pa.table(
            {
                "product_id": pa.array([10, 11], pa.int64()),
                "space": ["hybrid", "hybrid"],
                "model": ["clip-vit-b32", "clip-vit-b32"],
                "vector": pa.array([[0.5, 0.25, 1.0], [1.0, 0.0, -2.0]], pa.list_(pa.float64())),
            }
        ),
        emb / "part-0.parquet",
    )
    store = SqliteStore(tmp_path / "store")
    try:
        report = import_store(store, tmp_path / "lake")
        assert report.rows == {"products": 2, "embeddings": 2}
        red = store.get_product(10)
        assert red is not None
        assert (red.name, red.article_type, red.base_colour, red.year, red.price) == (
            "Red Dress",
            "Dresses",
            "Red",
            2012,
            49.5,
        )
        assert (red.image_file, red.image_status) == ("10.jpg", ImageStatus.PRESENT)
        jeans = store.get_product(11)
        assert jeans is not None and jeans.image_status == ImageStatus.MISSING and jeans.year is None
        ids, vectors = store.load_vectors("hybrid", model="clip-vit-b32")
        assert ids.tolist() == [10, 11]
        # Stored as given (the store keeps vectors as written), in float32.
        np.testing.assert_allclose(vectors[1], [1.0, 0.0, -2.0], atol=1e-6)
        assert store.embedding_info("hybrid")[10].content_hash == "imported"
    finally:
        store.close()


def test_bad_tables_are_clear_errors(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store")
    try:
        lake = tmp_path / "lake"
        (lake / "products").mkdir(parents=True)
        pq.write_table(pa.table({"product_display_name": ["x"]}), lake / "products" / "p.parquet")
        with pytest.raises(ValidationError, match="lacks required column.*product_id"):
            import_store(store, lake)
        pq.write_table(
            pa.table({"id": [1], "product_id": [1], "name": ["x"]}), lake / "products" / "p.parquet"
        )
        with pytest.raises(ValidationError, match="two columns for 'product_id'"):
            import_store(store, lake)
        pq.write_table(
            pa.table({"product_id": [1], "product_display_name": ["x"], "image_status": ["lost"]}),
            lake / "products" / "p.parquet",
        )
        with pytest.raises(ValidationError, match="row 0: image_status must be one of"):
            import_store(store, lake)
        (lake / "products" / "p.parquet").unlink()
        (lake / "events").mkdir()
        pq.write_table(
            pa.table(
                {
                    "user_id": [1],
                    "product_id": [1],
                    "event_type": ["click"],
                    "event_ts": pa.array([datetime(2024, 1, 1)], pa.timestamp("us")),
                }
            ),
            lake / "events" / "e.parquet",
        )
        with pytest.raises(ValidationError, match="event_type must be one of view, add_to_cart, purchase"):
            import_store(store, lake, tables=["events"])
        with pytest.raises(ValidationError, match="unknown lakehouse table 'orders'"):
            import_store(store, lake, tables=["orders"])
        with pytest.raises(ValidationError, match="unknown table format 'csv'"):
            export_store(store, tmp_path / "x", "csv")
        (tmp_path / "empty").mkdir()
        with pytest.raises(ValidationError, match="holds none of the tables"):
            import_store(store, tmp_path / "empty")
    finally:
        store.close()

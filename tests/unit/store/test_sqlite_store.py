"""SqliteStore details beyond the Store contract: file layout, schema version, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from fashion_search.domain import Product
from fashion_search.errors import StoreError, ValidationError
from fashion_search.store.base import Store
from fashion_search.store.sqlite import SCHEMA_VERSION, SqliteStore


def test_creates_the_directory_and_a_wal_database(tmp_path: Path) -> None:
    directory = tmp_path / "a" / "b"
    with SqliteStore(directory) as store:
        assert isinstance(store, Store)
        store.upsert_products([Product(id=1, name="x")])
        assert (directory / "store.db").is_file()
        with sqlite3.connect(directory / "store.db") as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_reopening_keeps_one_schema_version_row(tmp_path: Path) -> None:
    SqliteStore(tmp_path).close()
    SqliteStore(tmp_path).close()
    with sqlite3.connect(tmp_path / "store.db") as raw:
        assert raw.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1


def test_refuses_a_newer_schema_version(tmp_path: Path) -> None:
    SqliteStore(tmp_path).close()
    with sqlite3.connect(tmp_path / "store.db") as raw:
        raw.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}"):
        SqliteStore(tmp_path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "store.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="store.db"):
        SqliteStore(tmp_path)


def test_a_file_in_place_of_the_directory_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="file"):
        SqliteStore(tmp_path / "file")


def test_vectors_are_little_endian_float32_blobs(tmp_path: Path) -> None:
    with SqliteStore(tmp_path) as store:
        store.upsert_products([Product(id=1, name="x")])
        store.put_vectors("image", "m", [1], np.array([[1.5, -2.0, 0.25]]), ["h"])
    with sqlite3.connect(tmp_path / "store.db") as raw:
        (blob, dim) = raw.execute("SELECT vector, dim FROM embeddings").fetchone()
    assert dim == 3 and np.frombuffer(blob, dtype="<f4").tolist() == [1.5, -2.0, 0.25]


def test_a_write_failing_midway_is_rolled_back(tmp_path: Path) -> None:
    with SqliteStore(tmp_path) as store:
        store.upsert_products([Product(id=1, name="one")])
        # The NOT NULL constraint fails on the second row, after the first row was written.
        batch = [
            Product(id=1, name="one, renamed"),
            Product(id=2, name="two"),
            Product(id=3, name=None),  # type: ignore[arg-type]
        ]
        with pytest.raises(ValidationError, match="name"):
            store.upsert_products(batch)
        assert store.count_products() == 1
        assert store.get_product(1) == Product(id=1, name="one")


def test_values_are_bound_not_spliced(tmp_path: Path) -> None:
    hostile = "x'); DROP TABLE products; --"
    with SqliteStore(tmp_path) as store:
        store.upsert_products([Product(id=1, name=hostile, gender=hostile, attributes={hostile: hostile})])
        store.put_vectors("image", hostile, [1], np.ones((1, 2)), [hostile])
        assert store.get_product(1).name == hostile  # type: ignore[union-attr]
        assert store.load_vectors("image", model=hostile)[0].tolist() == [1]
        assert store.count_products() == 1


def test_load_vectors_of_the_real_catalog_size_is_fast(tmp_path: Path) -> None:
    # Not a timing test: checks the bulk path returns the right rows for a few thousand vectors.
    n = 3000
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, 32)).astype(np.float32)
    with SqliteStore(tmp_path) as store:
        store.upsert_products([Product(id=i, name=str(i)) for i in range(n)])
        store.put_vectors("text", "m", list(range(n - 1, -1, -1)), vectors[::-1], ["h"] * n)
        ids, got = store.load_vectors("text")
    assert ids.tolist() == list(range(n))
    assert np.array_equal(got, vectors)

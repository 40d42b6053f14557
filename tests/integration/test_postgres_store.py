"""PostgresStore beyond the shared Store contract: schema versioning, schemas, HNSW indexes, wiring."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import psycopg
import pytest
from psycopg import sql

from fashion_search.domain import Event, EventType, Product, User, where
from fashion_search.errors import ConfigurationError, StoreError, ValidationError
from fashion_search.index.factory import index_from_store
from fashion_search.index.pgvector import PgVectorIndex
from fashion_search.store.factory import open_store
from fashion_search.store.postgres import SCHEMA_VERSION, PostgresStore
from fashion_search.store.sqlite import SqliteStore

pytestmark = pytest.mark.postgres


def _scalar(uri: str, query: sql.SQL | sql.Composed, params: tuple[object, ...] = ()) -> object:
    with psycopg.connect(uri) as conn:
        row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def test_schema_is_created_once_and_versioned(postgres_uri: str, postgres_schema: str) -> None:
    for _ in range(2):
        PostgresStore(postgres_uri, schema=postgres_schema).close()
    versions = sql.SQL("SELECT array_agg(version) FROM {}").format(
        sql.Identifier(postgres_schema, "schema_version")
    )
    assert _scalar(postgres_uri, versions) == [SCHEMA_VERSION]
    partitions = _scalar(
        postgres_uri,
        sql.SQL(
            "SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)"
        ),
        (f"{postgres_schema}.embeddings",),
    )
    assert partitions == ["embeddings_hybrid", "embeddings_image", "embeddings_text"]


def test_a_newer_schema_is_refused(postgres_uri: str, postgres_schema: str) -> None:
    PostgresStore(postgres_uri, schema=postgres_schema).close()
    with psycopg.connect(postgres_uri, autocommit=True) as conn:
        conn.execute(
            sql.SQL("UPDATE {} SET version = %s").format(sql.Identifier(postgres_schema, "schema_version")),
            (SCHEMA_VERSION + 1,),
        )
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}.*upgrade fashion-search"):
        PostgresStore(postgres_uri, schema=postgres_schema)


def test_schemas_keep_catalogs_apart_and_open_store_reads_the_uri(postgres_uri: str) -> None:
    names = [f"s_{i}_{np.random.default_rng().integers(1 << 40)}" for i in range(2)]
    stores = [open_store(f"{postgres_uri}&schema={name}") for name in names]
    try:
        assert all(isinstance(s, PostgresStore) for s in stores)
        stores[0].upsert_products([Product(id=1, name="only in the first")])
        assert stores[0].count_products() == 1 and stores[1].count_products() == 0
        with pytest.raises(ConfigurationError, match="schema name"):
            PostgresStore(postgres_uri, schema="Bad-Name")
    finally:
        for s in stores:
            s.close()
        with psycopg.connect(postgres_uri, autocommit=True) as conn:
            for name in names:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def test_naive_and_aware_timestamps_come_back_as_sqlite_gives_them(
    postgres_uri: str, postgres_schema: str, tmp_path: object
) -> None:
    naive = datetime(2024, 5, 1, 9, 30, 15, 123456)
    aware = datetime(2024, 5, 1, 9, 30, 16, tzinfo=UTC)
    results = []
    for store in (PostgresStore(postgres_uri, schema=postgres_schema), SqliteStore(f"{tmp_path}/s")):
        try:
            store.upsert_products([Product(id=1, name="p")])
            store.upsert_users([User(id=1, name="u", segment="s")])
            store.add_events([Event(1, 1, EventType.VIEW, naive), Event(1, 1, EventType.PURCHASE, aware)])
            results.append(store.events_for_user(1))
        finally:
            store.close()
    pg, lite = results
    assert pg == lite
    assert pg[0].timestamp.tzinfo is None and pg[0].timestamp == naive
    assert pg[1].timestamp.tzinfo is not None and pg[1].timestamp.utcoffset() == lite[1].timestamp.utcoffset()


def test_delete_products_takes_vectors_and_events(postgres_uri: str, postgres_schema: str) -> None:
    with PostgresStore(postgres_uri, schema=postgres_schema) as store:
        store.upsert_products([Product(id=i, name=f"p{i}") for i in (1, 2, 3)])
        store.upsert_users([User(id=1, name="u", segment="s")])
        store.add_events([Event(1, i, EventType.VIEW, datetime(2024, 1, i, tzinfo=UTC)) for i in (1, 2, 3)])
        store.put_vectors("image", "m", [1, 2, 3], np.eye(3, dtype=np.float32), ["a", "b", "c"])
        assert store.delete_products([2, 3, 99, 2**70]) == 2
        assert [p.id for b in store.iter_products() for p in b] == [1]
        assert store.load_vectors("image")[0].tolist() == [1]
        assert [e.product_id for e in store.events_for_user(1)] == [1]
        assert store.delete_products([]) == 0


def test_values_postgresql_cannot_hold_are_validation_errors(postgres_uri: str, postgres_schema: str) -> None:
    with PostgresStore(postgres_uri, schema=postgres_schema) as store:
        with pytest.raises(ValidationError, match="64-bit"):
            store.upsert_products([Product(id=2**63, name="too big")])
        with pytest.raises(ValidationError, match="year"):
            store.upsert_products([Product(id=1, name="p", year=2**40)])
        with pytest.raises(ValidationError, match="NUL"):
            store.upsert_products([Product(id=1, name="p", attributes={"fit": "slim\x00"})])
        assert store.count_products() == 0
        assert store.get_product(2**70) is None and store.get_products([2**70, -(2**70)]) == []


def test_hnsw_index_is_built_once_and_used(postgres_uri: str, postgres_schema: str) -> None:
    rng = np.random.default_rng(0)
    n = 3000
    with PostgresStore(postgres_uri, schema=postgres_schema) as store:
        store.upsert_products([Product(id=i, name=f"p{i}", gender=["Men", "Women"][i % 2]) for i in range(n)])
        store.put_vectors("text", "m", list(range(n)), rng.standard_normal((n, 16)), ["h"] * n)
        store.analyze()
        assert store.vector_indexes() == []
        assert store.ensure_vector_index("text", 16) is True
        assert store.ensure_vector_index("text", 16) is False
        (info,) = store.vector_indexes()
        assert (info.space, info.dim) == ("text", 16)
        with pytest.raises(ValidationError, match="dim"):
            store.ensure_vector_index("text", 2001)

        # On 3,000 rows PostgreSQL prefers a sequential scan to a long walk (the default
        # ef_search 200 costs more than sorting them): a short queue shows the index is usable.
        index = PgVectorIndex(store, model="m", ef_search=40)
        assert index.ensure_indexes() == []  # already there
        query = rng.standard_normal(16)
        assert "embeddings_text_hnsw_16" in index.explain("text", query, k=10)
        # 1,500 candidates are ordered exactly by default; with a lower bar they walk the graph.
        assert "hnsw" not in index.explain("text", query, k=10, where=where(gender="Men"))
        walker = PgVectorIndex(store, model="m", exact_max_rows=1000, ef_search=40)
        assert "embeddings_text_hnsw_16" in walker.explain("text", query, k=10, where=where(gender="Men"))
        exact = PgVectorIndex(store, model="m", mode="exact")
        assert "hnsw" not in exact.explain("text", query, k=10, where=where(gender="Men"))
        assert "hnsw" not in index.explain("text", query, k=2000)  # beyond hnsw.ef_search's range


def test_index_from_store_gives_the_database_index(postgres_uri: str, postgres_schema: str) -> None:
    with PostgresStore(postgres_uri, schema=postgres_schema) as store:
        store.upsert_products([Product(id=i, name=f"p{i}") for i in range(1, 4)])
        store.put_vectors("image", "m", [1, 2, 3], np.eye(3, dtype=np.float32), ["a", "b", "c"])
        index = index_from_store(store, model="m", kind="auto")
        assert isinstance(index, PgVectorIndex) and index.mode == "hnsw"
        assert [i.space for i in store.vector_indexes()] == ["image"]
        exact = index_from_store(store, model="m", kind="exact")
        assert isinstance(exact, PgVectorIndex) and exact.mode == "exact"
        assert [h.product.id for h in exact.search("image", np.array([0.1, 1.0, 0.0]), k=2)] == [2, 1]

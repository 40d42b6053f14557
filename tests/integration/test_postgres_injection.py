"""Hostile values against the PostgreSQL backend: they are data, never SQL.

Filter values, product fields, model names and ids carrying quotes, statement separators, comment
markers, placeholders, right-to-left text, emoji, combining marks and NUL bytes must either match
exactly what :meth:`Filter.matches` says (as data) or fail validation with FilterError /
ValidationError -- and every table must be intact afterwards, with its row count unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import psycopg
import pytest

from fashion_search.domain import SPACES, Condition, Event, EventType, Filter, Op, Product, User, condition
from fashion_search.errors import FilterError, ValidationError
from fashion_search.index.exact import ExactIndex
from fashion_search.index.filters import from_dict, parse_expression
from fashion_search.index.pgvector import PgVectorIndex
from fashion_search.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

HOSTILE = [
    "'",
    "''",
    '"',
    "'; DROP TABLE products; --",
    "Robert'); DROP TABLE users;--",
    "x' OR '1'='1",
    "1; DELETE FROM embeddings",
    "%s",
    "%(name)s",
    "{}",
    "$1",
    "::text",
    "\\",
    "E'\\x00'",
    "*/ SELECT pg_sleep(5) /*",
    "\u0645\u0631\u062d\u0628\u0627\u202e gnp.exe",  # Arabic, then a right-to-left override
    "\U0001f457\U0001f525 dress",  # emoji
    "Cafe\u0301",  # e + combining acute accent (not the same string as the precomposed "Café")
    "Caf\u00e9",
]
NUL_VALUES = ["a\x00b", "\x00", "'; DROP TABLE products; --\x00"]
DIM = 8
TABLES = ["products", "users", "events", "embeddings", "schema_version"]


def _products() -> list[Product]:
    out = [
        Product(id=i + 1, name=f"hostile {value}", base_colour=value, usage=value, season="Summer")
        for i, value in enumerate(HOSTILE)
    ]
    out.append(Product(id=1000, name="plain", base_colour="Black"))
    out.append(Product(id=1001, name="no colour"))
    return out


@pytest.fixture
def filled(postgres_uri: str, postgres_schema: str) -> Iterator[tuple[PgVectorIndex, ExactIndex]]:
    store = PostgresStore(postgres_uri, schema=postgres_schema)
    index = PgVectorIndex(store, model="m")
    reference = ExactIndex(model="m")
    products = _products()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(products), DIM)).astype(np.float32)
    ids = [p.id for p in products]
    for target in (index, reference):
        target.upsert_products(products)
        for space in SPACES:
            target.upsert(space, ids, vectors)
    store.upsert_users([User(id=1, name="u", segment="s")])
    store.add_events([Event(1, 1000, EventType.VIEW, datetime(2024, 1, 1, tzinfo=UTC))])
    try:
        yield index, reference
    finally:
        store.close()


def _counts(uri: str, schema: str) -> dict[str, int]:
    out = {}
    with psycopg.connect(uri) as conn:
        for table in TABLES:
            exists = conn.execute("SELECT to_regclass(%s)", (f"{schema}.{table}",)).fetchone()
            assert exists is not None and exists[0] is not None, f"table {table} is gone"
            row = conn.execute(
                psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(schema, table))
            ).fetchone()
            assert row is not None
            out[table] = int(row[0])
    return out


def _ids(hits: list) -> list[int]:
    return [h.product.id for h in hits]


def test_hostile_filter_values_are_data(
    filled: tuple[PgVectorIndex, ExactIndex], postgres_uri: str, postgres_schema: str
) -> None:
    index, reference = filled
    before = _counts(postgres_uri, postgres_schema)
    assert before["products"] == len(HOSTILE) + 2 and before["embeddings"] == 3 * (len(HOSTILE) + 2)
    query = np.ones(DIM, dtype=np.float32)
    for value in HOSTILE + NUL_VALUES:
        for field in ("base_colour", "usage", "name", "gender"):
            for op, operand in (
                (Op.EQ, value),
                (Op.NE, value),
                (Op.IN, [value, "Black"]),
                (Op.NOT_IN, [value]),
            ):
                filt = Filter((condition(field, op, operand),))
                expected = _ids(reference.search("image", query, k=100, where=filt))
                assert _ids(index.search("image", query, k=100, where=filt)) == expected, (field, op, value)
                assert index.count_matching(filt) == reference.count_matching(filt)
                assert index.browse(filt, limit=100)[1] == reference.browse(filt, limit=100)[1]
        # A value some product holds finds exactly that product, proving it travelled as data.
        holders = [p.id for p in _products() if p.base_colour == value]
        got = _ids(index.search("text", query, k=100, where=Filter((condition("colour", "=", value),))))
        assert got == holders, value
    assert index.facets(None, ["base_colour"]) == reference.facets(None, ["base_colour"])
    assert _counts(postgres_uri, postgres_schema) == before


def test_hostile_text_through_the_filter_dialects(
    filled: tuple[PgVectorIndex, ExactIndex], postgres_uri: str, postgres_schema: str
) -> None:
    index, reference = filled
    before = _counts(postgres_uri, postgres_schema)
    query = np.ones(DIM, dtype=np.float32)
    texts = [
        "base_colour = '; DROP TABLE products; --",
        "colour in Black,'x'' OR ''1''=''1'",
        "usage != Robert'); DROP TABLE users;--",
        "price < 1; DROP TABLE products",
        "year >= 2012 OR 1=1",
        "gender; DROP TABLE products = Men",
        "name = \U0001f457\U0001f525 dress",
    ]
    dicts = [
        {"base_colour": "'; DROP TABLE products; --"},
        {"base_colour NOT": ["x' OR '1'='1", "\x00"]},
        {"price >= ": "0 OR 1=1"},
        {"colour; DROP TABLE products": "Black"},
        {"usage": ["\u202e", "Cafe\u0301"]},
    ]
    checked = refused = 0
    for make, raw in [*((parse_expression, t) for t in texts), *((from_dict, d) for d in dicts)]:
        try:
            filt = make(raw)  # type: ignore[operator]
        except FilterError:
            refused += 1
            continue
        expected = _ids(reference.search("hybrid", query, k=100, where=filt))
        assert _ids(index.search("hybrid", query, k=100, where=filt)) == expected, raw
        checked += 1
    assert checked >= 5 and refused >= 3
    assert _counts(postgres_uri, postgres_schema) == before


@pytest.mark.parametrize(
    "bad",
    [
        Condition("name; DROP TABLE products; --", Op.EQ, "x"),
        Condition("gender", "= 'x' OR 1=1 --", "x"),  # type: ignore[arg-type]
        Condition("year", Op.EQ, "2012 OR 1=1"),
        Condition("price", Op.GT, "0; DROP TABLE products"),
        Condition("gender", Op.IN, "Men'); DROP TABLE products; --"),
        Condition("gender", Op.GT, "M"),
    ],
)
def test_conditions_that_skip_validation_are_refused(
    filled: tuple[PgVectorIndex, ExactIndex], postgres_uri: str, postgres_schema: str, bad: Condition
) -> None:
    index, _ = filled
    before = _counts(postgres_uri, postgres_schema)
    with pytest.raises(FilterError):
        index.search("image", np.ones(DIM), k=5, where=Filter((bad,)))
    with pytest.raises(FilterError):
        index.count_matching(Filter((bad,)))
    assert _counts(postgres_uri, postgres_schema) == before


def test_hostile_names_and_fields_elsewhere(
    filled: tuple[PgVectorIndex, ExactIndex], postgres_uri: str, postgres_schema: str
) -> None:
    index, _ = filled
    store = index.store
    before = _counts(postgres_uri, postgres_schema)
    with pytest.raises(ValidationError, match="sort"):
        index.browse(None, sort_by="price; DROP TABLE products")
    with pytest.raises(ValidationError, match="facet"):
        index.facets(None, ["base_colour) FROM products; DROP TABLE products; --"])
    with pytest.raises(ValidationError, match="bucket"):
        index.histogram(None, "price FROM products; --", [0, 1])
    with pytest.raises(ValidationError, match="space"):
        index.search("image'; DROP TABLE products; --", np.ones(DIM), k=3)
    with pytest.raises(ValidationError, match="integers"):
        index.search("image", np.ones(DIM), k=3, exclude_ids=["1; DROP TABLE products"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="NUL"):
        store.upsert_products([Product(id=5000, name="ok"), Product(id=5001, name="bad\x00name")])
    with pytest.raises(ValidationError, match="NUL"):
        store.upsert_users([User(id=7, name="x\x00", segment="s")])
    assert store.get_product(5000) is None
    # Hostile text that PostgreSQL can store round-trips byte for byte.
    for p in _products():
        assert store.get_product(p.id) == p
    assert _counts(postgres_uri, postgres_schema) == before

    # A hostile model name is a value like any other.
    model = "m'; DROP TABLE embeddings; --"
    store.put_vectors("image", model, [1000], np.ones((1, 3), dtype=np.float32), ["h'; --"])
    ids, vectors = store.load_vectors("image", model=model)
    assert ids.tolist() == [1000] and vectors.tolist() == [[1.0, 1.0, 1.0]]
    assert store.embedding_info("image")[1000].content_hash == "h'; --"
    after = _counts(postgres_uri, postgres_schema)
    assert after == before  # replaced one vector, added none

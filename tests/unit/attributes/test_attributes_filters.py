"""Filters and facets on the multi-valued attribute fields: reference semantics and the indexes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fashion_search.domain import ATTRIBUTE_FIELDS, Filter, ImageStatus, Op, Product, condition
from fashion_search.errors import FilterError
from fashion_search.index.exact import ExactIndex
from fashion_search.index.filters import from_dict, parse_expression, to_dict
from fashion_search.index.hnsw import HnswIndex
from fashion_search.search.browse import ProductBrowser

ATTRS: dict[int, dict[str, str]] = {
    1: {"material": "leather", "details": "pockets, zipper"},
    2: {"material": "denim", "details": "pockets"},
    3: {"material": "leather", "pattern": "solid"},
    4: {},
    5: {"pattern": "striped", "details": "zipper", "care": "dry clean"},
}


def products() -> list[Product]:
    return [
        Product(
            pid,
            f"product {pid}",
            gender="Men" if pid % 2 else "Women",
            price=10.0 * pid,
            image_status=ImageStatus.PRESENT,
            attributes=attrs,
        )
        for pid, attrs in ATTRS.items()
    ]


def reference(where: Filter) -> list[int]:
    return [p.id for p in products() if where.matches(p)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (Filter((condition("attr_material", "=", "leather"),)), [1, 3]),
        (Filter((condition("material", "=", "leather"),)), [1, 3]),  # bare name is an alias
        (Filter((condition("attr_details", "=", "pockets"),)), [1, 2]),  # one of several values
        (Filter((condition("attr_details", "=", "pockets, zipper"),)), []),  # not a value
        (Filter((condition("attr_details", "in", ["zipper", "hood"]),)), [1, 5]),
        (Filter((condition("attr_material", "!=", "leather"),)), [2, 4, 5]),  # keeps "no value"
        (Filter((condition("attr_details", "not in", ["pockets"]),)), [3, 4, 5]),
        (Filter((condition("attr_details", "not in", ["pockets", "zipper"]),)), [3, 4]),
        (
            Filter((condition("attr_details", "=", "zipper"), condition("gender", "=", "Men"))),
            [1, 5],
        ),
    ],
)
def test_reference_semantics(where: Filter, expected: list[int]) -> None:
    assert reference(where) == expected


def test_attribute_fields_take_text_and_no_ranges() -> None:
    assert condition("attr_fit", "=", "slim fit").field == "attr_fit"
    with pytest.raises(FilterError, match="numeric field"):
        condition("attr_material", ">", "leather")
    with pytest.raises(FilterError, match="must be a string"):
        condition("attr_material", "=", 3)
    with pytest.raises(FilterError, match="unknown filter field 'attr_colour'"):
        condition("attr_colour", "=", "red")
    with pytest.raises(FilterError, match="'between' needs a numeric field"):
        parse_expression("attr_material between a and b")


def test_both_dialects_read_attribute_filters() -> None:
    where = parse_expression("attr_material in leather,denim")
    assert where.conditions[0].field == "attr_material"
    assert where.conditions[0].op is Op.IN
    assert reference(where) == [1, 2, 3]
    assert reference(parse_expression("material != leather")) == [2, 4, 5]
    json_where = from_dict({"attr_material": ["leather", "denim"], "attr_details NOT": "zipper"})
    assert reference(json_where) == [2, 3]
    assert reference(from_dict(to_dict(json_where))) == [2, 3]


def _filled(idx: Any) -> Any:
    items = products()
    idx.upsert_products(items)
    rng = np.random.default_rng(0)
    idx.upsert("text", [p.id for p in items], rng.standard_normal((len(items), 8)).astype(np.float32))
    return idx


@pytest.fixture(params=["exact", "hnsw"])
def index(request: pytest.FixtureRequest) -> ExactIndex:
    return _filled(ExactIndex() if request.param == "exact" else HnswIndex())


@pytest.fixture(
    params=[
        "exact",
        "hnsw",
        pytest.param("pgvector-exact", marks=pytest.mark.postgres),
        pytest.param("pgvector-hnsw", marks=pytest.mark.postgres),
    ]
)
def any_index(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Every backend, PostgreSQL included (it reads attributes from the products' JSON)."""
    if not request.param.startswith("pgvector"):
        yield _filled(ExactIndex() if request.param == "exact" else HnswIndex())
        return
    from fashion_search.index.pgvector import PgVectorIndex

    uri = request.getfixturevalue("postgres_uri")
    schema = request.getfixturevalue("postgres_schema")
    options: dict[str, Any] = {"mode": "exact"} if request.param.endswith("exact") else {"exact_max_rows": 0}
    idx = PgVectorIndex.open(uri, schema=schema, **options)
    try:
        yield _filled(idx)
    finally:
        idx.close()


def _all_filters() -> list[Filter]:
    """Every single- and two-condition filter over the attribute fields and values in use."""
    values = {
        "material": ["leather", "denim", "wool"],
        "details": ["pockets", "zipper"],
        "pattern": ["solid"],
    }
    conditions = []
    for name, vals in values.items():
        for v in vals:
            conditions += [condition(name, "=", v), condition(name, "!=", v)]
        conditions += [condition(name, "in", vals[:2]), condition(name, "not in", vals[:2])]
    return [Filter((c,)) for c in conditions] + [
        Filter(pair) for pair in itertools.combinations(conditions, 2)
    ]


def test_indexes_agree_with_the_reference_on_every_filter(any_index: Any) -> None:
    index = any_index
    query = np.ones(8, dtype=np.float32)
    for where in _all_filters():
        expected = reference(where)
        hits = index.search("text", query, k=10, where=where)
        assert sorted(h.product.id for h in hits) == expected, to_dict(where)
        listed, total = index.browse(where, offset=0, limit=10)
        assert [p.id for p in listed] == expected and total == len(expected)


def test_facets_count_each_value_of_multi_valued_attributes(any_index: Any) -> None:
    index = any_index
    facets = index.facets(None, tuple(ATTRIBUTE_FIELDS))
    assert facets["attr_material"] == {"leather": 2, "denim": 1}
    assert facets["attr_details"] == {"pockets": 2, "zipper": 2}
    assert facets["attr_pattern"] == {"solid": 1, "striped": 1}
    assert facets["attr_fit"] == {}
    men = index.facets(Filter((condition("gender", "=", "Men"),)), ("attr_details", "attr_material"))
    assert men == {"attr_details": {"zipper": 2, "pockets": 1}, "attr_material": {"leather": 2}}


def test_browse_facets_hold_the_attributes_in_use(any_index: Any) -> None:
    index = any_index
    facets = ProductBrowser(index).facets(Filter((condition("attr_material", "=", "leather"),)))
    assert facets["attr_material"] == {"leather": 2}
    assert facets["attr_details"] == {"pockets": 1, "zipper": 1}
    assert "attr_fit" not in facets  # no matching product has a value
    assert facets["gender"] == {"Men": 2}


def test_saved_index_keeps_attributes(index: ExactIndex, tmp_path: Path) -> None:
    directory = tmp_path / "idx"
    ExactIndex.save(index, directory)
    loaded = ExactIndex.load(directory)
    where = Filter((condition("attr_details", "=", "zipper"),))
    listed, _ = loaded.browse(where, offset=0, limit=10)
    assert [p.id for p in listed] == [1, 5]
    assert listed[1].attributes["care"] == "dry clean"

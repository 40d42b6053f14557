"""ExactIndex listing, facet counting and id restriction, checked against Filter.matches on every product."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from fashion_search.domain import Filter, Product, condition, where
from fashion_search.errors import ValidationError
from fashion_search.index.base import CatalogIndex
from fashion_search.index.exact import ExactIndex

COLOURS = ["Black", "White", "Red", "Blue", None]
GENDERS = ["Men", "Women", "Unisex"]


def catalog(n: int = 120) -> list[Product]:
    return [
        Product(
            id=1000 + i,
            name=f"p{i}",
            gender=GENDERS[i % 3],
            base_colour=COLOURS[i % 5],
            article_type="Shirts" if i % 4 == 0 else "Jeans",
            # every 7th product has no price; prices repeat so that sorting has ties
            price=None if i % 7 == 0 else float((i * 13) % 40),
            year=2010 + i % 6,
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def index() -> ExactIndex:
    idx = ExactIndex()
    idx.upsert_products(catalog())
    idx.upsert("hybrid", [p.id for p in catalog()[::2]], np.random.default_rng(0).standard_normal((60, 4)))
    return idx


FILTERS = [
    Filter(),
    where(gender="Men"),
    Filter((condition("price", "<", 20.0), condition("base_colour", "in", ["Black", "Red"]))),
    Filter((condition("base_colour", "!=", "Black"),)),
    Filter((condition("gender", "=", "Nobody"),)),
]


def test_exact_index_is_a_catalog_index(index: ExactIndex) -> None:
    assert isinstance(index, CatalogIndex)


@pytest.mark.parametrize("filt", FILTERS)
def test_browse_pages_through_exactly_the_matching_products_in_id_order(
    index: ExactIndex, filt: Filter
) -> None:
    expected = [p.id for p in catalog() if filt.matches(p)]
    seen: list[int] = []
    for offset in range(0, 130, 25):
        page, total = index.browse(filt, offset=offset, limit=25)
        assert total == len(expected)
        seen += [p.id for p in page]
    assert seen == expected
    assert index.matching_ids(filt).tolist() == expected
    assert index.count_matching(filt) == len(expected)


def test_browse_sorts_by_price_with_missing_prices_last_and_ties_by_id(index: ExactIndex) -> None:
    products = catalog()
    priced = sorted((p for p in products if p.price is not None), key=lambda p: (p.price, p.id))
    unpriced = [p.id for p in products if p.price is None]
    page, total = index.browse(None, 0, 200, sort_by="price")
    assert total == len(products)
    assert [p.id for p in page] == [p.id for p in priced] + unpriced
    page, _ = index.browse(None, 0, 200, sort_by="price", descending=True)
    desc = sorted((p for p in products if p.price is not None), key=lambda p: (-p.price, p.id))  # type: ignore[operator]
    assert [p.id for p in page] == [p.id for p in desc] + unpriced


def test_browse_rejects_bad_arguments(index: ExactIndex) -> None:
    with pytest.raises(ValidationError, match="cannot sort by 'name'"):
        index.browse(None, sort_by="name")
    with pytest.raises(ValidationError, match="offset"):
        index.browse(None, offset=-1)


@pytest.mark.parametrize("filt", FILTERS)
def test_facets_count_every_matching_product_most_first(index: ExactIndex, filt: Filter) -> None:
    matching = [p for p in catalog() if filt.matches(p)]
    facets = index.facets(filt, ["gender", "base_colour", "article_type"])
    for name in ("gender", "base_colour", "article_type"):
        expected = Counter(getattr(p, name) for p in matching if getattr(p, name) is not None)
        assert facets[name] == dict(expected)
        counts = list(facets[name].values())
        assert counts == sorted(counts, reverse=True)


def test_facets_reject_numeric_fields(index: ExactIndex) -> None:
    with pytest.raises(ValidationError, match="cannot count facet 'price'"):
        index.facets(None, ["price"])


def test_histogram_buckets_are_half_open_and_skip_missing_prices(index: ExactIndex) -> None:
    edges = [0.0, 10.0, 25.0, math.inf]
    filt = where(gender="Women")
    prices = [p.price for p in catalog() if filt.matches(p) and p.price is not None]
    expected = [sum(lo <= x < hi for x in prices) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    assert index.histogram(filt, "price", edges) == expected
    assert sum(expected) == len(prices)
    with pytest.raises(ValidationError, match="ascending"):
        index.histogram(None, "price", [10.0, 5.0])


def test_search_include_ids_limits_candidates_to_those_ids(index: ExactIndex) -> None:
    q = np.ones(4, dtype=np.float32)
    with_vectors = index.ids("hybrid").tolist()
    assert with_vectors == [p.id for p in catalog()[::2]]
    allowed = with_vectors[::3] + [1001, 99999]  # an id without a vector and an unknown id are ignored
    hits = index.search("hybrid", q, k=100, include_ids=allowed)
    assert sorted(h.product.id for h in hits) == sorted(with_vectors[::3])
    both = index.search("hybrid", q, k=100, include_ids=allowed, where=where(gender="Men"))
    men = set()
    for i in with_vectors[::3]:
        product = index.get_product(i)
        assert product is not None
        if product.gender == "Men":
            men.add(i)
    assert {h.product.id for h in both} == men
    assert index.search("hybrid", q, k=5, include_ids=[]) == []

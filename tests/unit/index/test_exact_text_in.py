"""``in`` / ``not in`` on text fields: the index's masks agree with Filter.matches, nulls included."""

from __future__ import annotations

import pytest

from fashion_search.domain import Filter, Product, condition
from fashion_search.index.exact import ExactIndex

COLOURS = [f"c{i}" for i in range(12)]


@pytest.mark.parametrize("op", ["in", "not in"])
@pytest.mark.parametrize(
    "values",
    [["c1"], ["c1", "c3", "nowhere"], COLOURS[:8], COLOURS[:9] + ["nowhere"], ["nowhere"]],
)
def test_text_membership_matches_the_reference(op: str, values: list[str]) -> None:
    products = [
        Product(id=i, name=str(i), base_colour=None if i % 5 == 0 else COLOURS[i % 12]) for i in range(200)
    ]
    index = ExactIndex()
    index.upsert_products(products)
    filt = Filter((condition("base_colour", op, values),))
    expected = [p.id for p in products if filt.matches(p)]
    assert index.matching_ids(filt).tolist() == expected
    assert expected or values == ["nowhere"]  # only "in nowhere" admits nothing

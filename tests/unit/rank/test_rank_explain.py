from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from fashion_search.domain import Event, EventType, Hit, Product, money
from fashion_search.rank import explain, explain_all, rank
from fashion_search.users import StyleProfile, build_profile

T0 = datetime(2025, 1, 1, tzinfo=UTC)
SNEAKERS = Product(
    10,
    "Puma Sneakers",
    gender="Men",
    article_type="Casual Shoes",
    base_colour="White",
    usage="Casual",
    price=60.0,
)
BELT = Product(
    11, "Hidesign Belt", gender="Men", article_type="Belts", base_colour="Black", usage="Formal", price=40.0
)
SHIRT = Product(
    12, "Arrow Shirt", gender="Men", article_type="Shirts", base_colour="Black", usage="Formal", price=35.0
)
SHOES = Product(
    13,
    "Clarks Formal Shoes",
    gender="Men",
    article_type="Formal Shoes",
    base_colour="Black",
    usage="Formal",
    price=90.0,
)
LOOKALIKE = Product(
    20,
    "Adidas Court Sneakers",
    gender="Men",
    article_type="Casual Shoes",
    base_colour="Grey",
    usage="Sports",
    price=55.0,
)
RED_CAP = Product(
    21, "Nike Cap", gender="Men", article_type="Caps", base_colour="Red", usage="Sports", price=15.0
)
BLACK_TIE = Product(
    22, "Van Heusen Tie", gender="Men", article_type="Ties", base_colour="Black", usage="Sports", price=20.0
)
FORMAL_PICK = Product(
    23,
    "Park Avenue Trousers",
    gender="Men",
    article_type="Trousers",
    base_colour="Beige",
    usage="Formal",
    price=500.0,
)
PRODUCTS = {p.id: p for p in (SNEAKERS, BELT, SHIRT, SHOES, LOOKALIKE, RED_CAP, BLACK_TIE, FORMAL_PICK)}
E = np.eye(8, dtype=np.float32)
VECTORS = {
    10: E[0],
    11: E[1],
    12: E[2],
    13: E[3],
    20: (0.95 * E[0] + 0.31 * E[4]) / np.linalg.norm(0.95 * E[0] + 0.31 * E[4]),
    21: E[5],
    22: E[6],
    23: E[7],
}


def profile() -> StyleProfile:
    bought = [SNEAKERS, BELT, SHIRT, SHOES]
    events = [Event(1, p.id, EventType.PURCHASE, T0 + timedelta(hours=i)) for i, p in enumerate(bought)]
    return build_profile(1, events, PRODUCTS, VECTORS)


def reason_for(product: Product, max_price: float | None = None) -> str:
    [item] = rank([Hit(product, 0.5)], profile(), vectors=VECTORS)
    return explain(item, profile(), PRODUCTS, VECTORS, max_price=max_price)


def test_lookalike_of_a_purchase_names_that_product() -> None:
    reason = reason_for(LOOKALIKE)
    assert reason.startswith("Looks like the Puma Sneakers you bought")


def test_favourite_colour_is_named() -> None:
    assert "in your favourite colour black" in reason_for(BLACK_TIE).lower()
    assert "favourite colour" not in reason_for(RED_CAP)


def test_usage_pick_and_budget() -> None:
    reason = reason_for(FORMAL_PICK, max_price=600)
    assert reason.startswith("A Formal pick like your recent purchases")
    assert reason.endswith("within your budget of $600")
    assert "within your budget of $49.50" in reason_for(RED_CAP, max_price=49.5)


def test_amounts_read_in_dollars_as_the_storefront_shows_prices() -> None:
    # Bought at 60, 40, 35 and 90 (three each): the weighted p25-p75 band is 35 to 60.
    in_band = Product(30, "Biba Kurta", gender="Men", article_type="Kurtas", usage="Ethnic", price=50.0)
    assert reason_for(in_band) == "In your usual price range of $35 to $60"
    assert reason_for(in_band, max_price=54.99) == (
        "In your usual price range of $35 to $60, within your budget of $54.99"
    )
    assert money(35.0) == "$35" and money(49.5) == "$49.50" and money(0) == "$0"


def test_without_a_profile_the_query_is_the_reason() -> None:
    [item] = rank([Hit(RED_CAP, 0.8)], None)
    assert explain(item, None, PRODUCTS, query="red cap") == 'A close match for "red cap"'
    assert explain(item, None, PRODUCTS, anchor=SNEAKERS) == "Similar to the Puma Sneakers"
    assert explain(item, None, PRODUCTS) == "A close match for your search"


def test_explain_all_fills_every_reason() -> None:
    items = rank([Hit(p, 0.5) for p in (LOOKALIKE, BLACK_TIE, RED_CAP)], profile(), vectors=VECTORS)
    explained = explain_all(items, profile(), PRODUCTS, VECTORS, max_price=100)
    assert [e.product.id for e in explained] == [i.product.id for i in items]
    assert all(e.reason and e.reason[0].isupper() for e in explained)
    by_id = {e.product.id: e.reason for e in explained}
    assert "Puma Sneakers" in by_id[20] and "Black" in by_id[22]
    # Reading the profile once for the list gives each item the reason explain() gives it alone.
    assert [e.reason for e in explained] == [
        explain(i, profile(), PRODUCTS, VECTORS, max_price=100) for i in items
    ]

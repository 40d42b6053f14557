from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from fashion_search.domain import Event, EventType, Product
from fashion_search.errors import NotFoundError, ValidationError
from fashion_search.users import ProfileBook, build_profile, empty_profile, generate_users
from fashion_search.users.profiles import StyleProfile

T0 = datetime(2025, 5, 1, tzinfo=UTC)

History = tuple[list[Product], dict[int, np.ndarray], list[Event]]
"""A catalog, vectors for most of its products, and the synthetic events of 40 shoppers."""

TEE = Product(1, "Black Tee", gender="Men", article_type="Tshirts", sub_category="Topwear",
              master_category="Apparel", base_colour="Black", usage="Casual", price=10.0)  # fmt: skip
JEANS = Product(2, "Blue Jeans", gender="Men", article_type="Jeans", sub_category="Bottomwear",
                master_category="Apparel", base_colour="Blue", usage="Casual", price=30.0)  # fmt: skip
WATCH = Product(3, "Black Watch", gender="Unisex", article_type="Watches", sub_category="Watches",
                master_category="Accessories", base_colour="Black", usage="Formal", price=100.0)  # fmt: skip
PRODUCTS = {p.id: p for p in (TEE, JEANS, WATCH)}
VECTORS = {
    1: np.array([1.0, 0.0, 0.0], np.float32),
    2: np.array([0.0, 1.0, 0.0], np.float32),
}  # no vector for 3


def ev(product_id: int, kind: EventType, minutes: int, user_id: int = 7) -> Event:
    return Event(user_id, product_id, kind, T0 + timedelta(minutes=minutes))


EVENTS = [
    ev(1, EventType.VIEW, 0),
    ev(1, EventType.ADD_TO_CART, 1),
    ev(2, EventType.PURCHASE, 2),
    ev(3, EventType.VIEW, 3),
    ev(3, EventType.PURCHASE, 4),
]


def test_profile_of_known_events() -> None:
    p = build_profile(7, EVENTS, PRODUCTS, VECTORS)
    # Weights: tee 1 + 2 = 3, jeans 3, watch 1 + 3 = 4 (no vector: counts in prefs only).
    expected = np.array([3.0, 3.0, 0.0]) / np.linalg.norm([3.0, 3.0, 0.0])
    assert p.vector is not None and p.vector.dtype == np.float32
    np.testing.assert_allclose(p.vector, expected, atol=1e-7)
    assert p.interactions == 5
    assert dict(p.event_counts) == {"view": 2, "add_to_cart": 1, "purchase": 2}
    assert p.total_weight == 10
    assert p.top("article_type") == [("Watches", 0.4), ("Jeans", 0.3), ("Tshirts", 0.3)]
    assert p.top("base_colour") == [("Black", 0.7), ("Blue", 0.3)]
    assert p.top("usage") == [("Casual", 0.6), ("Formal", 0.4)]
    assert p.favourites("master_category", 1) == ["Apparel"]
    assert p.recent_purchases == (3, 2)
    assert p.last_event_at == T0 + timedelta(minutes=4)
    assert p.price is not None
    assert p.price.avg == pytest.approx((3 * 10 + 3 * 30 + 4 * 100) / 10)
    assert (p.price.min, p.price.max) == (10.0, 100.0)
    repeated = np.repeat([10.0, 30.0, 100.0], [3, 3, 4])
    assert p.price.p25 == np.quantile(repeated, 0.25, method="inverted_cdf") == 10.0
    assert p.price.p75 == np.quantile(repeated, 0.75, method="inverted_cdf") == 100.0


def test_weighted_mean_matches_the_formula_on_random_data() -> None:
    rng = np.random.default_rng(0)
    products = {i: Product(i, f"p{i}", article_type="Tshirts", price=float(i)) for i in range(1, 21)}
    vectors = {i: rng.standard_normal(8).astype(np.float32) for i in products}
    kinds = list(EventType)
    events = [
        ev(int(rng.integers(1, 21)), kinds[int(rng.integers(0, 3))], minutes=m, user_id=1) for m in range(60)
    ]
    weight = {EventType.VIEW: 1, EventType.ADD_TO_CART: 2, EventType.PURCHASE: 3}
    total = sum(weight[e.type] * vectors[e.product_id].astype(np.float64) for e in events)
    profile = build_profile(1, events, products, vectors)
    assert profile.vector is not None
    np.testing.assert_allclose(profile.vector, total / np.linalg.norm(total), atol=1e-6)
    assert float(np.linalg.norm(profile.vector)) == pytest.approx(1.0, abs=1e-6)


def test_unknown_products_are_ignored_and_other_users_refused() -> None:
    p = build_profile(7, [*EVENTS, ev(999, EventType.PURCHASE, 9)], PRODUCTS, VECTORS)
    assert p.interactions == 5 and 999 not in p.recent_purchases
    with pytest.raises(ValidationError, match="user 8"):
        build_profile(7, [ev(1, EventType.VIEW, 0, user_id=8)], PRODUCTS)


def test_profile_without_any_vector_has_no_vector_but_preferences() -> None:
    p = build_profile(7, EVENTS, PRODUCTS, {})
    assert p.vector is None
    assert p.favourites("base_colour", 1) == ["Black"]
    assert p.similarity(np.ones(3)) == 0.0


def test_empty_profile() -> None:
    p = empty_profile(4)
    assert p.is_empty and p.vector is None and p.price is None and p.recent_purchases == ()
    assert p.affinity(TEE) == 0.0
    assert p.to_dict()["article_types"] == []


def test_affinity_and_price_fit() -> None:
    p = build_profile(7, EVENTS, PRODUCTS, VECTORS)
    # Band is p25..p75 = 10..100; Watches is the favourite type, Black the favourite colour.
    perfect = Product(
        50, "x", gender="Men", article_type="Watches", base_colour="Black", usage="Casual", price=50
    )
    assert p.affinity(perfect) == pytest.approx(1.0)
    nothing = Product(
        51, "y", gender="Girls", article_type="Sarees", base_colour="Pink", usage="Ethnic", price=500
    )
    assert p.affinity(nothing) == 0.0
    # Only the type matches, at 0.3 / 0.4 of the favourite type's weight.
    partial = Product(
        52, "z", gender="Girls", article_type="Jeans", base_colour="Pink", usage="Ethnic", price=None
    )
    assert p.affinity(partial) == pytest.approx(0.35 * 0.3 / 0.4)
    assert p.price_fit(100) == 1.0
    assert p.price_fit(150) == pytest.approx(1 - np.log2(1.5))
    assert p.price_fit(200) == 0.0
    assert p.price_fit(5) == 0.0
    assert p.price_fit(None) == 0.0


def test_affinities_are_the_affinity_of_each_product() -> None:
    p = build_profile(7, EVENTS, PRODUCTS, VECTORS)
    others = [
        Product(60 + i, "w", gender=g, article_type=t, base_colour=c, usage=u, price=price)
        for i, (g, t, c, u, price) in enumerate(
            [
                ("Men", "Watches", "Black", "Casual", 50.0),
                ("Girls", "Sarees", "Pink", None, 500.0),
                (None, "Jeans", None, "Ethnic", None),
                ("Women", None, "Black", "Casual", 7.5),
                ("Men", "Watches", "Black", "Casual", 50.0),
            ]
        )
    ]
    candidates = list(PRODUCTS.values()) + others
    got = p.affinities(candidates)
    assert got.dtype == np.float64
    # Exactly equal, not approximately: the parts are added in the same order.
    assert got.tolist() == [p.affinity(c) for c in candidates]
    assert empty_profile(3).affinities(candidates).tolist() == [0.0] * len(candidates)
    assert p.affinities([]).shape == (0,)


def test_similarity_checks_dimensions() -> None:
    p = build_profile(7, EVENTS, PRODUCTS, VECTORS)
    assert p.similarity(np.array([1.0, 1.0, 0.0])) == pytest.approx(1.0)
    assert p.similarity(np.array([0.0, 0.0, 2.0])) == pytest.approx(0.0)
    with pytest.raises(ValidationError, match="dimension"):
        p.similarity(np.ones(4))
    with pytest.raises(ValidationError, match="unknown profile preference"):
        p.top("material")


def test_to_dict_is_json_ready() -> None:
    import json

    d = build_profile(7, EVENTS, PRODUCTS, VECTORS).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["colours"][0] == {"name": "Black", "weight": 0.7}
    assert d["price"]["p75"] == 100.0 and d["vector_dim"] == 3 and d["recent_purchases"] == [3, 2]


def _assert_same(a: StyleProfile, b: StyleProfile) -> None:
    assert a.user_id == b.user_id
    assert a.interactions == b.interactions
    assert dict(a.event_counts) == dict(b.event_counts)
    assert {k: dict(v) for k, v in a.preferences.items()} == {k: dict(v) for k, v in b.preferences.items()}
    assert a.price == b.price
    assert a.recent_purchases == b.recent_purchases
    assert a.last_event_at == b.last_event_at
    if a.vector is None or b.vector is None:
        assert a.vector is None and b.vector is None
    else:
        np.testing.assert_array_equal(a.vector, b.vector)


@pytest.fixture(scope="module")
def history(small_catalog: list[Product]) -> History:
    rng = np.random.default_rng(1)
    vectors = {p.id: rng.standard_normal(16).astype(np.float32) for p in small_catalog if p.id % 5}
    data = generate_users(small_catalog, n_users=40, seed=9)
    return small_catalog, vectors, data.events


def test_incremental_updates_equal_a_full_rebuild(history: History) -> None:
    catalog, vectors, events = history
    by_id = {p.id: p for p in catalog}
    book = ProfileBook(by_id, vectors)
    rng = np.random.default_rng(2)
    cuts = sorted(rng.choice(len(events), size=12, replace=False))
    for start, end in zip([0, *cuts], [*cuts, len(events)], strict=True):
        changed = book.apply_events(events[start:end])
        assert changed == sorted({e.user_id for e in events[start:end]})
    users = sorted({e.user_id for e in events})
    assert book.user_ids() == users
    for uid in users:
        _assert_same(
            book.get(uid), build_profile(uid, [e for e in events if e.user_id == uid], by_id, vectors)
        )


def test_a_new_purchase_changes_the_profile(history: History) -> None:
    catalog, vectors, events = history
    by_id = {p.id: p for p in catalog}
    book = ProfileBook(by_id, vectors, user_ids=[1])
    book.apply_events([e for e in events if e.user_id == 1])
    before = book.get(1)
    new = ev(catalog[3].id, EventType.PURCHASE, 10**6, user_id=1)
    assert book.apply_events([new]) == [1]
    after = book.get(1)
    article_type = catalog[3].article_type
    assert article_type is not None
    assert after.recent_purchases[0] == catalog[3].id
    assert after.interactions == before.interactions + 1
    assert after.preferences["article_type"][article_type] == pytest.approx(
        before.preferences["article_type"].get(article_type, 0.0) + 3
    )


def test_concurrent_updates_lose_nothing(history: History) -> None:
    catalog, vectors, events = history
    by_id = {p.id: p for p in catalog}
    book = ProfileBook(by_id, vectors)
    chunks = [events[i::4] for i in range(4)]
    threads = [threading.Thread(target=book.apply_events, args=(chunk,)) for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for uid in {e.user_id for e in events}:
        _assert_same(
            book.get(uid), build_profile(uid, [e for e in events if e.user_id == uid], by_id, vectors)
        )


def test_book_knows_registered_users_and_refuses_unknown_ones() -> None:
    book = ProfileBook(PRODUCTS, VECTORS, user_ids=[7, 8])
    assert 7 in book and len(book) == 2
    assert book.get(8).is_empty
    with pytest.raises(NotFoundError):
        book.get(9)
    book.apply_events(EVENTS)
    assert book.to_dict(7)["interactions"] == 5
    book.add_users([9])
    assert book.get(9).is_empty

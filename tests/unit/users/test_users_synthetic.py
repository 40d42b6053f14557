from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fashion_search.domain import EventType, Product
from fashion_search.errors import ValidationError
from fashion_search.users import SEGMENTS, SyntheticData, default_user_count, generate_users
from fashion_search.users.synthetic import P_CART_TASTE, P_PURCHASE, PERSONA_MIN_PURCHASES, WINDOW_DAYS


def test_default_user_count_scales_with_the_catalog() -> None:
    assert default_user_count(44_446) == 10_000
    assert default_user_count(44_000) == 10_000
    assert default_user_count(300) == 68
    assert default_user_count(10) == 20
    assert default_user_count(1_000_000) == 10_000


def test_generated_size_defaults_to_the_catalog(small_catalog: list[Product]) -> None:
    data = generate_users(small_catalog)
    assert len(data.users) == default_user_count(len(small_catalog))
    assert len({u.id for u in data.users}) == len(data.users)


def test_same_seed_same_data_other_seed_other_data(small_catalog: list[Product]) -> None:
    a = generate_users(small_catalog, n_users=40, seed=7)
    b = generate_users(small_catalog, n_users=40, seed=7)
    c = generate_users(small_catalog, n_users=40, seed=8)
    assert a.users == b.users
    assert a.events == b.events
    assert a.events != c.events


def test_events_are_time_ordered_inside_the_window(small_catalog: list[Product]) -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    data = generate_users(small_catalog, n_users=30, start=start)
    stamps = [e.timestamp for e in data.events]
    assert stamps == sorted(stamps)
    assert stamps[0] >= start
    assert stamps[-1] <= start + timedelta(days=WINDOW_DAYS, hours=1)
    catalog_ids = {p.id for p in small_catalog}
    user_ids = {u.id for u in data.users}
    assert all(e.product_id in catalog_ids and e.user_id in user_ids for e in data.events)


def test_funnel_narrows_and_every_cart_and_purchase_follows_its_view(small_catalog: list[Product]) -> None:
    data = generate_users(small_catalog, n_users=200, seed=1)
    counts = Counter(e.type for e in data.events)
    views, carts, buys = counts[EventType.VIEW], counts[EventType.ADD_TO_CART], counts[EventType.PURCHASE]
    assert views > carts > buys > 0
    # About 0.9 * 0.3 + 0.1 * 0.06 of views reach the cart, 0.45 of carts are bought.
    assert 0.7 * P_CART_TASTE < carts / views < 1.1 * P_CART_TASTE
    assert 0.8 * P_PURCHASE < buys / carts < 1.2 * P_PURCHASE
    first_seen: dict[tuple[int, int, EventType], datetime] = {}
    for e in data.events:
        first_seen.setdefault((e.user_id, e.product_id, e.type), e.timestamp)
    for e in data.events:
        if e.type is EventType.ADD_TO_CART:
            assert first_seen[(e.user_id, e.product_id, EventType.VIEW)] < e.timestamp
        if e.type is EventType.PURCHASE:
            assert first_seen[(e.user_id, e.product_id, EventType.ADD_TO_CART)] < e.timestamp


def _segment_purchases(data: SyntheticData, by_id: dict[int, Product]) -> dict[str, list[Product]]:
    segment = {u.id: u.segment for u in data.users if not u.is_persona}
    out: dict[str, list[Product]] = defaultdict(list)
    for e in data.events:
        if e.type is EventType.PURCHASE and e.user_id in segment:
            out[segment[e.user_id]].append(by_id[e.product_id])
    return out


def _price(p: Product) -> float:
    assert p.price is not None, f"product {p.id} has no price; the catalog should be priced"
    return p.price


def test_segment_tastes_show_in_the_events(catalog_factory: Callable[..., list[Product]]) -> None:
    catalog = catalog_factory(2200)
    by_id = {p.id: p for p in catalog}
    data = generate_users(catalog, n_users=600, seed=3)
    assert {u.segment for u in data.users if not u.is_persona} == {s.name for s in SEGMENTS}
    bought = _segment_purchases(data, by_id)
    median = {seg: statistics.median(_price(p) for p in items) for seg, items in bought.items()}
    assert median["budget"] < median["luxury"]
    assert median["genz"] < median["luxury"]

    def share(seg: str, predicate: Callable[[Product], bool]) -> float:
        items = bought[seg]
        return sum(1 for p in items if predicate(p)) / len(items)

    def sports(p: Product) -> bool:
        return p.usage == "Sports"

    def formal(p: Product) -> bool:
        return p.usage == "Formal"

    assert share("athletic", sports) > 0.6
    assert share("athletic", sports) > 3 * share("professional", sports)
    assert share("professional", formal) > 0.5
    assert share("professional", formal) > 3 * share("budget", formal)

    def accessory(p: Product) -> bool:
        return p.master_category == "Accessories"

    assert share("luxury", accessory) > 0.5


def test_users_see_their_gender_or_unisex(small_catalog: list[Product]) -> None:
    by_id = {p.id: p for p in small_catalog}
    data = generate_users(small_catalog, n_users=120, seed=2)
    seen: dict[int, set[str]] = defaultdict(set)
    for e in data.events:
        seen[e.user_id].add(by_id[e.product_id].gender or "")
    for user_id, genders in seen.items():
        personal = genders - {"Unisex"}
        assert len(personal) <= 1, (user_id, genders)


def test_every_persona_has_a_full_history(small_catalog: list[Product]) -> None:
    data = generate_users(small_catalog, n_users=30, seed=5)
    personas = [u for u in data.users if u.is_persona]
    assert [u.id for u in personas] == [1, 2, 3, 4, 5]
    counts = Counter((e.user_id, e.type) for e in data.events)
    for u in personas:
        assert counts[(u.id, EventType.VIEW)] >= 80
        assert counts[(u.id, EventType.PURCHASE)] >= PERSONA_MIN_PURCHASES


def test_works_without_prices_and_on_a_tiny_catalog(catalog_factory: Callable[..., list[Product]]) -> None:
    unpriced = catalog_factory(200, priced=False)
    data = generate_users(unpriced, n_users=25)
    assert len(data.users) == 25 and data.events
    tiny = catalog_factory(6)
    data = generate_users(tiny)
    assert len(data.users) == 20
    assert {e.product_id for e in data.events} <= {p.id for p in tiny}


def test_bad_input_is_refused(small_catalog: list[Product]) -> None:
    with pytest.raises(ValidationError, match="empty catalog"):
        generate_users([])
    with pytest.raises(ValidationError, match="n_users"):
        generate_users(small_catalog, n_users=3)
    with pytest.raises(ValidationError, match="n_users"):
        generate_users(small_catalog, n_users=True)

"""UserService (incremental profiles, purchases, history, popularity) and the one-time shopper bootstrap."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from fashion_search.domain import Event, EventType, Product, User
from fashion_search.errors import NotFoundError, ValidationError
from fashion_search.store.sqlite import SqliteStore
from fashion_search.users.bootstrap import ensure_users
from fashion_search.users.popularity import Popularity
from fashion_search.users.profiles import build_profile
from fashion_search.users.service import NewEvent, UserService


def vectors_for(products: list[Product], dim: int = 8) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(3)
    return {p.id: rng.standard_normal(dim).astype(np.float32) for p in products}


@pytest.fixture
def store(tmp_path: Path, small_catalog: list[Product]) -> SqliteStore:
    s = SqliteStore(tmp_path)
    s.upsert_products(small_catalog)
    return s


def test_bootstrap_creates_shoppers_once(store: SqliteStore, small_catalog: list[Product]) -> None:
    first = ensure_users(store, small_catalog, seed=1)
    assert first.created and first.users == 75 and first.events == store.count_events() > 0
    events = store.count_events()
    again = ensure_users(store, small_catalog, seed=1)
    assert not again.created and (again.users, again.events) == (0, 0)
    assert store.count_events() == events
    assert len(store.list_users(personas_only=True)) == 5


def test_bootstrap_fills_in_events_after_an_interrupted_run(
    store: SqliteStore, small_catalog: list[Product]
) -> None:
    from fashion_search.users.synthetic import generate_users

    store.upsert_users(generate_users(small_catalog, seed=2).users)  # users written, events lost
    report = ensure_users(store, small_catalog, seed=2)
    assert report.created and report.users == 0 and report.events == store.count_events() > 0


def test_bootstrap_leaves_someone_elses_users_alone(store: SqliteStore, small_catalog: list[Product]) -> None:
    store.upsert_users([User(id=1, name="Ada", segment="real")])
    assert not ensure_users(store, small_catalog).created
    assert store.count_events() == 0


def test_bootstrap_needs_a_catalog(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no products"):
        ensure_users(SqliteStore(tmp_path / "empty"), [])


def service_with_events(
    store: SqliteStore, products: list[Product]
) -> tuple[UserService, dict[int, np.ndarray]]:
    ensure_users(store, products, seed=0)
    vectors = vectors_for(products)
    return UserService.load(store, {p.id: p for p in products}, vectors, batch_size=97), vectors


def test_profiles_loaded_in_batches_equal_profiles_built_at_once(
    store: SqliteStore, small_catalog: list[Product]
) -> None:
    service, vectors = service_with_events(store, small_catalog)
    products = {p.id: p for p in small_catalog}
    for uid in (1, 3, 17):
        expected = build_profile(uid, store.events_for_user(uid), products, vectors)
        got = service.profile(uid)
        assert got.interactions == expected.interactions
        assert np.allclose(got.vector, expected.vector, atol=1e-6)  # type: ignore[arg-type]
        assert got.top("article_type", 3) == expected.top("article_type", 3)


def test_new_events_reach_store_profile_purchases_history_and_popularity(
    store: SqliteStore, small_catalog: list[Product]
) -> None:
    service, vectors = service_with_events(store, small_catalog)
    uid = 9
    before = service.profile(uid)
    target = next(p for p in small_catalog if p.id not in service.history(uid))
    pop_before = service.popularity.weight(target.id)
    naive = datetime(2025, 5, 1, 12, 0)
    profile = service.add_events(
        uid, [NewEvent(target.id, "view", naive), NewEvent(target.id, EventType.PURCHASE)]
    )
    assert profile.interactions == before.interactions + 2
    assert target.id in service.purchased(uid) and profile.recent_purchases[0] == target.id
    assert service.history(uid)[target.id] == 4.0
    assert service.popularity.weight(target.id) == pop_before + 4.0
    stored = store.events_for_user(uid)
    assert stored[-1].product_id == target.id
    assert any(e.timestamp == naive.replace(tzinfo=UTC) for e in stored)
    # incremental == rebuilt from everything stored
    rebuilt = build_profile(uid, stored, {p.id: p for p in small_catalog}, vectors)
    assert np.allclose(profile.vector, rebuilt.vector, atol=1e-6)  # type: ignore[arg-type]


def test_bad_events_are_refused_before_anything_is_stored(
    store: SqliteStore, small_catalog: list[Product]
) -> None:
    service, _ = service_with_events(store, small_catalog)
    count = store.count_events()
    good = small_catalog[0].id
    with pytest.raises(ValidationError, match="event 1: product 5 is not in the catalog"):
        service.add_events(2, [NewEvent(good, "view"), NewEvent(5, "view")])
    with pytest.raises(ValidationError, match="event 0: unknown event type 'like'"):
        service.add_events(2, [NewEvent(good, "like")])
    with pytest.raises(ValidationError, match="no events"):
        service.add_events(2, [])
    with pytest.raises(NotFoundError, match="user 424242"):
        service.add_events(424242, [NewEvent(good, "view")])
    assert store.count_events() == count


def test_users_page_in_id_order(store: SqliteStore, small_catalog: list[Product]) -> None:
    service, _ = service_with_events(store, small_catalog)
    personas, total = service.list_users()
    assert [u.id for u in personas] == [1, 2, 3, 4, 5] and total == 5
    page, total = service.list_users(personas_only=False, offset=70, limit=10)
    assert total == 75 and [u.id for u in page] == list(range(71, 76))
    with pytest.raises(NotFoundError):
        service.profile(0)


def test_popularity_orders_by_event_weight_then_id() -> None:
    t = datetime(2025, 1, 1, tzinfo=UTC)
    events = [
        Event(1, 10, EventType.VIEW, t),
        Event(1, 11, EventType.PURCHASE, t),
        Event(2, 12, EventType.ADD_TO_CART, t),
        Event(2, 10, EventType.ADD_TO_CART, t),
    ]
    pop = Popularity(events)
    assert pop.top(5) == [(10, 3.0), (11, 3.0), (12, 2.0)]
    assert pop.top(5, accept=lambda pid: pid != 10) == [(11, 3.0), (12, 2.0)]
    pop.add([Event(3, 12, EventType.VIEW, t), Event(3, 12, EventType.VIEW, t)])
    assert pop.top(1) == [(12, 4.0)]
    with pytest.raises(ValidationError):
        pop.top(-1)

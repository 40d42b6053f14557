"""RecommendationService on a catalog of two clear clusters (watches and sneakers) in a 16-d space."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from fashion_search.domain import Event, EventType, Product, User
from fashion_search.errors import NotFoundError, ValidationError
from fashion_search.index.exact import ExactIndex
from fashion_search.rank.scoring import Constraints, Weights
from fashion_search.recommend.service import RecommendationService, dominant_gender
from fashion_search.settings import RankingSettings
from fashion_search.store.sqlite import SqliteStore
from fashion_search.users.profiles import StyleProfile, build_profile
from fashion_search.users.service import UserService

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def catalog() -> tuple[list[Product], np.ndarray]:
    rng = np.random.default_rng(0)
    products, vectors = [], []
    for i in range(120):
        watch = i % 2 == 0
        products.append(
            Product(
                id=i + 1,
                name=f"{'Watch' if watch else 'Sneaker'} {i}",
                gender=("Men", "Women", "Unisex")[i % 3],
                article_type="Watches" if watch else "Sports Shoes",
                base_colour=("Black", "Silver", "White")[i % 3],
                usage="Casual",
                price=float(20 + i),
            )
        )
        centre = np.zeros(16)
        centre[0 if watch else 1] = 1.0
        vectors.append(centre + 0.3 * rng.standard_normal(16))
    return products, np.array(vectors, dtype=np.float32)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[RecommendationService, UserService, list[Product]]:
    products, vectors = catalog()
    index = ExactIndex()
    index.upsert_products(products)
    index.upsert("hybrid", [p.id for p in products], vectors)
    store = SqliteStore(tmp_path)
    store.upsert_products(products)
    store.upsert_users([User(1, "Watcher", "luxury"), User(2, "Newbie", "new")])
    # user 1 looks at and buys men's and unisex watches only
    watches = [p for p in products if p.article_type == "Watches" and p.gender != "Women"][:12]
    events = [Event(1, p.id, EventType.VIEW, T0 + timedelta(minutes=i)) for i, p in enumerate(watches)]
    events += [
        Event(1, p.id, EventType.PURCHASE, T0 + timedelta(hours=1, minutes=i))
        for i, p in enumerate(watches[:3])
    ]
    # other shoppers make two sneakers popular
    store.upsert_users([User(3, "Runner", "athletic")])
    events += [Event(3, pid, EventType.PURCHASE, T0) for pid in (2, 4, 4)]
    store.add_events(events)
    by_id = {p.id: p for p in products}
    users = UserService.load(store, by_id, {p.id: vectors[i] for i, p in enumerate(products)})
    return RecommendationService(index, users, by_id, RankingSettings()), users, products


def test_recommendations_follow_the_history_and_leave_out_purchases(setup: tuple) -> None:
    recs, users, _ = setup
    page = recs.recommend(1, limit=10)
    assert len(page.items) == 10
    assert all(i.product.article_type == "Watches" for i in page.items)
    assert all(i.product.gender in ("Men", "Unisex") for i in page.items)
    assert not users.purchased(1) & {i.product.id for i in page.items}
    assert all(i.reason for i in page.items)
    assert page.query["personalised"] is True


def test_constraints_hold_and_weights_apply(setup: tuple) -> None:
    recs, _, _ = setup
    page = recs.recommend(1, limit=10, constraints=Constraints(max_price=60), weights=Weights(0.0, 0.0, 1.0))
    assert page.items and all((i.product.price or 99) <= 60 for i in page.items)
    for item in page.items:
        assert item.score == pytest.approx(item.breakdown.attribute)
        assert item.reason.endswith("within your budget of $60")


def test_a_shopper_without_history_gets_popular_products_first(setup: tuple) -> None:
    recs, users, _ = setup
    page = recs.recommend(2, limit=5, mmr_lambda=1.0, constraints=Constraints(restrict_color=True))
    # product 4: bought twice by the runner (6); watches user 1 viewed and bought weigh 4, sneaker 2 weighs 3
    assert [pid for pid, _ in users.popularity.top(5)][:1] == [4]
    assert [i.product.id for i in page.items] == [pid for pid, _ in users.popularity.top(5)]
    assert page.items[0].reason == "Popular with shoppers right now"
    assert page.items[0].signals["popularity"] == 6.0
    assert page.items[0].score == 1.0 and page.items[1].score == pytest.approx(4 / 6)
    assert "ignored" in page.note and page.query["personalised"] is False
    assert all(i.signals["source"] == "popular" for i in page.items)


def test_bad_requests_are_named(setup: tuple) -> None:
    recs, _, _ = setup
    with pytest.raises(NotFoundError):
        recs.recommend(99)
    with pytest.raises(ValidationError, match="limit"):
        recs.recommend(1, limit=0)
    with pytest.raises(ValidationError, match="MMR lambda"):
        recs.recommend(1, mmr_lambda=1.5)


def test_dominant_gender_ignores_unisex_and_needs_a_clear_majority() -> None:
    products = {
        1: Product(1, "a", gender="Men"),
        2: Product(2, "b", gender="Unisex"),
        3: Product(3, "c", gender="Women"),
    }

    def profile(pids: list[int]) -> StyleProfile:
        events = [Event(7, pid, EventType.VIEW, T0) for pid in pids]
        return build_profile(7, events, products)

    assert dominant_gender(profile([1, 1, 2, 2, 2])) == "Men"
    assert dominant_gender(profile([1, 1, 1, 1, 3])) == "Men"
    assert dominant_gender(profile([1, 1, 1, 3])) is None
    assert dominant_gender(profile([2])) is None

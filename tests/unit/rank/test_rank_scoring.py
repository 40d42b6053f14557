from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from fashion_search.domain import Event, EventType, Hit, Product
from fashion_search.errors import ValidationError
from fashion_search.rank import Constraints, Weights, rank, score
from fashion_search.rank.scoring import score_all
from fashion_search.settings import Settings
from fashion_search.users import build_profile, empty_profile

T0 = datetime(2025, 1, 1, tzinfo=UTC)
TYPES = ("Tshirts", "Jeans", "Watches", "Shirts", "Sandals", "Caps")
COLOURS = ("Black", "White", "Blue", "Red", "Green")

World = tuple[list[Product], dict[int, np.ndarray]]
"""The catalog of the module and one unit vector per product."""


def catalog(n: int = 120) -> list[Product]:
    return [
        Product(
            id=i,
            name=f"item {i}",
            gender=("Men", "Women")[i % 2],
            article_type=TYPES[i % len(TYPES)],
            base_colour=COLOURS[(i // 2) % len(COLOURS)],
            usage=("Casual", "Formal", "Sports")[i % 3],
            price=None if i % 17 == 0 else float(5 + (i * 37) % 200),
        )
        for i in range(1, n + 1)
    ]


@pytest.fixture(scope="module")
def world() -> World:
    products = catalog()
    rng = np.random.default_rng(0)
    vectors = {}
    for p in products:
        v = rng.standard_normal(12)
        vectors[p.id] = (v / np.linalg.norm(v)).astype(np.float32)
    return products, vectors


def history(products: list[Product], ids: list[int]) -> list[Event]:
    return [Event(1, pid, EventType.PURCHASE, T0 + timedelta(minutes=i)) for i, pid in enumerate(ids)]


def hits_for(products: list[Product]) -> list[Hit]:
    return [Hit(p, 1.0 - i / len(products)) for i, p in enumerate(products)]


def test_final_score_is_the_weighted_sum(world: World) -> None:
    products, vectors = world
    by_id = {p.id: p for p in products}
    profile = build_profile(1, history(products, [1, 7, 13, 19, 2]), by_id, vectors)
    hits = hits_for(products[:40])
    ranked = rank(hits, profile, vectors=vectors)
    visual = {h.product.id: h.score for h in hits}
    assert profile.vector is not None
    for r in ranked:
        v = vectors[r.product.id].astype(np.float64)
        cos = float(v @ profile.vector) / float(np.linalg.norm(v) * np.linalg.norm(profile.vector))
        assert r.breakdown.visual == pytest.approx(visual[r.product.id])
        assert r.breakdown.user == pytest.approx(cos, abs=1e-6)
        assert r.breakdown.attribute == pytest.approx(profile.affinity(r.product))
        assert r.breakdown.final == pytest.approx(
            0.5 * r.breakdown.visual + 0.3 * r.breakdown.user + 0.2 * r.breakdown.attribute
        )
    finals = [r.score for r in ranked]
    assert finals == sorted(finals, reverse=True)


def test_weights_steer_the_order(world: World) -> None:
    products, vectors = world
    by_id = {p.id: p for p in products}
    profile = build_profile(1, history(products, [1, 7, 13]), by_id, vectors)
    hits = hits_for(products[:60])
    visual_only = rank(hits, profile, vectors=vectors, weights=Weights(1.0, 0.0, 0.0))
    assert [r.product.id for r in visual_only] == [h.product.id for h in hits]
    user_only = rank(
        hits, profile, vectors=vectors, weights=Weights().override(visual=0.0, user=1.0, attribute=0.0)
    )
    users = [r.breakdown.user for r in user_only]
    assert users == sorted(users, reverse=True)
    attribute_only = rank(hits, profile, vectors=vectors, weights=Weights(0.0, 0.0, 1.0))
    assert attribute_only[0].product.article_type == "Jeans"  # ids 1, 7, 13 are all Jeans


def test_without_a_profile_the_order_is_visual(world: World) -> None:
    products, vectors = world
    hits = list(reversed(hits_for(products[:30])))
    ranked = rank(hits, None, vectors=vectors)
    assert [r.product.id for r in ranked] == [h.product.id for h in sorted(hits, key=lambda h: -h.score)]
    assert all(r.breakdown.user == 0 and r.breakdown.attribute == 0 for r in ranked)


def test_weights_validation_and_settings() -> None:
    assert Weights() == Weights(0.5, 0.3, 0.2)
    settings = Settings(ranking={"w_visual": 0.6, "w_user": 0.1, "w_attribute": 0.3})
    assert Weights.from_settings(settings) == Weights(0.6, 0.1, 0.3)
    assert Weights.from_settings(settings.ranking).override(user=0.9) == Weights(0.6, 0.9, 0.3)
    for bad in (-0.1, 1.5, math.nan, math.inf, True, "0.3"):
        with pytest.raises(ValidationError, match="user"):
            Weights(user=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="all be zero"):
        Weights(0, 0, 0)


def test_budget_holds_for_every_result(world: World) -> None:
    products, vectors = world
    hits = hits_for(products)
    ranked = rank(hits, None, constraints=Constraints(min_price=20, max_price=60))
    expected = {p.id for p in products if p.price is not None and 20 <= p.price <= 60}
    assert {r.product.id for r in ranked} == expected
    assert expected  # the fixture has products in range


def test_restrictions_hold_for_every_result(world: World) -> None:
    products, vectors = world
    by_id = {p.id: p for p in products}
    profile = build_profile(1, history(products, [1, 2, 7, 8, 13, 21, 33]), by_id, vectors)
    hits = hits_for(products)
    favourite_types = set(profile.favourites("article_type", 5))
    favourite_colours = set(profile.favourites("base_colour", 3))
    low, high = profile.price_band  # type: ignore[misc]
    ranked = rank(
        hits,
        profile,
        vectors=vectors,
        constraints=Constraints(restrict_category=True, restrict_color=True, restrict_price=True),
    )
    assert ranked
    for r in ranked:
        assert r.product.article_type in favourite_types
        assert r.product.base_colour in favourite_colours
        assert r.product.price is not None and low <= r.product.price <= high
    expected = [
        p.id
        for p in products
        if p.article_type in favourite_types
        and p.base_colour in favourite_colours
        and p.price is not None
        and low <= p.price <= high
    ]
    assert sorted(r.product.id for r in ranked) == sorted(expected)


def test_constraints_filter_can_go_to_an_index(world: World) -> None:
    products, vectors = world
    by_id = {p.id: p for p in products}
    profile = build_profile(1, history(products, [1, 2]), by_id)
    f = Constraints(max_price=50, restrict_color=True).to_filter(profile)
    assert {(c.field, c.op.value) for c in f.conditions} == {("price", "<="), ("base_colour", "in")}
    assert all(
        f.matches(p) == (p.price is not None and p.price <= 50 and p.base_colour in {"Black", "White"})
        for p in products
    )


def test_constraints_validation() -> None:
    with pytest.raises(ValidationError, match="must not exceed"):
        Constraints(min_price=50, max_price=10)
    with pytest.raises(ValidationError, match="negative"):
        Constraints(max_price=-1)
    with pytest.raises(ValidationError, match="finite"):
        Constraints(max_price=math.nan)
    with pytest.raises(ValidationError, match="no user"):
        Constraints(restrict_category=True).to_filter(None)
    with pytest.raises(ValidationError, match="no events"):
        Constraints(restrict_price=True).to_filter(empty_profile(3))


def test_score_all_gives_the_numbers_score_gives_one_by_one(world: World) -> None:
    products, vectors = world
    by_id = {p.id: p for p in products}
    profile = build_profile(1, history(products, [1, 7, 13, 19, 2]), by_id, vectors)
    candidates = products[:50]
    visual = [0.9 - i / 70 for i in range(50)]
    array = np.stack([vectors[p.id] for p in candidates])
    array[[3, 17]] = 0.0  # no vector
    weights = Weights(0.4, 0.35, 0.25)
    parts = score_all(candidates, visual, array, profile, weights)
    for i, p in enumerate(candidates):
        one = score(p, visual[i], None if i in (3, 17) else array[i], profile, weights)
        got = parts.breakdown(i)
        assert got.attribute == one.attribute and got.visual == one.visual
        # The cosines come from one matrix product here, one dot product there: float32 rounding.
        assert got.user == pytest.approx(one.user, abs=1e-6) and got.final == pytest.approx(
            one.final, abs=1e-6
        )
    listed = [None if i in (3, 17) else array[i] for i in range(50)]
    assert score_all(candidates, visual, listed, profile, weights).final.tolist() == parts.final.tolist()
    without = score_all(candidates, visual, array, None, weights)
    assert without.final.tolist() == [0.4 * v for v in visual]
    with pytest.raises(ValidationError, match="visual scores"):
        score_all(candidates, visual[:3], array, profile, weights)


def test_vectors_may_be_an_aligned_array(world: World) -> None:
    products, vectors = world
    by_id = {p.id: p for p in products}
    profile = build_profile(1, history(products, [1]), by_id, vectors)
    hits = hits_for(products[:5])
    array = np.stack([vectors[h.product.id] for h in hits])
    array[2] = 0.0  # an index's "no vector"
    ranked = {r.product.id: r for r in rank(hits, profile, vectors=array)}
    assert ranked[hits[2].product.id].breakdown.user == 0.0
    assert ranked[hits[0].product.id].breakdown.user == pytest.approx(1.0)
    with pytest.raises(ValidationError, match="shape"):
        rank(hits, profile, vectors=array[:3])

"""The popularity prior of personal recommendations: popular within the shopper's taste, never outside it."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fashion_search.domain import Event, EventType, Hit, Product, User
from fashion_search.errors import ValidationError
from fashion_search.index.exact import ExactIndex
from fashion_search.rank.scoring import Constraints, Weights
from fashion_search.recommend.service import RecommendationService, popularity_prior
from fashion_search.settings import RankingSettings
from fashion_search.store.sqlite import SqliteStore
from fashion_search.users.service import PROFILE_SPACE, UserService

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def test_popularity_prior_is_log_scaled_to_the_most_popular() -> None:
    assert popularity_prior(0.0, 7.0) == 0.0
    assert popularity_prior(7.0, 7.0) == 1.0
    # log(1 + 3) / log(1 + 7) = 2 / 3.
    assert popularity_prior(3.0, 7.0) == pytest.approx(2 / 3)
    assert popularity_prior(5.0, 0.0) == 0.0


def build(tmp_path: Path, share: float, pool: int = 200) -> tuple[RecommendationService, ExactIndex]:
    """Watches 1-40 (1-20 in corner A, 21-40 in corner B; 10 and 11 identical), sneakers 41-60."""
    rng = np.random.default_rng(0)
    products, vectors = [], []
    for pid in range(1, 61):
        watch = pid <= 40
        products.append(
            Product(
                pid,
                f"item {pid}",
                gender="Men",
                article_type="Watches" if watch else "Sports Shoes",
                base_colour="Black",
                usage="Casual",
                price=50.0,
            )  # fmt: skip
        )
        v = np.zeros(16)
        v[0 if watch else 1] = 1.0
        if watch:
            v[2 if pid <= 20 else 3] = 0.8
        vectors.append(v + 0.2 * rng.standard_normal(16))
    vectors[10] = vectors[9].copy()  # products 10 and 11 look the same
    matrix = np.asarray(vectors, np.float32)
    index = ExactIndex()
    index.upsert_products(products)
    index.upsert(PROFILE_SPACE, [p.id for p in products], matrix)
    store = SqliteStore(tmp_path / f"s{share}")
    store.upsert_products(products)
    store.upsert_users(
        [User(1, "watcher", "luxury"), User(3, "runner", "athletic"), User(4, "other", "luxury")]
    )
    events = [Event(1, pid, EventType.VIEW, T0 + timedelta(minutes=pid)) for pid in range(1, 6)]
    events += [Event(3, 50, EventType.PURCHASE, T0 + timedelta(minutes=i)) for i in range(3)]
    events += [
        Event(4, pid, EventType.VIEW, T0 + timedelta(minutes=i)) for i, pid in enumerate((10, 10, 10, 30, 31))
    ]
    store.add_events(events)
    by_id = {p.id: p for p in products}
    users = UserService.load(store, by_id, dict(zip(range(1, 61), matrix, strict=True)))
    return RecommendationService(
        index, users, by_id, RankingSettings(candidate_pool=pool), popularity_share=share
    ), index


def test_popular_products_rank_first_among_look_alikes(tmp_path: Path) -> None:
    plain, _ = build(tmp_path, 0.0)
    blended, _ = build(tmp_path, 0.5)
    scores = {}
    for name, service in (("plain", plain), ("blended", blended)):
        page = service.recommend(1, limit=40, mmr_lambda=1.0)
        scores[name] = {i.product.id: i for i in page.items}
    # Without the prior the twins score the same; with it, 10 (viewed three times by another shopper) wins.
    assert scores["plain"][10].score == pytest.approx(scores["plain"][11].score)
    assert scores["blended"][10].score > scores["blended"][11].score
    twin = scores["blended"][10]
    # visual = half similarity, half prior; the prior counts fully: watches are the shopper's only type.
    most = 9.0  # product 50: three purchases of weight 3
    assert twin.signals["popularity"] == pytest.approx(math.log1p(3.0) / math.log1p(most), abs=1e-6)
    similarity, prior = float(twin.signals["similarity"] or 0), float(twin.signals["popularity"] or 0)
    assert twin.breakdown.visual == pytest.approx(0.5 * similarity + 0.5 * prior, abs=1e-6)
    assert twin.breakdown.final == pytest.approx(
        0.5 * twin.breakdown.visual + 0.3 * twin.breakdown.user + 0.2 * twin.breakdown.attribute
    )


def test_a_best_seller_outside_the_taste_gets_no_prior(tmp_path: Path) -> None:
    blended, _ = build(tmp_path, 0.5)
    page = blended.recommend(1, limit=60, mmr_lambda=1.0)
    by_id = {i.product.id: i for i in page.items}
    assert by_id[50].signals["popularity"] == 0.0
    top10 = [i.product.id for i in page.items[:10]]
    assert 50 not in top10 and all(pid <= 40 for pid in top10)


def test_popular_products_of_favourite_types_join_the_candidates(tmp_path: Path) -> None:
    plain, index = build(tmp_path, 0.0, pool=10)
    blended, _ = build(tmp_path, 0.5, pool=10)
    small = plain.recommend(1, limit=3, mmr_lambda=1.0)
    profile = blended.users.profile(1)
    nearest = {h.product.id for h in index.search(PROFILE_SPACE, profile.vector, k=10)}  # type: ignore[arg-type]
    popular_watches = {1, 2, 3, 4, 5, 10, 30, 31}
    assert small.total == 10
    assert blended.recommend(1, limit=3, mmr_lambda=1.0).total == len(nearest | popular_watches)


def test_popularity_share_is_checked(tmp_path: Path) -> None:
    _, index = build(tmp_path, 0.0)
    with pytest.raises(ValidationError, match="popularity_share"):
        RecommendationService(index, None, {}, RankingSettings(), popularity_share=1.5)  # type: ignore[arg-type]


def test_new_events_reach_the_popular_candidates(tmp_path: Path) -> None:
    blended, _ = build(tmp_path, 0.5, pool=10)

    def popularity_of_37() -> float:
        items = blended.recommend(1, limit=40, mmr_lambda=1.0).items
        return float(next(i for i in items if i.product.id == 37).signals["popularity"] or 0)

    before = blended.recommend(1, limit=3, mmr_lambda=1.0).total
    assert popularity_of_37() == 0.0
    generation = blended.users.popularity.generation
    # Another shopper buys watch 37: it becomes one of the popular watches the candidates take in.
    blended.users.popularity.add([Event(4, 37, EventType.PURCHASE, T0 + timedelta(hours=1))])
    assert blended.users.popularity.generation == generation + 1
    assert blended.recommend(1, limit=3, mmr_lambda=1.0).total == before + 1
    assert popularity_of_37() > 0.0


class OneByOne:
    """An index that is not an ExactIndex (as PostgreSQL's is not): searched one query at a time."""

    def __init__(self, inner: ExactIndex) -> None:
        self.inner = inner
        self.calls: list[object] = []

    def search(self, *args: Any, **kwargs: Any) -> list[Hit]:
        self.calls.append(kwargs.get("where"))
        return self.inner.search(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def one_by_one(service: RecommendationService, index: ExactIndex) -> tuple[RecommendationService, OneByOne]:
    wrapped = OneByOne(index)
    other = RecommendationService(
        wrapped,
        service.users,
        service.products,
        service.ranking,
        popularity_share=service.popularity_share,
    )
    return other, wrapped


def test_typed_searches_run_only_when_the_pool_lacks_that_type(tmp_path: Path) -> None:
    wide_service, wide_index = build(tmp_path, 0.5, pool=200)
    service, index = one_by_one(wide_service, wide_index)
    wide = service.recommend(1, limit=20, mmr_lambda=1.0)
    # A pool of 200 holds all 60 products: every favourite type is in it, one search suffices.
    assert len(index.calls) == 1 and wide.total == 60
    narrow_service, narrow_index = build(tmp_path / "narrow", 0.5, pool=10)
    narrow, index = one_by_one(narrow_service, narrow_index)
    narrow.recommend(1, limit=3, mmr_lambda=1.0)
    # The typed search for watches runs exactly when the pool's 10 nearest hold fewer than 10 of them.
    profile_vector = narrow.users.profile(1).vector
    first = [h.product.article_type for h in narrow_index.search(PROFILE_SPACE, profile_vector, k=10)]  # type: ignore[arg-type]
    assert len(index.calls) == 1 + (first.count("Watches") < 10)


@pytest.mark.parametrize("pool", [10, 200])
@pytest.mark.parametrize("share", [0.0, 0.5])
def test_one_scoring_pass_recommends_what_separate_searches_do(
    tmp_path: Path, pool: int, share: float
) -> None:
    shared, index = build(tmp_path, share, pool=pool)
    separate, wrapped = one_by_one(shared, index)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an ExactIndex answers a recommendation's searches from one scoring pass")

    for kwargs in [
        {"limit": 10},
        {"limit": 5, "offset": 3, "mmr_lambda": 0.3},
        {"limit": 20, "constraints": Constraints(max_price=50.0, restrict_category=True)},
        {"limit": 8, "constraints": Constraints(restrict_color=True), "weights": Weights(0.2, 0.5, 0.3)},
    ]:
        index.search = refuse  # type: ignore[method-assign,assignment]
        got = shared.recommend(1, **kwargs).to_dict()  # type: ignore[arg-type]
        del index.search
        assert got == separate.recommend(1, **kwargs).to_dict()  # type: ignore[arg-type]
    assert wrapped.calls

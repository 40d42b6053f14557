"""The Personalize 90/10 split and the recommendation list scoring, on fixtures counted by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from fashion_search.domain import Event, EventType, Product
from fashion_search.errors import ValidationError
from fashion_search.eval.rec_quality import (
    diversity_of,
    holdout_count,
    personalize_split,
    popularity_lists,
    recommender_lists,
    score_lists,
)
from fashion_search.users.popularity import Popularity

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def events_of(user: int, products: list[int], start: int = 0) -> list[Event]:
    return [
        Event(user, pid, EventType.VIEW, T0 + timedelta(minutes=start + i)) for i, pid in enumerate(products)
    ]


def test_holdout_count_is_the_ceiling_of_ten_percent_and_at_least_one() -> None:
    assert holdout_count(2, 0.1) == 1
    assert holdout_count(10, 0.1) == 1
    assert holdout_count(11, 0.1) == 2
    assert holdout_count(20, 0.1) == 2
    assert holdout_count(25, 0.1) == 3


def test_split_holds_out_the_newest_ten_percent_of_each_test_user() -> None:
    # User 1: 11 events given out of time order (the split must sort them); user 2: 3 events;
    # user 3: one event, never a test user.
    u1 = events_of(1, list(range(100, 111)))
    u2 = events_of(2, [200, 201, 202])
    u3 = events_of(3, [300])
    mixed = [*reversed(u1), *u2, *u3]
    split = personalize_split(mixed, test_user_fraction=0.99, seed=0)
    assert split.test_users == [1, 2]
    # ceil(1.1) = 2 newest of user 1; ceil(0.3) = 1 of user 2.
    assert [e.product_id for e in split.held_out[1]] == [109, 110]
    assert [e.product_id for e in split.held_out[2]] == [202]
    assert split.seen[1] == set(range(100, 109))
    assert split.seen[2] == {200, 201}
    visible = {(e.user_id, e.product_id) for e in split.visible}
    assert (1, 110) not in visible and (2, 202) not in visible
    assert (1, 100) in visible and (3, 300) in visible
    assert len(split.visible) == len(mixed) - 3


def test_targets_leave_out_products_already_seen_unless_asked() -> None:
    # User 1 views 5, 6, 7, then views 5 again (the newest event: a repeat).
    evs = events_of(1, [5, 6, 7, 5]) + events_of(2, [8, 9])
    split = personalize_split(evs, test_user_fraction=0.99, seed=0)
    assert split.targets(1) == set()
    assert split.targets(1, exclude_seen=False) == {5}
    assert split.targets(2) == {9}


def test_split_picks_ten_percent_of_eligible_users_reproducibly() -> None:
    evs = [e for u in range(1, 41) for e in events_of(u, [u * 10, u * 10 + 1, u * 10 + 2])]
    a = personalize_split(evs, seed=3)
    b = personalize_split(evs, seed=3)
    assert len(a.test_users) == 4
    assert a.test_users == b.test_users
    assert personalize_split(evs, seed=4).test_users != a.test_users
    with pytest.raises(ValidationError, match="test_user_fraction"):
        personalize_split(evs, test_user_fraction=1.0)


def test_score_lists_means_over_users_with_targets() -> None:
    lists = {1: [1, 2, 3], 2: [4, 5, 6], 3: [7, 8, 9]}
    # User 1: hit at rank 2 -> HR 1, RR 1/2, nDCG (1/log2 3) / 1. User 2: miss. User 3: no target.
    targets = {1: {2}, 2: {99}, 3: set()}
    m = score_lists("r", lists, targets, catalog_size=20, k=10)
    assert m.n_users == 2
    assert m.hit_rate == pytest.approx(0.5)
    assert m.mrr == pytest.approx(0.25)
    assert m.ndcg == pytest.approx((1 / np.log2(3)) / 2)
    assert m.precision == pytest.approx(0.05)
    # Coverage counts the scored users' lists only: 6 distinct of 20.
    assert m.coverage == pytest.approx(0.3)


def test_popularity_lists_skip_what_the_user_has_seen() -> None:
    pop = Popularity(
        [
            Event(9, 1, EventType.PURCHASE, T0),
            Event(9, 2, EventType.ADD_TO_CART, T0),
            Event(9, 3, EventType.VIEW, T0),
            Event(9, 4, EventType.VIEW, T0),
        ]
    )
    lists = popularity_lists(pop, [1], {1: {1, 3}}, exclude_seen=True, k=2)
    assert lists == {1: [2, 4]}
    assert popularity_lists(pop, [1], {1: {1, 3}}, exclude_seen=False, k=2) == {1: [1, 2]}


def test_recommender_lists_ask_for_enough_to_fill_k_after_skipping_seen() -> None:
    asked: list[int] = []

    def recommend(uid: int, limit: int, lam: float | None) -> list[int]:
        asked.append(limit)
        return list(range(1, limit + 1))

    lists = recommender_lists(recommend, [1], {1: {1, 2, 3}}, exclude_seen=True, k=4)
    assert asked == [7]
    assert lists == {1: [4, 5, 6, 7]}


def test_diversity_of_lists() -> None:
    vecs = {1: np.array([1.0, 0.0]), 2: np.array([1.0, 0.0]), 3: np.array([0.0, 1.0])}
    products = {
        1: Product(1, "a", article_type="Shirts"),
        2: Product(2, "b", article_type="Shirts"),
        3: Product(3, "c", article_type="Jeans"),
    }
    ils, types = diversity_of({1: [1, 2], 2: [1, 3]}, vecs, products)
    # List 1: identical vectors (cosine 1), list 2: orthogonal (0) -> mean 0.5; types 1 and 2.
    assert ils == pytest.approx(0.5)
    assert types == pytest.approx(1.5)


def test_evaluate_recommendations_scores_a_popularity_clone_like_the_baseline() -> None:
    from fashion_search.eval.rec_quality import Recommender, evaluate_recommendations

    products = {pid: Product(pid, f"p{pid}", article_type="Shirts") for pid in range(1, 31)}
    rng = np.random.default_rng(0)
    events = [
        e
        for u in range(1, 41)
        for e in events_of(
            u,
            [
                int(x)
                for x in rng.choice(
                    np.arange(1, 31), size=12, p=np.linspace(2, 0.1, 30) / np.linspace(2, 0.1, 30).sum()
                )
            ],
        )
    ]
    built: dict[str, Popularity] = {}

    def make(visible: Sequence[Event]) -> Recommender:
        pop = Popularity(visible)
        built["pop"] = pop

        def clone(uid: int, limit: int, lam: float | None) -> list[int]:
            return [pid for pid, _ in pop.top(limit)]

        def reverse(uid: int, limit: int, lam: float | None) -> list[int]:
            return [pid for pid, _ in reversed(pop.top(30))][:limit]

        return Recommender(clone, pop, lambda uid: [1.0] * 20, {"least popular first": reverse})

    vectors = {pid: np.eye(30)[pid - 1] for pid in products}
    report = evaluate_recommendations(
        products, vectors, [], events, make, default_lambda=0.7, lambdas=(1.0, 0.7), seed=0
    )
    assert report.n_test_users == 4
    # The clone recommends exactly what the baseline does: identical figures, ratio 1.
    assert report.recommender.to_dict() | {"name": ""} == report.popularity.to_dict() | {"name": ""}
    if report.popularity.ndcg:
        assert report.ndcg_ratio == pytest.approx(1.0)
    assert [v.name for v in report.variants] == ["least popular first"]
    assert [p.lam for p in report.mmr] == [1.0, 0.7]
    # Visible events: everything but the held-out ones.
    assert report.n_visible_events + report.n_held_out_events == len(events)

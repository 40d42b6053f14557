"""ExactIndex.search_many: several filtered searches from one scoring pass answer as search does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest

from fashion_search.domain import Filter, Hit, Product, condition, where
from fashion_search.errors import ValidationError
from fashion_search.index.exact import ExactIndex
from fashion_search.index.lowrank import LowRankBound

COLOURS = ["Black", "White", "Red", "Blue"]
TYPES = ["Shirts", "Watches", "Jeans", "Belts", "Caps"]


def index_with_gaps(
    n: int = 400, dim: int = 12, seed: int = 0, bound: bool = False, gaps: bool = True
) -> ExactIndex:
    """Products of several colours and types; with ``gaps`` every seventh has no vector in the space.

    With ``bound`` the vectors are clustered, 64-d, and searches prune rows by the low-rank bound.
    """
    rng = np.random.default_rng(seed)
    index = ExactIndex()
    index.upsert_products(
        [
            Product(
                id=i,
                name=f"p{i}",
                base_colour=COLOURS[i % 4],
                article_type=TYPES[(i // 3) % 5],
                price=None if i % 11 == 0 else float(i % 90),
            )
            for i in range(n)
        ]
    )
    ids = [i for i in range(n) if i % 7 or not gaps]
    vectors = rng.standard_normal((len(ids), dim)).astype(np.float32)
    if bound:
        index.bound_min_rows = 0
        centres = rng.standard_normal((6, 64))
        vectors = (
            centres[rng.integers(6, size=len(ids))] + 0.3 * rng.standard_normal((len(ids), 64))
        ).astype(np.float32)
    # A few exact duplicates, so that ties must be broken by id the same way.
    row = {pid: r for r, pid in enumerate(ids)}
    vectors[row[5]] = vectors[row[4]]
    vectors[row[40]] = vectors[row[4]]
    index.upsert("hybrid", ids, vectors)
    return index


def answers(hits: list[Hit]) -> list[tuple[int, float]]:
    # Scores to 1e-6: a row multiplied in another batch of rows may round its last bit differently.
    return [(h.product.id, round(h.score, 6)) for h in hits]


def broad_and_typed(base: Filter | None, k: int, per_type: int) -> list[tuple[int, Filter | None]]:
    queries: list[tuple[int, Filter | None]] = [(k, base)]
    for t in TYPES[:3]:
        queries.append((per_type, Filter((condition("article_type", "=", t),)).and_(base)))
    return queries


@pytest.mark.parametrize(
    "base",
    [
        None,
        Filter(),
        where(base_colour=["Black", "Red"]),
        Filter((condition("price", "<=", 30.0),)),
        Filter((condition("price", "<", 3.0),)),  # selective: only a few rows, the gather path
        where(base_colour="Nowhere"),
    ],
)
@pytest.mark.parametrize("exclude", [(), (4, 5, 12, 40, 399, 10_000)])
@pytest.mark.parametrize(("bound", "gaps"), [(False, True), (True, True), (True, False)])
def test_every_query_answers_as_search_does(
    base: Filter | None, exclude: Iterable[int], bound: bool, gaps: bool
) -> None:
    index = index_with_gaps(bound=bound, gaps=gaps)
    dim = 64 if bound else 12
    query = index.vectors("hybrid", [9])[0] + np.random.default_rng(3).standard_normal(dim).astype(np.float32)
    for k, per_type in [(50, 8), (1000, 3), (0, 5)]:
        queries = broad_and_typed(base, k, per_type)
        got = index.search_many("hybrid", query, queries, exclude_ids=exclude)
        expected = [index.search("hybrid", query, k=kk, where=w, exclude_ids=exclude) for kk, w in queries]
        assert [answers(g) for g in got] == [answers(e) for e in expected]


@pytest.mark.parametrize("bound", [False, True])
def test_ties_and_duplicates_follow_the_id_order(bound: bool) -> None:
    index = index_with_gaps(bound=bound)
    # Products 4, 5 and 40 share one vector: asked for that vector they come first, by id.
    query = index.vectors("hybrid", [4])[0]
    (top,) = index.search_many("hybrid", query, [(3, None)])
    assert [h.product.id for h in top] == [4, 5, 40]


def test_a_selective_union_is_scored_only_where_needed() -> None:
    index = index_with_gaps()
    query = np.ones(12, dtype=np.float32)
    queries: list[tuple[int, Filter | None]] = [
        (5, Filter((condition("price", "<", 2.0),))),
        (5, Filter((condition("price", "=", 50.0),))),
    ]
    got = index.search_many("hybrid", query, queries)
    assert [answers(g) for g in got] == [
        answers(index.search("hybrid", query, k=5, where=w)) for _, w in queries
    ]
    assert all(h.product.price is not None and h.product.price < 2.0 for h in got[0])


def test_the_bound_leaves_few_rows_to_score_and_only_from_bound_min_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = index_with_gaps(n=3000, bound=True)
    query = index.vectors("hybrid", [1])[0]
    chosen: list[int] = []
    candidates = LowRankBound.candidates

    def counting(*args: Any, **kwargs: Any) -> np.ndarray:
        rows = candidates(*args, **kwargs)
        chosen.append(int(rows.shape[0]))
        return rows

    monkeypatch.setattr(LowRankBound, "candidates", staticmethod(counting))
    red = where(base_colour="Red")
    got = index.search_many("hybrid", query, [(20, None), (5, red)])
    expected = [index.search("hybrid", query, k=20), index.search("hybrid", query, k=5, where=red)]
    assert [answers(g) for g in got] == [answers(e) for e in expected]
    # Of 2,571 vectors (643 red), about the query's cluster (a sixth) is left to score in full:
    # less than the quarter from which every vector would be read.
    assert len(chosen) == 2 and 20 <= chosen[0] < 2571 // 4 and 5 <= chosen[1] < 643 // 4
    few = index_with_gaps(n=3000, bound=True)
    few.bound_min_rows = 2572
    few.search_many("hybrid", query, [(20, None)])
    assert len(chosen) == 2 and few._bounds == {} and set(index._bounds) == {"hybrid"}


def test_bad_queries_are_named() -> None:
    index = index_with_gaps()
    query = np.ones(12, dtype=np.float32)
    with pytest.raises(ValidationError, match="k must be"):
        index.search_many("hybrid", query, [(-1, None)])
    with pytest.raises(ValidationError, match="where must be a Filter"):
        index.search_many("hybrid", query, [(3, {"gender": "Men"})])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="unknown vector space"):
        index.search_many("colour", query, [(3, None)])
    assert index.search_many("image", query, [(3, None), (2, None)]) == [[], []]
    assert index.search_many("hybrid", query, []) == []


def test_a_subclass_with_its_own_search_answers_each_query_with_it() -> None:
    calls: list[int] = []

    class Approximate(ExactIndex):
        def search(
            self,
            space: str,
            vector: np.ndarray,
            k: int = 10,
            where: Filter | None = None,
            exclude_ids: Iterable[int] = (),
            include_ids: Iterable[int] | None = None,
        ) -> list[Hit]:
            calls.append(k)
            return super().search(space, vector, k, where, exclude_ids, include_ids)[:1]

    index = Approximate()
    index.upsert_products([Product(id=i, name=str(i)) for i in range(5)])
    index.upsert("hybrid", list(range(5)), np.eye(5, dtype=np.float32))
    got = index.search_many("hybrid", np.ones(5, dtype=np.float32), [(3, None), (2, None)], exclude_ids=[0])
    assert calls == [3, 2]
    assert [[h.product.id for h in g] for g in got] == [[1], [1]]


def test_warm_up_builds_the_bound_that_the_next_search_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    index = index_with_gaps(bound=True)
    built: list[int] = []
    init = LowRankBound.__init__

    def counting(self: LowRankBound, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(LowRankBound, "__init__", counting)
    index.warm_up()
    assert built == [1]  # one space holds vectors, so one bound
    query = np.ones(64, dtype=np.float32)
    first = index.search_many("hybrid", query, [(5, None), (3, where(base_colour="Red"))])
    assert built == [1]  # the search reused it
    assert [h.product.id for h in first[0]] == [h.product.id for h in index.search("hybrid", query, 5)]


def test_warm_up_below_bound_min_rows_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    index = index_with_gaps(bound=True)
    index.bound_min_rows = 10_000
    monkeypatch.setattr(LowRankBound, "__init__", lambda *a, **k: pytest.fail("built a bound"))
    index.warm_up()

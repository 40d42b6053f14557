"""Recommendation quality by the Amazon Personalize offline protocol, against a popularity baseline.

Protocol (as Personalize documents it for user-personalisation recipes):

1. Users are split at random: ``test_user_fraction`` (10 %) are test users, the rest train users.
   Only users with at least two interactions can be test users (one to give, one to predict).
2. Train users' interactions are all visible. Each test user's interactions are ordered by time;
   the oldest 90 % are given to the recommender as that user's history, and the newest 10 %
   (``ceil(10 % of n)``, at least one) are what it should predict.
3. The recommender's shopper profiles and the popularity counts are both built from the visible
   interactions only, in the same run.

Targets: the distinct products of the held-out interactions. By default (``exclude_seen``) products
the user already interacted with in their visible history are removed from the targets and from
every recommendation list (re-finding a product viewed an hour ago is not a recommendation); the
variant that keeps them is reported too. Users left with no target are not scored.

Metrics per list of ``k`` (10): hit rate, nDCG, MRR, precision; catalog coverage over all lists.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fashion_search.domain import Event, Product, User
from fashion_search.errors import ValidationError
from fashion_search.eval.metrics import (
    catalog_coverage,
    hit_at_k,
    mean,
    ndcg_at_k,
    precision_at_k,
    reciprocal_rank,
    standard_error,
)
from fashion_search.rank.diversity import intra_list_similarity
from fashion_search.users.popularity import Popularity

K = 10
MMR_LAMBDAS: tuple[float, ...] = (1.0, 0.9, 0.7, 0.5, 0.3, 0.1)


@dataclass(frozen=True)
class UserSplit:
    """Visible interactions and, per test user, the held-out ones to predict."""

    visible: list[Event]
    test_users: list[int]
    held_out: dict[int, list[Event]]
    seen: dict[int, set[int]]
    """Per test user, the products of their visible interactions."""

    def targets(self, user_id: int, exclude_seen: bool = True) -> set[int]:
        """The distinct held-out products of ``user_id`` (minus those seen, by default)."""
        wanted = {e.product_id for e in self.held_out[user_id]}
        return wanted - self.seen[user_id] if exclude_seen else wanted


def holdout_count(n: int, fraction: float) -> int:
    """How many of ``n`` interactions are held out: ``ceil(fraction * n)``, at least 1 (n >= 2)."""
    return max(1, math.ceil(fraction * n - 1e-9))


def personalize_split(
    events: Iterable[Event],
    *,
    test_user_fraction: float = 0.1,
    holdout_fraction: float = 0.1,
    seed: int = 0,
) -> UserSplit:
    """Split ``events`` by the protocol in the module docstring (seeded; stable for equal input)."""
    for name, value in (("test_user_fraction", test_user_fraction), ("holdout_fraction", holdout_fraction)):
        if not 0.0 < value < 1.0:
            raise ValidationError(f"{name} must lie strictly between 0 and 1, got {value}")
    by_user: dict[int, list[tuple[int, Event]]] = {}
    ordered = list(events)
    for position, e in enumerate(ordered):
        by_user.setdefault(e.user_id, []).append((position, e))
    eligible = sorted(uid for uid, evs in by_user.items() if len(evs) >= 2)
    rng = np.random.default_rng(seed)
    n_test = int(round(test_user_fraction * len(eligible)))
    if eligible and n_test == 0:
        n_test = 1
    chosen = sorted(int(eligible[i]) for i in rng.permutation(len(eligible))[:n_test])
    test = set(chosen)
    hidden: set[int] = set()
    held_out: dict[int, list[Event]] = {}
    seen: dict[int, set[int]] = {}
    for uid in chosen:
        # Oldest first; equal timestamps keep their order in the input.
        evs = sorted(by_user[uid], key=lambda pe: (pe[1].timestamp, pe[0]))
        n_hold = holdout_count(len(evs), holdout_fraction)
        held = evs[len(evs) - n_hold :]
        held_out[uid] = [e for _, e in held]
        hidden.update(pos for pos, _ in held)
        seen[uid] = {e.product_id for _, e in evs[: len(evs) - n_hold]}
    visible = [e for pos, e in enumerate(ordered) if pos not in hidden]
    return UserSplit(
        visible=visible, test_users=[u for u in chosen if u in test], held_out=held_out, seen=seen
    )


@dataclass
class ListMetrics:
    """Mean figures over the scored users (with standard errors) and catalog coverage."""

    name: str
    n_users: int
    hit_rate: float | None
    ndcg: float | None
    mrr: float | None
    precision: float | None
    coverage: float
    ndcg_se: float | None = None
    hit_rate_se: float | None = None
    extra: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n_users": self.n_users,
            f"hit_rate@{K}": self.hit_rate,
            f"ndcg@{K}": self.ndcg,
            f"mrr@{K}": self.mrr,
            f"precision@{K}": self.precision,
            "catalog_coverage": self.coverage,
            "ndcg_se": self.ndcg_se,
            "hit_rate_se": self.hit_rate_se,
            **self.extra,
        }


def score_lists(
    name: str,
    lists: Mapping[int, Sequence[int]],
    targets: Mapping[int, set[int]],
    catalog_size: int,
    k: int = K,
) -> ListMetrics:
    """Mean metrics over the users with a non-empty target set; coverage over all their lists."""
    users = [u for u in lists if targets.get(u)]
    hits = [hit_at_k(lists[u], targets[u], k) for u in users]
    ndcgs = [ndcg_at_k(lists[u], targets[u], k) for u in users]
    return ListMetrics(
        name=name,
        n_users=len(users),
        hit_rate=mean(hits),
        ndcg=mean(ndcgs),
        mrr=mean([reciprocal_rank(list(lists[u])[:k], targets[u]) for u in users]),
        precision=mean([precision_at_k(lists[u], targets[u], k) for u in users]),
        coverage=catalog_coverage((list(lists[u])[:k] for u in users), catalog_size),
        ndcg_se=standard_error(ndcgs),
        hit_rate_se=standard_error(hits),
    )


def popularity_lists(
    popularity: Popularity,
    users: Sequence[int],
    seen: Mapping[int, set[int]],
    *,
    exclude_seen: bool,
    k: int = K,
) -> dict[int, list[int]]:
    """The ``k`` most popular products per user (the user's seen products skipped when asked)."""
    out: dict[int, list[int]] = {}
    for uid in users:
        skip = seen.get(uid, set()) if exclude_seen else set()
        out[uid] = [pid for pid, _ in popularity.top(k, lambda pid, skip=skip: pid not in skip)]  # type: ignore[misc]
    return out


Recommend = Callable[[int, int, float | None], list[int]]
"""``recommend(user_id, limit, mmr_lambda) -> product ids`` (best first)."""


@dataclass(frozen=True)
class Recommender:
    """What :func:`evaluate_recommendations` measures, built from the visible interactions."""

    recommend: Recommend
    popularity: Popularity
    """Popularity counts of the same visible interactions (the baseline)."""
    top_scores: Callable[[int], list[float]]
    """A user's first 20 recommendation scores (for the score spread)."""
    variants: Mapping[str, Recommend] = field(default_factory=dict)
    """Other recommenders measured alongside at the default lambda (ablations)."""


def recommender_lists(
    recommend: Recommend,
    users: Sequence[int],
    seen: Mapping[int, set[int]],
    *,
    exclude_seen: bool,
    mmr_lambda: float | None = None,
    k: int = K,
    max_limit: int = 100,
) -> dict[int, list[int]]:
    """The recommender's first ``k`` products per user, skipping seen ones when asked."""
    out: dict[int, list[int]] = {}
    for uid in users:
        skip = seen.get(uid, set()) if exclude_seen else set()
        limit = min(max_limit, k + len(skip))
        ids = [pid for pid in recommend(uid, limit, mmr_lambda) if pid not in skip]
        out[uid] = ids[:k]
    return out


@dataclass
class MmrPoint:
    lam: float
    metrics: ListMetrics
    intra_list_similarity: float | None
    distinct_types: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lambda": self.lam,
            **self.metrics.to_dict(),
            "intra_list_similarity": self.intra_list_similarity,
            "distinct_article_types": self.distinct_types,
        }


def diversity_of(
    lists: Mapping[int, Sequence[int]],
    vectors: Mapping[int, np.ndarray],
    products: Mapping[int, Product],
) -> tuple[float | None, float | None]:
    """Mean intra-list cosine similarity and mean number of distinct article types per list."""
    ils = [intra_list_similarity([vectors.get(pid) for pid in ids]) for ids in lists.values() if len(ids) > 1]
    types = [
        len({products[pid].article_type for pid in ids if pid in products}) for ids in lists.values() if ids
    ]
    return mean(ils), mean([float(t) for t in types])


@dataclass
class RecQualityReport:
    n_users: int
    n_test_users: int
    n_visible_events: int
    n_held_out_events: int
    default_lambda: float
    recommender: ListMetrics
    popularity: ListMetrics
    recommender_with_seen: ListMetrics
    popularity_with_seen: ListMetrics
    mmr: list[MmrPoint]
    seed: int
    variants: list[ListMetrics] = field(default_factory=list)
    top20_scores: list[list[float]] = field(default_factory=list)
    """The final scores of each test user's first 20 recommendations (for the score spread plot)."""

    @property
    def ndcg_ratio(self) -> float | None:
        if self.recommender.ndcg is None or not self.popularity.ndcg:
            return None
        return self.recommender.ndcg / self.popularity.ndcg

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": "Amazon Personalize offline: 10% test users, oldest 90% of their interactions "
            "in, newest 10% predicted",
            "seed": self.seed,
            "n_users": self.n_users,
            "n_test_users": self.n_test_users,
            "n_visible_events": self.n_visible_events,
            "n_held_out_events": self.n_held_out_events,
            "default_mmr_lambda": self.default_lambda,
            "recommender": self.recommender.to_dict(),
            "popularity": self.popularity.to_dict(),
            "ndcg_ratio_vs_popularity": self.ndcg_ratio,
            "recommender_with_seen": self.recommender_with_seen.to_dict(),
            "popularity_with_seen": self.popularity_with_seen.to_dict(),
            "mmr_sweep": [p.to_dict() for p in self.mmr],
            "variants": [v.to_dict() for v in self.variants],
        }


def evaluate_recommendations(
    products: Mapping[int, Product],
    vectors: Mapping[int, np.ndarray],
    users: Sequence[User],
    events: Sequence[Event],
    make_recommender: Callable[[Sequence[Event]], Recommender],
    *,
    default_lambda: float,
    lambdas: Sequence[float] = MMR_LAMBDAS,
    seed: int = 0,
    test_user_fraction: float = 0.1,
    progress: Callable[[str, int, int], None] | None = None,
) -> RecQualityReport:
    """Split, build the recommender from the visible events, and score it against popularity.

    ``make_recommender(visible_events)`` builds the :class:`Recommender` from the visible events.
    """
    split = personalize_split(events, test_user_fraction=test_user_fraction, seed=seed)
    built = make_recommender(split.visible)
    recommend, popularity = built.recommend, built.popularity
    test = split.test_users
    size = len(products)
    targets = {u: split.targets(u) for u in test}
    targets_all = {u: split.targets(u, exclude_seen=False) for u in test}
    steps = 3 + len(lambdas)
    rec = recommender_lists(recommend, test, split.seen, exclude_seen=True, mmr_lambda=default_lambda)
    if progress is not None:
        progress("recommendations", 1, steps)
    rec_seen = recommender_lists(recommend, test, split.seen, exclude_seen=False, mmr_lambda=default_lambda)
    if progress is not None:
        progress("recommendations", 2, steps)
    pop = popularity_lists(popularity, test, split.seen, exclude_seen=True)
    pop_seen = popularity_lists(popularity, test, split.seen, exclude_seen=False)
    sweep: list[MmrPoint] = []
    for i, lam in enumerate(lambdas):
        lists = (
            rec
            if lam == default_lambda
            else recommender_lists(recommend, test, split.seen, exclude_seen=True, mmr_lambda=lam)
        )
        ils, types = diversity_of(lists, vectors, products)
        sweep.append(MmrPoint(lam, score_lists(f"mmr {lam:g}", lists, targets, size), ils, types))
        if progress is not None:
            progress("recommendations", 3 + i, steps)
    scores = [built.top_scores(u) for u in test]
    variants = [
        score_lists(
            name,
            recommender_lists(alt, test, split.seen, exclude_seen=True, mmr_lambda=default_lambda),
            targets,
            size,
        )
        for name, alt in built.variants.items()
    ]
    return RecQualityReport(
        n_users=len(users),
        n_test_users=len(test),
        n_visible_events=len(split.visible),
        n_held_out_events=sum(len(v) for v in split.held_out.values()),
        default_lambda=default_lambda,
        recommender=score_lists("recommender", rec, targets, size),
        popularity=score_lists("popularity", pop, targets, size),
        recommender_with_seen=score_lists("recommender (seen kept)", rec_seen, targets_all, size),
        popularity_with_seen=score_lists("popularity (seen kept)", pop_seen, targets_all, size),
        mmr=sweep,
        seed=seed,
        variants=variants,
        top20_scores=scores,
    )

"""Style profiles: what a shopper's events say about their taste, kept up to date event by event.

A profile is the weighted mean of the hybrid vectors of the products a shopper interacted with
(purchase 3, add-to-cart 2, view 1), normalised to unit length, plus weighted preferences for
article types, categories, colours, usages and genders, and weighted price statistics.

Everything in a profile is a function of running sums (event weight per product, per attribute
value and per price), so :class:`ProfileBook` folds new events into those sums and never has to
replay a shopper's history: applying events one batch at a time gives the same profile as building
it from all events at once.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np

from fashion_search.domain import Event, EventType, Product
from fashion_search.errors import NotFoundError, ValidationError

EVENT_WEIGHTS: Mapping[EventType, float] = MappingProxyType(
    {EventType.VIEW: 1.0, EventType.ADD_TO_CART: 2.0, EventType.PURCHASE: 3.0}
)
"""How much one event of each type counts in a profile."""

PREFERENCE_FIELDS: tuple[str, ...] = (
    "article_type",
    "sub_category",
    "master_category",
    "base_colour",
    "usage",
    "gender",
)
"""Product fields whose values a profile weighs."""

TOP_N = 10
"""Preferences listed per field in :meth:`StyleProfile.to_dict`."""
RECENT_PURCHASES = 10

AFFINITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"article_type": 0.35, "base_colour": 0.25, "price": 0.2, "usage": 0.1, "gender": 0.1}
)
"""Parts of :meth:`StyleProfile.affinity`; they sum to 1 so the affinity lies in [0, 1]."""


@dataclass(frozen=True, slots=True)
class PriceStats:
    """Weighted price statistics of the products a shopper interacted with.

    ``p25`` / ``p75`` are weighted lower quantiles: the smallest price at which the cumulative event
    weight reaches 25 % / 75 % of the total (numpy's ``inverted_cdf`` on the weight-repeated prices).
    """

    avg: float
    min: float
    max: float
    p25: float
    p75: float

    def to_dict(self) -> dict[str, float]:
        return {
            "avg": round(self.avg, 2),
            "min": self.min,
            "max": self.max,
            "p25": self.p25,
            "p75": self.p75,
        }


@dataclass(frozen=True, slots=True, eq=False)
class StyleProfile:
    """One shopper's taste. ``preferences[field][value]`` is the summed event weight of that value."""

    user_id: int
    vector: np.ndarray | None
    """Unit float32 vector, or None when none of the shopper's products has a vector."""
    preferences: Mapping[str, Mapping[str, float]]
    total_weight: float
    price: PriceStats | None
    interactions: int
    event_counts: Mapping[str, int]
    recent_purchases: tuple[int, ...]
    """Ids of the most recently purchased products, newest first, each once."""
    last_event_at: datetime | None = None
    _peaks: Mapping[str, float] = field(init=False, repr=False, compare=False)
    """The heaviest weight of each preference field (a profile is an immutable snapshot)."""

    def __post_init__(self) -> None:
        peaks = {name: max(prefs.values()) for name, prefs in self.preferences.items() if prefs}
        object.__setattr__(self, "_peaks", MappingProxyType(peaks))

    @property
    def is_empty(self) -> bool:
        return self.interactions == 0

    def top(self, field_name: str, n: int = TOP_N) -> list[tuple[str, float]]:
        """The ``n`` heaviest values of one preference field with their share of all event weight."""
        if field_name not in self.preferences:
            raise ValidationError(
                f"unknown profile preference {field_name!r}; known: {', '.join(PREFERENCE_FIELDS)}"
            )
        prefs = self.preferences[field_name]
        ranked = sorted(prefs.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        total = self.total_weight or 1.0
        return [(value, weight / total) for value, weight in ranked]

    def favourites(self, field_name: str, n: int) -> list[str]:
        return [value for value, _ in self.top(field_name, n)]

    @property
    def price_band(self) -> tuple[float, float] | None:
        """The shopper's usual price range: the weighted 25th to 75th percentile."""
        return None if self.price is None else (self.price.p25, self.price.p75)

    def preference(self, field_name: str, value: str | None) -> float:
        """Weight of ``value`` relative to the shopper's favourite value of that field, in [0, 1]."""
        prefs = self.preferences.get(field_name)
        if not prefs or value is None:
            return 0.0
        return prefs.get(value, 0.0) / self._peaks[field_name]

    def price_fit(self, price: float | None) -> float:
        """1 inside the usual price band, falling to 0 at half its low end or twice its high end."""
        if price is None or self.price is None or price <= 0:
            return 0.0
        low, high = self.price.p25, self.price.p75
        if low <= price <= high:
            return 1.0
        ratio = low / price if price < low else price / high
        return max(0.0, 1.0 - math.log2(ratio))

    def affinity(self, product: Product) -> float:
        """How well ``product`` matches the shopper's preferences, in [0, 1] (see AFFINITY_WEIGHTS)."""
        if self.is_empty:
            return 0.0
        w = AFFINITY_WEIGHTS
        return (
            w["article_type"] * self.preference("article_type", product.article_type)
            + w["base_colour"] * self.preference("base_colour", product.base_colour)
            + w["price"] * self.price_fit(product.price)
            + w["usage"] * self.preference("usage", product.usage)
            + w["gender"] * self.preference("gender", product.gender)
        )

    def affinities(self, products: Sequence[Product]) -> np.ndarray:
        """:meth:`affinity` of every product (float64, the same values); each value looked up once."""
        out = np.zeros(len(products), dtype=np.float64)
        if self.is_empty or not products:
            return out
        w = AFFINITY_WEIGHTS
        fits: dict[float | None, float] = {}
        prices = [
            fits[p.price] if p.price in fits else fits.setdefault(p.price, self.price_fit(p.price))
            for p in products
        ]
        # The same sum, in the same order, as affinity(): float64 arrays round as Python floats do.
        out += w["article_type"] * self._preferences("article_type", [p.article_type for p in products])
        out += w["base_colour"] * self._preferences("base_colour", [p.base_colour for p in products])
        out += w["price"] * np.asarray(prices, dtype=np.float64)
        out += w["usage"] * self._preferences("usage", [p.usage for p in products])
        out += w["gender"] * self._preferences("gender", [p.gender for p in products])
        return out

    def _preferences(self, field_name: str, values: list[str | None]) -> np.ndarray:
        """:meth:`preference` of each of ``values`` (float64)."""
        prefs = self.preferences.get(field_name)
        if not prefs:
            return np.zeros(len(values), dtype=np.float64)
        weights = np.asarray([prefs.get(v, 0.0) if v is not None else 0.0 for v in values], dtype=np.float64)
        return weights / self._peaks[field_name]

    def similarity(self, vector: np.ndarray | None) -> float:
        """Cosine similarity between the profile vector and ``vector`` (0 when either is missing)."""
        if self.vector is None or vector is None:
            return 0.0
        v = np.asarray(vector, dtype=np.float32).reshape(-1)
        if v.shape != self.vector.shape:
            raise ValidationError(
                f"vector has dimension {v.shape[0]} but the profile of user {self.user_id} "
                f"has dimension {self.vector.shape[0]}"
            )
        norm = float(np.linalg.norm(v))
        return 0.0 if norm == 0 else float(self.vector @ v) / norm

    def to_dict(self) -> dict[str, Any]:
        plural = {
            "article_type": "article_types",
            "sub_category": "sub_categories",
            "master_category": "master_categories",
            "base_colour": "colours",
            "usage": "usages",
            "gender": "genders",
        }
        out: dict[str, Any] = {
            "user_id": self.user_id,
            "interactions": self.interactions,
            "event_counts": dict(self.event_counts),
        }
        for field_name, key in plural.items():
            out[key] = [{"name": v, "weight": round(w, 4)} for v, w in self.top(field_name)]
        out["price"] = None if self.price is None else self.price.to_dict()
        out["recent_purchases"] = list(self.recent_purchases)
        out["vector_dim"] = None if self.vector is None else int(self.vector.shape[0])
        out["last_event_at"] = None if self.last_event_at is None else self.last_event_at.isoformat()
        return out


def _weighted_lower_quantile(values: Sequence[float], weights: Sequence[float], q: float) -> float:
    cumulative = np.cumsum(weights)
    return float(values[int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))])


@dataclass(slots=True)
class _Sums:
    """The running sums one profile is computed from.

    The vector part is kept as the summed event weight per product rather than as a weighted
    vector sum: event weights are small integers, so these sums are exact and the same in any event
    order, and the profile vector (their weighted mean, in product-id order) is then identical
    whether it was built in one go or event by event. It also costs O(1) per event.
    """

    user_id: int
    item_weight: dict[int, float] = field(default_factory=dict)
    preferences: dict[str, dict[str, float]] = field(
        default_factory=lambda: {name: {} for name in PREFERENCE_FIELDS}
    )
    price_weight: dict[float, float] = field(default_factory=dict)
    total_weight: float = 0.0
    interactions: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {t.value: 0 for t in EventType})
    purchases: dict[int, datetime] = field(default_factory=dict)
    last_event_at: datetime | None = None

    def add(self, event: Event, product: Product) -> None:
        kind = event.type if isinstance(event.type, EventType) else EventType(event.type)
        weight = EVENT_WEIGHTS[kind]
        self.interactions += 1
        self.counts[kind.value] += 1
        self.total_weight += weight
        self.item_weight[product.id] = self.item_weight.get(product.id, 0.0) + weight
        preferences = self.preferences
        for name in PREFERENCE_FIELDS:
            value = getattr(product, name)
            if value is not None:
                prefs = preferences[name]
                prefs[value] = prefs.get(value, 0.0) + weight
        if product.price is not None:
            price = float(product.price)
            self.price_weight[price] = self.price_weight.get(price, 0.0) + weight
        if kind is EventType.PURCHASE:
            previous = self.purchases.get(product.id)
            if previous is None or event.timestamp > previous:
                self.purchases[product.id] = event.timestamp
        if self.last_event_at is None or event.timestamp > self.last_event_at:
            self.last_event_at = event.timestamp

    def vector(self, vectors: Mapping[int, np.ndarray]) -> np.ndarray | None:
        rows, weights = [], []
        for pid in sorted(self.item_weight):
            v = vectors.get(pid)
            if v is not None:
                rows.append(np.asarray(v, dtype=np.float64).reshape(-1))
                weights.append(self.item_weight[pid])
        if not rows:
            return None
        dims = {r.shape[0] for r in rows}
        if len(dims) > 1:
            raise ValidationError(
                f"the products of user {self.user_id} have vectors of different dimensions {sorted(dims)}"
            )
        total = np.asarray(weights) @ np.stack(rows)
        norm = float(np.linalg.norm(total))
        return None if norm == 0 else (total / norm).astype(np.float32)

    def profile(self, vectors: Mapping[int, np.ndarray]) -> StyleProfile:
        price = None
        if self.price_weight:
            values = sorted(self.price_weight)
            weights = [self.price_weight[v] for v in values]
            total = sum(weights)
            price = PriceStats(
                avg=sum(v * w for v, w in zip(values, weights, strict=True)) / total,
                min=values[0],
                max=values[-1],
                p25=_weighted_lower_quantile(values, weights, 0.25),
                p75=_weighted_lower_quantile(values, weights, 0.75),
            )
        recent = sorted(self.purchases.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        return StyleProfile(
            user_id=self.user_id,
            vector=self.vector(vectors),
            preferences=MappingProxyType({k: MappingProxyType(dict(c)) for k, c in self.preferences.items()}),
            total_weight=self.total_weight,
            price=price,
            interactions=self.interactions,
            event_counts=MappingProxyType(dict(self.counts)),
            recent_purchases=tuple(pid for pid, _ in recent[:RECENT_PURCHASES]),
            last_event_at=self.last_event_at,
        )


def empty_profile(user_id: int) -> StyleProfile:
    """The profile of a shopper without events."""
    return _Sums(user_id).profile({})


def build_profile(
    user_id: int,
    events: Iterable[Event],
    products_by_id: Mapping[int, Product],
    vectors_by_id: Mapping[int, np.ndarray] | None = None,
) -> StyleProfile:
    """Build one shopper's profile from all of their events.

    Events of products missing from ``products_by_id`` are ignored (a product may have left the
    catalog); a product without a vector still counts in preferences and prices. Raises
    :class:`ValidationError` if an event belongs to another user.
    """
    sums = _Sums(user_id)
    for event in events:
        if event.user_id != user_id:
            raise ValidationError(f"event of user {event.user_id} passed to the profile of user {user_id}")
        product = products_by_id.get(event.product_id)
        if product is not None:
            sums.add(event, product)
    return sums.profile(vectors_by_id or {})


class ProfileBook:
    """Profiles of all shoppers, updated incrementally as events arrive. Safe to share between threads."""

    def __init__(
        self,
        products_by_id: Mapping[int, Product],
        vectors_by_id: Mapping[int, np.ndarray] | None = None,
        user_ids: Iterable[int] = (),
    ) -> None:
        self._products = products_by_id
        self._vectors: Mapping[int, np.ndarray] = vectors_by_id or {}
        self._lock = threading.RLock()
        self._sums: dict[int, _Sums] = {uid: _Sums(uid) for uid in user_ids}
        self._cache: dict[int, StyleProfile] = {}

    def apply_events(self, events: Iterable[Event]) -> list[int]:
        """Fold new events into the profiles; returns the ids of the users whose profile changed.

        A user seen for the first time is added. Events of unknown products are ignored.
        """
        changed: set[int] = set()
        with self._lock:
            for event in events:
                product = self._products.get(event.product_id)
                sums = self._sums.get(event.user_id)
                if sums is None:
                    sums = self._sums[event.user_id] = _Sums(event.user_id)
                if product is None:
                    continue
                sums.add(event, product)
                changed.add(event.user_id)
            for uid in changed:
                self._cache.pop(uid, None)
        return sorted(changed)

    def add_users(self, user_ids: Iterable[int]) -> None:
        """Register users (with empty profiles until their first event)."""
        with self._lock:
            for uid in user_ids:
                self._sums.setdefault(uid, _Sums(uid))

    def get(self, user_id: int) -> StyleProfile:
        """The current profile of ``user_id``; :class:`NotFoundError` for a user the book does not know."""
        with self._lock:
            profile = self._cache.get(user_id)
            if profile is None:
                sums = self._sums.get(user_id)
                if sums is None:
                    raise NotFoundError("user", user_id)
                profile = self._cache[user_id] = sums.profile(self._vectors)
            return profile

    def to_dict(self, user_id: int) -> dict[str, Any]:
        return self.get(user_id).to_dict()

    def user_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._sums)

    def __contains__(self, user_id: object) -> bool:
        with self._lock:
            return user_id in self._sums

    def __len__(self) -> int:
        with self._lock:
            return len(self._sums)

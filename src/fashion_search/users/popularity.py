"""Popularity: how much every product was viewed, carted and bought, kept up to date event by event.

A product's popularity is the summed weight of its events (purchase 3, add-to-cart 2, view 1, as in
style profiles). It is what a shopper without history is shown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from fashion_search.domain import Event, EventType
from fashion_search.errors import ValidationError
from fashion_search.users.profiles import EVENT_WEIGHTS


class Popularity:
    """Event-weighted counts per product. Safe to share between threads."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self._lock = threading.Lock()
        self._weight: dict[int, float] = {}
        self._order: list[int] | None = None
        self._generation = 0
        self.add(events)

    def add(self, events: Iterable[Event]) -> None:
        """Fold new events into the counts."""
        with self._lock:
            for event in events:
                weight = EVENT_WEIGHTS[EventType(event.type)]
                self._weight[event.product_id] = self._weight.get(event.product_id, 0.0) + weight
            self._order = None
            self._generation += 1

    @property
    def generation(self) -> int:
        """Grows with every :meth:`add`: a cache built from the counts is stale once it moves."""
        with self._lock:
            return self._generation

    def weight(self, product_id: int) -> float:
        with self._lock:
            return self._weight.get(product_id, 0.0)

    def weights(self, product_ids: Iterable[int]) -> list[float]:
        """:meth:`weight` of each of ``product_ids``, read under one lock."""
        with self._lock:
            get = self._weight.get
            return [get(pid, 0.0) for pid in product_ids]

    def top(self, n: int, accept: Callable[[int], bool] | None = None) -> list[tuple[int, float]]:
        """The ``n`` most popular products that ``accept`` (default: all), most popular first, ties by id."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValidationError(f"n must be a non-negative integer, got {n!r}")
        with self._lock:
            if self._order is None:
                self._order = sorted(self._weight, key=lambda pid: (-self._weight[pid], pid))
            order, weights = self._order, self._weight
        out: list[tuple[int, float]] = []
        for pid in order:
            if len(out) >= n:
                break
            if accept is None or accept(pid):
                out.append((pid, weights[pid]))
        return out

    def __len__(self) -> int:
        with self._lock:
            return len(self._weight)

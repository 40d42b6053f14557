"""The shoppers service: users, their style profiles, purchases and the catalog's popularity.

Built once from the store (every stored event folded into the profiles), then kept current: new
events go to the store and into the in-memory profiles, purchases and popularity in one step, so a
recommendation asked right after a purchase already reflects it, without any batch rebuild.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from fashion_search.domain import Event, EventType, Product, User
from fashion_search.errors import NotFoundError, ValidationError
from fashion_search.store.base import Store
from fashion_search.users.popularity import Popularity
from fashion_search.users.profiles import EVENT_WEIGHTS, ProfileBook, StyleProfile

MAX_EVENTS_PER_CALL = 1000
PROFILE_SPACE = "hybrid"
"""Profiles average the products' hybrid vectors: every product has one, photo or not."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event as a client reports it: the user is implied, the time defaults to now."""

    product_id: int
    type: EventType | str
    timestamp: datetime | None = None


class UserService:
    """Users, profiles, purchases and popularity over one store and catalog. Thread-safe."""

    def __init__(
        self,
        store: Store,
        products: Mapping[int, Product],
        vectors: Mapping[int, np.ndarray],
        users: Sequence[User],
        events: Iterable[Event] = (),
    ) -> None:
        self._store = store
        self._products = products
        self._lock = threading.RLock()
        self._users: dict[int, User] = {u.id: u for u in users}
        self._order = sorted(self._users)
        self._personas = [uid for uid in self._order if self._users[uid].is_persona]
        self._book = ProfileBook(products, vectors, user_ids=self._order)
        self._purchased: dict[int, set[int]] = {}
        self._history: dict[int, dict[int, float]] = {}
        self._popularity = Popularity()
        self._fold(list(events))

    @classmethod
    def load(
        cls,
        store: Store,
        products: Mapping[int, Product],
        vectors: Mapping[int, np.ndarray],
        batch_size: int = 50_000,
    ) -> UserService:
        """Read every user and event of ``store`` and build the profiles."""
        users: list[User] = []
        while True:
            batch = store.list_users(limit=batch_size, offset=len(users))
            users.extend(batch)
            if len(batch) < batch_size:
                break
        service = cls(store, products, vectors, users)
        for events in store.iter_events(batch_size=batch_size):
            service._fold(events)
        return service

    def _fold(self, events: list[Event]) -> None:
        with self._lock:
            self._book.apply_events(events)
            self._popularity.add(e for e in events if e.product_id in self._products)
            for e in events:
                kind = EventType(e.type)
                seen = self._history.setdefault(e.user_id, {})
                seen[e.product_id] = seen.get(e.product_id, 0.0) + EVENT_WEIGHTS[kind]
                if kind is EventType.PURCHASE:
                    self._purchased.setdefault(e.user_id, set()).add(e.product_id)

    # -- reads ----------------------------------------------------------------------------

    def get_user(self, user_id: int) -> User:
        """The user with this id; :class:`NotFoundError` if there is none."""
        user = self._users.get(user_id)
        if user is None:
            raise NotFoundError("user", user_id)
        return user

    def list_users(
        self, personas_only: bool = True, offset: int = 0, limit: int = 100
    ) -> tuple[list[User], int]:
        """A page of users in id order (the demo personas only, by default) and how many there are."""
        for name, value in (("offset", offset), ("limit", limit)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"{name} must be a non-negative integer, got {value!r}")
        with self._lock:
            ids = self._personas if personas_only else self._order
            return [self._users[uid] for uid in ids[offset : offset + limit]], len(ids)

    def profile(self, user_id: int) -> StyleProfile:
        """The current style profile; :class:`NotFoundError` for an unknown user."""
        self.get_user(user_id)
        return self._book.get(user_id)

    def purchased(self, user_id: int) -> frozenset[int]:
        """Ids of every product the user bought."""
        with self._lock:
            return frozenset(self._purchased.get(user_id, ()))

    def history(self, user_id: int) -> dict[int, float]:
        """Every product the user interacted with and its summed event weight (purchase 3, cart 2, view 1)."""
        with self._lock:
            return dict(self._history.get(user_id, {}))

    @property
    def popularity(self) -> Popularity:
        return self._popularity

    def __len__(self) -> int:
        return len(self._users)

    # -- writes ---------------------------------------------------------------------------

    def add_events(self, user_id: int, events: Sequence[NewEvent]) -> StyleProfile:
        """Store new events of one user and fold them into the profile; returns the new profile.

        Raises :class:`NotFoundError` for an unknown user and :class:`ValidationError` naming the
        first bad event (unknown product or type, too many events). Timestamps default to now;
        a timestamp without a time zone is taken as UTC.
        """
        self.get_user(user_id)
        if not events:
            raise ValidationError("no events given; send a list of {product_id, type, timestamp?}")
        if len(events) > MAX_EVENTS_PER_CALL:
            raise ValidationError(f"at most {MAX_EVENTS_PER_CALL} events per call, got {len(events)}")
        now = datetime.now(UTC)
        checked: list[Event] = []
        for i, e in enumerate(events):
            if e.product_id not in self._products:
                raise ValidationError(f"event {i}: product {e.product_id} is not in the catalog")
            try:
                kind = EventType(e.type)
            except ValueError:
                known = ", ".join(t.value for t in EventType)
                raise ValidationError(f"event {i}: unknown event type {e.type!r}; known: {known}") from None
            ts = e.timestamp or now
            checked.append(Event(user_id, e.product_id, kind, ts if ts.tzinfo else ts.replace(tzinfo=UTC)))
        with self._lock:
            self._store.add_events(checked)
            self._fold(checked)
            return self._book.get(user_id)

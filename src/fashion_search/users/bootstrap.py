"""Give a freshly built catalog its shoppers: synthetic users and events, stored once.

:func:`ensure_users` generates them (seeded, sized to the catalog) only when the store has none, so
it may run after every ``embed`` or at every server start. Users and events are written in two
transactions, users first; a run interrupted between the two leaves users without events, and the
next run notices that and writes the (identical, because seeded) events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fashion_search.domain import Product
from fashion_search.errors import ValidationError
from fashion_search.store.base import Store
from fashion_search.users.synthetic import generate_users


@dataclass(frozen=True, slots=True)
class BootstrapReport:
    created: bool
    """Whether this call generated and stored anything."""
    users: int
    events: int
    """Users and events written by this call (0 when nothing was created)."""

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "users": self.users, "events": self.events}


def ensure_users(
    store: Store,
    products: Sequence[Product],
    *,
    seed: int = 0,
    n_users: int | None = None,
) -> BootstrapReport:
    """Generate and store synthetic shoppers for ``products`` unless the store already has users.

    ``n_users`` defaults to one shopper per 4.4 products (see
    :func:`~fashion_search.users.synthetic.default_user_count`). Raises :class:`ValidationError`
    for an empty catalog.
    """
    has_users = bool(store.list_users(limit=1))
    if has_users and store.count_events() > 0:
        return BootstrapReport(created=False, users=0, events=0)
    if not products:
        raise ValidationError("the catalog has no products yet: ingest and embed it before creating users")
    data = generate_users(products, n_users=n_users, seed=seed)
    if not has_users:
        store.upsert_users(data.users)
    elif {u.id for u in store.list_users(limit=len(data.users) + 1)} != {u.id for u in data.users}:
        # Someone else's users, without events: not ours to fill with synthetic history.
        return BootstrapReport(created=False, users=0, events=0)
    added = store.add_events(data.events)
    return BootstrapReport(created=True, users=0 if has_users else len(data.users), events=added)

"""Complete the look over a vector index: candidates per role come from the index, near the anchor.

:func:`~fashion_search.outfit.complete.complete_the_look` decides the roles and the rules; this
module gives it a :class:`IndexFetcher` that runs each role's filter in the index (filter before
top-k) ordered by similarity to the anchor's hybrid vector, and the shopper's profile when a user
is given.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fashion_search.domain import Filter, Hit
from fashion_search.errors import NotFoundError
from fashion_search.index.base import CatalogIndex
from fashion_search.outfit.complete import Outfit, complete_the_look
from fashion_search.users.service import PROFILE_SPACE, UserService


class IndexFetcher:
    """A :class:`~fashion_search.outfit.complete.CandidateFetcher` backed by a :class:`CatalogIndex`.

    Hits are ordered by cosine to ``vector`` in ``space``; without a vector they come in id order
    with score 0. The vectors of every product fetched are kept in :attr:`vectors`, so that the
    shopper's profile can score them without another lookup.
    """

    def __init__(self, index: CatalogIndex, space: str, vector: np.ndarray | None) -> None:
        self.index = index
        self.space = space
        self.vector = None if vector is None or not np.any(vector) else vector
        self.vectors: dict[int, np.ndarray] = {}

    def __call__(self, where: Filter, k: int) -> list[Hit]:
        if self.vector is not None:
            hits = self.index.search(self.space, self.vector, k=k, where=where)
        else:
            products, _ = self.index.browse(where, 0, k)
            hits = [Hit(p, 0.0) for p in products]
        if hits:
            rows = self.index.vectors(PROFILE_SPACE, [h.product.id for h in hits])
            for h, row in zip(hits, rows, strict=True):
                if np.any(row):
                    self.vectors[h.product.id] = row
        return hits


class OutfitService:
    """Complete-the-look for products of one catalog, personalised when a user is given."""

    def __init__(self, index: CatalogIndex, users: Callable[[], UserService]) -> None:
        self.index = index
        self._users = users

    def complete(
        self,
        product_id: int,
        *,
        user_id: int | None = None,
        max_price: float | None = None,
        per_role: int = 3,
    ) -> Outfit:
        """Items completing ``product_id``; :class:`NotFoundError` for an unknown product or user."""
        anchor = self.index.get_product(product_id)
        if anchor is None:
            raise NotFoundError("product", product_id)
        profile = None if user_id is None else self._users().profile(user_id)
        fetcher = IndexFetcher(self.index, PROFILE_SPACE, self.index.vectors(PROFILE_SPACE, [product_id])[0])
        return complete_the_look(
            anchor,
            fetcher,
            profile=profile,
            vectors=fetcher.vectors,
            max_price=max_price,
            per_role=per_role,
        )

"""The Store seam: where products, users, events and embedding vectors live.

Backends: :class:`~fashion_search.store.sqlite.SqliteStore` (embedded default, a local directory)
and later PostgreSQL. Every backend passes ``tests/contract/test_store_contract.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np

from fashion_search.domain import Event, Product, User


@dataclass(frozen=True, slots=True)
class EmbeddingInfo:
    """What is known about the stored vector of one product in one space."""

    product_id: int
    space: str
    model: str
    dim: int
    content_hash: str
    """Hash of the inputs the vector was made from (description text, image bytes, weights)."""
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UpsertResult:
    inserted: int
    updated: int
    unchanged: int


@runtime_checkable
class Store(Protocol):
    """Products, users, events and vectors. Writes are transactional: a batch lands whole or not at all."""

    # products
    def upsert_products(self, products: Sequence[Product]) -> UpsertResult: ...
    def get_product(self, product_id: int) -> Product | None: ...
    def get_products(self, ids: Sequence[int]) -> list[Product]: ...
    def iter_products(self, batch_size: int = 1000) -> Iterator[list[Product]]: ...
    def count_products(self) -> int: ...
    def update_attributes(self, attributes: dict[int, dict[str, str]]) -> None: ...

    # users and events
    def upsert_users(self, users: Sequence[User]) -> None: ...
    def get_user(self, user_id: int) -> User | None: ...
    def list_users(self, personas_only: bool = False, limit: int = 100, offset: int = 0) -> list[User]: ...
    def add_events(self, events: Sequence[Event]) -> int: ...
    def events_for_user(self, user_id: int) -> list[Event]: ...
    def iter_events(self, batch_size: int = 10_000) -> Iterator[list[Event]]: ...
    def count_events(self) -> int: ...

    # vectors
    def put_vectors(
        self,
        space: str,
        model: str,
        ids: Sequence[int],
        vectors: np.ndarray,
        content_hashes: Sequence[str],
    ) -> None: ...
    def embedding_info(self, space: str) -> dict[int, EmbeddingInfo]: ...
    def load_vectors(self, space: str, model: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All vectors of one space as ``(ids int64 (n,), vectors float32 (n, dim))``, ids ascending."""
        ...

    def get_vectors(self, space: str, ids: Sequence[int]) -> dict[int, np.ndarray]: ...
    def delete_vectors(self, space: str, ids: Iterable[int] | None = None) -> int: ...

    def close(self) -> None: ...

"""The VectorIndex seam: top-k cosine search over one catalog's three spaces, with filters.

Filters and top-k apply together: ``search`` returns the k best among the products that match the
filter, never "k then filter". Every backend passes ``tests/contract/test_index_contract.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from fashion_search.domain import Filter, Hit, Product


@runtime_checkable
class VectorIndex(Protocol):
    def upsert_products(self, products: Sequence[Product]) -> None:
        """Add or replace the metadata that filters and results use."""
        ...

    def upsert(self, space: str, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Add or replace vectors of one space; every id must have a product."""
        ...

    def delete(self, ids: Iterable[int]) -> None:
        """Remove products and their vectors from every space."""
        ...

    def search(
        self,
        space: str,
        vector: np.ndarray,
        k: int = 10,
        where: Filter | None = None,
        exclude_ids: Iterable[int] = (),
    ) -> list[Hit]:
        """The k most similar products among those matching ``where``, best first."""
        ...

    def count(self, space: str | None = None) -> int:
        """Number of vectors in ``space``, or of products when ``space`` is None."""
        ...

    def vectors(self, space: str, ids: Sequence[int]) -> np.ndarray:
        """Stored vectors of ``ids`` in ``space`` (rows of zeros where an id has none)."""
        ...

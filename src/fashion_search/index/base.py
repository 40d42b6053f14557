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

    def upsert(self, space: str, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
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


@runtime_checkable
class CatalogIndex(VectorIndex, Protocol):
    """A VectorIndex that also answers catalog questions: products by id, filtered listings, facets.

    The search, recommendation and browsing services need these; :class:`ExactIndex` has them.
    """

    def search(
        self,
        space: str,
        vector: np.ndarray,
        k: int = 10,
        where: Filter | None = None,
        exclude_ids: Iterable[int] = (),
        include_ids: Iterable[int] | None = None,
    ) -> list[Hit]:
        """As :meth:`VectorIndex.search`, optionally limited to ``include_ids``."""
        ...

    def vectors(self, space: str, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Stored vectors of ``ids`` in ``space`` (rows of zeros where an id has none)."""
        ...

    def get_product(self, product_id: int) -> Product | None: ...

    def products_by_id(self) -> dict[int, Product]: ...

    def ids(self, space: str) -> np.ndarray:
        """Ids (ascending) of the products with a vector in ``space``."""
        ...

    def count_matching(self, where: Filter | None) -> int: ...

    def matching_ids(self, where: Filter | None) -> np.ndarray:
        """Ids (ascending) of the products matching ``where``."""
        ...

    def browse(
        self,
        where: Filter | None = None,
        offset: int = 0,
        limit: int = 20,
        sort_by: str | None = None,
        descending: bool = False,
    ) -> tuple[list[Product], int]:
        """One page of matching products and the total number that match."""
        ...

    def facets(self, where: Filter | None, fields: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per text field, the count of matching products with each value."""
        ...

    def histogram(self, where: Filter | None, field: str, edges: Sequence[float]) -> list[int]:
        """Counts of matching products per bucket of a numeric field."""
        ...

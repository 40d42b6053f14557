"""Which products belong to a brand, so that a brand named in a query can narrow the results.

The catalog has no brand column: a brand is the start of a product name ("Puma Men Black Running
Shoes"), as :meth:`Vocabulary.from_products` learns it. A product belongs to every known brand its
name starts with, compared case-insensitively and word by word, so a brand holds its lines too:
"CASIO" holds "Casio Enticer ..." and "CASIO G-Shock ..." products, "Casio Enticer" only the former.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from fashion_search.domain import Product

_WORD = re.compile(r"[^\W_]+(?:['\u2019.&-][^\W_]+)*")


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in _WORD.findall(text))


class BrandIndex:
    """Brand name -> ids (ascending int64) of the products whose names start with it."""

    def __init__(self, products: Iterable[Product], brands: Iterable[str]) -> None:
        by_words = {_words(b): b for b in brands if _words(b)}
        longest = max((len(w) for w in by_words), default=0)
        members: dict[str, list[int]] = {}
        for product in products:
            words = _words(product.name)
            for length in range(1, min(longest, len(words)) + 1):
                brand = by_words.get(words[:length])
                if brand is not None:
                    members.setdefault(brand, []).append(product.id)
        self._ids = {b: np.unique(np.array(ids, dtype=np.int64)) for b, ids in members.items()}
        self._canonical = {b.casefold(): b for b in self._ids}

    def ids(self, brand: str) -> np.ndarray:
        """Ids of ``brand``'s products (empty for a brand with none)."""
        name = self._canonical.get(brand.casefold())
        return np.empty(0, dtype=np.int64) if name is None else self._ids[name]

    def ids_of_any(self, brands: Iterable[str]) -> np.ndarray:
        """Ids of the products of any of ``brands``."""
        parts = [self.ids(b) for b in brands]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def brands(self) -> list[str]:
        return sorted(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

"""Splitting an outfit's budget across its pieces, by what such pieces typically cost in the catalog.

:class:`PriceGuide` knows the median price of each article type of one catalog. :class:`BudgetSplit`
hands each piece, in order, a cap equal to its share of the money still unspent (shares are the
pieces' typical prices); whatever a piece leaves unspent flows to the pieces after it, and a piece
that finds nothing gives its share back. The caps never sum past the total, so neither do the
pieces bought within them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

from fashion_search.domain import Product
from fashion_search.errors import ValidationError

FALLBACK_TYPICAL = 40.0
"""Share weight of a piece whose article types have no priced product (any positive number works)."""


class PriceGuide:
    """Median and lowest price per article type of a catalog."""

    def __init__(self, products: Iterable[Product]) -> None:
        prices: dict[str, list[float]] = {}
        for p in products:
            if p.article_type and p.price is not None and math.isfinite(p.price) and p.price >= 0:
                prices.setdefault(p.article_type, []).append(float(p.price))
        self._median = {t: float(statistics.median(v)) for t, v in prices.items()}
        self._lowest = {t: min(v) for t, v in prices.items()}
        self._counts = {t: len(v) for t, v in prices.items()}

    def typical(self, article_types: Sequence[str]) -> float:
        """The count-weighted median price of these types (a fallback when none is priced)."""
        known = [(self._median[t], self._counts[t]) for t in article_types if t in self._median]
        if not known:
            return FALLBACK_TYPICAL
        total = sum(n for _, n in known)
        return sum(m * n for m, n in known) / total

    def lowest(self, article_types: Sequence[str]) -> float | None:
        """The cheapest price among these types, or None when none is priced."""
        values = [self._lowest[t] for t in article_types if t in self._lowest]
        return min(values) if values else None

    def __contains__(self, article_type: object) -> bool:
        return article_type in self._median


class BudgetSplit:
    """Caps for the pieces of an outfit, in order, within ``total``."""

    def __init__(self, total: float, weights: Sequence[float], floors: Sequence[float] | None = None) -> None:
        if (
            isinstance(total, bool)
            or not isinstance(total, int | float)
            or not math.isfinite(total)
            or total < 0
        ):
            raise ValidationError(f"an outfit budget must be a non-negative number, got {total!r}")
        if any(not math.isfinite(w) or w <= 0 for w in weights):
            raise ValidationError(f"budget weights must be positive numbers, got {list(weights)!r}")
        floors = [0.0] * len(weights) if floors is None else list(floors)
        if len(floors) != len(weights) or any(not math.isfinite(f) or f < 0 for f in floors):
            raise ValidationError(f"budget floors must be one non-negative number per piece, got {floors!r}")
        self.total = float(total)
        self.weights = [float(w) for w in weights]
        self.floors = [float(f) for f in floors]
        self.spent = 0.0
        self._open = set(range(len(self.weights)))

    @property
    def remaining(self) -> float:
        return max(0.0, self.total - self.spent)

    def cap(self, piece: int) -> float:
        """The most piece ``piece`` may cost: its share of the unspent money among open pieces."""
        if piece not in self._open:
            raise ValidationError(f"piece {piece} of the outfit is already settled")
        share = self.weights[piece] / sum(self.weights[i] for i in self._open)
        floors = sum(self.floors[i] for i in self._open)
        if floors <= self.remaining:
            cap = self.floors[piece] + (self.remaining - floors) * share
        else:
            # Not even the cheapest of everything fits: plain shares, and some pieces go unfilled.
            cap = self.remaining * share
        # Cents, rounded down, so that caps never add up past the total.
        return math.floor(min(cap, self.remaining) * 100 + 1e-6) / 100

    def floors_fit(self) -> bool:
        """Whether the cheapest of every open piece fits in the money left."""
        return sum(self.floors[i] for i in self._open) <= self.remaining + 1e-9

    def spend(self, piece: int, price: float) -> None:
        """Settle ``piece`` at ``price`` (which must be within its cap)."""
        cap = self.cap(piece)
        if price > cap + 1e-9:
            raise ValidationError(f"piece {piece} costs {price}, over its cap of {cap}")
        self.spent += price
        self._open.discard(piece)

    def skip(self, piece: int) -> None:
        """Settle ``piece`` with nothing bought: its share goes to the open pieces."""
        self._open.discard(piece)

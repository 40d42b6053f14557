"""What the search and recommendation services return: scored, explained products, one page at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from fashion_search.domain import Product
from fashion_search.rank.scoring import Ranked, ScoreBreakdown


@dataclass(frozen=True, slots=True)
class ResultItem:
    """One result: the product, its score and the parts of it, a short reason and raw signals.

    ``breakdown`` follows the ranking formula (``final = w_visual * visual + w_user * user +
    w_attribute * attribute``); ``signals`` holds the evidence behind ``visual`` (cosine, ranks in
    the vector and keyword lists, popularity) for clients that want to show or debug it.
    """

    product: Product
    breakdown: ScoreBreakdown
    reason: str
    signals: Mapping[str, float | int | str | None] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return self.breakdown.final

    @classmethod
    def from_ranked(cls, ranked: Ranked, signals: Mapping[str, float | int | str | None]) -> ResultItem:
        return cls(ranked.product, ranked.breakdown, ranked.reason, MappingProxyType(dict(signals)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product.to_dict(),
            "score": round(self.breakdown.final, 6),
            "breakdown": self.breakdown.to_dict(),
            "reason": self.reason,
            "signals": dict(self.signals),
        }


@dataclass(frozen=True, slots=True)
class ResultPage:
    """A page of results with what the service understood of the request.

    ``total`` is how many catalog products the request's filters admit (the set the page was
    ranked from); ``query`` describes the request as applied (filters, space, detected terms).
    """

    items: Sequence[ResultItem]
    total: int
    offset: int
    query: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": [item.to_dict() for item in self.items],
            "count": self.total,
            "offset": self.offset,
            "query": dict(self.query),
            "note": self.note,
        }

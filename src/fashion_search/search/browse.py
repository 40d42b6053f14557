"""Browsing the catalog: a filtered, paged product listing with facet counts over the whole filtered set.

Without a query the listing is ordered by id (or by price / year). With a query ``q`` the words are
read as in search (their filters join the explicit ones, which win) and the page is ranked by the
search service; the facets always count every product the filters admit, not just the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fashion_search.domain import ATTRIBUTE_FIELDS, Filter, Product
from fashion_search.errors import ValidationError
from fashion_search.index.base import CatalogIndex
from fashion_search.index.filters import to_dict
from fashion_search.search.service import MAX_DEPTH, SearchService

FACET_FIELDS: tuple[str, ...] = (
    "gender",
    "master_category",
    "sub_category",
    "article_type",
    "base_colour",
    "season",
    "usage",
)
PRICE_EDGES: tuple[float, ...] = (0.0, 25.0, 50.0, 100.0, 200.0, math.inf)
"""Price buckets of the facet counts: [0, 25), [25, 50), [50, 100), [100, 200), [200, inf)."""
SORTS: Mapping[str, tuple[str | None, bool]] = {
    "id": (None, False),
    "price_asc": ("price", False),
    "price_desc": ("price", True),
    "newest": ("year", True),
}
MAX_LIMIT = 100


def price_bucket_label(low: float, high: float) -> str:
    """``"25-50"`` for [25, 50), ``"200+"`` for [200, inf)."""
    return f"{low:g}+" if math.isinf(high) else f"{low:g}-{high:g}"


@dataclass(frozen=True, slots=True)
class BrowsePage:
    products: Sequence[Product]
    total: int
    offset: int
    facets: Mapping[str, Mapping[str, int]]
    query: Mapping[str, Any] = field(default_factory=dict)


class ProductBrowser:
    """Listings and facet counts over a :class:`CatalogIndex`."""

    def __init__(self, index: CatalogIndex, search: SearchService | None = None) -> None:
        self.index = index
        self.search = search

    def facets(self, where: Filter | None) -> dict[str, dict[str, int]]:
        """Counts per value of :data:`FACET_FIELDS` and per price bucket, over every match of ``where``."""
        out = self.index.facets(where, FACET_FIELDS)
        counts = self.index.histogram(where, "price", PRICE_EDGES)
        out["price"] = {
            price_bucket_label(lo, hi): n
            for lo, hi, n in zip(PRICE_EDGES[:-1], PRICE_EDGES[1:], counts, strict=True)
        }
        out.update(self.attribute_facets(where))
        return out

    def attribute_facets(self, where: Filter | None) -> dict[str, dict[str, int]]:
        """Counts per value of the visual attributes (``attr_material``, ...) that any match has.

        Empty where the index cannot count attribute values (only the NumPy-backed indexes can) or
        no product has been tagged.
        """
        try:
            counted = self.index.facets(where, tuple(ATTRIBUTE_FIELDS))
        except ValidationError:
            return {}
        return {name: values for name, values in counted.items() if values}

    def list(
        self,
        where: Filter | None = None,
        *,
        q: str | None = None,
        offset: int = 0,
        limit: int = 24,
        sort: str | None = None,
        with_facets: bool = True,
    ) -> BrowsePage:
        """One page of products matching ``where`` (and the query ``q``), with facet counts.

        ``sort`` is ``relevance`` (the default with ``q``; needs the search service; without ``q``
        it falls back to ``id``), ``id`` (the default without), ``price_asc``, ``price_desc`` or ``newest``.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValidationError(f"offset must be a non-negative integer, got {offset!r}")
        text = (q or "").strip()
        sort = sort or ("relevance" if text else "id")
        if sort != "relevance" and sort not in SORTS:
            raise ValidationError(f"unknown sort {sort!r}; choose one of relevance, {', '.join(SORTS)}")
        info: dict[str, Any] = {"sort": sort}
        where = where or Filter()
        if text:
            if self.search is None:
                raise ValidationError(
                    "a query needs the search service, which this browser was built without"
                )
            parsed, where = self.search.understand(text, where)
            info.update(q=text, detected=parsed.detected)
        elif sort == "relevance":
            # Without words every product is equally relevant: catalog order, and the page says so.
            sort = "id"
            info["sort"] = sort
        info["filters"] = to_dict(where)
        if sort == "relevance":
            assert self.search is not None
            if offset + limit > MAX_DEPTH:
                raise ValidationError(f"offset + limit must not exceed {MAX_DEPTH} for a query")
            # The query's filters are already merged into ``where``; the search re-reads the same words.
            page = self.search.text(text, k=limit, offset=offset, where=where)
            products: Sequence[Product] = [item.product for item in page.items]
            total = page.total
            if page.query.get("brand_applied"):
                info["brand"] = page.query.get("brand")
        else:
            sort_by, descending = SORTS[sort]
            products, total = self.index.browse(
                where or None, offset=offset, limit=limit, sort_by=sort_by, descending=descending
            )
        facets = self.facets(where or None) if with_facets else {}
        return BrowsePage(products=products, total=total, offset=offset, facets=facets, query=info)

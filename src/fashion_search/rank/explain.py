"""Short human reasons for ranked results ("in your favourite colour Black").

Reasons are chosen by fixed rules, strongest first, and at most two personal reasons are kept,
followed by the budget when one was given:

1. the result looks like something the shopper bought (vector cosine at or above a threshold);
2. it is in one of the shopper's favourite colours;
3. it has the usage the shopper buys most ("a Formal pick like your recent purchases");
4. it is one of the shopper's favourite article types;
5. it sits in the shopper's usual price band.

Without a profile (or when no personal rule applies) the reason describes the match to the query.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fashion_search.domain import Product, money
from fashion_search.rank.scoring import Ranked
from fashion_search.users.profiles import StyleProfile

SIMILAR_TO_PURCHASE = 0.8
"""Cosine at or above which a result "looks like" a product the shopper bought."""
FAVOURITE_COLOURS = 3
FAVOURITE_TYPES = 3
MAX_PERSONAL_REASONS = 2


@dataclass(frozen=True, slots=True)
class _Taste:
    """What the personal reasons read from a profile, worked out once per list of results."""

    colours: frozenset[str]
    types: frozenset[str]
    usage: str | None
    """The usage of most of the recent purchases."""
    band: tuple[float, float] | None
    purchases: tuple[tuple[int, str, np.ndarray, float], ...]
    """Recent purchases with a vector: (id, name, vector, its norm), newest first."""


def _taste(
    profile: StyleProfile, products: Mapping[int, Product], vectors: Mapping[int, np.ndarray] | None
) -> _Taste:
    purchases = []
    for pid in profile.recent_purchases if vectors is not None else ():
        bought = products.get(pid)
        vector = vectors.get(pid) if vectors is not None else None
        if bought is None or vector is None:
            continue
        v = np.asarray(vector, dtype=np.float32).reshape(-1)
        v_norm = float(np.linalg.norm(v))
        if v_norm != 0:
            purchases.append((pid, bought.name, v, v_norm))
    usages = _purchased_usages(profile, products)
    return _Taste(
        colours=frozenset(profile.favourites("base_colour", FAVOURITE_COLOURS)),
        types=frozenset(profile.favourites("article_type", FAVOURITE_TYPES)),
        usage=usages[0] if usages else None,
        band=profile.price_band,
        purchases=tuple(purchases),
    )


def _lookalike(item: Ranked, taste: _Taste, threshold: float) -> str | None:
    if not taste.purchases or item.vector is None:
        return None
    candidate = np.asarray(item.vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(candidate))
    if norm == 0:
        return None
    best_name, best_sim = None, threshold
    for pid, name, v, v_norm in taste.purchases:
        if pid == item.product.id or v.shape != candidate.shape:
            continue
        sim = float(candidate @ v) / (norm * v_norm)
        if sim >= best_sim:
            best_name, best_sim = name, sim
    return None if best_name is None else f"looks like the {best_name} you bought"


def personal_reasons(
    item: Ranked,
    profile: StyleProfile,
    products: Mapping[int, Product],
    vectors: Mapping[int, np.ndarray] | None = None,
    similar_threshold: float = SIMILAR_TO_PURCHASE,
) -> list[str]:
    """Every personal reason that applies to ``item``, strongest first."""
    return _personal_reasons(item, _taste(profile, products, vectors), similar_threshold)


def _personal_reasons(item: Ranked, taste: _Taste, similar_threshold: float) -> list[str]:
    product = item.product
    reasons = []
    lookalike = _lookalike(item, taste, similar_threshold)
    if lookalike:
        reasons.append(lookalike)
    if product.base_colour and product.base_colour in taste.colours:
        reasons.append(f"in your favourite colour {product.base_colour}")
    if product.usage and taste.usage is not None and product.usage == taste.usage:
        reasons.append(f"a {product.usage} pick like your recent purchases")
    if product.article_type and product.article_type in taste.types:
        reasons.append(f"one of your favourite {product.article_type}")
    band = taste.band
    if band is not None and product.price is not None and band[0] <= product.price <= band[1]:
        reasons.append(f"in your usual price range of {money(band[0])} to {money(band[1])}")
    return reasons


def _purchased_usages(profile: StyleProfile, products: Mapping[int, Product]) -> list[str]:
    counts: dict[str, int] = {}
    for pid in profile.recent_purchases:
        product = products.get(pid)
        if product is not None and product.usage:
            counts[product.usage] = counts.get(product.usage, 0) + 1
    return sorted(counts, key=lambda u: (-counts[u], u))


def explain(
    item: Ranked,
    profile: StyleProfile | None,
    products: Mapping[int, Product],
    vectors: Mapping[int, np.ndarray] | None = None,
    *,
    max_price: float | None = None,
    query: str | None = None,
    anchor: Product | None = None,
    similar_threshold: float = SIMILAR_TO_PURCHASE,
) -> str:
    """One short sentence saying why ``item`` is shown.

    ``products`` and ``vectors`` look up the shopper's purchases by id (vectors in the same space
    as ``item.vector``); ``max_price`` is the budget the request gave; ``query`` / ``anchor`` describe
    what the results answer when no personal reason applies.
    """
    taste = None if profile is None or profile.is_empty else _taste(profile, products, vectors)
    return _explain(item, profile, taste, max_price, query, anchor, similar_threshold)


def _explain(
    item: Ranked,
    profile: StyleProfile | None,
    taste: _Taste | None,
    max_price: float | None,
    query: str | None,
    anchor: Product | None,
    similar_threshold: float,
) -> str:
    parts: list[str] = []
    if taste is not None:
        parts = _personal_reasons(item, taste, similar_threshold)[:MAX_PERSONAL_REASONS]
    if not parts:
        if query:
            parts = [f'a close match for "{query}"']
        elif anchor is not None:
            parts = [f"similar to the {anchor.name}"]
        elif profile is not None and not profile.is_empty:
            parts = ["picked for your style"]
        else:
            parts = ["a close match for your search"]
    if max_price is not None and item.product.price is not None and item.product.price <= max_price:
        parts.append(f"within your budget of {money(max_price)}")
    sentence = ", ".join(parts)
    return sentence[:1].upper() + sentence[1:]


def explain_all(
    items: Sequence[Ranked],
    profile: StyleProfile | None,
    products: Mapping[int, Product],
    vectors: Mapping[int, np.ndarray] | None = None,
    *,
    max_price: float | None = None,
    query: str | None = None,
    anchor: Product | None = None,
) -> list[Ranked]:
    """``items`` with their ``reason`` filled in by :func:`explain` (the profile read once for all)."""
    taste = None if profile is None or profile.is_empty or not items else _taste(profile, products, vectors)
    return [
        dataclasses.replace(
            item,
            reason=_explain(item, profile, taste, max_price, query, anchor, SIMILAR_TO_PURCHASE),
        )
        for item in items
    ]

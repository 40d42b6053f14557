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

import numpy as np

from fashion_search.domain import Product
from fashion_search.rank.scoring import Ranked
from fashion_search.users.profiles import StyleProfile

SIMILAR_TO_PURCHASE = 0.8
"""Cosine at or above which a result "looks like" a product the shopper bought."""
FAVOURITE_COLOURS = 3
FAVOURITE_TYPES = 3
MAX_PERSONAL_REASONS = 2


def _money(amount: float) -> str:
    return f"{amount:.0f}" if float(amount).is_integer() else f"{amount:.2f}"


def _lookalike(
    item: Ranked,
    profile: StyleProfile,
    products: Mapping[int, Product],
    vectors: Mapping[int, np.ndarray] | None,
    threshold: float,
) -> str | None:
    if vectors is None or item.vector is None:
        return None
    candidate = np.asarray(item.vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(candidate))
    if norm == 0:
        return None
    best_name, best_sim = None, threshold
    for pid in profile.recent_purchases:
        bought = products.get(pid)
        vector = vectors.get(pid)
        if pid == item.product.id or bought is None or vector is None:
            continue
        v = np.asarray(vector, dtype=np.float32).reshape(-1)
        v_norm = float(np.linalg.norm(v))
        if v_norm == 0 or v.shape != candidate.shape:
            continue
        sim = float(candidate @ v) / (norm * v_norm)
        if sim >= best_sim:
            best_name, best_sim = bought.name, sim
    return None if best_name is None else f"looks like the {best_name} you bought"


def personal_reasons(
    item: Ranked,
    profile: StyleProfile,
    products: Mapping[int, Product],
    vectors: Mapping[int, np.ndarray] | None = None,
    similar_threshold: float = SIMILAR_TO_PURCHASE,
) -> list[str]:
    """Every personal reason that applies to ``item``, strongest first."""
    product = item.product
    reasons = []
    lookalike = _lookalike(item, profile, products, vectors, similar_threshold)
    if lookalike:
        reasons.append(lookalike)
    if product.base_colour and product.base_colour in profile.favourites("base_colour", FAVOURITE_COLOURS):
        reasons.append(f"in your favourite colour {product.base_colour}")
    bought_usages = _purchased_usages(profile, products)
    if product.usage and bought_usages and product.usage == bought_usages[0]:
        reasons.append(f"a {product.usage} pick like your recent purchases")
    if product.article_type and product.article_type in profile.favourites("article_type", FAVOURITE_TYPES):
        reasons.append(f"one of your favourite {product.article_type}")
    band = profile.price_band
    if band is not None and product.price is not None and band[0] <= product.price <= band[1]:
        reasons.append(f"in your usual price range of {_money(band[0])} to {_money(band[1])}")
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
    parts: list[str] = []
    if profile is not None and not profile.is_empty:
        parts = personal_reasons(item, profile, products, vectors, similar_threshold)[:MAX_PERSONAL_REASONS]
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
        parts.append(f"within your budget of {_money(max_price)}")
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
    """``items`` with their ``reason`` filled in by :func:`explain`."""
    return [
        dataclasses.replace(
            item,
            reason=explain(item, profile, products, vectors, max_price=max_price, query=query, anchor=anchor),
        )
        for item in items
    ]

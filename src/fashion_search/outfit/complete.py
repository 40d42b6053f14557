"""Complete the look: complementary products for an anchor, by role, compatible and explained.

For each role that completes the anchor (see :mod:`fashion_search.outfit.rules`) the candidates
are fetched through a :class:`CandidateFetcher` with a :class:`~fashion_search.domain.Filter` that
holds the hard rules: the role's categories, never the anchor's own sub-category, a compatible
gender, the budget, and for clothing and footwear a compatible usage (relaxed when that leaves too
few). The candidates are then scored::

    compatibility = 0.4 colour + 0.3 usage + 0.2 season + 0.1 gender
    score         = 0.6 compatibility + 0.25 personal + 0.15 style     (with a shopper's profile)
    score         = 0.8 compatibility + 0.15 style                     (without)

where ``personal`` is the shopper's affinity for the item (and the cosine to their profile vector
when vectors are given) and ``style`` is the fetcher's own similarity score clipped to [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np

from fashion_search.domain import Condition, Filter, Hit, Op, Product, condition, money
from fashion_search.errors import ValidationError
from fashion_search.outfit.colours import harmony
from fashion_search.outfit.rules import (
    Role,
    compatible_genders,
    compatible_usages,
    complementary_roles,
    gender_score,
    role_of,
    season_score,
    usage_score,
)
from fashion_search.users.profiles import StyleProfile

COMPATIBILITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"colour": 0.4, "usage": 0.3, "season": 0.2, "gender": 0.1}
)
REPEATED_TYPE_PENALTY = 0.1
"""Taken off an item's score for each item of the same article type already chosen for its role."""
MAX_PER_ROLE = 50


class CandidateFetcher(Protocol):
    """Returns up to ``k`` products matching ``where``, best first, as hits.

    The search service passes one backed by its vector index (searching near the anchor's vector);
    tests pass a :class:`ListFetcher`.
    """

    def __call__(self, where: Filter, k: int) -> Sequence[Hit]: ...


class ListFetcher:
    """A :class:`CandidateFetcher` over an in-memory list.

    With ``vectors`` and a ``query`` vector the hits are ordered by cosine to the query; otherwise
    they keep the list's order and score 0.
    """

    def __init__(
        self,
        products: Sequence[Product],
        vectors: Mapping[int, np.ndarray] | None = None,
        query: np.ndarray | None = None,
    ) -> None:
        self._products = list(products)
        self._vectors = vectors
        self._query = None if query is None else np.asarray(query, dtype=np.float32).reshape(-1)

    def _score(self, product: Product) -> float:
        if self._vectors is None or self._query is None:
            return 0.0
        v = self._vectors.get(product.id)
        if v is None:
            return 0.0
        v = np.asarray(v, dtype=np.float32).reshape(-1)
        denom = float(np.linalg.norm(v) * np.linalg.norm(self._query))
        return 0.0 if denom == 0 else float(v @ self._query) / denom

    def __call__(self, where: Filter, k: int) -> list[Hit]:
        hits = [Hit(p, self._score(p)) for p in self._products if where.matches(p)]
        hits.sort(key=lambda h: -h.score)
        return hits[:k]


@dataclass(frozen=True, slots=True)
class Compatibility:
    colour: float
    season: float
    usage: float
    gender: float
    overall: float

    def to_dict(self) -> dict[str, float]:
        return {
            "colour": round(self.colour, 4),
            "season": round(self.season, 4),
            "usage": round(self.usage, 4),
            "gender": round(self.gender, 4),
            "overall": round(self.overall, 4),
        }


@dataclass(frozen=True, slots=True)
class OutfitItem:
    product: Product
    role: str
    compatibility: Compatibility
    personal: float | None
    """The shopper's affinity for the item, or None without a profile."""
    style: float
    score: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product.to_dict(),
            "role": self.role,
            "score": round(self.score, 6),
            "compatibility": self.compatibility.to_dict(),
            "personal": None if self.personal is None else round(self.personal, 6),
            "style": round(self.style, 6),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Outfit:
    anchor: Product
    anchor_role: str | None
    roles: Mapping[str, tuple[OutfitItem, ...]]
    """Role name -> chosen items, best first, in the role table's display order."""
    note: str = ""

    def items(self) -> list[OutfitItem]:
        return [item for items in self.roles.values() for item in items]

    def to_dict(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor.to_dict(),
            "anchor_role": self.anchor_role,
            "roles": {name: [i.to_dict() for i in items] for name, items in self.roles.items()},
            "note": self.note,
        }


def compatibility(anchor: Product, item: Product) -> Compatibility:
    """How well ``item`` goes with ``anchor`` on colour, season, usage and gender."""
    parts = {
        "colour": harmony(anchor.base_colour, item.base_colour).score,
        "season": season_score(anchor.season, item.season),
        "usage": usage_score(anchor.usage, item.usage),
        "gender": gender_score(anchor.gender, item.gender),
    }
    overall = sum(COMPATIBILITY_WEIGHTS[k] * v for k, v in parts.items())
    return Compatibility(overall=overall, **parts)


def role_filter(role: Role, anchor: Product, max_price: float | None, strict_usage: bool) -> Filter:
    """The hard rules for one role's candidates, as a filter the fetcher can push into an index."""
    conditions: list[Condition] = [*role.to_filter().conditions, condition("id", Op.NE, anchor.id)]
    if anchor.sub_category:
        conditions.append(condition("sub_category", Op.NE, anchor.sub_category))
    genders = compatible_genders(anchor.gender)
    if genders is not None:
        conditions.append(condition("gender", Op.IN, sorted(genders)))
    if max_price is not None:
        conditions.append(condition("price", Op.LE, max_price))
    usages = compatible_usages(anchor.usage)
    if strict_usage and usages is not None:
        conditions.append(condition("usage", Op.IN, sorted(usages)))
    return Filter(tuple(conditions))


def _reason(anchor: Product, item: Product, profile: StyleProfile | None, max_price: float | None) -> str:
    parts = [harmony(anchor.base_colour, item.base_colour).reason]
    if item.usage and anchor.usage:
        if item.usage == anchor.usage:
            parts.append(f"both {item.usage}")
        elif usage_score(anchor.usage, item.usage) >= 0.5:
            parts.append(f"{item.usage} works with {anchor.usage}")
    if profile is not None and item.base_colour and item.base_colour in profile.favourites("base_colour", 3):
        parts.append(f"in your favourite colour {item.base_colour}")
    elif item.season and item.season == anchor.season:
        parts.append(f"for {item.season}")
    if max_price is not None:
        parts.append(f"within your budget of {money(max_price)}")
    sentence = ", ".join(parts)
    return sentence[:1].upper() + sentence[1:]


def _check(per_role: int, max_price: float | None, pool: int | None) -> None:
    if isinstance(per_role, bool) or not isinstance(per_role, int) or not 1 <= per_role <= MAX_PER_ROLE:
        raise ValidationError(f"per_role must be an integer from 1 to {MAX_PER_ROLE}, got {per_role!r}")
    if max_price is not None and (
        isinstance(max_price, bool)
        or not isinstance(max_price, int | float)
        or not math.isfinite(max_price)
        or max_price < 0
    ):
        raise ValidationError(f"max_price must be a non-negative number, got {max_price!r}")
    if pool is not None and (isinstance(pool, bool) or not isinstance(pool, int) or pool < per_role):
        raise ValidationError(f"pool must be an integer of at least per_role ({per_role}), got {pool!r}")


def complete_the_look(
    anchor: Product,
    fetch: CandidateFetcher,
    *,
    profile: StyleProfile | None = None,
    vectors: Mapping[int, np.ndarray] | None = None,
    max_price: float | None = None,
    per_role: int = 3,
    pool: int | None = None,
) -> Outfit:
    """Up to ``per_role`` items for each role that completes ``anchor``.

    ``profile`` ranks the candidates by the shopper's taste (``vectors`` adds the cosine to their
    profile vector); ``max_price`` caps each item's price; ``pool`` is how many candidates are
    fetched per role (default ``10 * per_role``). An anchor outside every role (innerwear, beauty,
    ...) gets an outfit with no roles and a ``note`` saying why.
    """
    _check(per_role, max_price, pool)
    pool = pool or max(10 * per_role, 30)
    anchor_role = role_of(anchor)
    if anchor_role is None:
        what = anchor.sub_category or anchor.article_type or "this product"
        return Outfit(
            anchor,
            None,
            MappingProxyType({}),
            note=f"complete-the-look covers clothing, footwear, bags and accessories, not {what}",
        )
    personalised = profile is not None and not profile.is_empty
    used = {anchor.id}
    roles: dict[str, tuple[OutfitItem, ...]] = {}
    for role in complementary_roles(anchor):
        hits = list(fetch(role_filter(role, anchor, max_price, strict_usage=role.apparel), pool))
        if role.apparel and len(hits) < per_role:
            seen = {h.product.id for h in hits}
            relaxed = fetch(role_filter(role, anchor, max_price, strict_usage=False), pool)
            hits += [h for h in relaxed if h.product.id not in seen]
        scored = []
        for hit in hits:
            product = hit.product
            if product.id in used or not role.matches(product):
                continue
            compat = compatibility(anchor, product)
            style = min(1.0, max(0.0, float(hit.score)))
            personal = None
            if personalised:
                assert profile is not None
                personal = profile.affinity(product)
                if vectors is not None and profile.vector is not None:
                    cosine = max(0.0, profile.similarity(vectors.get(product.id)))
                    personal = 0.6 * personal + 0.4 * cosine
                total = 0.6 * compat.overall + 0.25 * personal + 0.15 * style
            else:
                total = 0.8 * compat.overall + 0.15 * style
            scored.append((total, product, compat, personal, style))
        chosen: list[OutfitItem] = []
        type_counts: dict[str | None, int] = {}
        while scored and len(chosen) < per_role:
            # Greedy with a small penalty for repeating an article type: three belts make a dull row.
            best = max(
                range(len(scored)),
                key=lambda i: (
                    scored[i][0] - REPEATED_TYPE_PENALTY * type_counts.get(scored[i][1].article_type, 0)
                ),
            )
            total, product, compat, personal, style = scored.pop(best)
            type_counts[product.article_type] = type_counts.get(product.article_type, 0) + 1
            used.add(product.id)
            chosen.append(
                OutfitItem(
                    product=product,
                    role=role.name,
                    compatibility=compat,
                    personal=personal,
                    style=style,
                    score=total,
                    reason=_reason(anchor, product, profile if personalised else None, max_price),
                )
            )
        roles[role.name] = tuple(chosen)
    return Outfit(anchor, anchor_role.name, MappingProxyType(roles))

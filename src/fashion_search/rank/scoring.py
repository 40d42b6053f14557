"""Personalised scoring: ``final = w_visual * visual + w_user * user + w_attribute * attribute``.

- ``visual``: the candidate's similarity to the query or anchor, as the caller's index scored it.
- ``user``: cosine similarity between the candidate's vector and the shopper's profile vector.
- ``attribute``: how well the candidate matches the shopper's preferences (article type, colour,
  price band, usage, gender), in [0, 1]; see :meth:`StyleProfile.affinity`.

Without a profile the user and attribute parts are 0 and the order is the visual order. Hard
constraints (budget, ``restrict_*``) are expressed as a :class:`~fashion_search.domain.Filter` so
that the caller can push them into the vector index (filter and top-k together) and are applied
again here, so no result that breaks them can slip through.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fashion_search.domain import Condition, Filter, Hit, Op, Product, condition
from fashion_search.errors import ValidationError
from fashion_search.settings import RankingSettings, Settings
from fashion_search.users.profiles import StyleProfile

FAVOURITE_CATEGORIES = 5
"""``restrict_category`` keeps the shopper's this-many favourite article types."""
FAVOURITE_COLOURS = 3
"""``restrict_color`` keeps the shopper's this-many favourite colours."""


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the three score parts; each in [0, 1], not all zero."""

    visual: float = 0.5
    user: float = 0.3
    attribute: float = 0.2

    def __post_init__(self) -> None:
        for name in ("visual", "user", "attribute"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValidationError(f"weight {name!r} must be a finite number, got {value!r}")
            if not 0.0 <= value <= 1.0:
                raise ValidationError(f"weight {name!r} must lie between 0 and 1, got {value}")
        if self.visual + self.user + self.attribute <= 0:
            raise ValidationError("ranking weights must not all be zero")

    @classmethod
    def from_settings(cls, settings: Settings | RankingSettings) -> Weights:
        ranking = settings.ranking if isinstance(settings, Settings) else settings
        return cls(visual=ranking.w_visual, user=ranking.w_user, attribute=ranking.w_attribute)

    def override(
        self, visual: float | None = None, user: float | None = None, attribute: float | None = None
    ) -> Weights:
        """These weights with the given ones replaced (a per-request override)."""
        return Weights(
            visual=self.visual if visual is None else visual,
            user=self.user if user is None else user,
            attribute=self.attribute if attribute is None else attribute,
        )

    def to_dict(self) -> dict[str, float]:
        return {"visual": self.visual, "user": self.user, "attribute": self.attribute}


@dataclass(frozen=True, slots=True)
class Constraints:
    """Hard limits on results: a budget and restrictions to the shopper's own favourites.

    ``restrict_category`` keeps the shopper's favourite article types, ``restrict_color`` their
    favourite colours and ``restrict_price`` their usual price band (weighted p25 to p75 of the
    prices of what they interacted with). A product without a price never passes a price limit.
    """

    min_price: float | None = None
    max_price: float | None = None
    restrict_category: bool = False
    restrict_price: bool = False
    restrict_color: bool = False

    def __post_init__(self) -> None:
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValidationError(f"{name} must be a finite number, got {value!r}")
            if value < 0:
                raise ValidationError(f"{name} must not be negative, got {value}")
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValidationError(
                f"min_price ({self.min_price}) must not exceed max_price ({self.max_price})"
            )

    @property
    def needs_profile(self) -> bool:
        return self.restrict_category or self.restrict_price or self.restrict_color

    def to_filter(self, profile: StyleProfile | None = None) -> Filter:
        """The constraints as a filter, resolved against ``profile`` for the ``restrict_*`` flags.

        Raises :class:`ValidationError` when a restriction is asked for without a profile, or for a
        shopper whose profile has nothing to restrict to yet.
        """
        conditions: list[Condition] = []
        if self.min_price is not None:
            conditions.append(condition("price", Op.GE, self.min_price))
        if self.max_price is not None:
            conditions.append(condition("price", Op.LE, self.max_price))
        if self.needs_profile and (profile is None or profile.is_empty):
            who = "no user" if profile is None else f"user {profile.user_id}, who has no events yet"
            raise ValidationError(
                f"restrict_category / restrict_price / restrict_color need a shopper's history; got {who}"
            )
        if profile is not None:
            if self.restrict_category:
                types = profile.favourites("article_type", FAVOURITE_CATEGORIES)
                conditions.append(_in_or_raise("article_type", types, profile, "restrict_category"))
            if self.restrict_color:
                colours = profile.favourites("base_colour", FAVOURITE_COLOURS)
                conditions.append(_in_or_raise("base_colour", colours, profile, "restrict_color"))
            if self.restrict_price:
                band = profile.price_band
                if band is None:
                    raise ValidationError(
                        f"restrict_price: user {profile.user_id} has no priced products in their history"
                    )
                conditions.append(condition("price", Op.GE, band[0]))
                conditions.append(condition("price", Op.LE, band[1]))
        return Filter(tuple(conditions))

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_price": self.min_price,
            "max_price": self.max_price,
            "restrict_category": self.restrict_category,
            "restrict_price": self.restrict_price,
            "restrict_color": self.restrict_color,
        }


def _in_or_raise(field_name: str, values: list[str], profile: StyleProfile, flag: str) -> Condition:
    if not values:
        raise ValidationError(f"{flag}: user {profile.user_id} has no known {field_name} preferences yet")
    return condition(field_name, Op.IN, values)


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    visual: float
    user: float
    attribute: float
    final: float

    def to_dict(self) -> dict[str, float]:
        return {
            "visual": round(self.visual, 6),
            "user": round(self.user, 6),
            "attribute": round(self.attribute, 6),
            "final": round(self.final, 6),
        }


@dataclass(frozen=True, slots=True)
class Ranked:
    """One ranked result: the product, its score breakdown, its vector (for diversity) and a reason."""

    product: Product
    breakdown: ScoreBreakdown
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    reason: str = ""

    @property
    def score(self) -> float:
        return self.breakdown.final

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product.to_dict(),
            "score": round(self.breakdown.final, 6),
            "breakdown": self.breakdown.to_dict(),
            "reason": self.reason,
        }


def _vector_lookup(
    hits: Sequence[Hit], vectors: Mapping[int, np.ndarray] | np.ndarray | None
) -> list[np.ndarray | None]:
    if vectors is None:
        return [None] * len(hits)
    if isinstance(vectors, np.ndarray):
        if vectors.ndim != 2 or vectors.shape[0] != len(hits):
            raise ValidationError(
                f"vectors must be an array of shape (number of hits, dim) = ({len(hits)}, dim), "
                f"got {vectors.shape}"
            )
        # A row of zeros is how an index says "no vector for this id".
        present = np.any(vectors, axis=1).tolist()
        return [row if has else None for row, has in zip(vectors, present, strict=True)]
    return [vectors.get(h.product.id) for h in hits]


def score(
    product: Product,
    visual: float,
    vector: np.ndarray | None,
    profile: StyleProfile | None,
    weights: Weights,
) -> ScoreBreakdown:
    """Score one candidate (see the module docstring for the parts)."""
    user = profile.similarity(vector) if profile is not None else 0.0
    attribute = profile.affinity(product) if profile is not None else 0.0
    final = weights.visual * visual + weights.user * user + weights.attribute * attribute
    return ScoreBreakdown(visual=float(visual), user=user, attribute=attribute, final=final)


@dataclass(frozen=True, slots=True)
class Scores:
    """The score parts of a list of candidates, as aligned float64 arrays (see :func:`score_all`)."""

    visual: np.ndarray
    user: np.ndarray
    attribute: np.ndarray
    final: np.ndarray

    def breakdown(self, i: int) -> ScoreBreakdown:
        return ScoreBreakdown(
            visual=float(self.visual[i]),
            user=float(self.user[i]),
            attribute=float(self.attribute[i]),
            final=float(self.final[i]),
        )


def score_all(
    products: Sequence[Product],
    visual: Sequence[float] | np.ndarray,
    vectors: np.ndarray | Sequence[np.ndarray | None] | None,
    profile: StyleProfile | None,
    weights: Weights,
) -> Scores:
    """:func:`score` of every candidate at once: the same numbers, in array operations.

    ``vectors`` are the candidates' vectors in the profile's space, aligned with ``products``: an
    array (a row of zeros where a product has none) or a list with None for a missing one.
    """
    n = len(products)
    vis = np.asarray(visual, dtype=np.float64).reshape(-1)
    if vis.shape[0] != n:
        raise ValidationError(f"got {vis.shape[0]} visual scores for {n} candidates")
    user = _user_similarities(profile, vectors, n)
    attribute = profile.affinities(products) if profile is not None else np.zeros(n, dtype=np.float64)
    # Left to right, as score() adds the parts: the arrays round exactly as its Python floats do.
    final = weights.visual * vis + weights.user * user + weights.attribute * attribute
    return Scores(visual=vis, user=user, attribute=attribute, final=final)


def rank(
    hits: Sequence[Hit],
    profile: StyleProfile | None = None,
    *,
    vectors: Mapping[int, np.ndarray] | np.ndarray | None = None,
    weights: Weights | None = None,
    constraints: Constraints | None = None,
) -> list[Ranked]:
    """Score ``hits`` (visual score = ``Hit.score``) and return those passing ``constraints``, best first.

    ``vectors`` holds the candidates' vectors in the profile's space, as a mapping by product id or
    as an array aligned with ``hits``. Ties keep the input order.
    """
    weights = weights or Weights()
    allowed = (constraints or Constraints()).to_filter(profile)
    vecs = _vector_lookup(hits, vectors)
    products = [h.product for h in hits]
    parts = score_all(products, [h.score for h in hits], vecs, profile, weights)
    final = parts.final.tolist()
    keep = [i for i, p in enumerate(products) if not allowed or allowed.matches(p)]
    keep.sort(key=lambda i: -final[i])
    return [Ranked(products[i], parts.breakdown(i), vecs[i]) for i in keep]


def _user_similarities(
    profile: StyleProfile | None, vectors: np.ndarray | Sequence[np.ndarray | None] | None, n: int
) -> np.ndarray:
    """:meth:`StyleProfile.similarity` of every vector at once (one matrix product, not one per row)."""
    out = np.zeros(n, dtype=np.float64)
    if profile is None or profile.vector is None or vectors is None:
        return out
    if isinstance(vectors, np.ndarray):
        if vectors.ndim != 2 or vectors.shape[0] != n:
            raise ValidationError(
                f"vectors must be an array of shape (number of candidates, dim) = ({n}, dim), "
                f"got {vectors.shape}"
            )
        # A row of zeros is how an index says "no vector for this id".
        present = np.flatnonzero(np.any(vectors, axis=1))
        if present.shape[0] == 0:
            return out
        rows = vectors if present.shape[0] == n else vectors[present]
        rows = rows.astype(np.float32, copy=False)
    else:
        if len(vectors) != n:
            raise ValidationError(f"got {len(vectors)} vectors for {n} candidates")
        present = np.asarray([i for i, v in enumerate(vectors) if v is not None], dtype=np.int64)
        if present.shape[0] == 0:
            return out
        rows = np.stack([np.asarray(vectors[i], dtype=np.float32).reshape(-1) for i in present.tolist()])
    if rows.shape[1] != profile.vector.shape[0]:
        raise ValidationError(
            f"vector has dimension {rows.shape[1]} but the profile of user {profile.user_id} "
            f"has dimension {profile.vector.shape[0]}"
        )
    norms = np.linalg.norm(rows, axis=1).astype(np.float64)
    dots = (rows @ profile.vector).astype(np.float64)
    out[present] = np.divide(dots, norms, out=np.zeros_like(dots), where=norms != 0)
    return out

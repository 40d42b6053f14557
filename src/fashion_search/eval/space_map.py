"""The embedding space in two dimensions, and which directions in it separate formality, colour and price.

* :func:`pca_2d`: the first two principal components (NumPy SVD of the centred vectors).
* :func:`direction_probe`: for a two-sided property (formal vs casual, dark vs light, dear vs cheap),
  a seeded half of the products fits a direction and the other half measures how well the
  projection on it separates the two sides, as an AUC (0.5 = not at all, 1 = perfectly). Two
  directions: the plain difference of the two sides' means, and a linear probe (the same difference
  whitened by the ridge-regularised within-class covariance, i.e. Fisher's discriminant).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fashion_search.domain import Product
from fashion_search.errors import ValidationError
from fashion_search.eval.metrics import auc

DARK = frozenset({"Black", "Navy Blue", "Charcoal", "Coffee Brown"})
LIGHT = frozenset({"White", "Off White", "Cream", "Beige"})
RIDGE = 1e-2


def pca_2d(x: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """Coordinates on the first two principal components and the variance share of each."""
    if x.ndim != 2 or x.shape[0] < 3:
        raise ValidationError(f"PCA needs a matrix of at least 3 rows, got shape {x.shape}")
    centred = x - x.mean(axis=0, keepdims=True)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    var = s**2
    total = float(var.sum()) or 1.0
    comps = vt[:2] if vt.shape[0] >= 2 else np.vstack([vt, np.zeros_like(vt)])
    coords = centred @ comps.T
    shares = (float(var[0] / total), float(var[1] / total) if len(var) > 1 else 0.0)
    return coords.astype(np.float32), shares


@dataclass
class DirectionResult:
    name: str
    positive: str
    negative: str
    n_positive: int
    n_negative: int
    mean_difference_auc: float | None
    probe_auc: float | None
    test_projection: tuple[np.ndarray, np.ndarray] | None = None
    """Test-half projections on the probe direction (positive side, negative side), for plots."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "positive": self.positive,
            "negative": self.negative,
            "n_positive": self.n_positive,
            "n_negative": self.n_negative,
            "mean_difference_auc": self.mean_difference_auc,
            "probe_auc": self.probe_auc,
        }


def direction_probe(
    x: np.ndarray,
    side: Sequence[bool | None],
    *,
    name: str,
    positive: str,
    negative: str,
    seed: int = 0,
    min_per_side: int = 4,
) -> DirectionResult:
    """Fit on a seeded half, measure on the other (see the module docstring); None AUCs if too few."""
    labels = np.asarray([np.nan if s is None else float(bool(s)) for s in side])
    if len(labels) != len(x):
        raise ValidationError(f"{len(labels)} labels for {len(x)} vectors")
    pos_rows = np.flatnonzero(labels == 1.0)
    neg_rows = np.flatnonzero(labels == 0.0)
    result = DirectionResult(name, positive, negative, len(pos_rows), len(neg_rows), None, None)
    if len(pos_rows) < min_per_side or len(neg_rows) < min_per_side:
        return result
    rng = np.random.default_rng(seed)

    def halves(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        perm = rng.permutation(rows)
        cut = len(perm) // 2
        return perm[:cut], perm[cut:]

    pos_fit, pos_test = halves(pos_rows)
    neg_fit, neg_test = halves(neg_rows)
    mu_p, mu_n = x[pos_fit].mean(axis=0), x[neg_fit].mean(axis=0)
    diff = mu_p - mu_n
    centred = np.vstack([x[pos_fit] - mu_p, x[neg_fit] - mu_n]).astype(np.float64)
    cov = centred.T @ centred / max(1, len(centred) - 2)
    scale = float(np.trace(cov)) / cov.shape[0] or 1.0
    probe = np.linalg.solve(cov + RIDGE * scale * np.eye(cov.shape[0]), diff.astype(np.float64))
    result.mean_difference_auc = auc(x[pos_test] @ diff, x[neg_test] @ diff)
    p_side, n_side = x[pos_test] @ probe, x[neg_test] @ probe
    result.probe_auc = auc(p_side, n_side)
    result.test_projection = (np.asarray(p_side), np.asarray(n_side))
    return result


def _price_sides(products: Sequence[Product], within_type: bool) -> list[bool | None]:
    """Top third of prices -> True, bottom third -> False, the middle and unpriced -> None."""
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(products):
        if p.price is not None:
            groups.setdefault(p.article_type or "" if within_type else "", []).append(i)
    out: list[bool | None] = [None] * len(products)
    for rows in groups.values():
        if len(rows) < 6:
            continue
        order = sorted(rows, key=lambda i: (products[i].price or 0.0, products[i].id))
        third = len(order) // 3
        for i in order[:third]:
            out[i] = False
        for i in order[len(order) - third :]:
            out[i] = True
    return out


SideRule = Callable[[Sequence[Product]], list[bool | None]]


def centred_by_type(products: Sequence[Product], x: np.ndarray) -> np.ndarray:
    """``x`` minus the mean vector of each row's article type: what is left once the type is known."""
    out = np.asarray(x, dtype=np.float64).copy()
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(products):
        groups.setdefault(p.article_type or "", []).append(i)
    for rows in groups.values():
        out[rows] -= out[rows].mean(axis=0)
    return out


def default_properties() -> list[tuple[str, str, str, SideRule, bool]]:
    """(name, positive, negative, rule, centred by article type) of the properties the report probes.

    The within-type variants ask whether the property is visible once the article type is known:
    formal shirts against casual shirts rather than shirts against T-shirts.
    """

    def formality(ps: Sequence[Product]) -> list[bool | None]:
        return [True if p.usage == "Formal" else False if p.usage == "Casual" else None for p in ps]

    def colour(ps: Sequence[Product]) -> list[bool | None]:
        return [True if p.base_colour in DARK else False if p.base_colour in LIGHT else None for p in ps]

    return [
        ("formality", "Formal usage", "Casual usage", formality, False),
        ("formality (within article type)", "Formal usage", "Casual usage", formality, True),
        ("colour", "dark (black, navy, charcoal)", "light (white, cream, beige)", colour, False),
        (
            "price (catalog-wide)",
            "top third of prices",
            "bottom third",
            lambda ps: _price_sides(ps, False),
            False,
        ),
        (
            "price (within article type)",
            "top third within its type",
            "bottom third within its type",
            lambda ps: _price_sides(ps, True),
            True,
        ),
    ]


def probe_directions(products: Sequence[Product], x: np.ndarray, *, seed: int = 0) -> list[DirectionResult]:
    """Every default property probed in the space ``x`` (rows aligned with ``products``)."""
    within = centred_by_type(products, x)
    return [
        direction_probe(
            within if centre else x, rule(products), name=name, positive=pos, negative=neg, seed=seed
        )
        for name, pos, neg, rule, centre in default_properties()
    ]

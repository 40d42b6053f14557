"""Which photos fit the attribute methods, which calibrate and choose them, and which measure them.

When the embedding model records the photos it never trained on (a fashion-lite model keeps its
held-out ids), both the calibration and the test photos come from those: its image vectors for its
training photos were pulled towards captions that contain the product names, so calibrating or
measuring name-derived labels on them would flatter the zero-shot method (and set its thresholds
too low). The held-out photos are split, seeded, into calibration and test; every other photo
trains the heads. Without such a record a seeded random share is the test set and a further share
of the rest calibrates. Either way the test photos decide nothing: they only measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fashion_search.embed.base import Embedder
from fashion_search.errors import ValidationError


@dataclass(frozen=True)
class Split:
    train: tuple[int, ...]
    val: tuple[int, ...]
    test: tuple[int, ...]
    source: str
    """How the test photos were chosen ("model holdout" or "random")."""


def model_holdout_ids(embedder: Embedder) -> set[int] | None:
    """Ids the embedding model held out of its training, when it records them."""
    config = getattr(embedder, "config", None)
    if not isinstance(config, dict):
        return None
    held = config.get("holdout_ids")
    if not isinstance(held, list) or not held:
        return None
    return {int(i) for i in held}


def split_ids(
    ids: Sequence[int],
    embedder: Embedder,
    *,
    test_fraction: float = 0.2,
    val_fraction: float = 0.15,
    holdout_val_fraction: float = 0.4,
    seed: int = 0,
) -> Split:
    """Train / calibration / test ids (each ascending); see the module docstring.

    ``test_fraction`` and ``val_fraction`` apply without a model holdout (test share of all ids,
    calibration share of the rest); ``holdout_val_fraction`` is the calibration share of the
    model's held-out photos.
    """
    fractions = {"test": test_fraction, "val": val_fraction, "holdout_val": holdout_val_fraction}
    bad = {k: v for k, v in fractions.items() if not 0.0 < v < 1.0}
    if bad:
        raise ValidationError(f"split fractions must be in (0, 1), got {bad}")
    ordered = sorted({int(i) for i in ids})
    rng = np.random.default_rng(seed)
    held = model_holdout_ids(embedder)
    held_here = sorted(held & set(ordered)) if held is not None else []
    if len(held_here) >= 2:
        perm = rng.permutation(len(held_here))
        n_val = min(max(1, int(round(holdout_val_fraction * len(held_here)))), len(held_here) - 1)
        val = {held_here[i] for i in perm[:n_val]}
        test = set(held_here) - val
        train = [i for i in ordered if i not in test and i not in val]
        return Split(tuple(train), tuple(sorted(val)), tuple(sorted(test)), "model holdout")
    perm = rng.permutation(len(ordered))
    test = {ordered[i] for i in perm[: int(round(test_fraction * len(ordered)))]}
    rest = [i for i in ordered if i not in test]
    perm = rng.permutation(len(rest))
    val = {rest[i] for i in perm[: int(round(val_fraction * len(rest)))]}
    train = [i for i in rest if i not in val]
    return Split(tuple(train), tuple(sorted(val)), tuple(sorted(test)), "random")

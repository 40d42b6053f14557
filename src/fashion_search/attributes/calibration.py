"""From scores to confidences, and from confidences to "say it or leave it empty".

Cosine similarities to prompts and head logits are not probabilities. A temperature fitted on
held-out labelled photos (the one that minimises their negative log-likelihood) turns either into a
softmax whose top value reads as a confidence; a threshold then keeps only values confident enough
that, on those photos, at least a target share of the kept values were right.
"""

from __future__ import annotations

import numpy as np

from fashion_search.attributes.heads import softmax
from fashion_search.errors import ValidationError

TEMPERATURES: tuple[float, ...] = tuple(float(t) for t in np.geomspace(0.002, 5.0, 40))
LABEL_SMOOTHING = 0.05
"""Share of weak labels assumed wrong when fitting a temperature."""
NEVER = 1.01
"""A threshold no confidence reaches: the attribute is left empty."""


def fit_temperature(logits: np.ndarray, truth: np.ndarray, smoothing: float = LABEL_SMOOTHING) -> float:
    """The temperature (from :data:`TEMPERATURES`) minimising the NLL of ``truth`` (class rows).

    The targets are smoothed (``1 - smoothing`` on the labelled class, the rest spread evenly over
    the values the method can give; ``-inf`` scores mark those it cannot, a head's unseen classes):
    weak labels are sometimes wrong, and on photos a method separates perfectly the plain NLL
    keeps falling as the temperature goes to zero, which would make every score read as certain.
    1.0 when there is nothing to fit on.
    """
    if not 0.0 <= smoothing < 1.0:
        raise ValidationError(f"label smoothing must be in [0, 1), got {smoothing}")
    if logits.ndim != 2 or logits.shape[0] != truth.shape[0]:
        raise ValidationError(f"{logits.shape} logits for {truth.shape} labels")
    if logits.shape[0] == 0:
        return 1.0
    rows = np.arange(logits.shape[0])
    best_t, best_nll = 1.0, np.inf
    for t in TEMPERATURES:
        log_p = np.log(np.maximum(softmax(logits / np.float32(t)), 1e-12))
        finite = np.isfinite(logits)
        spread = np.where(finite, log_p, 0.0).sum(axis=1) / np.maximum(finite.sum(axis=1), 1)
        nll = float(-((1.0 - smoothing) * log_p[rows, truth] + smoothing * spread).mean())
        if nll < best_nll:
            best_t, best_nll = t, nll
    return best_t


def choose_threshold(
    confidence: np.ndarray, correct: np.ndarray, target: float = 0.8, min_support: int = 10
) -> float:
    """The lowest confidence at which the values kept (confidence >= it) are right at least
    ``target`` of the time, over at least ``min_support`` photos; :data:`NEVER` when none is.
    """
    if confidence.shape != correct.shape:
        raise ValidationError(f"{confidence.shape} confidences for {correct.shape} outcomes")
    if not 0.0 < target <= 1.0:
        raise ValidationError(f"target precision must be in (0, 1], got {target}")
    if confidence.size < min_support:
        return NEVER
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order].astype(np.float64))
    kept = np.arange(1, confidence.size + 1)
    precision = hits / kept
    ok = np.flatnonzero((precision >= target) & (kept >= min_support))
    if ok.size == 0:
        return NEVER
    k = int(ok[-1])
    # Ties with the k-th confidence are kept too, so use the k-th value itself as the bound.
    return float(confidence[order][k])

"""How scores spread in the top 20, per kind of query, and whether a per-query calibration helps.

Raw cosine similarities mean different things for different queries: a text query's best match may
score 0.45 and an image query's 0.95, and one text query's 20th result may outscore another's
first. The service itself never compares raw scores across queries: keyword fusion rescales each
query's fused scores so that its best is 1, and MMR min-max scales relevance within each pool.

The calibration measured here is a per-query standardisation: a result's z-score against the
query's similarity to every product in the space (``(s - mean) / std``), which asks "how far above
this query's background is this result?". Whether that makes scores comparable across queries is
measured, not assumed: pooled over all text queries, the AUC of relevant vs. non-relevant top-20
results with raw scores against the same with z-scores. (Within one query both orders are the
same; only a threshold shared by all queries can gain.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fashion_search.eval.metrics import auc

TOP = 20


@dataclass
class Spread:
    """Per query, the top-20 raw scores and their z-scores against the query's background."""

    kind: str
    raw: list[list[float]] = field(default_factory=list)
    z: list[list[float]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def stats(rows: list[list[float]]) -> dict[str, float] | None:
            flat = np.asarray([v for r in rows for v in r], dtype=np.float64)
            if flat.size == 0:
                return None
            firsts = np.asarray([r[0] for r in rows if r])
            return {
                "median": float(np.median(flat)),
                "p10": float(np.percentile(flat, 10)),
                "p90": float(np.percentile(flat, 90)),
                "top1_min": float(firsts.min()),
                "top1_max": float(firsts.max()),
                "mean_top1_minus_top20": float(np.mean([r[0] - r[-1] for r in rows if r])),
            }

        return {
            "kind": self.kind,
            "n_queries": len(self.raw),
            "raw": stats(self.raw),
            "z": stats(self.z) if self.z else None,
        }


def top_with_background(
    matrix: np.ndarray, query: np.ndarray, k: int = TOP, exclude: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-``k`` row indices, their raw scores and their z-scores against all rows of ``matrix``."""
    scores = matrix @ query
    mu, sd = float(scores.mean()), float(scores.std()) or 1.0
    if exclude is not None:
        scores = scores.copy()
        scores[exclude] = -np.inf
    k = min(k, len(scores) - (exclude is not None))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return top, scores[top], (scores[top] - mu) / sd


@dataclass
class CalibrationCheck:
    raw_auc: float | None
    z_auc: float | None
    n_relevant: int
    n_irrelevant: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "pooled_auc_raw": self.raw_auc,
            "pooled_auc_z": self.z_auc,
            "n_relevant": self.n_relevant,
            "n_irrelevant": self.n_irrelevant,
        }


def text_spread(
    matrix: np.ndarray,
    ids: np.ndarray,
    query_vectors: Mapping[str, np.ndarray],
    relevant: Mapping[str, set[int]],
) -> tuple[Spread, CalibrationCheck]:
    """Spread of text queries' top 20 in one space, and the pooled relevance AUC raw vs z."""
    spread = Spread("text")
    pos_raw: list[float] = []
    neg_raw: list[float] = []
    pos_z: list[float] = []
    neg_z: list[float] = []
    for text, vec in query_vectors.items():
        top, raw, z = top_with_background(matrix, vec)
        spread.raw.append(raw.tolist())
        spread.z.append(z.tolist())
        rel = relevant.get(text, set())
        for row, r, zz in zip(top.tolist(), raw.tolist(), z.tolist(), strict=True):
            if int(ids[row]) in rel:
                pos_raw.append(r)
                pos_z.append(zz)
            else:
                neg_raw.append(r)
                neg_z.append(zz)
    return spread, CalibrationCheck(auc(pos_raw, neg_raw), auc(pos_z, neg_z), len(pos_raw), len(neg_raw))


def image_spread(matrix: np.ndarray, rows: Sequence[int]) -> Spread:
    """Spread of image queries (the photos at ``rows``) against the other photos."""
    spread = Spread("image")
    for row in rows:
        _, raw, z = top_with_background(matrix, matrix[row], exclude=row)
        spread.raw.append(raw.tolist())
        spread.z.append(z.tolist())
    return spread

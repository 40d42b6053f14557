"""The report's scores section: the spread of the top-20 scores of text, image and recommendation
queries, and a per-query calibration check (:mod:`fashion_search.eval.score_spread`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fashion_search.embed.base import Embedder
from fashion_search.eval import html, plots
from fashion_search.eval.html import Section
from fashion_search.eval.queries import QUERIES
from fashion_search.eval.report.figures import FigureWriter
from fashion_search.eval.report.options import ReportOptions
from fashion_search.eval.score_spread import CalibrationCheck, Spread, image_spread, text_spread
from fashion_search.eval.search_quality import CatalogVectors, build_index

SUMMARY_STATS = ("median", "p10", "p90", "top1_min", "top1_max", "mean_top1_minus_top20")
"""The figures of a spread's summary shown per kind and scale, in table order."""


@dataclass
class ScoreSpreads:
    """Top-20 scores by kind of query, and how well a shared threshold separates relevant results."""

    spreads: list[Spread]
    recommendation: list[list[float]]
    """Each test shopper's top-20 recommendation scores."""
    calibration: CalibrationCheck

    def to_dict(self) -> dict[str, Any]:
        return {
            "spreads": [sp.summary() for sp in self.spreads],
            "recommendation": Spread("recommendation", self.recommendation).summary(),
            "calibration": self.calibration.to_dict(),
        }


def measure_scores(
    vectors: CatalogVectors,
    embedder: Embedder,
    options: ReportOptions,
    relevant: Mapping[str, set[int]],
    rec_scores: list[list[float]],
) -> ScoreSpreads:
    """The query set's scores in the hybrid space (``relevant``: the attribute judge's relevant
    products per query), sampled photos' scores in the image space, and ``rec_scores``."""
    index = build_index(vectors, enriched=True, image_weight=options.hybrid_image_weight)
    ids = index.ids("hybrid")
    matrix = index.vectors("hybrid", ids)
    qvecs = embedder.embed_texts([q.text for q in QUERIES])
    text, check = text_spread(matrix, ids, {q.text: qvecs[i] for i, q in enumerate(QUERIES)}, relevant)
    spreads = [text]
    photo_rows = np.flatnonzero(vectors.has_image)
    if len(photo_rows) > 21:
        rng = np.random.default_rng(options.seed)
        sample = rng.choice(len(photo_rows), min(options.n_image_queries, len(photo_rows)), replace=False)
        spreads.append(image_spread(vectors.image[photo_rows], sorted(int(i) for i in sample)))
    return ScoreSpreads(spreads, rec_scores, check)


def scores_section(scores: ScoreSpreads, figs: FigureWriter) -> Section:
    spreads, rec_scores, check = scores.spreads, scores.recommendation, scores.calibration
    s = Section("scores", "Score distributions of the top 20, and calibration")
    s.text(
        "Text queries: the query set's raw cosine in the hybrid space (vectors only, no filters). Image "
        "queries: sampled photos against the other photos in the image space. Recommendations: the "
        "final ranking score of each test shopper's first 20 recommendations (0.5 visual + 0.3 profile "
        "+ 0.2 preference fit by default). The right panel shows the per-query z-score against each "
        "query's similarity to the whole catalog (not available for recommendations, which are scored "
        "on a candidate pool, not the catalog)."
    )
    raw = {sp.kind: [v for r in sp.raw for v in r] for sp in spreads}
    raw["recommendation"] = [v for r in rec_scores for v in r]
    z = {sp.kind: [v for r in sp.z for v in r] for sp in spreads}
    figs.add(
        s,
        "score_spread",
        plots.score_spreads("Top-20 scores by kind of query", raw, z),
        "Violin and box plots of the top-20 scores. Left: raw. Right: per-query z-scores.",
    )
    by_rank = {sp.kind: sp.raw for sp in spreads}
    by_rank["recommendation"] = rec_scores
    figs.add(
        s,
        "score_by_rank",
        plots.per_query_lines("Each line is one query", by_rank),
        "Score against rank for each query: how far apart the first and the twentieth result are, per query.",
    )
    rows = [row for sp in spreads for row in _summary_rows(sp, ("raw", "z"))]
    if rec_scores:
        rows.extend(_summary_rows(Spread("recommendation", rec_scores), ("raw",)))
    s.table(
        [
            "kind",
            "scale",
            "queries",
            "median",
            "p10",
            "p90",
            "best top-1",
            "worst top-1",
            "mean top1 - top20",
        ],
        rows,
    )
    s.text(
        "What the system does about calibration: nothing global. Raw cosines are never compared across "
        "queries; keyword fusion rescales each query's fused scores so that its best result is 1, and "
        "MMR min-max scales relevance within each candidate pool, so lambda means the same for every "
        "shopper. No score threshold is applied anywhere."
    )
    better = (
        "helps"
        if (check.z_auc or 0) > (check.raw_auc or 0) + 0.01
        else "does not help"
        if (check.z_auc or 0) < (check.raw_auc or 0) - 0.01
        else "makes no real difference"
    )
    s.table(
        [
            "pooled over text queries",
            "AUC relevant vs not (raw)",
            "AUC (z-score)",
            "relevant results",
            "non-relevant results",
        ],
        [["top-20 results", check.raw_auc, check.z_auc, check.n_relevant, check.n_irrelevant]],
    )
    s.text(
        f"Measured: a single threshold shared by all text queries separates relevant from non-relevant "
        f"top-20 results with AUC {html.fmt(check.raw_auc)} on raw cosines and "
        f"{html.fmt(check.z_auc)} on "
        f"per-query z-scores, so the per-query calibration {better} for thresholding across queries."
    )
    return s


def _summary_rows(spread: Spread, scales: Sequence[str]) -> list[list[Any]]:
    """One table row per scale of ``spread``'s summary that has figures."""
    summary = spread.summary()
    return [
        [spread.kind, scale, summary["n_queries"], *(summary[scale][k] for k in SUMMARY_STATS)]
        for scale in scales
        if summary[scale]
    ]

"""``fashion-search report``: one self-contained HTML page measuring the whole system on a catalog.

Sections (each can be skipped by name, see :data:`SECTIONS`):

* ``encoder``: the encoder figures of :func:`fashion_search.eval.encoder.evaluate_encoder` with its
  two baselines, on the photos the model held out of training when it records them;
* ``attributes``: per attribute, accuracy against weak labels of held-out photos (the tagger's own
  measurement, from :func:`fashion_search.attributes.job.tag_catalog`) and coverage;
* ``search``: precision@10 and nDCG@10 on the fixed query set, plain vs enriched descriptions,
  with the hybrid image weight and the keyword weight swept (:mod:`.search_quality`);
* ``scores``: the spread of the top-20 scores of text, image and recommendation queries and a
  per-query calibration check (:mod:`.score_spread`);
* ``space``: a PCA map of the image space coloured by category, and probes of the directions that
  separate formality, colour and price (:mod:`.space_map`);
* ``recommendations``: the Amazon Personalize offline protocol on synthetic shoppers against a
  popularity baseline, and the MMR sweep (:mod:`.rec_quality`).

The page (``report.html``), every figure as a PNG (``figures/``) and every number (``report.json``)
are written to the output folder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fashion_search.embed.base import Embedder
from fashion_search.errors import ValidationError
from fashion_search.eval import html, plots
from fashion_search.eval.html import Section
from fashion_search.eval.queries import QUERIES, Judge
from fashion_search.eval.rec_quality import Recommender, RecQualityReport, evaluate_recommendations
from fashion_search.eval.score_spread import CalibrationCheck, Spread, image_spread, text_spread
from fashion_search.eval.search_quality import (
    ENRICHED,
    PLAIN,
    RunResult,
    SearchQualityReport,
    build_index,
    evaluate_search,
    relevant_sets,
)
from fashion_search.eval.space_map import pca_2d, probe_directions
from fashion_search.eval.workbench import PreparedCatalog, prepare_catalog
from fashion_search.settings import RankingSettings

SECTIONS: tuple[str, ...] = ("encoder", "attributes", "search", "scores", "space", "recommendations")
REPORT_FILE = "report.html"
DATA_FILE = "report.json"
FIGURES_DIR = "figures"
ENCODER_ROWS = (
    "article_type_top1",
    "colour_top1",
    "name_to_image_r1",
    "name_to_image_r10",
    "image_to_image_p10",
)

Progress = Callable[[str, int, int], None]
EncoderEval = Callable[..., Any]


@dataclass
class ReportOptions:
    seed: int = 0
    photos_only: bool = True
    skip: frozenset[str] = frozenset()
    hybrid_image_weight: float = 0.5
    ranking: RankingSettings = field(default_factory=RankingSettings)
    n_users: int | None = None
    test_user_fraction: float = 0.1
    n_image_queries: int = 100
    max_map_points: int = 6000

    def __post_init__(self) -> None:
        unknown = set(self.skip) - set(SECTIONS)
        if unknown:
            raise ValidationError(
                f"unknown report section(s) {sorted(unknown)}; sections: {', '.join(SECTIONS)}"
            )

    def wants(self, section: str) -> bool:
        return section not in self.skip


@dataclass
class ReportResult:
    html_path: Path
    data_path: Path
    figures: list[Path]
    data: dict[str, Any]
    seconds: float


class _Figures:
    def __init__(self, out_dir: Path) -> None:
        self.dir = out_dir / FIGURES_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.paths: list[Path] = []

    def add(self, section: Section, name: str, png: bytes, caption: str) -> None:
        path = self.dir / f"{name}.png"
        path.write_bytes(png)
        self.paths.append(path)
        section.figure(png, caption, name)


def _model_holdout(embedder: Embedder, photo_ids: set[int]) -> tuple[list[int] | None, list[str]]:
    """The photos the model held out of training (None: all) and the types it never saw."""
    config = getattr(embedder, "config", None)
    if not isinstance(config, dict):
        return None, []
    held = config.get("holdout_ids")
    unseen = [str(t) for t in config.get("exclude_types", []) or []]
    if not isinstance(held, list):
        return None, unseen
    ids = sorted({int(i) for i in held} & photo_ids)
    return ids or None, unseen


# -- sections ----------------------------------------------------------------------------------


def encoder_section(report: dict[str, Any] | None, note: str | None, figs: _Figures) -> Section:
    s = Section("encoder", "Encoder: zero-shot classification and retrieval, with baselines")
    if report is None:
        s.note(note or "not measured")
        return s
    s.text(
        f"Model {report['model']} on {report['n_images']} photos ({report.get('photos', 'all photos')}). "
        "Type and colour top-1: each photo labelled with the nearest prompt 'a photo of a {value}'. "
        "Name -> image: the product name as a query, recall of its own photo. Image -> image: share "
        "of the 10 nearest other photos with the same article type. Baselines: untrained ImageNet "
        "features (image-only) and random projections of both towers."
    )
    baselines = report.get("baselines", {})
    headers = ["metric", "model", *baselines]
    rows = [[m, report.get(m), *(b.get(m) for b in baselines.values())] for m in ENCODER_ROWS]
    s.table(headers, rows)
    series = {"model": [report.get(m) for m in ENCODER_ROWS]}
    for name, b in baselines.items():
        series[name] = [b.get(m) for m in ENCODER_ROWS]
    figs.add(
        s,
        "encoder",
        plots.grouped_bars("Encoder vs baselines", list(ENCODER_ROWS), series),
        "Encoder figures against the two baselines (higher is better).",
    )
    return s


def attributes_section(tag_report: dict[str, Any] | None, note: str | None, figs: _Figures) -> Section:
    s = Section("attributes", "Attributes: accuracy against weak labels of held-out photos, and coverage")
    if tag_report is None:
        s.note(note or "no attributes")
        return s
    s.text(
        "Weak labels are the catalog's own words: pattern, material, sleeves, collar and fit words in "
        "product names ('Striped', 'Leather', 'Full Sleeve'), formality and style from usage, a few "
        "implied by the article type. Accuracy is measured on test photos the tagger did not fit on "
        "(the encoder's held-out photos when it records them), for each method, against the majority "
        "value as a floor. Coverage is the share of applicable photos that got a value confident "
        "enough to keep (values below the calibrated threshold are left empty, not guessed)."
    )
    rows = []
    names, chosen_acc, majority, coverage = [], [], [], []
    catalog_coverage = tag_report.get("coverage", {})
    for f in tag_report.get("figures", []):
        name = f["name"]
        cov = catalog_coverage.get(name)
        rows.append(
            [
                name,
                f.get("method"),
                f.get("n_test_labelled"),
                f.get("zero_shot_accuracy"),
                f.get("head_accuracy"),
                f.get("majority_accuracy"),
                f.get("confident_accuracy"),
                f.get("coverage"),
                cov,
            ]
        )
        names.append(name)
        chosen_acc.append(f.get("accuracy"))
        majority.append(f.get("majority_accuracy"))
        coverage.append(cov)
    s.table(
        [
            "attribute",
            "method kept",
            "labelled test photos",
            "zero-shot acc.",
            "head acc.",
            "majority acc.",
            "acc. of kept values",
            "test coverage",
            "catalog coverage",
        ],
        rows,
    )
    if names:
        figs.add(
            s,
            "attributes",
            plots.grouped_bars(
                "Attribute accuracy (held-out weak labels) and coverage",
                names,
                {
                    "accuracy (kept method)": chosen_acc,
                    "majority value": majority,
                    "catalog coverage": coverage,
                },
            ),
            "Per attribute: top-1 accuracy of the method kept, the majority-value floor, and the share "
            "of applicable products given a value.",
        )
    return s


def search_section(sq: SearchQualityReport, figs: _Figures) -> Section:
    s = Section(
        "search", f"Search quality on {len(sq.queries)} fixed queries: plain vs enriched descriptions"
    )
    s.text(
        "Each query runs through the search service exactly as a shopper's would (query parsing, "
        "filters, brand scope, vector + BM25 fusion, hybrid space). A result is relevant when it meets "
        "every constraint of the query's rule (table at the end). Two judges: 'metadata' accepts a "
        "visual trait (striped, leather, polo collar, ...) only when the product name says so; "
        "'attributes' also accepts the trait from the product's confident visual attributes, as the "
        "issue asks. The second judge favours enriched descriptions partly by construction, so both "
        "are shown. P@10 divides by 10 even when fewer than 10 products are relevant."
    )
    s.text(
        f"Products with at least one confident attribute: {sq.products_with_attributes}. Defaults: "
        f"image weight in hybrid vectors {sq.default_image_weight}, "
        f"keyword weight {sq.default_keyword_weight}."
    )
    rows = []
    for variant in (PLAIN, ENRICHED):
        run = sq.headline(variant)
        rows.append([variant, *(run.mean_precision(j) for j in Judge), *(run.mean_ndcg(j) for j in Judge)])
    s.table(
        ["descriptions", *(f"P@10 ({j.value})" for j in Judge), *(f"nDCG@10 ({j.value})" for j in Judge)],
        rows,
        "headline",
    )
    groups = [f"{m} ({j.value})" for m in ("P@10", "nDCG@10") for j in Judge]
    series = {}
    for variant in (PLAIN, ENRICHED):
        run = sq.headline(variant)
        series[variant] = [run.mean_precision(j) for j in Judge] + [run.mean_ndcg(j) for j in Judge]
    figs.add(
        s,
        "search_plain_vs_enriched",
        plots.grouped_bars("Plain vs enriched descriptions", groups, series),
        "Mean P@10 and nDCG@10 over the query set, by judge.",
    )
    _sweep(
        s,
        figs,
        sq.image_sweep,
        "image_weight",
        name="search_image_weight",
        title="Hybrid image weight swept",
        xlabel="weight of the photo in the product's hybrid vector",
        caption="nDCG@10 as the photo's share of each product's hybrid vector goes from 0 (description "
        "only) to 1 (photo only).",
    )
    _sweep(
        s,
        figs,
        sq.keyword_sweep,
        "keyword_weight",
        name="search_keyword_weight",
        title="Keyword (BM25) weight in rank fusion swept",
        xlabel="keyword weight",
        caption="nDCG@10 as the BM25 ranking's weight in the fusion goes from 0 (vectors only) to 1.",
    )
    effect = sq.enrichment_effect()
    s.text(
        "Enriched minus plain, per query, at the default weights: the mean difference with a 95 % paired "
        "bootstrap interval over the queries, and how many queries got better, worse or stayed the same."
    )
    s.table(
        ["metric (judge)", "mean difference", "95% low", "95% high", "better", "worse", "same"],
        [
            [
                key.replace("_", " (", 1) + ")",
                e["mean"],
                e["ci_low"],
                e["ci_high"],
                e["better"],
                e["worse"],
                e["same"],
            ]
            for key, e in effect.items()
        ],
        "headline",
    )
    for judge in Judge:
        e = effect[f"precision_{judge.value}"]
        verdict = (
            "improve" if e["ci_low"] > 0 else "worsen" if e["ci_high"] < 0 else "do not measurably change"
        )
        s.text(
            f"Judged by {judge.value}, enriched descriptions {verdict} precision@10 "
            f"({e['mean']:+.3f} on average, interval {e['ci_low']:+.3f} to {e['ci_high']:+.3f}; "
            f"{e['better']} queries better, {e['worse']} worse)."
        )
    plain, enriched = sq.headline(PLAIN), sq.headline(ENRICHED)
    a = Judge.ATTRIBUTES.value
    m = Judge.METADATA.value
    s.table(
        [
            "query",
            "relevance rule",
            f"relevant ({m})",
            f"relevant ({a})",
            f"P@10 plain ({a})",
            f"P@10 enriched ({a})",
            f"nDCG@10 plain ({m})",
            f"nDCG@10 enriched ({m})",
        ],
        [
            [
                q.text,
                q.rule.describe(),
                len(sq.relevant[m][q.text]),
                len(sq.relevant[a][q.text]),
                p.precision[a],
                e.precision[a],
                p.ndcg[m],
                e.ndcg[m],
            ]
            for q, p, e in zip(sq.queries, plain.queries, enriched.queries, strict=True)
        ],
    )
    return s


def _sweep(
    s: Section,
    figs: _Figures,
    runs: Sequence[RunResult],
    knob: str,
    *,
    name: str,
    title: str,
    xlabel: str,
    caption: str,
) -> None:
    """One swept weight (``knob``, a RunResult field): nDCG@10 lines per variant and judge, and a table."""
    values = sorted({getattr(r, knob) for r in runs})
    lines: dict[str, list[float | None]] = {}
    for variant in (PLAIN, ENRICHED):
        for j in Judge:
            by_value = {getattr(r, knob): r for r in runs if r.variant == variant}
            lines[f"{variant} nDCG@10 ({j.value})"] = [by_value[v].mean_ndcg(j) for v in values]
    figs.add(s, name, plots.sweep_lines(title, xlabel, values, lines, ylabel="nDCG@10"), caption)
    s.table(
        [
            "descriptions",
            knob.replace("_", " "),
            *(f"P@10 ({j.value})" for j in Judge),
            *(f"nDCG@10 ({j.value})" for j in Judge),
        ],
        [
            [
                r.variant,
                getattr(r, knob),
                *(r.mean_precision(j) for j in Judge),
                *(r.mean_ndcg(j) for j in Judge),
            ]
            for r in runs
        ],
    )


def scores_section(
    spreads: Sequence[Spread], rec_scores: list[list[float]], check: CalibrationCheck | None, figs: _Figures
) -> Section:
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
    rows = []
    for sp in spreads:
        sm = sp.summary()
        for scale in ("raw", "z"):
            st = sm[scale]
            if st:
                rows.append(
                    [
                        sp.kind,
                        scale,
                        sm["n_queries"],
                        st["median"],
                        st["p10"],
                        st["p90"],
                        st["top1_min"],
                        st["top1_max"],
                        st["mean_top1_minus_top20"],
                    ]
                )
    if rec_scores:
        sm = Spread("recommendation", rec_scores).summary()
        st = sm["raw"]
        if st:
            rows.append(
                [
                    "recommendation",
                    "raw",
                    sm["n_queries"],
                    st["median"],
                    st["p10"],
                    st["p90"],
                    st["top1_min"],
                    st["top1_max"],
                    st["mean_top1_minus_top20"],
                ]
            )
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
    if check is not None:
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


def space_section(
    prepared: PreparedCatalog, options: ReportOptions, figs: _Figures
) -> tuple[Section, dict[str, Any]]:
    s = Section("space", "The embedding space: a 2-D map, and the directions of formality, colour and price")
    v = prepared.vectors
    rows = np.flatnonzero(v.has_image)
    data: dict[str, Any] = {}
    if len(rows) < 3:
        s.note("fewer than three photos: no map")
        return s, data
    rng = np.random.default_rng(options.seed)
    shown = (
        rows
        if len(rows) <= options.max_map_points
        else np.sort(rng.choice(rows, options.max_map_points, replace=False))
    )
    coords, shares = pca_2d(v.image[shown])
    labels = [v.products[i].sub_category or "unknown" for i in shown]
    figs.add(
        s,
        "space_map",
        plots.space_map(
            f"Image space, first two principal components ({len(shown)} photos)", coords, labels, shares
        ),
        "PCA of the photos' vectors coloured by sub-category.",
    )
    data["pca_variance_shares"] = list(shares)
    s.text(
        "Directions: for each property a seeded half of the products fits a direction (the difference "
        "of the two sides' means, and a linear probe: Fisher's discriminant with a small ridge) and the "
        "other half measures separability as AUC (0.5 none, 1 perfect). Prices are simulated from the "
        "article type and usage plus noise, so a price direction catalog-wide can only be the type; "
        "within an article type it is expected at chance."
    )
    products = [v.products[i] for i in rows]
    table_rows = []
    panels = []
    for space_name, matrix in (("image", v.image[rows]), ("text (enriched)", v.text_enriched[rows])):
        results = probe_directions(products, matrix, seed=options.seed)
        data[space_name] = [r.to_dict() for r in results]
        for r in results:
            table_rows.append(
                [
                    space_name,
                    r.name,
                    f"{r.positive} vs {r.negative}",
                    r.n_positive,
                    r.n_negative,
                    r.mean_difference_auc,
                    r.probe_auc,
                ]
            )
            if space_name == "image" and r.test_projection is not None:
                panels.append(
                    (r.name, r.test_projection[0], r.test_projection[1], r.positive, r.negative, r.probe_auc)
                )
    s.table(
        ["space", "property", "sides", "n +", "n -", "AUC mean-difference", "AUC linear probe"], table_rows
    )
    if panels:
        figs.add(
            s,
            "directions",
            plots.direction_histograms("Held-out projections on each probe direction (image space)", panels),
            "How far apart the two sides of each property lie along the direction fitted on the other half.",
        )
    return s, data


def recommendations_section(rec: RecQualityReport, figs: _Figures) -> Section:
    s = Section("recommendations", "Recommendations: Amazon Personalize offline protocol vs popularity")
    s.text(
        f"{rec.n_users} synthetic shoppers (seed {rec.seed}); {rec.n_test_users} test shoppers (10 %) chosen "
        "at random. Every other shopper's interactions are visible; each test shopper's oldest 90 % of "
        f"interactions are given as their history and the newest 10 % ({rec.n_held_out_events} events) are "
        "to be predicted. Profiles and popularity counts are built from the visible interactions only, in "
        "this run. Targets are the held-out products the shopper had not already interacted with; products "
        "already seen are skipped in every list (a second table keeps them). The popularity baseline "
        "recommends the most popular products (event-weighted counts) the shopper has not seen."
    )
    s.note(
        "Changed for this issue (recommend/service.py): the recommender's taste match ('visual') is now "
        "half the item-kNN similarity to the shopper's history and half a popularity prior counted "
        "within the shopper's taste (log-scaled event weight times their liking for the product's "
        "article type), and the most popular products of their favourite types join the candidates. "
        "Within a taste dozens of products look alike; which of them shoppers pick is what the events "
        "say. The share (0.5) was chosen on a different random split of test shoppers (seed 1) than "
        "the one reported here; the row 'without the popularity prior' is the recommender as it was, "
        "measured in this run on the same users."
    )
    head = ["method", "users", "HR@10", "nDCG@10", "MRR@10", "P@10", "catalog coverage", "nDCG s.e."]

    def row(m: Any) -> list[Any]:
        return [m.name, m.n_users, m.hit_rate, m.ndcg, m.mrr, m.precision, m.coverage, m.ndcg_se]

    s.table(head, [row(rec.recommender), row(rec.popularity), *(row(v) for v in rec.variants)], "headline")
    ratio = rec.ndcg_ratio
    s.text(f"nDCG@10 of the recommender / popularity: {html.fmt(ratio, 2)} (the issue asks for at least 2).")
    s.table(head, [row(rec.recommender_with_seen), row(rec.popularity_with_seen)])
    groups = ["HR@10", "nDCG@10", "MRR@10", "catalog coverage"]
    series = {m.name: [m.hit_rate, m.ndcg, m.mrr, m.coverage] for m in (rec.recommender, rec.popularity)}
    figs.add(
        s,
        "rec_vs_popularity",
        plots.grouped_bars("Recommender vs popularity (new products only)", groups, series, ylim=None),
        "Held-out hit rate, nDCG and MRR at 10, and the share of the catalog recommended to anyone.",
    )
    s.text(
        "MMR: lambda 1 is pure relevance; lower values trade relevance for variety. Intra-list similarity "
        "is the mean pairwise cosine of a list (lower = more diverse)."
    )
    s.table(
        [
            "lambda",
            "HR@10",
            "nDCG@10",
            "MRR@10",
            "coverage",
            "intra-list similarity",
            "distinct types per list",
        ],
        [
            [
                p.lam,
                p.metrics.hit_rate,
                p.metrics.ndcg,
                p.metrics.mrr,
                p.metrics.coverage,
                p.intra_list_similarity,
                p.distinct_types,
            ]
            for p in rec.mmr
        ],
    )
    figs.add(
        s,
        "mmr_tradeoff",
        plots.tradeoff(
            "MMR: relevance vs diversity",
            [(p.lam, p.intra_list_similarity, p.metrics.ndcg) for p in rec.mmr],
            "intra-list similarity (lower = more diverse)",
            "nDCG@10",
        ),
        "Each point is one lambda: moving left buys variety, moving down costs relevance.",
    )
    return s


def headlines(
    data: dict[str, Any], sq: SearchQualityReport | None, rec: RecQualityReport | None
) -> list[tuple[str, Any, str]]:
    """(figure, value, what it is compared with) for the top of the page."""
    rows: list[tuple[str, Any, str]] = []
    enc = data.get("encoder")
    if enc:
        rp = enc.get("baselines", {}).get("random_projection", {})
        im = enc.get("baselines", {}).get("imagenet", {})
        rows.append(
            (
                "encoder: article type top-1 (zero-shot)",
                enc.get("article_type_top1"),
                f"random projection {html.fmt(rp.get('article_type_top1'))}",
            )
        )
        rows.append(
            (
                "encoder: colour top-1 (zero-shot)",
                enc.get("colour_top1"),
                f"random projection {html.fmt(rp.get('colour_top1'))}",
            )
        )
        rows.append(
            (
                "encoder: name -> image R@10",
                enc.get("name_to_image_r10"),
                f"random projection {html.fmt(rp.get('name_to_image_r10'))}",
            )
        )
        rows.append(
            (
                "encoder: image -> image P@10 (same type)",
                enc.get("image_to_image_p10"),
                f"ImageNet features {html.fmt(im.get('image_to_image_p10'))}",
            )
        )
    figures = (data.get("attributes") or {}).get("figures") or []
    measured = [f for f in figures if f.get("accuracy") is not None and f.get("n_test_labelled", 0) >= 50]
    if measured:
        acc = float(np.mean([f["accuracy"] for f in measured]))
        maj = float(np.mean([f.get("majority_accuracy") or 0.0 for f in measured]))
        names = ", ".join(f["name"] for f in measured)
        rows.append((f"attributes: mean held-out accuracy ({names})", acc, f"majority value {maj:.3f}"))
    if sq is not None:
        plain, enriched = sq.headline(PLAIN), sq.headline(ENRICHED)
        for judge in Judge:
            rows.append(
                (
                    f"search P@10, judged by {judge.value}: enriched",
                    enriched.mean_precision(judge),
                    f"plain {html.fmt(plain.mean_precision(judge))}",
                )
            )
            rows.append(
                (
                    f"search nDCG@10, judged by {judge.value}: enriched",
                    enriched.mean_ndcg(judge),
                    f"plain {html.fmt(plain.mean_ndcg(judge))}",
                )
            )
    if rec is not None:
        rows.append(
            (
                "recommendations nDCG@10",
                rec.recommender.ndcg,
                f"popularity {html.fmt(rec.popularity.ndcg)} (ratio {html.fmt(rec.ndcg_ratio, 2)})",
            )
        )
        rows.append(
            (
                "recommendations HR@10",
                rec.recommender.hit_rate,
                f"popularity {html.fmt(rec.popularity.hit_rate)}",
            )
        )
        rows.append(
            ("recommendations MRR@10", rec.recommender.mrr, f"popularity {html.fmt(rec.popularity.mrr)}")
        )
        rows.append(
            (
                "recommendations catalog coverage",
                rec.recommender.coverage,
                f"popularity {html.fmt(rec.popularity.coverage)}",
            )
        )
    return rows


def headlines_section(rows: Sequence[tuple[str, Any, str]]) -> Section:
    s = Section("headlines", "Headline figures")
    s.table(["figure", "value", "compared with"], [list(r) for r in rows], "headline")
    return s


# -- the whole report ----------------------------------------------------------------------------


def _recommender_factory(prepared: PreparedCatalog, options: ReportOptions) -> tuple[Any, Any, Any, Any]:
    from fashion_search.recommend.service import RecommendationService
    from fashion_search.users.service import PROFILE_SPACE, UserService
    from fashion_search.users.synthetic import generate_users

    index = build_index(prepared.vectors, enriched=True, image_weight=options.hybrid_image_weight)
    products = index.products_by_id()
    ids = index.ids(PROFILE_SPACE)
    hybrid = dict(zip(ids.tolist(), index.vectors(PROFILE_SPACE, ids), strict=True))
    data = generate_users(
        sorted(products.values(), key=lambda p: p.id), n_users=options.n_users, seed=options.seed
    )

    def make(visible: Sequence[Any]) -> Recommender:
        users = UserService(prepared.store, products, hybrid, data.users, visible)
        service = RecommendationService(index, users, products, options.ranking)
        # The same recommender without its popularity prior, measured alongside (an ablation).
        no_prior = RecommendationService(index, users, products, options.ranking, popularity_share=0.0)

        def using(svc: RecommendationService) -> Callable[[int, int, float | None], list[int]]:
            def recommend(uid: int, limit: int, lam: float | None) -> list[int]:
                return [i.product.id for i in svc.recommend(uid, limit=limit, mmr_lambda=lam).items]

            return recommend

        def top_scores(uid: int) -> list[float]:
            return [float(i.score) for i in service.recommend(uid, limit=20).items]

        return Recommender(
            using(service),
            users.popularity,
            top_scores,
            {"recommender without the popularity prior": using(no_prior)},
        )

    return products, hybrid, data, make


def build_report(
    catalog_dir: Path,
    out_dir: Path,
    embedder: Embedder,
    *,
    work_dir: Path | None = None,
    options: ReportOptions | None = None,
    encoder_eval: EncoderEval | None = None,
    model_cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Measure ``catalog_dir`` with ``embedder`` and write the report into ``out_dir``.

    ``work_dir`` (default ``out_dir/work``) keeps the ingested, tagged and embedded catalog for
    the next run. ``encoder_eval`` defaults to :func:`fashion_search.eval.encoder.evaluate_encoder`.
    """
    started = time.perf_counter()
    options = options or ReportOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(work_dir) if work_dir is not None else out_dir / "work"
    figs = _Figures(out_dir)
    data: dict[str, Any] = {"catalog": str(catalog_dir), "model": embedder.name, "seed": options.seed}
    sections: list[Section] = []

    prepared = prepare_catalog(
        catalog_dir,
        work_dir,
        embedder,
        seed=options.seed,
        photos_only=options.photos_only,
        tag=options.wants("attributes") or options.wants("search"),
        progress=progress,
    )
    v = prepared.vectors
    data["products_evaluated"] = len(v.products)
    data["products_in_catalog"] = prepared.n_catalog_products
    data["products_with_photo"] = int(v.has_image.sum())

    if options.wants("encoder"):
        if encoder_eval is None:
            from fashion_search.eval.encoder import evaluate_encoder

            encoder_eval = evaluate_encoder
        photo_ids = {p.id for p, h in zip(v.products, v.has_image, strict=True) if h}
        held, unseen = _model_holdout(embedder, photo_ids)
        enc = encoder_eval(
            Path(catalog_dir),
            embedder,
            cache_dir=model_cache_dir or work_dir / "models",
            ids=held,
            unseen_types=unseen,
            progress=progress,
        )
        enc_dict = enc.to_dict()
        enc_dict["photos"] = (
            f"the {len(held)} photos the model held out of training" if held else "all photos"
        )
        data["encoder"] = enc_dict
        sections.append(encoder_section(enc_dict, None, figs))

    if options.wants("attributes"):
        data["attributes"] = prepared.tag_report or {"note": prepared.attributes_note}
        sections.append(attributes_section(prepared.tag_report, prepared.attributes_note, figs))

    sq: SearchQualityReport | None = None
    if options.wants("search"):
        sq = evaluate_search(
            v,
            embedder,
            default_image_weight=options.hybrid_image_weight,
            default_keyword_weight=options.ranking.keyword_weight,
            progress=progress,
        )
        data["search"] = sq.to_dict()
        sections.append(search_section(sq, figs))

    rec: RecQualityReport | None = None
    if options.wants("recommendations") or options.wants("scores"):
        products, hybrid, users, make = _recommender_factory(prepared, options)
        rec = evaluate_recommendations(
            products,
            hybrid,
            users.users,
            users.events,
            make,
            default_lambda=options.ranking.mmr_lambda,
            seed=options.seed,
            test_user_fraction=options.test_user_fraction,
            lambdas=sorted({1.0, 0.9, 0.7, 0.5, 0.3, 0.1, options.ranking.mmr_lambda}, reverse=True),
            progress=progress,
        )

    if options.wants("scores"):
        index = build_index(v, enriched=True, image_weight=options.hybrid_image_weight)
        ids = index.ids("hybrid")
        matrix = index.vectors("hybrid", ids)
        relevant = (
            sq.relevant[Judge.ATTRIBUTES.value]
            if sq is not None
            else relevant_sets(QUERIES, v.products)[Judge.ATTRIBUTES.value]
        )
        qvecs = embedder.embed_texts([q.text for q in QUERIES])
        text, check = text_spread(matrix, ids, {q.text: qvecs[i] for i, q in enumerate(QUERIES)}, relevant)
        spreads = [text]
        photo_rows = np.flatnonzero(v.has_image)
        if len(photo_rows) > 21:
            rng = np.random.default_rng(options.seed)
            sample = rng.choice(len(photo_rows), min(options.n_image_queries, len(photo_rows)), replace=False)
            spreads.append(image_spread(v.image[photo_rows], sorted(int(i) for i in sample)))
        rec_scores = rec.top20_scores if rec is not None else []
        data["scores"] = {
            "spreads": [sp.summary() for sp in spreads],
            "recommendation": Spread("recommendation", rec_scores).summary(),
            "calibration": check.to_dict(),
        }
        sections.append(scores_section(spreads, rec_scores, check, figs))

    if options.wants("space"):
        section, space_data = space_section(prepared, options, figs)
        data["space"] = space_data
        sections.append(section)

    if rec is not None and options.wants("recommendations"):
        data["recommendations"] = rec.to_dict()
        sections.append(recommendations_section(rec, figs))

    seconds = time.perf_counter() - started
    data["seconds"] = round(seconds, 1)
    data["headlines"] = headlines(data, sq, rec)
    sections.insert(0, headlines_section(data["headlines"]))
    intro = [
        f"Catalog {catalog_dir}: {prepared.n_catalog_products} products, "
        f"{int(v.has_image.sum())} with a readable photo; {len(v.products)} evaluated "
        f"({'products with a photo' if options.photos_only else 'all products'}). "
        f"Model {embedder.name}. Seed {options.seed}. Built in {seconds:.0f} s.",
    ]
    html_path = out_dir / REPORT_FILE
    html_path.write_text(html.page("fashion-search quality report", intro, sections), encoding="utf-8")
    data_path = out_dir / DATA_FILE
    data_path.write_text(json.dumps(data, indent=2, default=_json_default), encoding="utf-8")
    return ReportResult(html_path, data_path, figs.paths, data, seconds)


def _json_default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)

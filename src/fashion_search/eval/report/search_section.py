"""The report's search section: precision@10 and nDCG@10 on the fixed query set, plain vs enriched
descriptions, with the hybrid image weight and the keyword weight swept
(:mod:`fashion_search.eval.search_quality`)."""

from __future__ import annotations

from collections.abc import Sequence

from fashion_search.eval import plots
from fashion_search.eval.html import Section
from fashion_search.eval.queries import Judge
from fashion_search.eval.report.figures import FigureWriter
from fashion_search.eval.search_quality import ENRICHED, PLAIN, RunResult, SearchQualityReport


def search_section(sq: SearchQualityReport, figs: FigureWriter) -> Section:
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
    figs: FigureWriter,
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

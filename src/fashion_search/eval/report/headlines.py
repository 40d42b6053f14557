"""The report's headline figures: the few numbers at the top of the page, each with what it is
compared with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fashion_search.eval import html
from fashion_search.eval.html import Section
from fashion_search.eval.queries import Judge
from fashion_search.eval.rec_quality import RecQualityReport
from fashion_search.eval.search_quality import ENRICHED, PLAIN, SearchQualityReport


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

"""The whole report: measures each section it wants, then writes the page, the figures and the numbers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fashion_search.embed.base import Embedder
from fashion_search.eval import html
from fashion_search.eval.html import Section
from fashion_search.eval.queries import QUERIES, Judge
from fashion_search.eval.rec_quality import RecQualityReport
from fashion_search.eval.report.attributes_section import attributes_section
from fashion_search.eval.report.encoder_section import EncoderEval, encoder_section, measure_encoder
from fashion_search.eval.report.figures import FigureWriter
from fashion_search.eval.report.headlines import headlines, headlines_section
from fashion_search.eval.report.options import ReportOptions
from fashion_search.eval.report.recommendations_section import (
    measure_recommendations,
    recommendations_section,
)
from fashion_search.eval.report.scores_section import measure_scores, scores_section
from fashion_search.eval.report.search_section import search_section
from fashion_search.eval.report.space_section import space_section
from fashion_search.eval.search_quality import SearchQualityReport, evaluate_search, relevant_sets
from fashion_search.eval.workbench import Progress, prepare_catalog

REPORT_FILE = "report.html"
DATA_FILE = "report.json"


@dataclass
class ReportResult:
    html_path: Path
    data_path: Path
    figures: list[Path]
    data: dict[str, Any]
    seconds: float


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
    figs = FigureWriter(out_dir)
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
        enc = measure_encoder(
            catalog_dir,
            embedder,
            v,
            cache_dir=model_cache_dir or work_dir / "models",
            encoder_eval=encoder_eval,
            progress=progress,
        )
        data["encoder"] = enc
        sections.append(encoder_section(enc, figs))

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
        rec = measure_recommendations(prepared, options, progress)

    if options.wants("scores"):
        relevant = (
            sq.relevant[Judge.ATTRIBUTES.value]
            if sq is not None
            else relevant_sets(QUERIES, v.products)[Judge.ATTRIBUTES.value]
        )
        scores = measure_scores(v, embedder, options, relevant, rec.top20_scores if rec is not None else [])
        data["scores"] = scores.to_dict()
        sections.append(scores_section(scores, figs))

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

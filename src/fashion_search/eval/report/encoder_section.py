"""The report's encoder section: zero-shot classification and retrieval figures with two baselines,
on the photos the model held out of training when it records them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fashion_search.embed.base import Embedder
from fashion_search.eval import plots
from fashion_search.eval.html import Section
from fashion_search.eval.report.figures import FigureWriter
from fashion_search.eval.search_quality import CatalogVectors
from fashion_search.eval.workbench import Progress

ENCODER_ROWS = (
    "article_type_top1",
    "colour_top1",
    "name_to_image_r1",
    "name_to_image_r10",
    "image_to_image_p10",
)

EncoderEval = Callable[..., Any]


def model_holdout(embedder: Embedder, photo_ids: set[int]) -> tuple[list[int] | None, list[str]]:
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


def measure_encoder(
    catalog_dir: Path,
    embedder: Embedder,
    vectors: CatalogVectors,
    *,
    cache_dir: Path,
    encoder_eval: EncoderEval | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The encoder's figures as a dict, on the held-out photos among the evaluated ones (or all photos).

    ``encoder_eval`` defaults to :func:`fashion_search.eval.encoder.evaluate_encoder`.
    """
    if encoder_eval is None:
        from fashion_search.eval.encoder import evaluate_encoder

        encoder_eval = evaluate_encoder
    photo_ids = {p.id for p, h in zip(vectors.products, vectors.has_image, strict=True) if h}
    held, unseen = model_holdout(embedder, photo_ids)
    enc = encoder_eval(
        Path(catalog_dir),
        embedder,
        cache_dir=cache_dir,
        ids=held,
        unseen_types=unseen,
        progress=progress,
    )
    enc_dict: dict[str, Any] = enc.to_dict()
    enc_dict["photos"] = f"the {len(held)} photos the model held out of training" if held else "all photos"
    return enc_dict


def encoder_section(report: dict[str, Any], figs: FigureWriter) -> Section:
    """The figures of :func:`measure_encoder` as a table and a bar chart against the baselines."""
    s = Section("encoder", "Encoder: zero-shot classification and retrieval, with baselines")
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

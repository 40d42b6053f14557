"""The report's space section: a PCA map of the image space coloured by category, and probes of
the directions that separate formality, colour and price (:mod:`fashion_search.eval.space_map`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fashion_search.eval import plots
from fashion_search.eval.html import Section
from fashion_search.eval.report.figures import FigureWriter
from fashion_search.eval.report.options import ReportOptions
from fashion_search.eval.space_map import pca_2d, probe_directions
from fashion_search.eval.workbench import PreparedCatalog


def space_section(
    prepared: PreparedCatalog, options: ReportOptions, figs: FigureWriter
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

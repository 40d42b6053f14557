"""The report's attributes section: per attribute, accuracy against weak labels of held-out photos
(the tagger's own measurement, from :func:`fashion_search.attributes.job.tag_catalog`) and coverage."""

from __future__ import annotations

from typing import Any

from fashion_search.eval import plots
from fashion_search.eval.html import Section
from fashion_search.eval.report.figures import FigureWriter


def attributes_section(tag_report: dict[str, Any] | None, note: str | None, figs: FigureWriter) -> Section:
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

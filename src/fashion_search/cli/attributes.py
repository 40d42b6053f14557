"""`fashion-search attributes`: tag every product with a photo, store the confident values, report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from fashion_search.cli.common import (
    ConfigOption,
    DataDirOption,
    ImagesOption,
    JsonOption,
    ModelOption,
    console,
    handle_errors,
    images_dir_of,
    open_services,
    print_json,
    settings_from,
    stage_progress_bars,
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def print_tag_report(data: dict[str, Any]) -> None:
    out = console()
    table = Table(
        title="attributes on held-out products vs weak labels",
        caption="acc: kept method (names: on name labels only; 0-shot / head: each method; major.: "
        "always the commonest value); cover: share given a value; given: accuracy of those",
    )
    for column in ("attribute", "kept", "acc", "names", "0-shot", "head", "major.", "cover", "given", "n"):
        table.add_column(column, overflow="fold")
    for f in data["figures"]:
        table.add_row(
            f["name"],
            f["method"],
            _pct(f["accuracy"]),
            _pct(f["accuracy_by_source"].get("name")),
            _pct(f["zero_shot_accuracy"]),
            _pct(f["head_accuracy"]),
            _pct(f["majority_accuracy"]),
            _pct(f["coverage"]),
            _pct(f["confident_accuracy"]),
            str(f["n_measured"]),
        )
    out.print(table)
    coverage = ", ".join(f"{k} {_pct(v)}" for k, v in data["coverage"].items())
    out.print(
        f"products seen {data['products_seen']}, with a photo {data['with_photo']}, tagged {data['tagged']}, "
        f"unchanged {data['unchanged']}, cleared {data['cleared']}, photos failed {len(data['failed'])}, "
        f"tagger {data['tagger_version']} ({'fitted now' if data['refitted'] else 'reused'}), "
        f"{data['seconds']} s",
        highlight=False,
    )
    out.print(f"catalog coverage: {coverage}", highlight=False)
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in data.get("timings", {}).items())
    if steps:
        out.print(f"time: {steps}", highlight=False)
    if data["tagged"] or data["cleared"]:
        out.print(
            "descriptions now name the attributes: run `fashion-search embed` (it re-embeds only the "
            "products whose description changed), then `fashion-search index`",
            highlight=False,
        )


def attributes_command(
    images: ImagesOption = None,
    work_dir: Annotated[
        Path | None,
        typer.Option(
            "--work-dir",
            help="where the photo feature cache and the fitted tagger live (default: DATA_DIR/attributes)",
            show_default=False,
        ),
    ] = None,
    refit: Annotated[bool, typer.Option("--refit", help="fit and measure the tagger again")] = False,
    seed: Annotated[int, typer.Option(help="seed of the train / calibration / test split")] = 0,
    target_precision: Annotated[
        float,
        typer.Option(
            "--target-precision",
            min=0.05,
            max=1.0,
            help="share of given values that must be right on the calibration photos",
        ),
    ] = 0.8,
    model: ModelOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Tag material, pattern, formality, sleeves, neckline, fit, style and details from the photos."""
    from fashion_search.attributes.job import tag_catalog

    with handle_errors():
        settings = settings_from(config, data_dir, model=model)
        with open_services(settings) as services:
            images_dir = images_dir_of(services, images)
            with stage_progress_bars(enabled=not as_json) as progress:
                report = tag_catalog(
                    services.store,
                    services.embedder(),
                    images_dir,
                    work_dir or settings.data_dir / "attributes",
                    refit=refit,
                    seed=seed,
                    target_precision=target_precision,
                    progress=progress,
                )
        data = report.to_dict()
        if as_json:
            print_json(data)
        else:
            print_tag_report(data)

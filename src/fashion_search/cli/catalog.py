"""`fashion-search ingest`: read a catalog in the Fashion Product Images format into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fashion_search.cli.common import (
    ConfigOption,
    DataDirOption,
    JsonOption,
    console,
    handle_errors,
    open_services,
    print_json,
    progress_bar,
    settings_from,
)


def ingest_command(
    styles: Annotated[Path, typer.Option("--styles", help="path to styles.csv")],
    images: Annotated[
        Path | None, typer.Option("--images", help="folder of {id}.jpg (default: images/ beside styles.csv)")
    ] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
    show_rejected: Annotated[int, typer.Option(help="how many rejected rows to list")] = 20,
) -> None:
    """Ingest styles.csv + images/ into the store (idempotent: re-running upserts by id)."""
    from fashion_search.catalog.ingest import ingest_catalog

    with handle_errors():
        settings = settings_from(config, data_dir)
        images_dir: Path | None = images
        if images_dir is None and (styles.parent / "images").is_dir():
            images_dir = styles.parent / "images"
        if images_dir is None:
            console().print("no images folder given or found beside styles.csv: ingesting text only")
        with open_services(settings) as services:
            with progress_bar("ingest", enabled=not as_json) as progress:
                report = ingest_catalog(
                    styles,
                    images_dir,
                    services.store,
                    seed=settings.seed,
                    max_pixels=settings.api.max_image_pixels,
                    progress=progress,
                )
        if as_json:
            print_json(report.to_dict())
            return
        print_ingest_report(report, show_rejected)


def print_ingest_report(report: object, show_rejected: int = 20) -> None:
    data = report.to_dict()  # type: ignore[attr-defined]
    out = console()
    table = Table(title="ingest report", show_header=False)
    for key in (
        "rows_read",
        "products_written",
        "inserted",
        "updated",
        "unchanged",
        "images_present",
        "images_missing",
        "images_unreadable",
        "seconds",
    ):
        if key in data:
            table.add_row(key.replace("_", " "), str(data[key]))
    for key in ("repaired", "rejected", "duplicates"):
        if key in data:
            table.add_row(key, str(len(data[key])))
    out.print(table)
    rejected = data.get("rejected") or []
    for issue in rejected[:show_rejected]:
        out.print(f"  rejected line {issue.get('line')}: {issue.get('reason')}", highlight=False)
    if len(rejected) > show_rejected:
        out.print(f"  ... and {len(rejected) - show_rejected} more (use --json for all)")

"""`fashion-search export` / `fashion-search import`: the store as Parquet files or Delta tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    settings_from,
)

TablesOption = Annotated[
    str | None,
    typer.Option(
        "--tables",
        help="comma-separated: products,users,events,embeddings (default: all)",
        show_default=False,
    ),
]
ImageRootOption = Annotated[
    str | None,
    typer.Option(
        "--image-root",
        help="prefix of image_path in the tables, e.g. /Volumes/main/shop/images",
        show_default=False,
    ),
]


def _split(tables: str | None) -> list[str] | None:
    return None if tables is None else [t.strip() for t in tables.split(",") if t.strip()]


def export_command(
    out_dir: Annotated[Path, typer.Argument(help="folder to write one table per subfolder into")],
    fmt: Annotated[str, typer.Option("--format", help="parquet or delta")] = "parquet",
    tables: TablesOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace tables that exist")] = False,
    image_root: ImageRootOption = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="export only this model's vectors (default: all)", show_default=False),
    ] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export products, users, events and vectors as Parquet or Delta tables (Databricks column names)."""
    from fashion_search.lakehouse import export_store

    with handle_errors():
        with open_services(settings_from(config, data_dir)) as services:
            report = export_store(
                services.store,
                out_dir,
                fmt,
                tables=_split(tables),
                overwrite=overwrite,
                image_root=image_root,
                model=model,
            )
        _print(report.to_dict(), "exported", as_json)


def import_command(
    in_dir: Annotated[Path, typer.Argument(help="folder holding products/, users/, events/, embeddings/")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="parquet or delta (default: detected per table)", show_default=False),
    ] = None,
    tables: TablesOption = None,
    image_root: ImageRootOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import Parquet or Delta tables (ours, or Spark's with the documented columns) into the store."""
    from fashion_search.lakehouse import import_store

    with handle_errors():
        with open_services(settings_from(config, data_dir)) as services:
            report = import_store(services.store, in_dir, fmt, tables=_split(tables), image_root=image_root)
        _print(report.to_dict(), "imported", as_json)


def _print(data: dict[str, Any], verb: str, as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    table = Table(title=f"{verb} ({data['format']}) {data['directory']}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in data["rows"].items():
        table.add_row(name, str(rows))
    console().print(table)
    console().print(f"{data['seconds']} s", highlight=False)

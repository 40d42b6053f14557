"""`fashion-search search TEXT`: semantic text search with filters, from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fashion_search.cli.common import (
    ConfigOption,
    DataDirOption,
    JsonOption,
    console,
    handle_errors,
    print_json,
    settings_from,
)
from fashion_search.domain import Hit


def search_command(
    text: Annotated[str, typer.Argument(help="what you are looking for, e.g. 'red summer dress'")],
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-f",
            help="repeatable: 'gender=Men', 'price<50', 'base_colour in Black,White', 'article_type!=Tshirts'",
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=1000, help="number of results")] = 10,
    space: Annotated[str, typer.Option(help="vector space to search: hybrid, image or text")] = "hybrid",
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search the catalog by meaning; filters apply before top-k."""
    from fashion_search.app import build
    from fashion_search.search.service import run_text_search

    with handle_errors():
        services = build(settings_from(config, data_dir))
        try:
            hits = run_text_search(services, text, filters=filters or [], k=k, space=space)
        finally:
            services.close()
        if as_json:
            print_json([{"score": round(h.score, 4), **h.product.to_dict()} for h in hits])
            return
        print_hits(hits, title=f"{text!r}")


def print_hits(hits: list[Hit], title: str) -> None:
    table = Table(title=title)
    for column in ("score", "id", "name", "type", "colour", "gender", "price"):
        table.add_column(column)
    for hit in hits:
        p = hit.product
        table.add_row(
            f"{hit.score:.3f}",
            str(p.id),
            p.name,
            p.article_type or "",
            p.base_colour or "",
            p.gender or "",
            f"{p.price:.2f}" if p.price is not None else "",
        )
    if not hits:
        console().print(f"no results for {title}")
        return
    console().print(table)

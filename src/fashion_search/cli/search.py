"""`fashion-search search TEXT`: semantic text search with filters, from the command line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from fashion_search.search.results import ResultItem


def search_command(
    text: Annotated[str, typer.Argument(help="what you are looking for, e.g. 'red summer dress'")],
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-f",
            help="repeatable: 'gender=Men', 'price<50', 'base_colour in Black,White', 'article_type!=Shirts'",
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=1000, help="number of results")] = 10,
    space: Annotated[str, typer.Option(help="vector space to search: hybrid, image or text")] = "hybrid",
    user_id: Annotated[int | None, typer.Option("--user", help="personalise for this user id")] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search the catalog by meaning and keywords; filters apply before top-k."""
    from fashion_search.index.filters import parse_expressions

    with handle_errors():
        with open_services(settings_from(config, data_dir)) as services:
            page = services.search().text(
                text, k=k, where=parse_expressions(filters or []), space=space, user_id=user_id
            )
        if as_json:
            print_json(page.to_dict())
            return
        print_results(page.items, title=f"{text!r}")


def print_results(items: Sequence[ResultItem], title: str) -> None:
    """A table of ranked results with their reasons."""
    table = Table(title=title)
    for column in ("score", "id", "name", "type", "colour", "gender", "price", "why"):
        table.add_column(column)
    for item in items:
        p = item.product
        table.add_row(
            f"{item.score:.3f}",
            str(p.id),
            p.name,
            p.article_type or "",
            p.base_colour or "",
            p.gender or "",
            f"{p.price:.2f}" if p.price is not None else "",
            item.reason,
        )
    if not items:
        console().print(f"no results for {title}")
        return
    console().print(table)

"""`fashion-search demo`: from nothing to a searchable catalog and a running API in one command, offline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from fashion_search.cli.common import (
    ConfigOption,
    DataDirOption,
    ModelOption,
    console,
    handle_errors,
    open_services,
    progress_bar,
    settings_from,
)
from fashion_search.cli.serve import HostOption, PortOption

DEMO_QUERIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("white sneakers", ()),
    ("black leather handbag", ()),
    ("striped shirt for men", ("gender=Men",)),
    ("a summer dress under 80", ()),
    ("a watch", ()),
)


def demo_command(
    catalog: Annotated[
        Path | None,
        typer.Option(help="your own catalog folder (styles.csv + images/); default: generate a demo catalog"),
    ] = None,
    n_products: Annotated[int, typer.Option(min=10, max=20_000, help="size of the generated catalog")] = 300,
    model: ModelOption = None,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the API after the example searches")
    ] = True,
    port: PortOption = None,
    host: HostOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Build a catalog, ingest, embed, index, create shoppers, run example searches, serve the API."""
    from fashion_search.catalog.demo import generate_demo_catalog
    from fashion_search.catalog.ingest import ingest_catalog
    from fashion_search.cli.catalog import print_ingest_report
    from fashion_search.cli.search import print_results
    from fashion_search.cli.serve import run_server, with_address
    from fashion_search.embed.pipeline import embed_catalog
    from fashion_search.index.filters import parse_expressions

    out = console()
    with handle_errors():
        settings = with_address(settings_from(config, data_dir, model=model), host, port)
        started = time.perf_counter()
        if catalog is None:
            catalog = settings.data_dir / "demo-catalog"
            if not (catalog / "styles.csv").exists():
                out.print(f"generating a demo catalog of {n_products} products in {catalog}")
                generate_demo_catalog(catalog, n_products=n_products, seed=settings.seed)
        with open_services(settings) as services:
            with progress_bar("ingest") as progress:
                report = ingest_catalog(
                    catalog / "styles.csv",
                    catalog / "images",
                    services.store,
                    seed=settings.seed,
                    max_pixels=settings.api.max_image_pixels,
                    progress=progress,
                )
            print_ingest_report(report, show_rejected=5)
            services.record_catalog(catalog / "images")
            out.print(f"loading model {settings.model} ...")
            embedder = services.embedder()
            with progress_bar("embed") as progress:
                embed_report = embed_catalog(
                    services.store,
                    embedder,
                    catalog / "images",
                    hybrid_image_weight=settings.hybrid_image_weight,
                    batch_size=settings.embed_batch_size,
                    progress=progress,
                )
            out.print(f"embedded: {embed_report.to_dict().get('coverage')}", highlight=False)
            services.rebuild_index()
            shoppers = services.bootstrap_users()
            if shoppers.created:
                out.print(f"created {shoppers.users} synthetic shoppers with {shoppers.events} events")
            search = services.search()
            for text, filters in DEMO_QUERIES:
                page = search.text(text, where=parse_expressions(filters), k=5)
                title = text + (f"  [{' AND '.join(filters)}]" if filters else "")
                print_results(page.items, title=title)
            out.print(f"demo ready in {time.perf_counter() - started:.1f} s (data in {settings.data_dir})")
            if serve:
                run_server(settings, services)
            else:
                out.print(f"serve it with: fashion-search serve --data-dir {settings.data_dir}")

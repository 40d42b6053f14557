"""`fashion-search demo`: from nothing to a searchable catalog in one command, offline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from fashion_search.cli.common import (
    ConfigOption,
    DataDirOption,
    console,
    handle_errors,
    progress_bar,
    settings_from,
)

DEMO_QUERIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("white sneakers", ()),
    ("black leather handbag", ()),
    ("striped shirt for men", ("gender=Men",)),
    ("red dress", ("price<80",)),
    ("a watch", ()),
)


def demo_command(
    catalog: Annotated[
        Path | None,
        typer.Option(help="your own catalog folder (styles.csv + images/); default: generate a demo catalog"),
    ] = None,
    n_products: Annotated[int, typer.Option(min=10, max=20_000, help="size of the generated catalog")] = 300,
    model: Annotated[str | None, typer.Option(help="model spec (default: settings, i.e. fashion-lite)")] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Build a catalog, ingest, embed, index and run a few example searches."""
    from fashion_search.app import build
    from fashion_search.catalog.demo import generate_demo_catalog
    from fashion_search.catalog.ingest import ingest_catalog
    from fashion_search.cli.catalog import print_ingest_report
    from fashion_search.cli.search import print_hits
    from fashion_search.embed.pipeline import embed_catalog
    from fashion_search.search.service import run_text_search

    out = console()
    with handle_errors():
        settings = settings_from(config, data_dir, model=model)
        started = time.perf_counter()
        if catalog is None:
            catalog = settings.data_dir / "demo-catalog"
            if not (catalog / "styles.csv").exists():
                out.print(f"generating a demo catalog of {n_products} products in {catalog}")
                generate_demo_catalog(catalog, n_products=n_products, seed=settings.seed)
        services = build(settings)
        try:
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
            for text, filters in DEMO_QUERIES:
                hits = run_text_search(services, text, filters=filters, k=5)
                title = text + (f"  [{' AND '.join(filters)}]" if filters else "")
                print_hits(hits, title=title)
        finally:
            services.close()
        out.print(f"demo ready in {time.perf_counter() - started:.1f} s (data in {settings.data_dir})")

"""`fashion-search embed`: image, text and hybrid vectors for every new or changed product."""

from __future__ import annotations

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
    print_json,
    progress_bar,
    settings_from,
)
from fashion_search.domain import SPACES
from fashion_search.errors import ConfigurationError

RUNNERS = ("local", "spark")


def embed_command(
    images: ImagesOption = None,
    force: Annotated[bool, typer.Option("--force", help="re-embed every product, changed or not")] = False,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, max=1024, help="products per batch (default: settings)"),
    ] = None,
    hybrid_weight: Annotated[
        float | None,
        typer.Option(
            "--hybrid-weight",
            min=0.0,
            max=1.0,
            help="weight of the image in the hybrid vector (default: settings)",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=0, help="embed at most this many products now; the rest on the next run"),
    ] = None,
    runner: Annotated[
        str,
        typer.Option("--runner", help="where the job runs: local, or spark (needs fashion-search[spark])"),
    ] = "local",
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="Spark master URL for --runner spark (default local[2]; e.g. spark://host:7077, yarn)",
            show_default=False,
        ),
    ] = None,
    spark_partitions: Annotated[
        int | None,
        typer.Option(
            "--spark-partitions",
            min=1,
            help="partitions the batches are split into (default: Spark's default parallelism)",
            show_default=False,
        ),
    ] = None,
    model: ModelOption = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
    show_failed: Annotated[int, typer.Option(help="how many failed images to list")] = 10,
) -> None:
    """Embed the stored catalog: batched, incremental (only new or changed products) and resumable."""
    from fashion_search.app import build
    from fashion_search.embed.pipeline import embed_catalog

    with handle_errors():
        if runner not in RUNNERS:
            raise ConfigurationError(f"unknown runner {runner!r}; choose one of: {', '.join(RUNNERS)}")
        if runner != "spark" and (spark_master is not None or spark_partitions is not None):
            raise ConfigurationError("--spark-master and --spark-partitions need --runner spark")
        settings = settings_from(
            config,
            data_dir,
            model=model,
            embed_batch_size=batch_size,
            hybrid_image_weight=hybrid_weight,
        )
        services = build(settings)
        job_runner: Any = None
        try:
            images_dir = images_dir_of(services, images)
            if not as_json:
                console().print(f"loading model {settings.model} ...", highlight=False)
            if runner == "spark":
                from fashion_search.embed.registry import EmbedderSpec
                from fashion_search.pipelines.spark import SparkRunner

                job_runner = SparkRunner(master=spark_master, partitions=spark_partitions)
                # A recipe, not a model: embed_catalog loads it here to plan, executors load their own.
                embedder: Any = EmbedderSpec(settings.model, cache_dir=settings.resolved_model_cache_dir)
            else:
                embedder = services.embedder()
            with progress_bar("embed", enabled=not as_json) as progress:
                report = embed_catalog(
                    services.store,
                    embedder,
                    images_dir,
                    hybrid_image_weight=settings.hybrid_image_weight,
                    batch_size=settings.embed_batch_size,
                    force=force,
                    progress=progress,
                    max_pixels=settings.api.max_image_pixels,
                    limit=limit,
                    runner=job_runner,
                )
        finally:
            if job_runner is not None:
                job_runner.close()
            services.close()
        data = report.to_dict()
        if as_json:
            print_json(data)
            return
        print_embed_report(data, show_failed)


def print_embed_report(data: dict[str, Any], show_failed: int = 10) -> None:
    out = console()
    table = Table(title=f"embed report  (model {data['model']}, {data['dim']}-d)")
    for column in ("space", "embedded", "unchanged", "vectors", "coverage"):
        table.add_column(column)
    for space in SPACES:
        table.add_row(
            space,
            str(data["embedded"][space]),
            str(data["skipped_unchanged"][space]),
            str(data["vectors"][space]),
            f"{100 * data['coverage'][space]:.1f}%",
        )
    out.print(table)
    out.print(
        f"products seen {data['products_seen']}, without an image {data['products_without_image']}, "
        f"images failed {len(data['images_failed'])}, left for the next run {data['left_for_next_run']}, "
        f"{data['seconds']} s",
        highlight=False,
    )
    failed = data["images_failed"]
    for failure in failed[:show_failed]:
        out.print(f"  image of product {failure['product_id']} skipped: {failure['reason']}", highlight=False)
    if len(failed) > show_failed:
        out.print(f"  ... and {len(failed) - show_failed} more (use --json for all)")
    if failed:
        out.print("  products without a usable image use their text vector as hybrid vector", highlight=False)

"""`fashion-search report`: a self-contained HTML quality report: encoder, attributes, search, recs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fashion_search.cli.common import (
    ConfigOption,
    DataDirOption,
    JsonOption,
    ModelOption,
    console,
    err_console,
    handle_errors,
    print_json,
    settings_from,
)


def report_command(
    catalog: Annotated[
        Path,
        typer.Option("--catalog", help="catalog folder holding styles.csv and images/", show_default=False),
    ],
    out: Annotated[Path, typer.Option("--out", help="folder the report is written to", show_default=False)],
    work: Annotated[
        Path | None,
        typer.Option(
            "--work",
            help="working folder kept between runs (ingested store, attributes, vectors); default OUT/work",
            show_default=False,
        ),
    ] = None,
    model: ModelOption = None,
    seed: Annotated[
        int | None, typer.Option(help="seed of prices, shoppers and splits (default: settings)")
    ] = None,
    all_products: Annotated[
        bool,
        typer.Option(
            "--all-products/--photos-only",
            help="evaluate every product, or only those with a readable photo (default)",
        ),
    ] = False,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            help="leave a section out (repeatable): encoder, attributes, search, scores, space, "
            "recommendations",
            show_default=False,
        ),
    ] = None,
    n_users: Annotated[
        int | None,
        typer.Option(
            "--n-users", min=5, help="synthetic shoppers (default: one per 4.4 products)", show_default=False
        ),
    ] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure CATALOG end to end: OUT/report.html (plots embedded), OUT/report.json, OUT/figures/."""
    from fashion_search.embed.registry import load_embedder
    from fashion_search.eval.report import ReportOptions, build_report

    with handle_errors():
        settings = settings_from(config, data_dir, model=model, seed=seed)
        options = ReportOptions(
            seed=settings.seed,
            photos_only=not all_products,
            skip=frozenset(skip or ()),
            hybrid_image_weight=settings.hybrid_image_weight,
            ranking=settings.ranking,
            n_users=n_users,
        )
        cache_dir = settings.resolved_model_cache_dir
        embedder = load_embedder(settings.model, cache_dir=cache_dir)
        quiet = as_json
        last: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            # One line per stage every ~10 %: a report runs for minutes, a live bar per stage is noise.
            step = max(1, total // 10)
            if not quiet and (done == total or done // step != last.get(stage, -1)):
                last[stage] = done // step
                err_console().print(f"[dim]{stage}: {done}/{total}[/]", highlight=False)

        result = build_report(
            catalog,
            out,
            embedder,
            work_dir=work,
            options=options,
            model_cache_dir=cache_dir,
            progress=progress,
        )
        if as_json:
            print_json(
                {"html": str(result.html_path), "data": str(result.data_path), "seconds": result.seconds}
            )
            return
        console().print(
            f"report written to {result.html_path} ({len(result.figures)} figures, {result.seconds:.0f} s)",
            highlight=False,
        )

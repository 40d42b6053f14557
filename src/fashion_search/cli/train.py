"""`fashion-search train`: retrain the fashion-lite heads on a catalog and write a model directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fashion_search.cli.common import (
    ConfigOption,
    DataDirOption,
    JsonOption,
    console,
    err_console,
    handle_errors,
    print_json,
    settings_from,
)


def train_command(
    catalog: Annotated[
        Path,
        typer.Option("--catalog", help="catalog folder holding styles.csv and images/", show_default=False),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="model directory to write (replaced atomically)", show_default=False)
    ],
    seed: Annotated[int, typer.Option(help="random seed of the split and the training")] = 0,
    epochs: Annotated[
        int | None, typer.Option(min=1, help="training epochs (default: the recipe's)", show_default=False)
    ] = None,
    holdout: Annotated[
        float, typer.Option(min=0.0, max=0.95, help="fraction of photos kept out of training for eval")
    ] = 0.2,
    exclude_types: Annotated[
        str,
        typer.Option(
            "--exclude-types", help="comma-separated article types whose photos are never trained on"
        ),
    ] = "",
    withhold_types: Annotated[
        int,
        typer.Option(
            "--withhold-types",
            min=0,
            help="also withhold every photo of N article types drawn with --seed (among types with"
            " 20+ photos), to measure unseen types with eval --holdout-of",
        ),
    ] = 0,
    recipe: Annotated[
        str,
        typer.Option(
            "--recipe",
            help="JSON object of recipe fields to change, e.g. '{\"supcon_weight\": 1.0}' (see Recipe)",
        ),
    ] = "",
    threads: Annotated[int, typer.Option(min=1, help="onnxruntime threads for the towers")] = 2,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train fashion-lite projection heads on CATALOG (towers frozen, features cached) into OUT.

    Point Settings at the result with model = "fashion-lite:OUT".
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeRemainingColumn,
    )

    from fashion_search.embed.train import recipe_with, train_model

    with handle_errors():
        settings = settings_from(config, data_dir)
        excluded = [t.strip() for t in exclude_types.split(",") if t.strip()]
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console(),
            disable=as_json,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            report = train_model(
                catalog,
                out,
                cache_dir=settings.resolved_model_cache_dir,
                seed=seed,
                epochs=epochs,
                holdout=holdout,
                exclude_types=excluded,
                withhold_types=withhold_types,
                recipe=recipe_with(recipe),
                threads=threads,
                progress=progress,
            )
        summary = {
            "model_dir": str(report.model_dir),
            "n_train": len(report.train_ids),
            "n_holdout": len(report.holdout_ids),
            "excluded_types": report.excluded_types,
            "final_loss": report.history[-1]["loss"] if report.history else None,
            "seconds": round(report.seconds, 1),
        }
        if as_json:
            print_json(summary)
        else:
            console().print(
                f"wrote [bold]{report.model_dir}[/]: {summary['n_train']} training photos, "
                f"{summary['n_holdout']} held out, {summary['seconds']} s. "
                f'Use it with model = "fashion-lite:{report.model_dir}"; '
                f"measure it with fashion-search eval --catalog {catalog} "
                f"--model fashion-lite:{report.model_dir} --holdout-of {report.model_dir}"
            )

"""`fashion-search eval`: measure an embedding model on a catalog's photos, with two baselines."""

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
    print_json,
    progress_bar,
    settings_from,
)

_ROWS = ("article_type_top1", "colour_top1", "name_to_image_r1", "name_to_image_r10", "image_to_image_p10")


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def eval_command(
    catalog: Annotated[
        Path,
        typer.Option("--catalog", help="catalog folder holding styles.csv and images/", show_default=False),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            help="model spec or fashion-lite model directory (default: settings)", show_default=False
        ),
    ] = None,
    holdout_of: Annotated[
        Path | None,
        typer.Option(
            "--holdout-of",
            help="evaluate only the photos this fashion-lite model directory held out of training",
            show_default=False,
        ),
    ] = None,
    unseen_types: Annotated[
        str | None,
        typer.Option(
            "--unseen-types",
            help="comma-separated article types the model never trained on: report their top-1 among"
            " all photographed types (default: those --holdout-of records)",
            show_default=False,
        ),
    ] = None,
    calibration_sweep: Annotated[
        str | None,
        typer.Option(
            "--calibration-sweep",
            help="comma-separated calibration weights w (image value = text weight = w): report seen /"
            " unseen type top-1 and their harmonic mean for each, applied to the model's uncalibrated"
            " vectors (fashion-lite, with unseen types)",
            show_default=False,
        ),
    ] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Zero-shot type/colour top-1, name -> image recall and image -> image precision on CATALOG."""
    from fashion_search.embed.fashion_lite import read_config
    from fashion_search.embed.registry import load_embedder
    from fashion_search.eval.encoder import evaluate_encoder

    with handle_errors():
        spec = model
        if spec is not None and Path(spec).expanduser().is_dir():
            spec = f"fashion-lite:{Path(spec).expanduser()}"
        settings = settings_from(config, data_dir, model=spec)
        ids: list[int] | None = None
        unseen: list[str] = []
        seen: list[str] | None = None
        if holdout_of is not None:
            held = read_config(holdout_of)
            ids = [int(i) for i in held.get("holdout_ids", [])]
            unseen = list(held.get("exclude_types", []))
            seen = list(held.get("type_names", [])) or None
            if not ids:
                ids = None
        if unseen_types is not None:
            unseen = [t.strip() for t in unseen_types.split(",") if t.strip()]
        weights: list[float] = []
        if calibration_sweep:
            try:
                weights = [float(w) for w in calibration_sweep.split(",") if w.strip()]
            except ValueError:
                raise typer.BadParameter(
                    f"--calibration-sweep takes comma-separated numbers, got {calibration_sweep!r}"
                ) from None
        cache_dir = settings.resolved_model_cache_dir
        embedder = load_embedder(settings.model, cache_dir=cache_dir)
        with progress_bar("embedding photos", enabled=not as_json) as bar:
            report = evaluate_encoder(
                catalog,
                embedder,
                cache_dir=cache_dir,
                ids=ids,
                unseen_types=unseen,
                seen_types=seen,
                sweep_weights=weights,
                progress=lambda stage, done, total: bar(done, total),
            )
        result = report.to_dict()
        if as_json:
            print_json(result)
            return
        table = Table(title=f"{report.model['model']} on {report.model['n_images']} photos of {catalog}")
        table.add_column("metric")
        table.add_column("model", justify="right")
        for name in report.baselines:
            table.add_column(name, justify="right")
        for row in _ROWS:
            table.add_row(
                row,
                _fmt(report.model[row]),
                *(_fmt(b[row]) for b in report.baselines.values()),
            )
        console().print(table)
        if report.unseen_types is not None:
            u = report.unseen_types
            console().print(
                f"unseen types ({u['n_types']} types, {u['n_images']} photos, every photo of theirs): "
                f"top-1 among {u['n_classes']} types = {_fmt(u['top1'])}"
            )
            for kind, top1 in u["per_type"].items():
                console().print(f"  {kind}: {_fmt(top1)}")
            console().print(
                f"seen types ({u['seen_n_images']} photos) top-1 among the same types = "
                f"{_fmt(u['seen_top1'])}; harmonic mean = {_fmt(u['harmonic_mean'])}"
            )
            for point in u.get("calibration_sweep", []):
                console().print(
                    f"  calibration w={point['image_value']:g}: seen {_fmt(point['seen_top1'])}, "
                    f"unseen {_fmt(point['unseen_top1'])}, H {_fmt(point['harmonic_mean'])}"
                    + (" (best H)" if point["best"] else "")
                )

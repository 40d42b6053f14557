"""What every command shares: building Settings from options, printing, mapping errors to exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from fashion_search import errors
from fashion_search.settings import Settings, load_settings

if TYPE_CHECKING:
    from fashion_search.app import Services

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML settings file (also FASHION_SEARCH_CONFIG)", show_default=False),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="where the embedded store lives (FASHION_SEARCH_DATA_DIR)", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print the result as JSON")]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="model spec (default: settings, i.e. fashion-lite)", show_default=False),
]
ImagesOption = Annotated[
    Path | None,
    typer.Option(
        "--images",
        help="the catalog's image folder (default: images/ in the catalog_dir setting)",
        show_default=False,
    ),
]

EXIT_CODES: dict[type[errors.FashionSearchError], int] = {
    errors.ConfigurationError: 3,
    errors.CatalogError: 4,
    errors.ValidationError: 2,
    errors.NotFoundError: 5,
    errors.ModelError: 6,
    errors.StoreError: 7,
}
"""Exit codes of the error tree; the most specific class listed wins (1 for anything else)."""


def exit_code_for(exc: errors.FashionSearchError) -> int:
    return errors.code_for(exc, EXIT_CODES, 1)


def console() -> Console:
    return Console(stderr=False)


def err_console() -> Console:
    return Console(stderr=True)


def settings_from(config: Path | None, data_dir: Path | None = None, **overrides: Any) -> Settings:
    return load_settings(config, data_dir=data_dir, **overrides)


@contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    """The services built from ``settings``, closed when the block ends (whatever happens)."""
    from fashion_search.app import build

    services = build(settings)
    try:
        yield services
    finally:
        services.close()


@contextmanager
def handle_errors() -> Iterator[None]:
    """Turn library errors into one readable line on stderr and a documented exit code."""
    try:
        yield
    except errors.FashionSearchError as exc:
        err_console().print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(exit_code_for(exc)) from None


def _bars() -> Progress:
    """The one look of every progress bar (on stderr, so that --json output stays clean)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=False,
    )


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar exposed as the ``progress(done, total)`` callback the library takes."""
    if not enabled:
        yield lambda done, total: None
        return
    with _bars() as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextmanager
def stage_progress_bars(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """Progress bars for a ``progress(stage, done, total)`` callback: one bar per stage, each kept."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    with _bars() as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def images_dir_of(services: Services, images: Path | None) -> Path:
    """``images`` if given, else the catalog's image folder the services know (recorded at ingest,
    else ``catalog_dir/images``); a :class:`ConfigurationError` when there is none."""
    found = images if images is not None else services.images_dir()
    if found is None:
        raise errors.ConfigurationError(
            "no image folder: pass --images DIR (the folder given to `fashion-search ingest`) "
            "or set catalog_dir (FASHION_SEARCH_CATALOG_DIR)"
        )
    return found

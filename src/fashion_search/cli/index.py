"""`fashion-search index`: build the vector index from the stored vectors and save it."""

from __future__ import annotations

import time

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
from fashion_search.domain import SPACES


def index_command(
    config: ConfigOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """(Re)build the index of the three spaces from the store and save it atomically."""
    with handle_errors():
        with open_services(settings_from(config, data_dir)) as services:
            started = time.perf_counter()
            index = services.rebuild_index()
            counts = {space: index.count(space) for space in SPACES}
            result = {
                "products": index.count(None),
                "vectors": counts,
                "model": services.embedder().name,
                "path": str(services.index_dir),
                "seconds": round(time.perf_counter() - started, 2),
            }
        if as_json:
            print_json(result)
        else:
            console().print(
                f"indexed {result['products']} products "
                + ", ".join(f"{s}: {n}" for s, n in counts.items())
                + f" with {result['model']} in {result['seconds']} s -> {result['path']}",
                highlight=False,
            )

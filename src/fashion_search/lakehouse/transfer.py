"""Export a store's products, users, events and vectors as lakehouse tables, and import them back.

``export_store(store, out_dir, fmt)`` writes ``out_dir/<table>`` for each table (Parquet folder or
Delta table, see :mod:`fashion_search.lakehouse.formats`), streaming in batches. ``import_store``
reads such tables -- ours, or ones made by Spark / Databricks with the documented column names
(:mod:`fashion_search.lakehouse.schema`) -- into a store.

A round trip is exact for products (every field, attributes included), users, events and vectors
(float32 values, model and content hash per product and space). Imports upsert products, users
and vectors by id, so importing twice changes nothing; events are appended, so import them once.
An imported vector's ``created_at`` is the import time (the store sets it); ``content_hash``
defaults to ``imported`` when the table has none, so ``fashion-search embed`` recomputes those
vectors when the same model embeds the catalog.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from fashion_search.domain import SPACES
from fashion_search.errors import ValidationError
from fashion_search.lakehouse.formats import check_format, read_table, write_table
from fashion_search.lakehouse.schema import (
    SCHEMAS,
    TABLES,
    canonical_columns,
    embeddings_batch,
    events_batch,
    events_from_batch,
    products_batch,
    products_from_batch,
    table_name,
    users_batch,
    users_from_batch,
)
from fashion_search.store.base import Store

_IMPORTED_HASH = "imported"


@dataclass(slots=True)
class TransferReport:
    """Rows per table moved by one export or import, where, and how long it took."""

    directory: str
    format: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "format": self.format,
            "rows": dict(self.rows),
            "seconds": round(self.seconds, 3),
        }


def _tables(tables: Sequence[str] | None) -> list[str]:
    chosen = list(TABLES) if tables is None else [table_name(t) for t in tables]
    if not chosen:
        raise ValidationError(f"no table chosen; tables: {', '.join(TABLES)}")
    return chosen


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------


def _product_batches(store: Store, batch_size: int, image_root: str | None) -> Iterator[pa.RecordBatch]:
    for products in store.iter_products(batch_size=batch_size):
        yield products_batch(products, image_root)


def _user_batches(store: Store, batch_size: int) -> Iterator[pa.RecordBatch]:
    offset = 0
    while True:
        users = store.list_users(limit=batch_size, offset=offset)
        if not users:
            return
        yield users_batch(users)
        offset += len(users)


def _event_batches(store: Store, batch_size: int) -> Iterator[pa.RecordBatch]:
    for events in store.iter_events(batch_size=batch_size):
        yield events_batch(events)


def _embedding_batches(store: Store, batch_size: int, model: str | None) -> Iterator[pa.RecordBatch]:
    for space in SPACES:
        infos = store.embedding_info(space)
        models = sorted({info.model for info in infos.values()} if model is None else {model})
        for name in models:
            ids, vectors = store.load_vectors(space, model=name)
            for start in range(0, ids.shape[0], batch_size):
                chunk = ids[start : start + batch_size].tolist()
                yield embeddings_batch(
                    space,
                    name,
                    chunk,
                    vectors[start : start + batch_size],
                    [infos[i].content_hash for i in chunk],
                    [infos[i].created_at for i in chunk],
                )


def export_store(
    store: Store,
    out_dir: Path | str,
    fmt: str = "parquet",
    *,
    tables: Sequence[str] | None = None,
    overwrite: bool = False,
    image_root: str | None = None,
    model: str | None = None,
    batch_size: int = 10_000,
) -> TransferReport:
    """Write the chosen tables (default: all) of ``store`` under ``out_dir`` as ``fmt`` tables.

    ``image_root`` prefixes ``image_path`` (e.g. ``/Volumes/main/shop/images``); ``model`` limits
    the exported vectors to one model (default: every model in the store).
    """
    started = time.perf_counter()
    check_format(fmt)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError(f"batch_size must be a positive integer, got {batch_size!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = TransferReport(str(out), fmt)
    for table in _tables(tables):
        if table == "products":
            batches = _product_batches(store, batch_size, image_root)
        elif table == "users":
            batches = _user_batches(store, batch_size)
        elif table == "events":
            batches = _event_batches(store, batch_size)
        else:
            batches = _embedding_batches(store, batch_size, model)
        report.rows[table] = write_table(
            out / table, table, SCHEMAS[table], batches, fmt, overwrite=overwrite
        )
    report.seconds = time.perf_counter() - started
    return report


# --------------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------------


def _vector_groups(
    batch: pa.RecordBatch,
) -> dict[tuple[str, str], tuple[list[int], list[np.ndarray], list[str]]]:
    mapping = canonical_columns("embeddings", batch.schema.names)
    by_name = {mapping[name]: batch.column(i) for i, name in enumerate(batch.schema.names) if name in mapping}
    embedding = by_name["embedding"]
    if embedding.null_count:
        row = int(np.flatnonzero(np.asarray(embedding.is_null()))[0])
        raise ValidationError(f"table 'embeddings' row {row}: embedding is null")
    if not (
        pa.types.is_list(embedding.type)
        or pa.types.is_large_list(embedding.type)
        or pa.types.is_fixed_size_list(embedding.type)
    ):
        raise ValidationError(
            f"table 'embeddings': embedding must be an array of numbers, got {embedding.type}"
        )
    ids = by_name["product_id"].to_pylist()
    spaces = by_name["space"].to_pylist()
    models = by_name["model"].to_pylist()
    hashes = by_name["content_hash"].to_pylist() if "content_hash" in by_name else [None] * batch.num_rows
    groups: dict[tuple[str, str], tuple[list[int], list[np.ndarray], list[str]]] = defaultdict(
        lambda: ([], [], [])
    )
    for row in range(batch.num_rows):
        space, model = spaces[row], models[row]
        if space not in SPACES:
            raise ValidationError(
                f"table 'embeddings' row {row}: space must be one of {', '.join(SPACES)}, got {space!r}"
            )
        if not isinstance(model, str) or not model:
            raise ValidationError(
                f"table 'embeddings' row {row}: model must be a non-empty name, got {model!r}"
            )
        pid = ids[row]
        if isinstance(pid, bool) or not isinstance(pid, int):
            raise ValidationError(f"table 'embeddings' row {row}: product_id must be an integer, got {pid!r}")
        values = embedding[row].values.to_numpy(zero_copy_only=False)
        if not np.issubdtype(values.dtype, np.number) or not np.isfinite(values).all():
            raise ValidationError(f"table 'embeddings' row {row}: embedding must hold finite numbers")
        group = groups[(space, model)]
        group[0].append(pid)
        group[1].append(values.astype(np.float32))
        group[2].append(hashes[row] or _IMPORTED_HASH)
    return groups


def import_store(
    store: Store,
    in_dir: Path | str,
    fmt: str | None = None,
    *,
    tables: Sequence[str] | None = None,
    image_root: str | None = None,
    batch_size: int = 10_000,
) -> TransferReport:
    """Read the chosen tables (default: every one present) from ``in_dir`` into ``store``.

    ``fmt`` is detected per table when None (a ``_delta_log`` folder means Delta). Tables are
    loaded in dependency order (products and users before events and vectors). ``image_root`` is
    stripped from ``image_path`` to give the product's image file name.
    """
    started = time.perf_counter()
    if fmt is not None:
        check_format(fmt)
    source = Path(in_dir)
    if not source.is_dir():
        raise ValidationError(f"{source} is not a folder of lakehouse tables")
    chosen = _tables(tables) if tables is not None else [t for t in TABLES if (source / t).exists()]
    if not chosen:
        raise ValidationError(f"{source} holds none of the tables {', '.join(TABLES)}")
    report = TransferReport(str(source), fmt or "auto")
    for table in TABLES:
        if table not in chosen:
            continue
        rows = 0
        for batch in read_table(source / table, fmt, batch_size=batch_size):
            if batch.num_rows == 0:
                continue
            if table == "products":
                store.upsert_products(products_from_batch(batch, image_root))
            elif table == "users":
                store.upsert_users(users_from_batch(batch))
            elif table == "events":
                store.add_events(events_from_batch(batch))
            else:
                for (space, model), (ids, vectors, hashes) in _vector_groups(batch).items():
                    dims = {v.shape[0] for v in vectors}
                    if len(dims) != 1:
                        raise ValidationError(
                            f"table 'embeddings': vectors of space {space!r} and model {model!r} have "
                            f"different lengths {sorted(dims)}"
                        )
                    store.put_vectors(space, model, ids, np.stack(vectors), hashes)
            rows += batch.num_rows
        report.rows[table] = rows
    report.seconds = time.perf_counter() - started
    return report

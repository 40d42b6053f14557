"""Writing and reading one lakehouse table as Parquet files or as a Delta table (no Spark needed).

* ``parquet``: a folder of ``part-NNNNN.parquet`` files (a new file every ``rows_per_file`` rows),
  written into a temporary sibling folder and renamed into place, so a reader never sees half a
  table. Reading takes any folder of Parquet files, including Spark's (``_SUCCESS`` and other
  ``_``/``.`` files are skipped).
* ``delta``: a Delta Lake table written with the ``deltalake`` package (``overwrite`` makes a new
  table version, atomically, as Delta does); the ``embeddings`` table is partitioned by ``space``.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa

from fashion_search.errors import MissingDependencyError, StoreError, ValidationError

FORMATS: tuple[str, ...] = ("parquet", "delta")
PARTITION_BY: dict[str, list[str]] = {"embeddings": ["space"]}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationError(f"unknown table format {fmt!r}; formats: {', '.join(FORMATS)}")
    return fmt


def detect_format(path: Path) -> str:
    """``delta`` when ``path`` holds a ``_delta_log`` folder, else ``parquet``."""
    return "delta" if (path / "_delta_log").is_dir() else "parquet"


def _deltalake() -> object:
    try:
        import deltalake
    except ImportError as e:
        raise MissingDependencyError("deltalake", "lakehouse", "Delta tables") from e
    return deltalake


def write_table(
    path: Path,
    table: str,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    fmt: str,
    *,
    overwrite: bool = False,
    rows_per_file: int = 1_000_000,
) -> int:
    """Write ``batches`` as table ``table`` at ``path``; returns the number of rows written."""
    check_format(fmt)
    if path.exists() and not overwrite:
        raise ValidationError(f"{path} already exists; pass overwrite to replace it")
    counted = _Counted(batches)
    if fmt == "delta":
        _deltalake()
        from deltalake import write_deltalake

        reader = pa.RecordBatchReader.from_batches(schema, iter(counted))
        try:
            write_deltalake(
                str(path),
                reader,
                mode="overwrite" if overwrite else "error",
                partition_by=PARTITION_BY.get(table),
                schema_mode="overwrite" if overwrite else None,
            )
        except (OSError, ValueError) as e:
            raise StoreError(f"cannot write the Delta table {path}: {e}") from e
        return counted.rows
    return _write_parquet(path, schema, counted, rows_per_file)


class _Counted:
    def __init__(self, batches: Iterable[pa.RecordBatch]) -> None:
        self._batches = batches
        self.rows = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self._batches:
            self.rows += batch.num_rows
            yield batch


def _write_parquet(path: Path, schema: pa.Schema, batches: _Counted, rows_per_file: int) -> int:
    import pyarrow.parquet as pq

    staging = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        staging.mkdir(parents=True)
        part = 0
        in_file = 0
        writer: pq.ParquetWriter | None = None
        try:
            for batch in batches:
                if writer is None or in_file >= rows_per_file:
                    if writer is not None:
                        writer.close()
                    writer = pq.ParquetWriter(staging / f"part-{part:05d}.parquet", schema)
                    part, in_file = part + 1, 0
                writer.write_batch(batch)
                in_file += batch.num_rows
            if writer is None:  # an empty table still has a file, so its schema is known
                pq.write_table(schema.empty_table(), staging / "part-00000.parquet")
        finally:
            if writer is not None:
                writer.close()
        if path.exists():
            old = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
            path.rename(old)
            staging.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(path)
    except OSError as e:
        raise StoreError(f"cannot write the Parquet table {path}: {e}") from e
    finally:
        with contextlib.suppress(OSError):
            if staging.exists():
                shutil.rmtree(staging)
    return batches.rows


def read_table(path: Path, fmt: str | None = None, batch_size: int = 10_000) -> Iterator[pa.RecordBatch]:
    """The table at ``path`` (format detected when None) as record batches."""
    if not path.exists():
        raise ValidationError(f"table {path} does not exist")
    fmt = check_format(fmt) if fmt is not None else detect_format(path)
    if fmt == "delta":
        _deltalake()
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        try:
            dataset = DeltaTable(str(path)).to_pyarrow_dataset()
        except TableNotFoundError as e:
            raise ValidationError(f"{path} is not a Delta table: {e}") from e
    else:
        import pyarrow.dataset as ds

        try:
            dataset = ds.dataset(str(path), format="parquet")
        except (pa.ArrowInvalid, OSError) as e:
            raise ValidationError(f"{path} is not a readable Parquet table: {e}") from e
    try:
        yield from dataset.to_batches(batch_size=batch_size)
    except (pa.ArrowInvalid, OSError) as e:
        raise ValidationError(f"table {path} cannot be read: {e}") from e

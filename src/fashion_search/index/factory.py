"""Choose a VectorIndex backend by name, fill one from a Store, and open a saved one."""

from __future__ import annotations

import sys
from pathlib import Path

from fashion_search.domain import SPACES
from fashion_search.errors import ConfigurationError, StoreError
from fashion_search.index.base import CatalogIndex
from fashion_search.index.exact import MANIFEST, ExactIndex
from fashion_search.index.hnsw import HNSW_MANIFEST, HnswIndex, HnswParams
from fashion_search.store.base import Store

INDEX_KINDS = ("auto", "exact", "hnsw")
DEFAULT_HNSW_THRESHOLD = 200_000
"""Catalog size (products) from which ``auto`` chooses HNSW; Settings.hnsw_threshold overrides it."""


def resolve_index_kind(
    kind: str, size: int | None = None, hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD
) -> str:
    """``exact`` or ``hnsw`` for ``kind``; ``auto`` picks HNSW when ``size`` reaches ``hnsw_threshold``."""
    if not isinstance(kind, str):
        raise ConfigurationError(f"index kind must be one of {', '.join(INDEX_KINDS)}; got {kind!r}")
    name = kind.strip().lower()
    if name not in INDEX_KINDS:
        raise ConfigurationError(f"unknown index kind {kind!r}; known kinds: {', '.join(INDEX_KINDS)}")
    if isinstance(hnsw_threshold, bool) or not isinstance(hnsw_threshold, int) or hnsw_threshold < 0:
        raise ConfigurationError(f"hnsw_threshold must be a non-negative integer, got {hnsw_threshold!r}")
    if name == "auto":
        return "hnsw" if size is not None and size >= hnsw_threshold else "exact"
    return name


def build_index(
    kind: str = "auto",
    *,
    model: str | None = None,
    size: int | None = None,
    hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
    hnsw: HnswParams | None = None,
) -> ExactIndex:
    """An empty index of the named kind: ``exact`` gives :class:`ExactIndex`, ``hnsw`` :class:`HnswIndex`.

    ``auto`` gives HNSW when the expected catalog ``size`` (products) is at least ``hnsw_threshold``,
    else exact. ``model`` names the embedding model whose vectors the index will hold; ``hnsw`` sets
    the graph parameters. HNSW needs ``faiss-cpu`` (MissingDependencyError names the extra).
    """
    if resolve_index_kind(kind, size, hnsw_threshold) == "hnsw":
        return HnswIndex(model=model, params=hnsw)
    return ExactIndex(model=model)


def index_from_store(
    store: Store,
    model: str | None = None,
    batch_size: int = 5000,
    *,
    kind: str = "exact",
    hnsw_threshold: int = DEFAULT_HNSW_THRESHOLD,
    hnsw: HnswParams | None = None,
) -> CatalogIndex:
    """A new index of ``kind`` holding every product of ``store`` and its vectors in all spaces.

    ``auto`` decides by the store's product count. With ``model`` set only that model's vectors are
    loaded; without it each space must hold the vectors of one model (the store raises StoreError
    otherwise). Spaces with no vectors stay empty.

    A :class:`~fashion_search.store.postgres.PostgresStore` is not copied: the index is a
    :class:`~fashion_search.index.pgvector.PgVectorIndex` over its tables (``exact`` orders rows
    exactly in SQL; ``auto`` and ``hnsw`` use its HNSW indexes, created here when missing, because
    an exact scan costs far more in PostgreSQL than in NumPy).
    """
    in_database = _database_index(store, model, kind)
    if in_database is not None:
        return in_database
    size = store.count_products() if kind.strip().lower() == "auto" else None
    index = build_index(kind, model=model, size=size, hnsw_threshold=hnsw_threshold, hnsw=hnsw)
    for batch in store.iter_products(batch_size=batch_size):
        index.upsert_products(batch)
    for space in SPACES:
        ids, vectors = store.load_vectors(space, model=model)
        if ids.shape[0]:
            index.upsert(space, ids, vectors)
    return index


def _database_index(store: Store, model: str | None, kind: str) -> CatalogIndex | None:
    # Only a store from fashion_search.store.postgres can be one; that module (and psycopg) is
    # imported by whoever opened it, so an embedded-only install never imports either here.
    module = sys.modules.get("fashion_search.store.postgres")
    if module is None or not isinstance(store, module.PostgresStore):
        return None
    from fashion_search.index.pgvector import PgVectorIndex

    resolve_index_kind(kind)  # validates the name
    mode = "exact" if kind.strip().lower() == "exact" else "hnsw"
    return PgVectorIndex(store, model=model, mode=mode)


def saved_index_exists(directory: Path | str) -> bool:
    """Whether ``directory`` holds a saved index of any kind."""
    return ExactIndex.exists(directory)


def load_index(directory: Path | str) -> ExactIndex:
    """Open a saved index: an :class:`HnswIndex` when the directory holds graphs, else an ExactIndex.

    Raises StoreError when there is no index and IndexCorruptError when a file fails its checksum.
    """
    directory = Path(directory)
    if not (directory / MANIFEST).is_file():
        raise StoreError(
            f"no index found in {directory} (no {MANIFEST}); build it with `fashion-search index`"
        )
    if (directory / HNSW_MANIFEST).is_file():
        return HnswIndex.load(directory)
    return ExactIndex.load(directory)

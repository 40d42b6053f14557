"""Choose a VectorIndex backend by name and fill one from a Store."""

from __future__ import annotations

from fashion_search.domain import SPACES
from fashion_search.errors import ConfigurationError
from fashion_search.index.exact import ExactIndex
from fashion_search.store.base import Store

INDEX_KINDS = ("auto", "exact", "hnsw")


def build_index(kind: str = "auto", *, model: str | None = None) -> ExactIndex:
    """An empty index of the named kind: ``exact`` (and, for now, ``auto``) give :class:`ExactIndex`.

    ``model`` names the embedding model whose vectors the index will hold.
    """
    if not isinstance(kind, str):
        raise ConfigurationError(f"index kind must be one of {', '.join(INDEX_KINDS)}; got {kind!r}")
    name = kind.strip().lower()
    if name in ("auto", "exact"):
        # "auto" will switch to HNSW above Settings.hnsw_threshold once that backend exists.
        return ExactIndex(model=model)
    if name == "hnsw":
        raise ConfigurationError(
            "HNSW index is not available yet in this version of fashion-search; use index 'exact' or 'auto'"
        )
    raise ConfigurationError(f"unknown index kind {kind!r}; known kinds: {', '.join(INDEX_KINDS)}")


def index_from_store(store: Store, model: str | None = None, batch_size: int = 5000) -> ExactIndex:
    """A new :class:`ExactIndex` holding every product of ``store`` and its vectors in all spaces.

    With ``model`` set only that model's vectors are loaded; without it each space must hold the
    vectors of one model (the store raises StoreError otherwise). Spaces with no vectors stay empty.
    """
    index = ExactIndex(model=model)
    for batch in store.iter_products(batch_size=batch_size):
        index.upsert_products(batch)
    for space in SPACES:
        ids, vectors = store.load_vectors(space, model=model)
        if ids.shape[0]:
            index.upsert(space, ids, vectors)
    return index

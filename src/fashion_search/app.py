"""The composition root: ``build(settings)`` wires the backends chosen in Settings into Services.

Nothing here runs at import. Expensive parts (the model, the index) are built on first use and kept
on the Services object, which the CLI and the API own and close.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from fashion_search.embed.base import Embedder
from fashion_search.errors import StoreError
from fashion_search.index.base import VectorIndex
from fashion_search.settings import Settings
from fashion_search.store.base import Store


@dataclass
class Services:
    """Everything a front end (CLI, API, stylist) needs, built once from Settings."""

    settings: Settings
    store: Store
    _embedder: Embedder | None = None
    _index: VectorIndex | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def index_dir(self) -> Path:
        return self.settings.data_dir / "index"

    def embedder(self) -> Embedder:
        """The model named by ``settings.model`` (loaded on first use)."""
        with self._lock:
            if self._embedder is None:
                from fashion_search.embed.registry import load_embedder

                self._embedder = load_embedder(
                    self.settings.model, cache_dir=self.settings.resolved_model_cache_dir
                )
            return self._embedder

    def set_embedder(self, embedder: Embedder) -> None:
        """Use an already built embedder (tests, notebooks) instead of loading ``settings.model``."""
        with self._lock:
            self._embedder = embedder

    def index(self) -> VectorIndex:
        """The vector index: loaded from ``data_dir/index`` when saved there, else built from the store."""
        with self._lock:
            if self._index is None:
                self._index = self._open_index()
            return self._index

    def rebuild_index(self) -> VectorIndex:
        """Build the index from the store's vectors of the current model and save it atomically."""
        from fashion_search.index.factory import index_from_store

        with self._lock:
            model = self.embedder().name
            index = index_from_store(self.store, model=model)
            save = getattr(index, "save", None)
            if save is not None:
                save(self.index_dir)
            self._index = index
            return index

    def _open_index(self) -> VectorIndex:
        from fashion_search.index.exact import ExactIndex
        from fashion_search.index.factory import index_from_store

        model = self.embedder().name
        if ExactIndex.exists(self.index_dir):
            index = ExactIndex.load(self.index_dir)
            saved_model = getattr(index, "model", None)
            if saved_model is not None and saved_model != model:
                raise StoreError(
                    f"the saved index was built with model {saved_model!r} but settings use {model!r}; "
                    "run `fashion-search embed` then `fashion-search index`"
                )
            return index
        return index_from_store(self.store, model=model)

    def close(self) -> None:
        self.store.close()


def build(settings: Settings) -> Services:
    """Open the store named by Settings; the model and index are built lazily."""
    from fashion_search.store.factory import open_store

    return Services(settings=settings, store=open_store(settings.resolved_store_uri))

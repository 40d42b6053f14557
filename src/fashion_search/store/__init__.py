"""Where products, users, events and vectors live: the Store seam and its backends."""

from fashion_search.store.base import EmbeddingInfo, Store, UpsertResult
from fashion_search.store.factory import open_store
from fashion_search.store.sqlite import SqliteStore

__all__ = ["EmbeddingInfo", "SqliteStore", "Store", "UpsertResult", "open_store"]

"""Top-k vector search with filters: the VectorIndex seam, the filter dialects and the backends."""

from fashion_search.index.base import VectorIndex
from fashion_search.index.exact import ExactIndex
from fashion_search.index.factory import build_index, index_from_store, load_index
from fashion_search.index.filters import from_dict, parse_expression, parse_expressions, to_dict
from fashion_search.index.hnsw import HnswIndex, HnswParams

__all__ = [
    "ExactIndex",
    "HnswIndex",
    "HnswParams",
    "VectorIndex",
    "build_index",
    "from_dict",
    "index_from_store",
    "load_index",
    "parse_expression",
    "parse_expressions",
    "to_dict",
]

"""Search: query understanding, keyword ranking and rank fusion (the search service builds on them)."""

from fashion_search.search.fusion import Fused, hybrid_fusion, reciprocal_rank_fusion, score_fusion
from fashion_search.search.keyword import KeywordIndex
from fashion_search.search.query import ParsedQuery, merge_filters, parse_query
from fashion_search.search.vocabulary import Facet, Vocabulary

__all__ = [
    "Facet",
    "Fused",
    "KeywordIndex",
    "ParsedQuery",
    "Vocabulary",
    "hybrid_fusion",
    "merge_filters",
    "parse_query",
    "reciprocal_rank_fusion",
    "score_fusion",
]

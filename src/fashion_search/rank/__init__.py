"""Personalised scoring, diversity (MMR) and explanations of ranked results."""

from fashion_search.rank.diversity import diversify, intra_list_similarity, mmr_order
from fashion_search.rank.explain import explain, explain_all
from fashion_search.rank.scoring import Constraints, Ranked, ScoreBreakdown, Weights, rank, score

__all__ = [
    "Constraints",
    "Ranked",
    "ScoreBreakdown",
    "Weights",
    "diversify",
    "explain",
    "explain_all",
    "intra_list_similarity",
    "mmr_order",
    "rank",
    "score",
]

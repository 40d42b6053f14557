"""Personalised recommendations for a shopper: profile-driven candidates, ranked, diversified, explained."""

from fashion_search.recommend.service import RecommendationService

__all__ = ["RecommendationService"]

"""Complete the look: complementary roles, colour harmony and compatibility rules."""

from fashion_search.outfit.colours import Harmony, harmony
from fashion_search.outfit.complete import (
    CandidateFetcher,
    Compatibility,
    ListFetcher,
    Outfit,
    OutfitItem,
    compatibility,
    complete_the_look,
    role_filter,
)
from fashion_search.outfit.rules import ROLES, Role, complementary_roles, role_of

__all__ = [
    "ROLES",
    "CandidateFetcher",
    "Compatibility",
    "Harmony",
    "ListFetcher",
    "Outfit",
    "OutfitItem",
    "Role",
    "compatibility",
    "complementary_roles",
    "complete_the_look",
    "harmony",
    "role_filter",
    "role_of",
]

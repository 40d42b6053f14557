"""Synthetic shoppers, demo personas and style profiles."""

from fashion_search.users.personas import PERSONA_IDS, SEGMENTS, Persona, Segment, Taste, resolve_personas
from fashion_search.users.profiles import (
    EVENT_WEIGHTS,
    PriceStats,
    ProfileBook,
    StyleProfile,
    build_profile,
    empty_profile,
)
from fashion_search.users.synthetic import SyntheticData, default_user_count, generate_users

__all__ = [
    "EVENT_WEIGHTS",
    "PERSONA_IDS",
    "SEGMENTS",
    "Persona",
    "PriceStats",
    "ProfileBook",
    "Segment",
    "StyleProfile",
    "SyntheticData",
    "Taste",
    "build_profile",
    "default_user_count",
    "empty_profile",
    "generate_users",
    "resolve_personas",
]

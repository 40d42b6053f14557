"""fashion-search: visual search and personalised recommendation for fashion catalogs.

Importing the package does no work: models, stores and settings are built by entry points.
"""

from __future__ import annotations

from fashion_search.domain import Event, Filter, Hit, Product, User
from fashion_search.errors import FashionSearchError
from fashion_search.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "Event",
    "FashionSearchError",
    "Filter",
    "Hit",
    "Product",
    "Settings",
    "User",
    "__version__",
    "load_settings",
]

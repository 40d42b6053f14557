"""The REST API: ``create_app(settings)`` and one router per resource under /api/v1."""

from fashion_search.api.main import create_app

__all__ = ["create_app"]

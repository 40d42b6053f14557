"""GET /health: is the service up, and what does it serve."""

from __future__ import annotations

from fastapi import APIRouter

from fashion_search import __version__
from fashion_search.api.deps import ServicesDep
from fashion_search.api.schemas import HealthPublic
from fashion_search.domain import SPACES

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service status and catalog size")
def health(services: ServicesDep) -> HealthPublic:
    index = services.index()
    products = index.count()
    return HealthPublic(
        status="ok" if products else "empty",
        version=__version__,
        model=services.embedder().name,
        products=products,
        vectors={space: index.count(space) for space in SPACES},
        users=len(services.users()) if products else 0,
    )

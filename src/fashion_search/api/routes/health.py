"""GET /health (status and catalog size), /health/live (the process answers) and /health/ready
(the model and a non-empty index are loaded: send traffic)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from fashion_search import __version__
from fashion_search.api.deps import ServicesDep
from fashion_search.api.schemas import HealthPublic
from fashion_search.domain import SPACES

router = APIRouter(tags=["health"])


class LivenessPublic(BaseModel):
    status: Literal["alive"]
    version: str


class ReadinessPublic(BaseModel):
    """Whether the server can answer searches: every check must be true."""

    status: Literal["ready", "not_ready"]
    checks: dict[str, bool] = Field(
        description=(
            "model: the embedder is loaded; index: the vector index is loaded; products: it is not empty"
        ),
        examples=[{"model": True, "index": True, "products": True}],
    )
    products: int


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


@router.get(
    "/health/live",
    summary="Liveness: the process answers",
    description="Always 200 while the server runs; loads nothing and waits on nothing.",
)
async def live() -> LivenessPublic:
    # async on purpose: answered on the event loop even when every worker thread is busy.
    return LivenessPublic(status="alive", version=__version__)


@router.get(
    "/health/ready",
    summary="Readiness: the model and the index are loaded",
    description=(
        "200 once the model and a non-empty index are in memory, 503 before (still loading, nothing "
        "ingested yet, or loading failed). Loads nothing itself."
    ),
    responses={503: {"model": ReadinessPublic, "description": "not ready: see `checks`"}},
)
def ready(services: ServicesDep, response: Response) -> ReadinessPublic:
    loaded = services.loaded()
    products = services.index().count() if loaded["index"] else 0
    checks = {**loaded, "products": products > 0}
    body = ReadinessPublic(
        status="ready" if all(checks.values()) else "not_ready", checks=checks, products=products
    )
    if body.status != "ready":
        response.status_code = 503
    return body

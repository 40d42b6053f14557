"""POST /admin/index/rebuild: rebuild the served index from the store (admin token required).

Admin routes change what every shopper sees, so they need ``Authorization: Bearer <token>`` with
the token from ``Settings.api.admin_token``; with no token configured they are off (403 for all).
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from fashion_search.api.deps import ServicesDep, SettingsDep
from fashion_search.api.schemas import ErrorPublic
from fashion_search.domain import SPACES

router = APIRouter(prefix="/admin", tags=["admin"])

_bearer = HTTPBearer(auto_error=False, description="the admin token from Settings.api.admin_token")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "no token, or a wrong one"},
    403: {"model": ErrorPublic, "description": "admin routes are off: no admin token is configured"},
}


def require_admin(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with the configured admin token (compared in constant time)."""
    expected = settings.api.admin_token
    enabled = expected is not None and bool(expected.get_secret_value())
    given = credentials.credentials if credentials is not None else ""
    if not given:
        hint = "" if enabled else " (admin routes are off here: no admin token is configured)"
        raise HTTPException(
            401,
            f"an admin token is required: send Authorization: Bearer <token>{hint}",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not enabled:
        raise HTTPException(
            403, "admin routes are disabled: set FASHION_SEARCH_API__ADMIN_TOKEN to turn them on"
        )
    assert expected is not None
    if not secrets.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise HTTPException(401, "the admin token is wrong", headers={"WWW-Authenticate": "Bearer"})


class RebuildPublic(BaseModel):
    products: int
    vectors: dict[str, int]
    model: str
    seconds: float = Field(description="time taken by the rebuild")


@router.post(
    "/index/rebuild",
    summary="Rebuild the index from the store (admin)",
    description=(
        "Reads every vector of the current model from the store, rebuilds the index, saves it "
        "atomically and serves it; use after `fashion-search ingest` / `embed` on a running server."
    ),
    dependencies=[Depends(require_admin)],
    responses=ERRORS,
)
async def rebuild_index(services: ServicesDep) -> RebuildPublic:
    started = time.perf_counter()
    index = await run_in_threadpool(services.rebuild_index)
    return RebuildPublic(
        products=index.count(),
        vectors={space: index.count(space) for space in SPACES},
        model=services.embedder().name,
        seconds=round(time.perf_counter() - started, 3),
    )

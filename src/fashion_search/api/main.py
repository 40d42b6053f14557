"""``create_app(settings)``: the FastAPI application over one catalog's Services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from fashion_search import __version__
from fashion_search.api.errors import install_error_handlers
from fashion_search.api.limits import RateLimitMiddleware, TokenBuckets
from fashion_search.api.middleware import RequestContextMiddleware
from fashion_search.api.routes import admin, health, products, recommendations, search, stylist, users
from fashion_search.api.routes.web import install_storefront
from fashion_search.api.schemas import API_PREFIX
from fashion_search.api.uploads import BodyLimitMiddleware, request_limit
from fashion_search.app import Services, build
from fashion_search.settings import Settings
from fashion_search.stylist import Stylist

DESCRIPTION = """\
Visual search and personalised recommendations for a fashion catalog.

* **search**: by text (semantic and keyword, fused), by photo, by both, filters before top-k;
* **products**: browse with facet counts, photos, similar products, complete-the-look;
* **users** and **recommendations**: personas, style profiles, events, explained picks;
* **stylist**: a chat that plans outfits and finds products with the same tools (Claude or offline).

Filters in request bodies take the JSON dialect of Databricks Vector Search
(`{"gender": "Men", "price <": 50, "base_colour": ["Black", "White"], "season NOT": "Winter"}`) or
expressions (`["gender=Men", "price<50"]`). Errors answer `{"detail": "..."}`.
"""


def create_app(settings: Settings, services: Services | None = None, *, warm_up: bool = True) -> FastAPI:
    """The API over ``services`` (built from ``settings`` when not given, and then closed at shutdown).

    With ``warm_up`` the model, index, keyword index and shoppers are loaded at start-up (and the
    synthetic shoppers created once if the store has none), so the first request is not the slow one.
    """
    owned = services is None
    svc = services if services is not None else build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            await run_in_threadpool(svc.warm_up)
        try:
            yield
        finally:
            if owned:
                svc.close()

    app = FastAPI(
        title="fashion-search",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.services = svc
    app.state.settings = settings
    app.state.stylist = Stylist.from_services(svc)
    install_error_handlers(app)
    api = settings.api
    # Outermost last: ids and access logs cover the limits' own 413 and 429 answers too.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body=request_limit(api.max_upload_bytes, api.max_request_bytes),
        file_limit=api.max_upload_bytes,
    )
    if api.rate_limit_per_second > 0:
        buckets = TokenBuckets(api.rate_limit_per_second, api.rate_limit_burst)
        app.add_middleware(RateLimitMiddleware, buckets=buckets, exempt=(f"{API_PREFIX}/health",))
        app.state.rate_limited = True
    app.add_middleware(RequestContextMiddleware)
    for module in (health, admin, search, products, users, recommendations, stylist):
        app.include_router(module.router, prefix=API_PREFIX)
    install_storefront(app)
    return app

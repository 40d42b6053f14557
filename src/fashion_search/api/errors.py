"""The one place where the error tree meets HTTP: every error answers ``{"detail": "<message>"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from fashion_search import errors

logger = logging.getLogger(__name__)

HTTP_STATUS: dict[type[errors.FashionSearchError], int] = {
    errors.NotFoundError: 404,
    errors.PayloadTooLargeError: 413,
    errors.ImageError: 415,
    errors.ValidationError: 422,
    errors.ConfigurationError: 500,
    errors.CatalogError: 500,
    errors.ModelError: 503,
    errors.StoreError: 503,
}
"""Status code per error class; the most specific class listed wins, anything else is 500."""


def status_for(exc: errors.FashionSearchError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def error_response(status: int, detail: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail})


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.FashionSearchError)
    status = status_for(exc)
    if status >= 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(status, str(exc))


def _location(loc: tuple[int | str, ...]) -> str:
    # ("body", "k") -> "k"; ("query", "limit") -> "limit": the client knows where it sent them.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header")]
    return ".".join(parts) or "request"


async def _request_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
    return error_response(422, "; ".join(problems) or "invalid request")


def install_error_handlers(app: FastAPI) -> None:
    """Map the library's errors and request-validation errors to JSON answers."""
    app.add_exception_handler(errors.FashionSearchError, _library_error)
    app.add_exception_handler(RequestValidationError, _request_error)

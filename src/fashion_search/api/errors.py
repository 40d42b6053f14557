"""The one place where the error tree meets HTTP: every error answers ``{"detail": "<message>"}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from fashion_search import errors
from fashion_search.api.logs import REQUEST_ID

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
    return errors.code_for(exc, HTTP_STATUS, 500)


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


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the log under the request id; the client gets the id, not the traceback.
    request_id = REQUEST_ID.get() or "unknown"
    logger.error(
        "%s %s failed unexpectedly",
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(500, f"internal error; quote request id {request_id} when reporting it")


def install_error_handlers(app: FastAPI) -> None:
    """Map the library's errors and request-validation errors to JSON answers, and document them."""
    app.add_exception_handler(errors.FashionSearchError, _library_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(Exception, _unexpected_error)
    _document_errors(app)


_ERROR_REF = "#/components/schemas/ErrorPublic"
_LIMIT_RESPONSES: dict[str, str] = {
    "400": "the body cannot be parsed at all (not JSON, or a broken multipart form)",
    "413": "the request body is larger than the configured limit",
    "429": "too many requests from this client (when a rate limit is configured); see Retry-After",
}


def _document_errors(app: FastAPI) -> None:
    """Make the OpenAPI document say what the server really answers: every 422 is ``ErrorPublic``
    (not FastAPI's list-shaped default), and bodies over the size limit or requests over the rate
    limit get 413 / 429 with the same shape."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            servers=app.servers,
        )
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        error_schema = {
            "properties": {"detail": {"type": "string", "title": "Detail"}},
            "required": ["detail"],
            "type": "object",
            "title": "ErrorPublic",
            "description": "Every error answer: a message that says what was wrong.",
        }
        components.setdefault("ErrorPublic", error_schema)
        as_error = {"application/json": {"schema": {"$ref": _ERROR_REF}}}
        rate_limited = getattr(app.state, "rate_limited", False)
        for path, operations in doc.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"]["content"] = as_error
                if "requestBody" in operation:
                    responses.setdefault("400", {"description": _LIMIT_RESPONSES["400"], "content": as_error})
                    responses.setdefault("413", {"description": _LIMIT_RESPONSES["413"], "content": as_error})
                if rate_limited and "/health" not in path:
                    responses.setdefault("429", {"description": _LIMIT_RESPONSES["429"], "content": as_error})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        _as_sent(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    options = prop.get("anyOf")
    if not options or not any(o.get("type") == "null" for o in options):
        return prop
    kept = [o for o in options if o.get("type") != "null"]
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}


def _as_sent(doc: dict[str, Any]) -> None:
    """Query parameters and multipart form fields are sent or left out, never ``null``: drop the
    ``null`` alternative FastAPI writes for optional ones, and say that an uploaded file must not
    be empty."""
    schemas = doc.get("components", {}).get("schemas", {})
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if "schema" in parameter:
                    parameter["schema"] = _without_null(parameter["schema"])
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("multipart/form-data", {}).get("schema", {}).get("$ref", "")
            form = schemas.get(ref.rsplit("/", 1)[-1]) if ref else None
            if not form:
                continue
            for name, prop in list(form.get("properties", {}).items()):
                prop = _without_null(prop)
                if (
                    prop.get("format") == "binary"
                    or prop.get("contentMediaType") == "application/octet-stream"
                ):
                    prop.setdefault("minLength", 1)
                form["properties"][name] = prop

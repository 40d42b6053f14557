"""Request ids and access logs: every response carries ``X-Request-ID`` and ``Server-Timing``, and
every request leaves one structured log line (method, path, status, duration, sizes), never its
body, query string or headers.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fashion_search.api.logs import ACCESS_LOGGER, REQUEST_ID

REQUEST_ID_HEADER = "x-request-id"
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""A client's own request id is kept when it is this tame; anything else gets a fresh one."""


def request_id_from(headers: dict[bytes, bytes]) -> str:
    """The client's ``X-Request-ID`` when it is short and plain, else a new random id."""
    raw = headers.get(REQUEST_ID_HEADER.encode())
    if raw is not None:
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if _CLIENT_ID.fullmatch(text):
            return text
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Assigns the request id, times the request, logs it on ``fashion_search.access``."""

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = request_id_from(headers)
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "bytes_out": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                elapsed = (time.perf_counter() - started) * 1000
                extra = [
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                    (b"server-timing", f"app;dur={elapsed:.1f}".encode()),
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body":
                state["bytes_out"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            state["status"] = 500
            raise
        finally:
            self._log(scope, headers, request_id, state, (time.perf_counter() - started) * 1000)
            REQUEST_ID.reset(token)

    def _log(
        self,
        scope: Scope,
        headers: dict[bytes, bytes],
        request_id: str,
        state: dict[str, Any],
        duration_ms: float,
    ) -> None:
        status = int(state["status"])
        client = scope.get("client")
        length = headers.get(b"content-length", b"")
        fields = {
            "method": scope.get("method", ""),
            "path": scope.get("path", ""),
            "status": status,
            "duration_ms": round(duration_ms, 2),
            "bytes_in": int(length) if length.isdigit() else None,
            "bytes_out": state["bytes_out"],
            "client": client[0] if client else None,
        }
        level = logging.ERROR if status >= 500 else logging.INFO
        self.logger.log(
            level,
            "%s %s %d %.1f ms",
            fields["method"],
            fields["path"],
            status,
            duration_ms,
            extra={"fields": fields, "request_id": request_id},
        )

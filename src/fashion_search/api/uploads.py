"""Upload limits: refuse a request body larger than allowed before it is stored, and read files safely.

:class:`BodyLimitMiddleware` refuses a request whose ``Content-Length`` is over the limit before
reading any of it, and counts the bytes of a body sent without one (chunked), answering 413 as soon
as the count passes the limit. :func:`read_upload` then counts the bytes of the uploaded file itself.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fashion_search.errors import ImageError, PayloadTooLargeError

FORM_OVERHEAD = 64 * 1024
"""Room for the multipart boundaries and the text fields beside an uploaded file."""
_CHUNK = 64 * 1024


def request_limit(max_upload_bytes: int, max_request_bytes: int | None = None) -> int:
    """The largest request body: ``max_request_bytes`` when set, else room for an upload of
    ``max_upload_bytes`` sent as multipart or as base64 inside JSON (4/3 of it) plus the fields."""
    if max_request_bytes is not None:
        return max_request_bytes
    return max_upload_bytes * 4 // 3 + FORM_OVERHEAD


def _too_large(limit: int) -> str:
    return f"upload too large: the limit is {limit} bytes ({limit / 1024 / 1024:.1f} MiB)"


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Answer 413 for request bodies over ``max_body`` bytes (``file_limit`` is named in the message)."""

    def __init__(self, app: ASGIApp, max_body: int, file_limit: int) -> None:
        self.app = app
        self.max_body = max_body
        self.file_limit = file_limit

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": _too_large(self.file_limit)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared > self.max_body:
                await self._refuse(send)
                return
        state: dict[str, Any] = {"received": 0, "over": False, "started": False}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_body:
                    state["over"] = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"]:
                # The app turned the aborted read into some error answer of its own: ours replaces it.
                if message["type"] == "http.response.start" and not state["started"]:
                    state["started"] = True
                    await self._refuse(send)
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
            if not state["started"]:
                state["started"] = True
                await self._refuse(send)


def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The bytes of an uploaded file, counted while read: :class:`PayloadTooLargeError` past ``limit``."""
    chunks: list[bytes] = []
    size = 0
    upload.file.seek(0)
    while True:
        chunk = upload.file.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(_too_large(limit))
        chunks.append(chunk)
    if size == 0:
        raise ImageError(f"the uploaded file {upload.filename or 'file'!r} is empty (0 bytes)")
    return b"".join(chunks)

"""Structured logs: one JSON object per line, with the request id of the request being served.

:func:`configure_logging` is called by entry points (``fashion-search serve``), never at import.
Only what the code passes in ``extra={"fields": {...}}`` becomes a field: request bodies, uploaded
bytes, headers and settings are never logged, so neither are secrets nor shoppers' photos.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

REQUEST_ID: ContextVar[str | None] = ContextVar("fashion_search_request_id", default=None)
"""The id of the request this task is serving (set by the request middleware)."""

ACCESS_LOGGER = "fashion_search.access"


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id"?, ...fields}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                entry.setdefault(str(key), value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str | int = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Send ``fashion_search`` logs as JSON lines to ``stream`` (stderr); returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    package = logging.getLogger("fashion_search")
    for old in [h for h in package.handlers if isinstance(h.formatter, JsonFormatter)]:
        package.removeHandler(old)
    package.addHandler(handler)
    package.setLevel(level)
    package.propagate = False
    return handler

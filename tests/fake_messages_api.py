"""A scripted stand-in for Anthropic's Messages API, served on 127.0.0.1 for the stylist's Claude tests.

``POST /v1/messages`` records each request (JSON body and headers) and answers with the next step
of a script: a step is a callable that gets the request body and returns either a Messages API
response (a ``message`` object) or ``(status, error_body)`` for an API error. Loaded by path from
the tests (the tests folder is not a package).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Body = dict[str, Any]
Step = Callable[[Body], "Body | tuple[int, Body]"]


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Body


@dataclass
class FakeMessagesApi:
    """The script to play and what the client sent; ``url`` is set while the server runs."""

    steps: list[Step]
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: dict[str, str], body: Body) -> tuple[int, Body]:
        with self._lock:
            self.requests.append(Recorded(path, headers, body))
            if path != "/v1/messages":
                return 404, error_body("not_found_error", f"no route {path}")
            if not self.steps:
                return 500, error_body("api_error", "the test script has no step left")
            step = self.steps.pop(0)
        reply = step(body)
        if isinstance(reply, tuple):
            return reply
        return 200, reply


def message(content: Iterable[Body], stop_reason: str, model: str = "claude-test") -> Body:
    """A Messages API response carrying ``content`` blocks."""
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": list(content),
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }


def tool_use(tool_id: str, name: str, arguments: Body) -> Body:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": arguments}


def text(value: str) -> Body:
    return {"type": "text", "text": value}


def error_body(kind: str, detail: str) -> Body:
    return {"type": "error", "error": {"type": kind, "message": detail}}


def tool_results(body: Body) -> list[Body]:
    """The ``tool_result`` blocks of a request's last (user) message."""
    last = body["messages"][-1]
    assert last["role"] == "user" and isinstance(last["content"], list), last
    return [b for b in last["content"] if b.get("type") == "tool_result"]


def _handler(api: FakeMessagesApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server naming
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                status, reply = 400, error_body("invalid_request_error", "body is not JSON")
            else:
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply = api.answer(self.path, headers, body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", "req_test")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
            pass  # keep the test output quiet

    return Handler


@contextmanager
def serve(steps: list[Step]) -> Iterator[FakeMessagesApi]:
    """Run the scripted API on a free port of 127.0.0.1 for the ``with`` block."""
    api = FakeMessagesApi(list(steps))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fake-messages-api", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    api.url = f"http://{host!s}:{port}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

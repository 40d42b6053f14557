"""Serve an app with uvicorn in a background thread on a loopback port the OS picks.

Used by the reliability tests, the API fuzzing run and the load test, which all need a real HTTP
server (real sockets, real request parsing) rather than an in-process transport.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from fashion_search.errors import ConfigurationError


class LiveServer:
    """``with LiveServer(app) as server: httpx.get(server.url + "/api/v1/health")``.

    The socket is bound before the thread starts, so the port is known at once and never races
    with another process; start-up waits until uvicorn has run the app's lifespan.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", start_timeout: float = 120.0) -> None:
        self._app = app
        self._host = host
        self._start_timeout = start_timeout
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, 0))
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self._app, log_level="warning", access_log=False, lifespan="on")
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"live-server-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not server.started:
            if not self._thread.is_alive():
                raise ConfigurationError(f"the API server on {self.url} stopped during start-up")
            if time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(
                    f"the API server on {self.url} did not start in {self._start_timeout} s"
                )
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

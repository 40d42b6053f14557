"""Rate limits: a token bucket per client address, answering 429 with ``Retry-After`` when empty.

Off by default (``api.rate_limit_per_second = 0``). The buckets live in the process (one server
process per data directory, see :mod:`fashion_search.api.instance`), bounded in number: the least
recently seen clients are forgotten first, so a flood of addresses cannot grow memory.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_CLIENTS = 10_000


class TokenBuckets:
    """``allow(key)`` -> seconds to wait (0.0 when the request may go now)."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be positive and burst at least 1, got {rate} and {burst}")
        self.rate = float(rate)
        self.burst = int(burst)
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                wait = 0.0
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimitMiddleware:
    """429 for clients over their rate; paths starting with one of ``exempt`` are never limited."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, exempt: Iterable[str] = ()) -> None:
        self.app = app
        self.buckets = buckets
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.allow(client[0] if client else "unknown")
        if wait <= 0.0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        body = json.dumps(
            {
                "detail": f"too many requests: the limit is {self.buckets.rate:g} per second "
                f"(bursts of {self.buckets.burst}) per client; retry in {retry} s"
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

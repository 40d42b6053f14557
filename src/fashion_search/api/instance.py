"""One server process per data directory.

A server keeps shoppers' profiles in memory and folds each new event into them; a second server
on the same embedded store would never see the first one's events and would answer with stale
profiles. So ``fashion-search serve`` holds an exclusive lock on ``data_dir/server.lock`` while it
runs, and a second one refuses to start, naming the process that holds it. The operating system
drops the lock when the process dies, even by ``kill -9``, so a crash never leaves it stale.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

from fashion_search.errors import StoreError

LOCK_FILE = "server.lock"

try:  # POSIX only; elsewhere the lock is not enforced.
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]


class DataDirLock:
    """``with DataDirLock(data_dir): serve()``; :class:`StoreError` when another process holds it."""

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the server lock {self.path}: {exc.strerror or exc}") from exc
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise StoreError(
                    f"another fashion-search server (pid {holder}) is serving {self.path.parent}; "
                    "stop it first or serve another --data-dir (two servers would keep diverging "
                    "copies of the shoppers' profiles)"
                ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

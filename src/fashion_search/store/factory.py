"""Resolve a store URI (one string from Settings) to a Store backend."""

from __future__ import annotations

import re
from pathlib import Path

from fashion_search.errors import ConfigurationError
from fashion_search.store.base import Store
from fashion_search.store.sqlite import SqliteStore

_URL_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")
_ACCEPTED = "a local directory path (embedded SQLite store) or postgresql://user@host/db"


def open_store(uri: str | Path) -> Store:
    """Open the store that ``uri`` names.

    A local directory path (``file://`` prefix optional) opens the embedded
    :class:`~fashion_search.store.sqlite.SqliteStore`; ``postgresql://...`` names the PostgreSQL
    store (not available yet). Anything else is a :class:`ConfigurationError`.
    """
    if isinstance(uri, Path):
        uri = str(uri)
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigurationError(f"store URI must be {_ACCEPTED}; got {uri!r}")
    uri = uri.strip()
    match = _URL_SCHEME.match(uri)
    if match is None:
        return SqliteStore(Path(uri).expanduser())
    scheme = match["scheme"].lower()
    if scheme == "file":
        return SqliteStore(Path(uri[len("file://") :]).expanduser())
    if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
        raise ConfigurationError(
            "PostgreSQL store is not available yet in this version of fashion-search; "
            "use a local directory path for the embedded store"
        )
    # The URI is not echoed: it may carry a password.
    raise ConfigurationError(f"unsupported store URI scheme {scheme!r}; use {_ACCEPTED}")

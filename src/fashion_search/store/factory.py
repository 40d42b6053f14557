"""Resolve a store URI (one string from Settings) to a Store backend."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fashion_search.errors import ConfigurationError, MissingDependencyError
from fashion_search.store.base import Store
from fashion_search.store.sqlite import SqliteStore

_URL_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://")
_ACCEPTED = "a local directory path (embedded SQLite store) or postgresql://user@host/db"


def open_store(uri: str | Path) -> Store:
    """Open the store that ``uri`` names.

    A local directory path (``file://`` prefix optional) opens the embedded
    :class:`~fashion_search.store.sqlite.SqliteStore`; ``postgresql://...`` (also ``postgres://``
    and ``postgresql+psycopg://``) opens :class:`~fashion_search.store.postgres.PostgresStore`,
    which needs the ``postgres`` extra. Besides libpq's own parameters the PostgreSQL URI may carry
    ``schema=NAME`` to keep the tables in a schema of their own. Anything else is a
    :class:`ConfigurationError`.
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
        return _open_postgres(uri)
    # The URI is not echoed: it may carry a password.
    raise ConfigurationError(f"unsupported store URI scheme {scheme!r}; use {_ACCEPTED}")


def _open_postgres(uri: str) -> Store:
    try:
        from fashion_search.store.postgres import PostgresStore
    except ImportError as e:
        if (e.name or "").split(".")[0] not in ("psycopg", "psycopg_pool"):
            raise
        raise MissingDependencyError("psycopg", "postgres", "The PostgreSQL store") from e
    # Split by hand: urllib would turn "postgresql:///db" (unix socket, empty host) into "postgresql:/db".
    base, _, query_text = uri.partition("?")
    query = parse_qsl(query_text, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    if len(schemas) > 1:
        raise ConfigurationError("the PostgreSQL store URI names 'schema' more than once")
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    return PostgresStore(f"{base}?{rest}" if rest else base, schema=schemas[0] if schemas else None)

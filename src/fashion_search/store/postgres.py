"""The PostgreSQL store: products, users, events and pgvector vectors in one database.

psycopg 3 with a ``psycopg_pool`` connection pool, so one store object serves the API's worker
threads and several API replicas can share one database. Every value travels as a bound parameter;
the only SQL composed at run time is DDL (which PostgreSQL cannot parameterise), and it is built
with :mod:`psycopg.sql` from whitelisted identifiers and validated integers only.

Layout (schema version 1):

* ``products``, ``users``, ``events`` mirror the embedded store's tables (``events.occurred_at`` is a
  ``timestamptz``; a flag remembers naive datetimes so that they come back naive, as in SQLite).
* ``embeddings`` holds every vector in an untyped pgvector ``vector`` column, list-partitioned by
  space into ``embeddings_image``, ``embeddings_text`` and ``embeddings_hybrid``, so that a scan of
  one space never reads the other two. Different models may store different dimensions, so the
  HNSW indexes are partial expression indexes, one per (space, dimension):
  ``USING hnsw ((vector::vector(dim)) vector_cosine_ops) WHERE dim = <dim>`` (see
  :meth:`PostgresStore.ensure_vector_index`). Searching is the job of
  :class:`~fashion_search.index.pgvector.PgVectorIndex`.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString
from urllib.parse import urlsplit

import numpy as np
import psycopg
import psycopg_pool
from psycopg import sql
from psycopg.adapt import Buffer, Dumper
from psycopg.pq import Format
from psycopg.rows import dict_row
from psycopg.types import TypeInfo

from fashion_search.domain import Event, EventType, Product, User
from fashion_search.errors import ConfigurationError, NotFoundError, StoreError, ValidationError
from fashion_search.store.base import EmbeddingInfo, UpsertResult
from fashion_search.store.rows import PRODUCT_COLUMNS as PRODUCT_COLUMNS
from fashion_search.store.rows import (
    attribute_updates,
    check_batch_size,
    check_page,
    check_schema_version,
    check_space,
    check_vector_batch,
    event_keys,
    product_values,
    require_present,
    require_unique,
    single_vector_group,
    user_from_row,
    user_values,
)
from fashion_search.store.rows import check_ids as _integer_ids
from fashion_search.store.rows import product_from_row as product_from_row

# PRODUCT_COLUMNS and product_from_row stay importable from here for the pgvector index.

SCHEMA_VERSION = 1
"""Version of the table layout this code reads and writes."""

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
MAX_HNSW_DIM = 2000
"""pgvector's HNSW indexes take ``vector`` columns of at most 2,000 dimensions."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Arbitrary constant keys for pg_advisory_xact_lock: one for migrations, one family for vector writes.
_MIGRATION_LOCK = 0x46534D4947
_VECTOR_LOCK_BASE = 0x4653564543 << 20

_PRODUCT_ARRAY_TYPES = (
    "bigint[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "integer[]",
    "text[]",
    "double precision[]",
    "text[]",
    "text[]",
    "jsonb[]",
)

_DDL: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)",
    """CREATE TABLE IF NOT EXISTS products (
        id bigint PRIMARY KEY,
        name text NOT NULL,
        gender text,
        master_category text,
        sub_category text,
        article_type text,
        base_colour text,
        season text,
        year integer,
        usage text,
        price double precision,
        image_status text NOT NULL,
        image_file text,
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb
    )""",
    # Filter columns that split the catalog into small groups get btree indexes, so that a
    # selective filter finds its rows without a sequential scan (see PgVectorIndex).
    "CREATE INDEX IF NOT EXISTS products_gender ON products (gender)",
    "CREATE INDEX IF NOT EXISTS products_master_category ON products (master_category)",
    "CREATE INDEX IF NOT EXISTS products_sub_category ON products (sub_category)",
    "CREATE INDEX IF NOT EXISTS products_article_type ON products (article_type)",
    "CREATE INDEX IF NOT EXISTS products_base_colour ON products (base_colour)",
    "CREATE INDEX IF NOT EXISTS products_season ON products (season)",
    "CREATE INDEX IF NOT EXISTS products_usage ON products (usage)",
    "CREATE INDEX IF NOT EXISTS products_year ON products (year)",
    "CREATE INDEX IF NOT EXISTS products_price ON products (price)",
    """CREATE TABLE IF NOT EXISTS users (
        id bigint PRIMARY KEY,
        name text NOT NULL,
        segment text NOT NULL,
        description text NOT NULL DEFAULT '',
        is_persona boolean NOT NULL DEFAULT false
    )""",
    # A product removed from the catalog takes its events and vectors with it: neither can be
    # resolved to a product any more.
    """CREATE TABLE IF NOT EXISTS events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id bigint NOT NULL REFERENCES users (id),
        product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        naive boolean NOT NULL DEFAULT false
    )""",
    "CREATE INDEX IF NOT EXISTS events_user ON events (user_id, occurred_at, id)",
    "CREATE INDEX IF NOT EXISTS events_product ON events (product_id)",
    """CREATE TABLE IF NOT EXISTS embeddings (
        product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
        space text NOT NULL,
        model text NOT NULL,
        dim integer NOT NULL,
        content_hash text NOT NULL,
        vector vector NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (product_id, space)
    ) PARTITION BY LIST (space)""",
    "CREATE TABLE IF NOT EXISTS embeddings_image PARTITION OF embeddings FOR VALUES IN ('image')",
    "CREATE TABLE IF NOT EXISTS embeddings_text PARTITION OF embeddings FOR VALUES IN ('text')",
    "CREATE TABLE IF NOT EXISTS embeddings_hybrid PARTITION OF embeddings FOR VALUES IN ('hybrid')",
    "CREATE INDEX IF NOT EXISTS embeddings_model ON embeddings (space, model, dim)",
)


# --------------------------------------------------------------------------------------------
# pgvector's binary wire format
# --------------------------------------------------------------------------------------------


class PgVector:
    """A float32 vector sent to PostgreSQL in pgvector's binary format (bit-exact)."""

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray) -> None:
        self.values = np.ascontiguousarray(values, dtype=">f4")


_VECTOR_HEADER = struct.Struct("!HH")


def _dump_vector(obj: PgVector) -> bytes:
    return _VECTOR_HEADER.pack(obj.values.shape[0], 0) + obj.values.tobytes()


def parse_vector(data: Buffer) -> np.ndarray:
    """A pgvector binary value as a native float32 array."""
    dim, _ = _VECTOR_HEADER.unpack_from(data)
    return np.frombuffer(data, dtype=">f4", count=dim, offset=_VECTOR_HEADER.size).astype(np.float32)


def register_vector(conn: psycopg.Connection[Any]) -> None:
    """Teach one connection to send :class:`PgVector` parameters as binary ``vector`` values."""
    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        raise StoreError("the database has no pgvector 'vector' type; run CREATE EXTENSION vector")
    info.register(conn)
    vector_oid = info.oid

    class _VectorDumper(Dumper):
        format = Format.BINARY
        oid = vector_oid

        def dump(self, obj: Any) -> Buffer:
            return _dump_vector(obj)

    conn.adapters.register_dumper(PgVector, _VectorDumper)
    # Registered by oid as well, for COPY with set_types.
    conn.adapters.register_dumper(None, _VectorDumper)


# --------------------------------------------------------------------------------------------
# conversions and checks
# --------------------------------------------------------------------------------------------


def _check_text(value: str | None, what: str) -> None:
    # PostgreSQL text (and jsonb) cannot hold NUL characters; say so instead of a driver error.
    if value is not None and "\x00" in value:
        raise ValidationError(f"{what} contains a NUL character, which PostgreSQL cannot store")


def _check_ids(ids: Iterable[Any], what: str) -> list[int]:
    out = _integer_ids(ids, what)
    for value in out:
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValidationError(f"{what} id {value} is outside the 64-bit integer range")
    return out


def _lookup_ids(ids: Iterable[Any], what: str) -> list[int]:
    """Ids to look up: validated integers; ids beyond 64 bits cannot exist and are dropped."""
    return [i for i in _integer_ids(ids, what) if _INT64_MIN <= i <= _INT64_MAX]


def _one_id(value: Any, what: str) -> int | None:
    found = _lookup_ids([value], what)
    return found[0] if found else None


def _product_values(p: Product) -> tuple[Any, ...]:
    values = product_values(p)
    (pid,) = _check_ids([values[0]], "product")
    if p.year is not None and (
        isinstance(p.year, bool) or not isinstance(p.year, int) or not -(2**31) <= p.year < 2**31
    ):
        raise ValidationError(f"product {pid}: year must be a 32-bit integer, got {p.year!r}")
    if not isinstance(p.name, str):
        raise ValidationError(f"product {pid}: name must be a string, got {p.name!r}")
    texts = ("name", "gender", "master_category", "sub_category", "article_type", "base_colour")
    for name in (*texts, "season", "usage", "image_file"):
        value = getattr(p, name)
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"product {pid}: {name} must be a string, got {value!r}")
        _check_text(value, f"product {pid}: {name}")
    for key, value in p.attributes.items():
        _check_text(key + value, f"product {pid}: attributes")
    return values


def _user_values(u: User) -> tuple[int, str, str, str, bool]:
    values = user_values(u)
    (uid,) = _check_ids([values[0]], "user")
    for name in ("name", "segment", "description"):
        value = getattr(u, name)
        if not isinstance(value, str):
            raise ValidationError(f"user {uid}: {name} must be a string, got {value!r}")
        _check_text(value, f"user {uid}: {name}")
    return values


def _event_from_row(row: Mapping[str, Any]) -> Event:
    when: datetime = row["occurred_at"].astimezone(UTC)
    return Event(
        user_id=row["user_id"],
        product_id=row["product_id"],
        type=EventType(row["type"]),
        timestamp=when.replace(tzinfo=None) if row["naive"] else when,
    )


def _timestamp(value: Any, what: str) -> tuple[datetime, bool]:
    """A timestamptz parameter and whether the original was naive (stored as if UTC)."""
    if not isinstance(value, datetime):
        raise ValidationError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC), True
    return value.astimezone(UTC), False


def _vector_lock_key(space: str, model: str) -> int:
    return _VECTOR_LOCK_BASE + zlib.crc32(f"{space}\x1f{model}".encode())


def _libpq_uri(uri: str) -> str:
    """Strip a SQLAlchemy-style driver suffix (``postgresql+psycopg://``) for libpq."""
    scheme, sep, rest = uri.partition("://")
    if sep and scheme.lower().startswith("postgresql+"):
        return "postgresql://" + rest
    return uri


def describe_uri(uri: str) -> str:
    """``uri`` without its password (in the authority or a ``password=`` parameter), for messages."""
    try:
        parts = urlsplit(uri)
        password = parts.password
    except ValueError:
        return "<unparsable PostgreSQL URI>"
    if password is not None:
        uri = uri.replace(f":{password}@", ":***@", 1)
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", uri)


@dataclass(frozen=True, slots=True)
class VectorIndexInfo:
    """One HNSW index of the ``embeddings`` table."""

    space: str
    dim: int
    name: str


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------


class PostgresStore:
    """Products, users, events and vectors in a PostgreSQL database with pgvector.

    ``uri`` is a libpq URI (``postgresql://user:password@host:5432/db``; a unix socket directory
    goes in ``?host=/path``). ``schema`` keeps the tables in a schema of their own (created when
    missing), which lets several catalogs or test runs share one database. The pool holds between
    ``min_size`` and ``max_size`` connections.
    """

    def __init__(
        self,
        uri: str,
        *,
        schema: str | None = None,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 30.0,
    ) -> None:
        if not isinstance(uri, str) or not uri.strip():
            raise ConfigurationError("PostgreSQL store needs a postgresql:// URI")
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ConfigurationError(
                f"schema name {schema!r} must be lower-case letters, digits and underscores "
                "(at most 63, not starting with a digit)"
            )
        if min_size < 0 or max_size < max(1, min_size):
            raise ConfigurationError("pool sizes must satisfy 0 <= min_size <= max_size, max_size >= 1")
        self.uri = _libpq_uri(uri.strip())
        self.schema = schema
        self._where = describe_uri(self.uri) + (f" (schema {schema})" if schema else "")
        self._bootstrap()
        self._pool = psycopg_pool.ConnectionPool(
            self.uri,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            # No server-side prepared statements: every query is planned with its parameter values,
            # which the partial HNSW indexes and partition pruning need.
            kwargs={"prepare_threshold": None},
            configure=self._configure,
            open=False,
            name="fashion-search",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
        except psycopg_pool.PoolTimeout as e:
            self._pool.close()
            raise StoreError(f"cannot open a connection pool to {self._where}: {e}") from e

    def __repr__(self) -> str:
        return f"PostgresStore({self._where!r})"

    # -- connection handling -----------------------------------------------------------------

    def _search_path(self, conn: psycopg.Connection[Any]) -> None:
        if self.schema is not None:
            conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(self.schema)))

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        self._search_path(conn)
        register_vector(conn)
        conn.commit()

    def _bootstrap(self) -> None:
        """Create the extension, the schema and the tables (idempotent, serialised by a lock)."""
        try:
            conn = psycopg.connect(self.uri, autocommit=True, prepare_threshold=None)
        except psycopg.Error as e:
            raise StoreError(f"cannot connect to PostgreSQL at {self._where}: {_reason(e)}") from e
        with conn:
            try:
                self._migrate(conn)
            except psycopg.errors.InsufficientPrivilege as e:
                raise StoreError(
                    f"PostgreSQL at {self._where} refused to set up the store ({_reason(e)}); "
                    "a database owner must run CREATE EXTENSION vector (and grant CREATE) once"
                ) from e
            except psycopg.errors.UndefinedFile as e:
                raise StoreError(
                    f"PostgreSQL at {self._where} has no pgvector extension installed ({_reason(e)}); "
                    "install pgvector on the server"
                ) from e
            except psycopg.Error as e:
                raise StoreError(f"cannot set up the store at {self._where}: {_reason(e)}") from e

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            present = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
            if present is None:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            if self.schema is not None:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
                self._search_path(conn)
            found = conn.execute(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = 'schema_version'"
            ).fetchone()
            if found is not None:
                row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
                check_schema_version(
                    f"store at {self._where}", None if row is None else row[0], SCHEMA_VERSION
                )
            for statement in _DDL:
                conn.execute(statement)
            row = conn.execute("SELECT count(*) FROM schema_version").fetchone()
            if row is not None and row[0] == 0:
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (SCHEMA_VERSION,))

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection inside one transaction (committed at the end, rolled back on error).

        Database errors come out as :class:`StoreError` (constraint violations and bad values as
        :class:`ValidationError`).
        """
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg_pool.PoolTimeout as e:
            raise StoreError(f"no free connection to {self._where}: {e}") from e
        except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as e:
            raise ValidationError(f"store at {self._where} rejected the write: {_reason(e)}") from e
        except psycopg.Error as e:
            raise StoreError(f"store at {self._where} failed: {_reason(e)}") from e

    def close(self) -> None:
        """Close every pooled connection; the object must not be used afterwards."""
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- products -----------------------------------------------------------------------------

    def upsert_products(self, products: Sequence[Product]) -> UpsertResult:
        """Insert new products and update changed ones, in one transaction; counts each kind."""
        rows = [_product_values(p) for p in products]
        require_unique([r[0] for r in rows], "product", "upsert")
        if not rows:
            return UpsertResult(0, 0, 0)
        columns = sql.SQL(", ").join(map(sql.Identifier, PRODUCT_COLUMNS))
        arrays = sql.SQL(", ").join(sql.SQL("%s::" + t) for t in _PRODUCT_ARRAY_TYPES)
        changed = sql.SQL(", ").join(sql.Identifier(c) for c in PRODUCT_COLUMNS[1:])
        excluded = sql.SQL(", ").join(
            sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in PRODUCT_COLUMNS[1:]
        )
        # One statement per chunk; "xmax = 0" tells a fresh insert from an update, and the WHERE
        # skips rows whose every column is unchanged (they come back from neither).
        stmt = sql.SQL(
            "INSERT INTO products AS t ({columns}) SELECT * FROM unnest({arrays}) "
            "ON CONFLICT (id) DO UPDATE SET ({changed}) = ROW({excluded}) "
            "WHERE ({old}) IS DISTINCT FROM ({excluded}) "
            "RETURNING (xmax = 0) AS inserted"
        ).format(
            columns=columns,
            arrays=arrays,
            changed=changed,
            excluded=excluded,
            old=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in PRODUCT_COLUMNS[1:]),
        )
        inserted = updated = 0
        with self.connection() as conn:
            for start in range(0, len(rows), 5000):
                chunk = rows[start : start + 5000]
                params = [list(col) for col in zip(*chunk, strict=True)]
                for (was_inserted,) in conn.execute(stmt, params).fetchall():
                    if was_inserted:
                        inserted += 1
                    else:
                        updated += 1
        return UpsertResult(inserted, updated, len(rows) - inserted - updated)

    def get_product(self, product_id: int) -> Product | None:
        pid = _one_id(product_id, "product")
        if pid is None:
            return None
        with self.connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute("SELECT * FROM products WHERE id = %s", (pid,))
                .fetchone()
            )
        return None if row is None else product_from_row(row)

    def get_products(self, ids: Sequence[int]) -> list[Product]:
        """The products with these ids, in the order asked; unknown ids are left out."""
        wanted = _lookup_ids(ids, "product")
        if not wanted:
            return []
        with self.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            rows = cur.execute(
                "SELECT * FROM products WHERE id = ANY(%s::bigint[])", (list(dict.fromkeys(wanted)),)
            ).fetchall()
        found = {r["id"]: product_from_row(r) for r in rows}
        return [found[i] for i in wanted if i in found]

    def iter_products(self, batch_size: int = 1000) -> Iterator[list[Product]]:
        """All products in id order, in lists of at most ``batch_size``."""
        check_batch_size(batch_size)
        last: int | None = None
        while True:
            with self.connection() as conn:
                cur = conn.cursor(row_factory=dict_row)
                if last is None:
                    cur.execute("SELECT * FROM products ORDER BY id LIMIT %s", (batch_size,))
                else:
                    cur.execute(
                        "SELECT * FROM products WHERE id > %s ORDER BY id LIMIT %s", (last, batch_size)
                    )
                rows = cur.fetchall()
            if not rows:
                return
            yield [product_from_row(r) for r in rows]
            last = rows[-1]["id"]

    def count_products(self) -> int:
        with self.connection() as conn:
            return _scalar(conn, "SELECT count(*) FROM products")

    def update_attributes(self, attributes: dict[int, dict[str, str]]) -> None:
        """Replace the visual attributes of existing products (one transaction)."""
        ids: list[int] = []
        texts: list[str] = []
        for pid, text in attribute_updates(attributes):
            (pid,) = _check_ids([pid], "product")
            _check_text(text, f"product {pid}: attributes")
            ids.append(pid)
            texts.append(text)
        if not ids:
            return
        with self.connection() as conn:
            present = {
                r[0]
                for r in conn.execute(
                    "SELECT id FROM products WHERE id = ANY(%s::bigint[])", (ids,)
                ).fetchall()
            }
            for pid in ids:
                if pid not in present:
                    raise NotFoundError("product", pid)
            conn.execute(
                "UPDATE products AS p SET attributes = u.attributes "
                "FROM unnest(%s::bigint[], %s::jsonb[]) AS u (id, attributes) WHERE p.id = u.id",
                (ids, texts),
            )

    def delete_products(self, ids: Iterable[int]) -> int:
        """Delete products with their vectors and events (one transaction); returns how many.

        Unknown ids are ignored. Events go too because they could no longer name a product.
        """
        wanted = list(dict.fromkeys(_lookup_ids(list(ids), "product")))
        if not wanted:
            return 0
        with self.connection() as conn:
            return conn.execute("DELETE FROM products WHERE id = ANY(%s::bigint[])", (wanted,)).rowcount

    # -- users and events ---------------------------------------------------------------------

    def upsert_users(self, users: Sequence[User]) -> None:
        rows = [_user_values(u) for u in users]
        require_unique([r[0] for r in rows], "user", "upsert")
        if not rows:
            return
        with self.connection() as conn:
            conn.execute(
                "INSERT INTO users (id, name, segment, description, is_persona) "
                "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::boolean[]) "
                "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, segment = EXCLUDED.segment, "
                "description = EXCLUDED.description, is_persona = EXCLUDED.is_persona",
                [list(col) for col in zip(*rows, strict=True)],
            )

    def get_user(self, user_id: int) -> User | None:
        uid = _one_id(user_id, "user")
        if uid is None:
            return None
        with self.connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute("SELECT * FROM users WHERE id = %s", (uid,))
                .fetchone()
            )
        return None if row is None else user_from_row(row)

    def list_users(self, personas_only: bool = False, limit: int = 100, offset: int = 0) -> list[User]:
        """Users in id order; ``personas_only`` keeps the hand-written personas."""
        check_page(limit, offset)
        with self.connection() as conn:
            rows = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    "SELECT * FROM users WHERE is_persona OR NOT %s ORDER BY id LIMIT %s OFFSET %s",
                    (bool(personas_only), limit, offset),
                )
                .fetchall()
            )
        return [user_from_row(r) for r in rows]

    def add_events(self, events: Sequence[Event]) -> int:
        """Append events (one transaction); returns how many were added."""
        rows: list[tuple[int, int, str, datetime, bool]] = []
        for e in events:
            uid, pid, kind = event_keys(e)
            _check_ids([uid], "user")
            _check_ids([pid], "product")
            when, naive = _timestamp(e.timestamp, "event timestamp")
            rows.append((uid, pid, kind.value, when, naive))
        if not rows:
            return 0
        with self.connection() as conn:
            _require_existing(conn, "users", {r[0] for r in rows}, "user")
            _require_existing(conn, "products", {r[1] for r in rows}, "product")
            # WITH ORDINALITY + ORDER BY keeps the identity column in the order the events came.
            conn.execute(
                "INSERT INTO events (user_id, product_id, type, occurred_at, naive) "
                "SELECT u, p, t, o, n FROM unnest(%s::bigint[], %s::bigint[], %s::text[], "
                "%s::timestamptz[], %s::boolean[]) WITH ORDINALITY AS x (u, p, t, o, n, i) ORDER BY i",
                [list(col) for col in zip(*rows, strict=True)],
            )
        return len(rows)

    def events_for_user(self, user_id: int) -> list[Event]:
        """One user's events, oldest first (insertion order among equal timestamps)."""
        uid = _one_id(user_id, "user")
        if uid is None:
            return []
        with self.connection() as conn:
            rows = (
                conn.cursor(row_factory=dict_row)
                .execute("SELECT * FROM events WHERE user_id = %s ORDER BY occurred_at, id", (uid,))
                .fetchall()
            )
        return [_event_from_row(r) for r in rows]

    def iter_events(self, batch_size: int = 10_000) -> Iterator[list[Event]]:
        """All events in insertion order, in lists of at most ``batch_size``."""
        check_batch_size(batch_size)
        last = 0
        while True:
            with self.connection() as conn:
                rows = (
                    conn.cursor(row_factory=dict_row)
                    .execute("SELECT * FROM events WHERE id > %s ORDER BY id LIMIT %s", (last, batch_size))
                    .fetchall()
                )
            if not rows:
                return
            yield [_event_from_row(r) for r in rows]
            last = rows[-1]["id"]

    def count_events(self) -> int:
        with self.connection() as conn:
            return _scalar(conn, "SELECT count(*) FROM events")

    # -- vectors ------------------------------------------------------------------------------

    def put_vectors(
        self,
        space: str,
        model: str,
        ids: Sequence[int],
        vectors: np.ndarray,
        content_hashes: Sequence[str],
    ) -> None:
        """Add or replace the vectors of ``ids`` in ``space``: the batch lands whole or not at all."""
        pids, arr = check_vector_batch(space, model, ids, vectors, content_hashes)
        _check_ids(pids, "product")
        _check_text(model, "model name")
        if arr.shape[1] > 16_000:
            raise ValidationError(f"pgvector stores at most 16,000 dimensions, got {arr.shape[1]}")
        for h in content_hashes:
            _check_text(h, "content hash")
        if not pids:
            return
        dim = int(arr.shape[1])
        big_endian = arr.astype(">f4")
        with self.connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_vector_lock_key(space, model),))
            dims = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT dim FROM embeddings WHERE space = %s AND model = %s ORDER BY dim",
                    (space, model),
                ).fetchall()
            ]
            if set(dims) - {dim}:
                raise ValidationError(
                    f"space {space!r} already holds {'/'.join(map(str, dims))}-d vectors "
                    f"of model {model!r}; got {dim}-d ones"
                )
            _require_existing(conn, "products", set(pids), "product")
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS fs_vector_stage "
                "(product_id bigint, content_hash text, vector vector) ON COMMIT DELETE ROWS"
            )
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY fs_vector_stage (product_id, content_hash, vector) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(["int8", "text", "vector"])
                    for i, (pid, h) in enumerate(zip(pids, content_hashes, strict=True)):
                        copy.write_row((pid, h, PgVector(big_endian[i])))
                cur.execute(
                    "INSERT INTO embeddings "
                    "(product_id, space, model, dim, content_hash, vector, created_at) "
                    "SELECT product_id, %s, %s, %s, content_hash, vector, now() FROM fs_vector_stage "
                    "ON CONFLICT (product_id, space) DO UPDATE SET model = EXCLUDED.model, "
                    "dim = EXCLUDED.dim, content_hash = EXCLUDED.content_hash, vector = EXCLUDED.vector, "
                    "created_at = EXCLUDED.created_at",
                    (space, model, dim),
                )

    def embedding_info(self, space: str) -> dict[int, EmbeddingInfo]:
        """Model, dimension, content hash and time of every stored vector in ``space``."""
        check_space(space)
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT product_id, model, dim, content_hash, created_at FROM embeddings "
                "WHERE space = %s ORDER BY product_id",
                (space,),
            ).fetchall()
        return {
            pid: EmbeddingInfo(pid, space, model, dim, content_hash, created.astimezone(UTC))
            for pid, model, dim, content_hash, created in rows
        }

    def vector_groups(self, space: str) -> list[tuple[str, int, int]]:
        """``(model, dim, count)`` of every model stored in ``space``."""
        check_space(space)
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT model, dim, count(*) FROM embeddings WHERE space = %s "
                "GROUP BY model, dim ORDER BY model, dim",
                (space,),
            ).fetchall()
        return [(m, int(d), int(n)) for m, d, n in rows]

    def load_vectors(self, space: str, model: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All vectors of one space as ``(ids int64 (n,), vectors float32 (n, dim))``, ids ascending.

        With ``model=None`` the space must hold the vectors of a single model (else StoreError).
        """
        check_space(space)
        group = single_vector_group(
            space, [g for g in self.vector_groups(space) if model is None or g[0] == model]
        )
        if group is None:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        chosen, dim, _ = group
        with self.connection() as conn:
            cur = conn.cursor(binary=True)
            rows = cur.execute(
                "SELECT product_id, vector FROM embeddings WHERE space = %s AND model = %s "
                "ORDER BY product_id",
                (space, chosen),
            ).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        out = np.empty((len(rows), dim), dtype=np.float32)
        for i, (pid, data) in enumerate(rows):
            vec = parse_vector(data)
            if vec.shape[0] != dim:
                raise StoreError(f"store at {self._where}: vector of product {pid} is damaged")
            out[i] = vec
        return ids, out

    def get_vectors(self, space: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of the given ids in ``space``; ids without a vector are left out."""
        check_space(space)
        wanted = list(dict.fromkeys(_lookup_ids(ids, "product")))
        if not wanted:
            return {}
        with self.connection() as conn:
            rows = (
                conn.cursor(binary=True)
                .execute(
                    "SELECT product_id, vector FROM embeddings WHERE space = %s "
                    "AND product_id = ANY(%s::bigint[])",
                    (space, wanted),
                )
                .fetchall()
            )
        return {pid: parse_vector(data) for pid, data in rows}

    def delete_vectors(self, space: str, ids: Iterable[int] | None = None) -> int:
        """Delete the vectors of ``ids`` (every vector when None) in ``space``; returns how many."""
        check_space(space)
        with self.connection() as conn:
            if ids is None:
                return conn.execute("DELETE FROM embeddings WHERE space = %s", (space,)).rowcount
            wanted = list(dict.fromkeys(_lookup_ids(list(ids), "product")))
            if not wanted:
                return 0
            return conn.execute(
                "DELETE FROM embeddings WHERE space = %s AND product_id = ANY(%s::bigint[])", (space, wanted)
            ).rowcount

    # -- HNSW indexes -------------------------------------------------------------------------

    def vector_indexes(self) -> list[VectorIndexInfo]:
        """The HNSW indexes that exist, by space and dimension."""
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am a ON a.oid = c.relam "
                "WHERE a.amname = 'hnsw' AND t.relnamespace = "
                "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY c.relname"
            ).fetchall()
        out: list[VectorIndexInfo] = []
        for (name,) in rows:
            match = re.fullmatch(r"embeddings_(image|text|hybrid)_hnsw_(\d+)", name)
            if match:
                out.append(VectorIndexInfo(match[1], int(match[2]), name))
        return out

    def ensure_vector_index(
        self,
        space: str,
        dim: int,
        *,
        m: int = HNSW_M,
        ef_construction: int = HNSW_EF_CONSTRUCTION,
        maintenance_work_mem: str = "512MB",
    ) -> bool:
        """Create the HNSW cosine index of ``space`` for ``dim``-d vectors unless it exists.

        Returns whether it was created. Building locks writes to that space for its duration
        (tens of seconds at 44k vectors); later writes keep it up to date.
        """
        check_space(space)
        for name, value, low, high in (("dim", dim, 1, MAX_HNSW_DIM), ("m", m, 2, 100)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(f"HNSW {name} must be an integer in [{low}, {high}], got {value!r}")
        if (
            isinstance(ef_construction, bool)
            or not isinstance(ef_construction, int)
            or not (4 <= ef_construction <= 1000 and ef_construction >= 2 * m)
        ):
            raise ValidationError(
                f"HNSW ef_construction must be an integer in [2*m, 1000], got {ef_construction!r}"
            )
        table = f"embeddings_{space}"
        name = f"{table}_hnsw_{dim}"
        # DDL takes no parameters: every piece below is a whitelisted name or a checked integer.
        ddl = sql.SQL(
            "CREATE INDEX IF NOT EXISTS {name} ON {table} "
            "USING hnsw ((vector::vector({dim})) vector_cosine_ops) "
            "WITH (m = {m}, ef_construction = {ef}) WHERE dim = {dim}"
        ).format(
            name=sql.Identifier(name),
            table=sql.Identifier(table),
            dim=sql.Literal(dim),
            m=sql.Literal(m),
            ef=sql.Literal(ef_construction),
        )
        with self.connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            exists = conn.execute(
                "SELECT 1 FROM pg_class WHERE relname = %s "
                "AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
                (name,),
            ).fetchone()
            if exists is not None:
                return False
            conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (maintenance_work_mem,))
            conn.execute(ddl)
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        return True

    def analyze(self) -> None:
        """Refresh the planner's statistics (after bulk loads; autovacuum does it eventually)."""
        with self.connection() as conn:
            conn.execute("ANALYZE products")
            conn.execute("ANALYZE embeddings")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _scalar(conn: psycopg.Connection[Any], query: LiteralString, params: Sequence[Any] = ()) -> int:
    row = conn.execute(query, params).fetchone()
    return 0 if row is None else int(row[0])


def _reason(e: psycopg.Error) -> str:
    primary = e.diag.message_primary
    if primary:
        return primary
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _require_existing(conn: psycopg.Connection[Any], table: str, ids: set[int], kind: str) -> None:
    """Name the missing ids instead of letting a bare foreign-key failure surface."""
    id_list = sorted(ids)
    query = sql.SQL("SELECT id FROM {} WHERE id = ANY(%s::bigint[])").format(sql.Identifier(table))
    present = {r[0] for r in conn.execute(query, (id_list,)).fetchall()}
    require_present(kind, id_list, present)

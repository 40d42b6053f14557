"""The embedded default store: one SQLite file (``store.db``) in a local directory.

SQLAlchemy Core over the standard library's ``sqlite3`` driver, in WAL mode so that readers never
wait for the writer. Every public method takes its own pooled connection, so one store object may
be shared by the API's worker threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from fashion_search.domain import Event, EventType, Product, User
from fashion_search.errors import NotFoundError, StoreError, ValidationError
from fashion_search.store.base import EmbeddingInfo, UpsertResult
from fashion_search.store.rows import (
    PRODUCT_COLUMNS,
    attribute_updates,
    check_batch_size,
    check_ids,
    check_page,
    check_schema_version,
    check_space,
    check_vector_batch,
    event_keys,
    product_from_row,
    product_values,
    require_present,
    require_unique,
    single_vector_group,
    user_from_row,
    user_values,
)

SCHEMA_VERSION = 1
"""Version of the table layout this code reads and writes."""

DB_FILENAME = "store.db"

# Stay well below SQLite's bound-parameter limit when expanding ``IN (...)`` lists.
_CHUNK = 500
_VECTOR_DTYPE = np.dtype("<f4")

_metadata = sa.MetaData()

_schema_version = sa.Table(
    "schema_version",
    _metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

_products = sa.Table(
    "products",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("gender", sa.Text),
    sa.Column("master_category", sa.Text),
    sa.Column("sub_category", sa.Text),
    sa.Column("article_type", sa.Text),
    sa.Column("base_colour", sa.Text),
    sa.Column("season", sa.Text),
    sa.Column("year", sa.Integer),
    sa.Column("usage", sa.Text),
    sa.Column("price", sa.Float),
    sa.Column("image_status", sa.Text, nullable=False),
    sa.Column("image_file", sa.Text),
    sa.Column("attributes", sa.Text, nullable=False, server_default="{}"),
)

_users = sa.Table(
    "users",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("segment", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("is_persona", sa.Boolean, nullable=False, server_default=sa.text("0")),
)

_events = sa.Table(
    "events",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    # ISO 8601 text with a fixed layout, so that text order is time order and time zones survive.
    sa.Column("timestamp", sa.Text, nullable=False),
    sa.Index("ix_events_user_id", "user_id"),
    sqlite_autoincrement=True,
)

_embeddings = sa.Table(
    "embeddings",
    _metadata,
    sa.Column("product_id", sa.Integer, sa.ForeignKey("products.id"), nullable=False),
    sa.Column("space", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("dim", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("product_id", "space"),
    sa.Index("ix_embeddings_space_product", "space", "product_id"),
    # Lets put_vectors check "one dimension per model and space" without scanning the table.
    sa.Index("ix_embeddings_space_model_dim", "space", "model", "dim"),
)

_USER_COLUMNS = ("id", "name", "segment", "description", "is_persona")


# --------------------------------------------------------------------------------------------
# conversions
# --------------------------------------------------------------------------------------------


def _timestamp_text(value: datetime, what: str) -> str:
    if not isinstance(value, datetime):
        raise ValidationError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def _event_from_row(row: Mapping[Any, Any]) -> Event:
    return Event(
        user_id=row["user_id"],
        product_id=row["product_id"],
        type=EventType(row["type"]),
        timestamp=datetime.fromisoformat(row["timestamp"]),
    )


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------


class SqliteStore:
    """Products, users, events and vectors in ``<directory>/store.db`` (created when missing)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the store directory {self.directory}: {e}") from e
        if not self.directory.is_dir():
            raise StoreError(f"store location {self.directory} exists and is not a directory")
        self.path = self.directory / DB_FILENAME
        self._engine = self._make_engine(self.path)
        try:
            self._migrate()
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.directory)!r})"

    # -- connection handling -----------------------------------------------------------------

    @staticmethod
    def _make_engine(path: Path) -> Engine:
        engine = sa.create_engine(
            f"sqlite+pysqlite:///{path}",
            connect_args={"check_same_thread": False, "timeout": 30.0},
        )

        @sa_event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide where transactions begin (see "begin").
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA busy_timeout=30000")
            finally:
                cursor.close()

        @sa_event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Writers take the write lock up front: a deferred transaction that reads and then
            # writes can fail with "database is locked" when another writer got in between.
            immediate = conn.get_execution_options().get("fs_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn, conn.begin():
                yield conn
        except sa_exc.IntegrityError as e:  # pragma: no cover - reads cannot violate constraints
            raise StoreError(f"store {self.path}: {e.orig}") from e
        except sa_exc.DBAPIError as e:
            raise StoreError(f"store {self.path} cannot be read: {e.orig}") from e

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        try:
            with self._engine.connect() as conn:
                conn.execution_options(fs_write=True)
                with conn.begin():
                    yield conn
        except sa_exc.IntegrityError as e:
            raise ValidationError(f"store {self.path} rejected the write: {e.orig}") from e
        except sa_exc.DBAPIError as e:
            raise StoreError(f"store {self.path} cannot be written: {e.orig}") from e

    def _migrate(self) -> None:
        with self._write() as conn:
            existing = sa.inspect(conn).get_table_names()
            if "schema_version" in existing:
                version = conn.execute(sa.select(sa.func.max(_schema_version.c.version))).scalar()
                check_schema_version(f"store {self.path}", version, SCHEMA_VERSION)
            _metadata.create_all(conn)
            if conn.execute(sa.select(sa.func.count()).select_from(_schema_version)).scalar() == 0:
                conn.execute(sa.insert(_schema_version).values(version=SCHEMA_VERSION))

    def close(self) -> None:
        """Close every pooled connection; the object must not be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- products -----------------------------------------------------------------------------

    def upsert_products(self, products: Sequence[Product]) -> UpsertResult:
        """Insert new products and update changed ones, in one transaction; counts each kind."""
        rows = [dict(zip(PRODUCT_COLUMNS, product_values(p), strict=True)) for p in products]
        require_unique([r["id"] for r in rows], "product", "upsert")
        if not rows:
            return UpsertResult(0, 0, 0)
        inserted: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        with self._write() as conn:
            existing: dict[int, dict[Any, Any]] = {}
            for chunk in _chunks([r["id"] for r in rows]):
                for found in conn.execute(sa.select(_products).where(_products.c.id.in_(chunk))).mappings():
                    existing[found["id"]] = dict(found)
            for row in rows:
                old = existing.get(row["id"])
                if old is None:
                    inserted.append(row)
                elif old != row:
                    updated.append(row)
            if inserted:
                conn.execute(sa.insert(_products), inserted)
            if updated:
                stmt = (
                    sa.update(_products)
                    .where(_products.c.id == sa.bindparam("b_id"))
                    .values({c: sa.bindparam(f"b_{c}") for c in PRODUCT_COLUMNS[1:]})
                )
                conn.execute(stmt, [{f"b_{k}": v for k, v in r.items()} for r in updated])
        return UpsertResult(len(inserted), len(updated), len(rows) - len(inserted) - len(updated))

    def get_product(self, product_id: int) -> Product | None:
        (pid,) = check_ids([product_id], "product")
        with self._read() as conn:
            row = conn.execute(sa.select(_products).where(_products.c.id == pid)).mappings().first()
        return None if row is None else product_from_row(row)

    def get_products(self, ids: Sequence[int]) -> list[Product]:
        """The products with these ids, in the order asked; unknown ids are left out."""
        wanted = check_ids(ids, "product")
        found: dict[int, Product] = {}
        with self._read() as conn:
            for chunk in _chunks(list(dict.fromkeys(wanted))):
                for row in conn.execute(sa.select(_products).where(_products.c.id.in_(chunk))).mappings():
                    found[row["id"]] = product_from_row(row)
        return [found[i] for i in wanted if i in found]

    def iter_products(self, batch_size: int = 1000) -> Iterator[list[Product]]:
        """All products in id order, in lists of at most ``batch_size``."""
        check_batch_size(batch_size)
        last: int | None = None
        while True:
            stmt = sa.select(_products).order_by(_products.c.id).limit(batch_size)
            if last is not None:
                stmt = stmt.where(_products.c.id > last)
            with self._read() as conn:
                batch = [product_from_row(r) for r in conn.execute(stmt).mappings()]
            if not batch:
                return
            yield batch
            last = batch[-1].id

    def count_products(self) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(_products)).scalar_one())

    def update_attributes(self, attributes: dict[int, dict[str, str]]) -> None:
        """Replace the visual attributes of existing products (one transaction)."""
        params = [{"b_id": pid, "b_attributes": text} for pid, text in attribute_updates(attributes)]
        if not params:
            return
        with self._write() as conn:
            present: set[int] = set()
            for chunk in _chunks([p["b_id"] for p in params]):
                present.update(
                    conn.execute(sa.select(_products.c.id).where(_products.c.id.in_(chunk))).scalars()
                )
            for p in params:
                if p["b_id"] not in present:
                    raise NotFoundError("product", p["b_id"])
            stmt = (
                sa.update(_products)
                .where(_products.c.id == sa.bindparam("b_id"))
                .values(attributes=sa.bindparam("b_attributes"))
            )
            conn.execute(stmt, params)

    # -- users and events ---------------------------------------------------------------------

    def upsert_users(self, users: Sequence[User]) -> None:
        rows: list[dict[str, Any]] = [dict(zip(_USER_COLUMNS, user_values(u), strict=True)) for u in users]
        require_unique([r["id"] for r in rows], "user", "upsert")
        if not rows:
            return
        stmt = sqlite_insert(_users)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_users.c.id],
            set_={c: stmt.excluded[c] for c in _USER_COLUMNS[1:]},
        )
        with self._write() as conn:
            conn.execute(stmt, rows)

    def get_user(self, user_id: int) -> User | None:
        (uid,) = check_ids([user_id], "user")
        with self._read() as conn:
            row = conn.execute(sa.select(_users).where(_users.c.id == uid)).mappings().first()
        return None if row is None else user_from_row(row)

    def list_users(self, personas_only: bool = False, limit: int = 100, offset: int = 0) -> list[User]:
        """Users in id order; ``personas_only`` keeps the hand-written personas."""
        check_page(limit, offset)
        stmt = sa.select(_users).order_by(_users.c.id).limit(limit).offset(offset)
        if personas_only:
            stmt = stmt.where(_users.c.is_persona.is_(True))
        with self._read() as conn:
            return [user_from_row(r) for r in conn.execute(stmt).mappings()]

    def add_events(self, events: Sequence[Event]) -> int:
        """Append events (one transaction); returns how many were added."""
        rows: list[dict[str, Any]] = []
        for e in events:
            uid, pid, kind = event_keys(e)
            rows.append(
                {
                    "user_id": uid,
                    "product_id": pid,
                    "type": kind.value,
                    "timestamp": _timestamp_text(e.timestamp, "event timestamp"),
                }
            )
        if not rows:
            return 0
        with self._write() as conn:
            self._require_existing(conn, _users, {r["user_id"] for r in rows}, "user")
            self._require_existing(conn, _products, {r["product_id"] for r in rows}, "product")
            conn.execute(sa.insert(_events), rows)
        return len(rows)

    def events_for_user(self, user_id: int) -> list[Event]:
        """One user's events, oldest first (insertion order among equal timestamps)."""
        (uid,) = check_ids([user_id], "user")
        stmt = sa.select(_events).where(_events.c.user_id == uid).order_by(_events.c.timestamp, _events.c.id)
        with self._read() as conn:
            return [_event_from_row(r) for r in conn.execute(stmt).mappings()]

    def iter_events(self, batch_size: int = 10_000) -> Iterator[list[Event]]:
        """All events in insertion order, in lists of at most ``batch_size``."""
        check_batch_size(batch_size)
        last = 0
        while True:
            stmt = sa.select(_events).where(_events.c.id > last).order_by(_events.c.id).limit(batch_size)
            with self._read() as conn:
                rows = list(conn.execute(stmt).mappings())
            if not rows:
                return
            yield [_event_from_row(r) for r in rows]
            last = rows[-1]["id"]

    def count_events(self) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(_events)).scalar_one())

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
        arr = arr.astype(_VECTOR_DTYPE, copy=False)
        if not pids:
            return
        dim = int(arr.shape[1])
        created = _timestamp_text(datetime.now(UTC), "created_at")
        rows = [
            {
                "product_id": pid,
                "space": space,
                "model": model,
                "dim": dim,
                "content_hash": h,
                "vector": arr[i].tobytes(),
                "created_at": created,
            }
            for i, (pid, h) in enumerate(zip(pids, content_hashes, strict=True))
        ]
        stmt = sqlite_insert(_embeddings)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_embeddings.c.product_id, _embeddings.c.space],
            set_={c: stmt.excluded[c] for c in ("model", "dim", "content_hash", "vector", "created_at")},
        )
        with self._write() as conn:
            other_dim = conn.execute(
                sa.select(_embeddings.c.dim)
                .where(
                    _embeddings.c.space == space,
                    _embeddings.c.model == model,
                    _embeddings.c.dim != dim,
                )
                .limit(1)
            ).scalar()
            if other_dim is not None:
                raise ValidationError(
                    f"space {space!r} already holds {other_dim}-d vectors "
                    f"of model {model!r}; got {dim}-d ones"
                )
            self._require_existing(conn, _products, set(pids), "product")
            conn.execute(stmt, rows)

    def embedding_info(self, space: str) -> dict[int, EmbeddingInfo]:
        """Model, dimension, content hash and time of every stored vector in ``space``."""
        check_space(space)
        cols = [
            _embeddings.c.product_id,
            _embeddings.c.model,
            _embeddings.c.dim,
            _embeddings.c.content_hash,
            _embeddings.c.created_at,
        ]
        stmt = sa.select(*cols).where(_embeddings.c.space == space).order_by(_embeddings.c.product_id)
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return {
            pid: EmbeddingInfo(pid, space, model, dim, content_hash, datetime.fromisoformat(created))
            for pid, model, dim, content_hash, created in rows
        }

    def load_vectors(self, space: str, model: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All vectors of one space as ``(ids int64 (n,), vectors float32 (n, dim))``, ids ascending.

        With ``model=None`` the space must hold the vectors of a single model (else StoreError).
        """
        check_space(space)
        where = [_embeddings.c.space == space]
        if model is not None:
            where.append(_embeddings.c.model == model)
        with self._read() as conn:
            groups = conn.execute(
                sa.select(_embeddings.c.model, _embeddings.c.dim, sa.func.count())
                .where(*where)
                .group_by(_embeddings.c.model, _embeddings.c.dim)
            ).all()
            group = single_vector_group(space, [(m, d, n) for m, d, n in groups])
            if group is None:
                return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
            _, dim, n = group
            ids = np.empty(n, dtype=np.int64)
            out = np.empty((n, dim), dtype=np.float32)
            stmt = (
                sa.select(_embeddings.c.product_id, _embeddings.c.vector)
                .where(*where)
                .order_by(_embeddings.c.product_id)
            )
            i = 0
            for pid, blob in conn.execute(stmt):
                if i >= n or len(blob) != dim * 4:
                    raise StoreError(f"store {self.path}: vector of product {pid} is damaged")
                ids[i] = pid
                out[i] = np.frombuffer(blob, dtype=_VECTOR_DTYPE)
                i += 1
            if i != n:
                raise StoreError(f"store {self.path}: expected {n} vectors in {space!r}, read {i}")
        return ids, out

    def get_vectors(self, space: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of the given ids in ``space``; ids without a vector are left out."""
        check_space(space)
        wanted = list(dict.fromkeys(check_ids(ids, "product")))
        out: dict[int, np.ndarray] = {}
        with self._read() as conn:
            for chunk in _chunks(wanted):
                stmt = sa.select(_embeddings.c.product_id, _embeddings.c.vector).where(
                    _embeddings.c.space == space, _embeddings.c.product_id.in_(chunk)
                )
                for pid, blob in conn.execute(stmt):
                    out[pid] = np.frombuffer(blob, dtype=_VECTOR_DTYPE).copy()
        return out

    def delete_vectors(self, space: str, ids: Iterable[int] | None = None) -> int:
        """Delete the vectors of ``ids`` (every vector when None) in ``space``; returns how many."""
        check_space(space)
        deleted = 0
        with self._write() as conn:
            if ids is None:
                return int(conn.execute(sa.delete(_embeddings).where(_embeddings.c.space == space)).rowcount)
            for chunk in _chunks(list(dict.fromkeys(check_ids(list(ids), "product")))):
                result = conn.execute(
                    sa.delete(_embeddings).where(
                        _embeddings.c.space == space, _embeddings.c.product_id.in_(chunk)
                    )
                )
                deleted += int(result.rowcount)
        return deleted

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _require_existing(conn: Connection, table: sa.Table, ids: set[int], kind: str) -> None:
        """Name the missing ids instead of letting a bare foreign-key failure surface."""
        present: set[int] = set()
        id_list = sorted(ids)
        for chunk in _chunks(id_list):
            present.update(conn.execute(sa.select(table.c.id).where(table.c.id.in_(chunk))).scalars())
        require_present(kind, id_list, present)

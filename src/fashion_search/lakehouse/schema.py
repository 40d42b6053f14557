"""The lakehouse tables: their columns, Arrow types, and the mapping to our domain types.

Column names follow the conventions of the Databricks retail / vector search examples that
fashion-search replaces (snake_case, ``product_id`` keys, embeddings as ``array<float>``):

=================  ==============================================================================
table              columns (Spark SQL types)
=================  ==============================================================================
``products``       product_id bigint, product_display_name string, gender string,
                   master_category string, sub_category string, article_type string,
                   base_colour string, season string, year int, usage string, price double,
                   image_path string, image_status string, attributes map<string,string>
``users``          user_id bigint, name string, segment string, description string, is_persona boolean
``events``         user_id bigint, product_id bigint, event_type string, event_ts timestamp (UTC)
``embeddings``     product_id bigint, space string, model string, dim int, content_hash string,
                   embedding array<float>, created_at timestamp (UTC)
=================  ==============================================================================

Mapping to :class:`~fashion_search.domain.Product`: ``product_id`` <- ``id``,
``product_display_name`` <- ``name`` (the catalog's ``productDisplayName``), ``image_path`` <-
``image_file`` (optionally under an ``image_root`` prefix such as ``/Volumes/main/shop/images``);
the other fields keep their names (the catalog's camelCase ``masterCategory``, ``subCategory``,
``articleType``, ``baseColour`` become snake_case). On import the native names (``id``,
``name``, ``image_file``) and the catalog's camelCase names are accepted too, and a missing
optional column reads as null. ``event_type`` is ``view``, ``add_to_cart`` or ``purchase``;
naive timestamps are taken as UTC.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa

from fashion_search.domain import FIELD_ALIASES, Event, EventType, ImageStatus, Product, User
from fashion_search.errors import ValidationError

TABLES: tuple[str, ...] = ("products", "users", "events", "embeddings")

PRODUCTS = pa.schema(
    [
        pa.field("product_id", pa.int64(), nullable=False),
        pa.field("product_display_name", pa.string()),
        pa.field("gender", pa.string()),
        pa.field("master_category", pa.string()),
        pa.field("sub_category", pa.string()),
        pa.field("article_type", pa.string()),
        pa.field("base_colour", pa.string()),
        pa.field("season", pa.string()),
        pa.field("year", pa.int32()),
        pa.field("usage", pa.string()),
        pa.field("price", pa.float64()),
        pa.field("image_path", pa.string()),
        pa.field("image_status", pa.string()),
        pa.field("attributes", pa.map_(pa.string(), pa.string())),
    ]
)
USERS = pa.schema(
    [
        pa.field("user_id", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("segment", pa.string()),
        pa.field("description", pa.string()),
        pa.field("is_persona", pa.bool_()),
    ]
)
EVENTS = pa.schema(
    [
        pa.field("user_id", pa.int64(), nullable=False),
        pa.field("product_id", pa.int64(), nullable=False),
        pa.field("event_type", pa.string()),
        pa.field("event_ts", pa.timestamp("us", tz="UTC")),
    ]
)
EMBEDDINGS = pa.schema(
    [
        pa.field("product_id", pa.int64(), nullable=False),
        pa.field("space", pa.string()),
        pa.field("model", pa.string()),
        pa.field("dim", pa.int32()),
        pa.field("content_hash", pa.string()),
        pa.field("embedding", pa.list_(pa.float32())),
        pa.field("created_at", pa.timestamp("us", tz="UTC")),
    ]
)
SCHEMAS: dict[str, pa.Schema] = {
    "products": PRODUCTS,
    "users": USERS,
    "events": EVENTS,
    "embeddings": EMBEDDINGS,
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "products": ("product_id", "product_display_name"),
    "users": ("user_id",),
    "events": ("user_id", "product_id", "event_type", "event_ts"),
    "embeddings": ("product_id", "space", "model", "embedding"),
}

# Other names a column may have in tables we import (our native names, the catalog's camelCase).
ALIASES: dict[str, dict[str, str]] = {
    "products": {
        "id": "product_id",
        "name": "product_display_name",
        "productDisplayName": "product_display_name",
        "display_name": "product_display_name",
        "image_file": "image_path",
        **{alias: column for alias, column in FIELD_ALIASES.items() if column not in ("name",)},
    },
    "users": {"id": "user_id"},
    "events": {"type": "event_type", "timestamp": "event_ts", "ts": "event_ts"},
    "embeddings": {"id": "product_id", "vector": "embedding", "hash": "content_hash"},
}


def table_name(name: str) -> str:
    """Validate a table name (one of :data:`TABLES`)."""
    if name not in TABLES:
        raise ValidationError(f"unknown lakehouse table {name!r}; tables: {', '.join(TABLES)}")
    return name


def canonical_columns(table: str, names: Sequence[str]) -> dict[str, str]:
    """Map the columns found in an imported table to ours: {found name: our name}.

    Raises ValidationError naming the missing required columns, or two columns meaning the same.
    """
    schema, aliases = SCHEMAS[table], ALIASES[table]
    ours = set(schema.names)
    mapping: dict[str, str] = {}
    for name in names:
        column = name if name in ours else aliases.get(name)
        if column is None:
            continue  # extra columns are ignored
        if column in mapping.values():
            other = next(k for k, v in mapping.items() if v == column)
            raise ValidationError(f"table {table!r} has two columns for {column!r}: {other!r} and {name!r}")
        mapping[name] = column
    missing = [c for c in REQUIRED[table] if c not in mapping.values()]
    if missing:
        raise ValidationError(
            f"table {table!r} lacks required column(s) {', '.join(missing)}; "
            f"found {', '.join(names) or 'none'}"
        )
    return mapping


# --------------------------------------------------------------------------------------------
# domain -> Arrow
# --------------------------------------------------------------------------------------------


def products_batch(products: Sequence[Product], image_root: str | None = None) -> pa.RecordBatch:
    def path(p: Product) -> str | None:
        if p.image_file is None or image_root is None:
            return p.image_file
        return f"{image_root.rstrip('/')}/{p.image_file}"

    columns: dict[str, list[Any]] = {
        "product_id": [p.id for p in products],
        "product_display_name": [p.name for p in products],
        **{
            name: [getattr(p, name) for p in products]
            for name in (
                "gender",
                "master_category",
                "sub_category",
                "article_type",
                "base_colour",
                "season",
                "year",
                "usage",
                "price",
            )
        },
        "image_path": [path(p) for p in products],
        "image_status": [str(p.image_status) for p in products],
        "attributes": [sorted(p.attributes.items()) for p in products],
    }
    return pa.RecordBatch.from_pydict(columns, schema=PRODUCTS)


def users_batch(users: Sequence[User]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "user_id": [u.id for u in users],
            "name": [u.name for u in users],
            "segment": [u.segment for u in users],
            "description": [u.description for u in users],
            "is_persona": [u.is_persona for u in users],
        },
        schema=USERS,
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def events_batch(events: Sequence[Event]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "user_id": [e.user_id for e in events],
            "product_id": [e.product_id for e in events],
            "event_type": [str(e.type) for e in events],
            "event_ts": [_utc(e.timestamp) for e in events],
        },
        schema=EVENTS,
    )


def embeddings_batch(
    space: str,
    model: str,
    ids: Sequence[int],
    vectors: Any,
    content_hashes: Sequence[str],
    created_at: Sequence[datetime | None],
) -> pa.RecordBatch:
    import numpy as np

    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = matrix.shape
    # A fixed-width float32 buffer viewed as a list column: no per-value Python objects.
    embedding = pa.ListArray.from_arrays(
        pa.array(np.arange(0, (n + 1) * dim, dim, dtype=np.int32)), pa.array(matrix.reshape(-1))
    )
    return pa.RecordBatch.from_arrays(
        [
            pa.array(list(ids), pa.int64()),
            pa.array([space] * n, pa.string()),
            pa.array([model] * n, pa.string()),
            pa.array([dim] * n, pa.int32()),
            pa.array(list(content_hashes), pa.string()),
            embedding,
            pa.array([None if t is None else _utc(t) for t in created_at], pa.timestamp("us", tz="UTC")),
        ],
        schema=EMBEDDINGS,
    )


# --------------------------------------------------------------------------------------------
# Arrow -> domain
# --------------------------------------------------------------------------------------------


def _rows(table: str, batch: pa.RecordBatch) -> Iterable[tuple[int, dict[str, Any]]]:
    mapping = canonical_columns(table, batch.schema.names)
    data = {
        mapping[name]: batch.column(i).to_pylist()
        for i, name in enumerate(batch.schema.names)
        if name in mapping
    }
    for i in range(batch.num_rows):
        yield i, {column: values[i] for column, values in data.items()}


def _int(value: Any, table: str, column: str, row: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValidationError(f"table {table!r} row {row}: {column} must be an integer, got {value!r}")
    return value


def _opt_str(value: Any, table: str, column: str, row: int) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValidationError(f"table {table!r} row {row}: {column} must be text, got {value!r}")


def products_from_batch(batch: pa.RecordBatch, image_root: str | None = None) -> list[Product]:
    out: list[Product] = []
    for row, r in _rows("products", batch):
        image_path = _opt_str(r.get("image_path"), "products", "image_path", row)
        image_file = None
        if image_path:
            if image_root is not None and image_path.startswith(image_root.rstrip("/") + "/"):
                image_path = image_path[len(image_root.rstrip("/")) + 1 :]
            # Products name their image relative to the catalog's images folder.
            image_file = image_path if "/" not in image_path else PurePosixPath(image_path).name
        status = r.get("image_status")
        try:
            image_status = (
                ImageStatus(status)
                if status is not None
                else (ImageStatus.PRESENT if image_file else ImageStatus.MISSING)
            )
        except ValueError:
            raise ValidationError(
                f"table 'products' row {row}: image_status must be one of "
                f"{', '.join(s.value for s in ImageStatus)}, got {status!r}"
            ) from None
        year = r.get("year")
        price = r.get("price")
        if price is not None and (isinstance(price, bool) or not isinstance(price, int | float)):
            raise ValidationError(f"table 'products' row {row}: price must be a number, got {price!r}")
        if price is not None and not math.isfinite(price):
            raise ValidationError(f"table 'products' row {row}: price must be finite, got {price!r}")
        name = r.get("product_display_name")
        attributes = r.get("attributes") or []
        out.append(
            Product(
                id=_int(r["product_id"], "products", "product_id", row),
                name=_opt_str(name, "products", "product_display_name", row) or "",
                gender=_opt_str(r.get("gender"), "products", "gender", row),
                master_category=_opt_str(r.get("master_category"), "products", "master_category", row),
                sub_category=_opt_str(r.get("sub_category"), "products", "sub_category", row),
                article_type=_opt_str(r.get("article_type"), "products", "article_type", row),
                base_colour=_opt_str(r.get("base_colour"), "products", "base_colour", row),
                season=_opt_str(r.get("season"), "products", "season", row),
                year=None if year is None else _int(year, "products", "year", row),
                usage=_opt_str(r.get("usage"), "products", "usage", row),
                price=None if price is None else float(price),
                image_status=image_status,
                image_file=image_file,
                attributes=dict(attributes.items() if isinstance(attributes, Mapping) else attributes),
            )
        )
    return out


def users_from_batch(batch: pa.RecordBatch) -> list[User]:
    return [
        User(
            id=_int(r["user_id"], "users", "user_id", row),
            name=_opt_str(r.get("name"), "users", "name", row) or f"user {r['user_id']}",
            segment=_opt_str(r.get("segment"), "users", "segment", row) or "",
            description=_opt_str(r.get("description"), "users", "description", row) or "",
            is_persona=bool(r.get("is_persona") or False),
        )
        for row, r in _rows("users", batch)
    ]


def events_from_batch(batch: pa.RecordBatch) -> list[Event]:
    out: list[Event] = []
    for row, r in _rows("events", batch):
        try:
            kind = EventType(r["event_type"])
        except ValueError:
            raise ValidationError(
                f"table 'events' row {row}: event_type must be one of "
                f"{', '.join(t.value for t in EventType)}, got {r['event_type']!r}"
            ) from None
        ts = r["event_ts"]
        if not isinstance(ts, datetime):
            raise ValidationError(f"table 'events' row {row}: event_ts must be a timestamp, got {ts!r}")
        out.append(
            Event(
                user_id=_int(r["user_id"], "events", "user_id", row),
                product_id=_int(r["product_id"], "events", "product_id", row),
                type=kind,
                timestamp=_utc(ts),
            )
        )
    return out

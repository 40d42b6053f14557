"""Checks and conversions between domain objects and table rows, shared by every store backend.

Both backends reject the same bad inputs with the same messages (the contract suite relies on it);
what only one database cannot hold (PostgreSQL's NUL characters and 64-bit ids, for example) is
checked by that backend on top of these.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from fashion_search.domain import SPACES, Event, EventType, ImageStatus, Product, User
from fashion_search.errors import StoreError, ValidationError

PRODUCT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "gender",
    "master_category",
    "sub_category",
    "article_type",
    "base_colour",
    "season",
    "year",
    "usage",
    "price",
    "image_status",
    "image_file",
    "attributes",
)
"""Columns of the ``products`` table, in table order (``attributes`` holds JSON text)."""


# -- ids, spaces, paging --------------------------------------------------------------------


def check_ids(ids: Iterable[Any], what: str) -> list[int]:
    """``ids`` as Python ints; anything that is not an integer (bools included) is rejected."""
    out: list[int] = []
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            raise ValidationError(f"{what} ids must be integers, got {i!r}")
        out.append(int(i))
    return out


def require_unique(ids: Sequence[int], what: str, call: str) -> None:
    """Reject a batch that names one id twice (``call`` names the method in the message)."""
    seen: set[int] = set()
    for i in ids:
        if i in seen:
            raise ValidationError(f"{what} id {i} appears more than once in one {call}")
        seen.add(i)


def require_present(kind: str, ids: Sequence[int], present: set[int]) -> None:
    """Name the ids missing from ``present`` instead of letting a bare foreign-key failure surface."""
    missing = [i for i in ids if i not in present]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise ValidationError(f"{len(missing)} unknown {kind} id(s): {shown}; add the {kind}s first")


def check_space(space: str) -> None:
    if space not in SPACES:
        raise ValidationError(f"unknown vector space {space!r}; known spaces: {', '.join(SPACES)}")


def check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise ValidationError(f"batch_size must be at least 1, got {batch_size}")


def check_page(limit: int, offset: int) -> None:
    if limit < 0 or offset < 0:
        raise ValidationError(f"limit and offset must not be negative, got {limit} and {offset}")


def check_schema_version(where: str, version: int | None, understood: int) -> None:
    """Refuse a store written by a newer fashion-search (``where`` names the store)."""
    if version is not None and version > understood:
        raise StoreError(
            f"{where} has schema version {version} but this fashion-search "
            f"understands version {understood}; upgrade fashion-search"
        )


# -- products --------------------------------------------------------------------------------


def check_attributes(product_id: int, attributes: Mapping[Any, Any]) -> dict[str, str]:
    """A copy of ``attributes``, which must map strings to strings."""
    out = dict(attributes)
    for key, value in out.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValidationError(
                f"product {product_id}: attributes must map strings to strings, got {key!r}: {value!r}"
            )
    return out


def attributes_text(attributes: Mapping[str, str]) -> str:
    """The stored JSON form of a product's attributes (sorted keys, so equal maps compare equal)."""
    return json.dumps(attributes, sort_keys=True, ensure_ascii=False)


def attribute_updates(attributes: Mapping[int, Mapping[str, str]]) -> list[tuple[int, str]]:
    """``(product id, attributes JSON)`` pairs for ``Store.update_attributes``, checked."""
    out: list[tuple[int, str]] = []
    for pid, attrs in attributes.items():
        (pid,) = check_ids([pid], "product")
        out.append((pid, attributes_text(check_attributes(pid, attrs))))
    return out


def product_values(p: Product) -> tuple[Any, ...]:
    """A ``products`` row in :data:`PRODUCT_COLUMNS` order, after the checks every backend makes."""
    if not isinstance(p, Product):
        raise ValidationError(f"expected a Product, got {type(p).__name__}")
    (pid,) = check_ids([p.id], "product")
    if p.price is not None and (
        isinstance(p.price, bool) or not isinstance(p.price, int | float) or not math.isfinite(p.price)
    ):
        raise ValidationError(f"product {pid}: price must be a finite number, got {p.price!r}")
    attributes = check_attributes(pid, p.attributes)
    try:
        status = ImageStatus(p.image_status)
    except ValueError:
        raise ValidationError(f"product {pid}: unknown image status {p.image_status!r}") from None
    return (
        pid,
        p.name,
        p.gender,
        p.master_category,
        p.sub_category,
        p.article_type,
        p.base_colour,
        p.season,
        p.year,
        p.usage,
        None if p.price is None else float(p.price),
        status.value,
        p.image_file,
        attributes_text(attributes),
    )


def product_from_row(row: Mapping[Any, Any]) -> Product:
    """A Product from a ``products`` row (``attributes`` as JSON text or an already decoded map)."""
    attributes = row["attributes"]
    if isinstance(attributes, str):
        attributes = json.loads(attributes)
    return Product(
        id=row["id"],
        name=row["name"],
        gender=row["gender"],
        master_category=row["master_category"],
        sub_category=row["sub_category"],
        article_type=row["article_type"],
        base_colour=row["base_colour"],
        season=row["season"],
        year=row["year"],
        usage=row["usage"],
        price=row["price"],
        image_status=ImageStatus(row["image_status"]),
        image_file=row["image_file"],
        attributes=dict(attributes),
    )


# -- users and events -----------------------------------------------------------------------


def user_values(u: User) -> tuple[int, str, str, str, bool]:
    """A ``users`` row ``(id, name, segment, description, is_persona)``."""
    if not isinstance(u, User):
        raise ValidationError(f"expected a User, got {type(u).__name__}")
    (uid,) = check_ids([u.id], "user")
    return (uid, u.name, u.segment, u.description, bool(u.is_persona))


def user_from_row(row: Mapping[Any, Any]) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        segment=row["segment"],
        description=row["description"],
        is_persona=bool(row["is_persona"]),
    )


def event_keys(e: Event) -> tuple[int, int, EventType]:
    """``(user id, product id, type)`` of an event; each backend stores the timestamp its own way."""
    if not isinstance(e, Event):
        raise ValidationError(f"expected an Event, got {type(e).__name__}")
    try:
        kind = EventType(e.type)
    except ValueError:
        raise ValidationError(f"unknown event type {e.type!r}") from None
    (uid,) = check_ids([e.user_id], "user")
    (pid,) = check_ids([e.product_id], "product")
    return uid, pid, kind


# -- vectors ---------------------------------------------------------------------------------


def check_vector_batch(
    space: str,
    model: str,
    ids: Sequence[int],
    vectors: np.ndarray,
    content_hashes: Sequence[str],
) -> tuple[list[int], np.ndarray]:
    """The arguments of ``Store.put_vectors`` checked: ``(product ids, float32 (n, dim) array)``."""
    check_space(space)
    if not isinstance(model, str) or not model:
        raise ValidationError(f"model name must be a non-empty string, got {model!r}")
    pids = check_ids(ids, "product")
    arr = np.asarray(vectors)
    if arr.ndim != 2 or arr.shape[0] != len(pids) or arr.shape[1] < 1:
        raise ValidationError(
            f"vectors must have shape ({len(pids)}, dim) to match {len(pids)} ids, got {arr.shape}"
        )
    if not np.issubdtype(arr.dtype, np.number):
        raise ValidationError(f"vectors must be numeric, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        bad = pids[int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])]
        raise ValidationError(f"vector of product {bad} in space {space!r} has non-finite values")
    if len(content_hashes) != len(pids):
        raise ValidationError(
            f"got {len(content_hashes)} content hashes for {len(pids)} ids; give one per id"
        )
    if not all(isinstance(h, str) for h in content_hashes):
        raise ValidationError("content hashes must be strings")
    require_unique(pids, "product", "put_vectors call")
    return pids, arr


def single_vector_group(space: str, groups: Sequence[tuple[str, int, int]]) -> tuple[str, int, int] | None:
    """The one ``(model, dim, count)`` group ``load_vectors`` reads; None for an empty space.

    Several models in one space are ambiguous without a model name (StoreError).
    """
    if not groups:
        return None
    if len(groups) > 1:
        found = ", ".join(f"{m} ({d}-d, {n} vectors)" for m, d, n in groups)
        raise StoreError(
            f"space {space!r} holds vectors of several models: {found}; "
            "pass the model name, or re-embed the catalog with one model"
        )
    return groups[0]

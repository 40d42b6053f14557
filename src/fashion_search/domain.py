"""The shared vocabulary on the ground floor: products, users, events, hits and filters.

Everything in the package may import this module; it imports nothing of ours except the error tree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from fashion_search.errors import FilterError

SPACES: tuple[str, ...] = ("image", "text", "hybrid")
"""The three vector spaces every catalog has."""


class ImageStatus(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    UNREADABLE = "unreadable"


class EventType(StrEnum):
    VIEW = "view"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"


@dataclass(frozen=True, slots=True)
class Product:
    """One catalog product. Field names are the snake_case forms of the ``styles.csv`` columns."""

    id: int
    name: str
    gender: str | None = None
    master_category: str | None = None
    sub_category: str | None = None
    article_type: str | None = None
    base_colour: str | None = None
    season: str | None = None
    year: int | None = None
    usage: str | None = None
    price: float | None = None
    image_status: ImageStatus = ImageStatus.MISSING
    image_file: str | None = None
    """Image file name relative to the catalog's image folder (never an absolute path)."""
    attributes: Mapping[str, str] = field(default_factory=dict)
    """Visual attributes (material, pattern, ...) with confident values only."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "gender": self.gender,
            "master_category": self.master_category,
            "sub_category": self.sub_category,
            "article_type": self.article_type,
            "base_colour": self.base_colour,
            "season": self.season,
            "year": self.year,
            "usage": self.usage,
            "price": self.price,
            "image_status": str(self.image_status),
            "image_file": self.image_file,
            "attributes": dict(self.attributes),
        }


PRODUCT_FIELDS: dict[str, type] = {
    "id": int,
    "name": str,
    "gender": str,
    "master_category": str,
    "sub_category": str,
    "article_type": str,
    "base_colour": str,
    "season": str,
    "year": int,
    "usage": str,
    "price": float,
    "image_status": str,
}
"""Product columns that filters may name, with the type their values must have."""

FIELD_ALIASES: dict[str, str] = {
    "productDisplayName": "name",
    "masterCategory": "master_category",
    "subCategory": "sub_category",
    "articleType": "article_type",
    "baseColour": "base_colour",
    "base_color": "base_colour",
    "color": "base_colour",
    "colour": "base_colour",
    "category": "master_category",
}
"""Alternative names accepted in filters (the catalog's camelCase columns, US spelling)."""

ATTRIBUTE_NAMES: tuple[str, ...] = (
    "material",
    "pattern",
    "formality",
    "sleeve_length",
    "neckline",
    "fit",
    "style",
    "details",
)
"""The visual attributes the tagger fills in ``Product.attributes``."""
ATTRIBUTE_SEPARATOR = ", "
"""Separates the values of a multi-valued attribute (``"pockets, zipper"``)."""
ATTRIBUTE_FIELDS: dict[str, str] = {f"attr_{name}": name for name in ATTRIBUTE_NAMES}
"""Filterable text fields over ``Product.attributes`` (``attr_material`` reads ``attributes["material"]``).

A product matches ``attr_x = v`` when ``v`` is one of its values of ``x`` (values of a multi-valued
attribute are separated by :data:`ATTRIBUTE_SEPARATOR`); ``!=`` and ``not in`` keep products without
the value, including those with no value at all, as for the product columns. The bare attribute name
(``material``) is accepted as an alias.
"""


def attribute_values(product: Product, field_name: str) -> frozenset[str]:
    """The values of the attribute behind ``field_name`` (``attr_material``) that ``product`` has."""
    raw = product.attributes.get(ATTRIBUTE_FIELDS[field_name])
    if not raw:
        return frozenset()
    return frozenset(v.strip() for v in raw.split(ATTRIBUTE_SEPARATOR.strip()) if v.strip())


def field_kind(name: str) -> type:
    """The value type of a canonical filter field (product column or attribute field)."""
    if name in ATTRIBUTE_FIELDS:
        return str
    return PRODUCT_FIELDS[name]


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    segment: str
    description: str = ""
    is_persona: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    user_id: int
    product_id: int
    type: EventType
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class Hit:
    """A whole product with its score for one query."""

    product: Product
    score: float


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


class Op(StrEnum):
    EQ = "="
    NE = "!="
    IN = "in"
    NOT_IN = "not in"
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


RANGE_OPS = frozenset({Op.GT, Op.GE, Op.LT, Op.LE})
MAX_IN_VALUES = 1000


@dataclass(frozen=True, slots=True)
class Condition:
    """One validated condition ``field op value``. Construct with :func:`condition`."""

    field: str
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class Filter:
    """A conjunction (AND) of conditions. The empty filter matches every product."""

    conditions: tuple[Condition, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.conditions)

    def matches(self, product: Product) -> bool:
        """Reference semantics of a filter on one product (the backends must agree with this)."""
        return all(
            _matches_values(c, attribute_values(product, c.field))
            if c.field in ATTRIBUTE_FIELDS
            else _matches(c, getattr(product, c.field))
            for c in self.conditions
        )

    def and_(self, other: Filter | None) -> Filter:
        if other is None:
            return self
        return Filter(self.conditions + other.conditions)

    def fields(self) -> set[str]:
        return {c.field for c in self.conditions}


def _matches(c: Condition, value: Any) -> bool:
    if isinstance(value, StrEnum):
        value = str(value)
    if c.op is Op.EQ:
        return value is not None and value == c.value
    if c.op is Op.NE:
        # NOT keeps products whose value is null: "not Black" includes "no colour recorded".
        return value is None or value != c.value
    if c.op is Op.IN:
        return value is not None and value in c.value
    if c.op is Op.NOT_IN:
        return value is None or value not in c.value
    if value is None:
        return False
    if c.op is Op.GT:
        return bool(value > c.value)
    if c.op is Op.GE:
        return bool(value >= c.value)
    if c.op is Op.LT:
        return bool(value < c.value)
    return bool(value <= c.value)


def _matches_values(c: Condition, values: frozenset[str]) -> bool:
    """A condition on a (possibly multi-valued) attribute: does the product have the value?"""
    if c.op is Op.EQ:
        return c.value in values
    if c.op is Op.NE:
        return c.value not in values
    if c.op is Op.IN:
        return not values.isdisjoint(c.value)
    if c.op is Op.NOT_IN:
        return values.isdisjoint(c.value)
    return False


def canonical_field(name: str) -> str:
    """Map a field name or alias to the product column; :class:`FilterError` if unknown."""
    key = FIELD_ALIASES.get(name, name)
    if key in PRODUCT_FIELDS or key in ATTRIBUTE_FIELDS:
        return key
    if key in ATTRIBUTE_NAMES:
        return f"attr_{key}"
    raise FilterError(
        f"unknown filter field {name!r}; known fields: "
        f"{', '.join(sorted(PRODUCT_FIELDS) + sorted(ATTRIBUTE_FIELDS))}"
    )


def _coerce(field_name: str, value: Any) -> Any:
    kind = field_kind(field_name)
    if isinstance(value, bool):
        raise FilterError(f"filter value for {field_name!r} must be {kind.__name__}, got a boolean")
    if kind is str:
        if not isinstance(value, str):
            raise FilterError(f"filter value for {field_name!r} must be a string, got {value!r}")
        if len(value) > 500:
            raise FilterError(f"filter value for {field_name!r} is longer than 500 characters")
        return value
    if isinstance(value, str):
        try:
            value = float(value) if kind is float else int(value)
        except ValueError:
            raise FilterError(f"filter value for {field_name!r} must be a number, got {value!r}") from None
    if not isinstance(value, int | float):
        raise FilterError(f"filter value for {field_name!r} must be a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise FilterError(f"filter value for {field_name!r} must be a finite number, got {value!r}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise FilterError(f"filter value for {field_name!r} must be an integer, got {value!r}")
        return int(value)
    return float(value)


def condition(field_name: str, op: str | Op, value: Any) -> Condition:
    """Build a validated condition; raises :class:`FilterError` naming what is wrong."""
    key = canonical_field(field_name)
    try:
        op_ = Op(op.lower() if isinstance(op, str) else op)
    except ValueError:
        raise FilterError(
            f"unknown filter operator {op!r} for field {field_name!r}; "
            f"known operators: {', '.join(o.value for o in Op)}"
        ) from None
    if op_ in (Op.IN, Op.NOT_IN):
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
            raise FilterError(f"operator {op_.value!r} on {field_name!r} needs a list of values")
        if len(value) > MAX_IN_VALUES:
            raise FilterError(
                f"operator {op_.value!r} on {field_name!r} takes at most {MAX_IN_VALUES} values"
            )
        return Condition(key, op_, frozenset(_coerce(key, v) for v in value))
    if op_ in RANGE_OPS and field_kind(key) is str:
        raise FilterError(f"range operator {op_.value!r} needs a numeric field; {field_name!r} is text")
    return Condition(key, op_, _coerce(key, value))


def where(**equalities: Any) -> Filter:
    """Shorthand for tests and scripts: ``where(gender="Men", article_type=["Shirts", "Tshirts"])``."""
    conds = [
        condition(k, Op.IN if isinstance(v, list | tuple | set) else Op.EQ, v) for k, v in equalities.items()
    ]
    return Filter(tuple(conds))


PRICE_TIERS: tuple[tuple[float, str], ...] = ((25.0, "budget"), (75.0, "mid-range"), (200.0, "premium"))
"""Upper bounds (exclusive) of the price tiers; anything above the last is "luxury"."""


def price_tier(price: float | None) -> str | None:
    """Human price tier used in descriptions, explanations and the synthetic users' price bands."""
    if price is None:
        return None
    for bound, tier in PRICE_TIERS:
        if price < bound:
            return tier
    return "luxury"


def money(amount: float) -> str:
    """A price as shoppers read it in sentences (reasons, answers): ``$34.99``, ``$35`` when whole.

    Catalog prices are US dollars, as the storefront shows them.
    """
    return f"${amount:.0f}" if float(amount).is_integer() else f"${amount:.2f}"

"""Filters as parameterised SQL for PostgreSQL: ``Filter`` -> a ``WHERE`` fragment and its values.

Column names come from a fixed whitelist (the product fields filters may name; attribute fields read
the ``attributes`` JSON under a whitelisted key) and every value is a bound parameter, so no filter
value ever becomes SQL text. Null handling follows
:meth:`fashion_search.domain.Filter.matches` exactly: ``=``, ``in`` and ranges never match a null
value, ``!=`` and ``not in`` always do.

Two kinds of value can match nothing by construction and are settled here instead of being sent:
text holding a NUL character (PostgreSQL text cannot store one) and integers beyond 64 bits in
``in`` lists (no ``bigint`` column can hold one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, LiteralString

from psycopg import sql

from fashion_search.domain import (
    ATTRIBUTE_FIELDS,
    ATTRIBUTE_SEPARATOR,
    PRODUCT_FIELDS,
    RANGE_OPS,
    Condition,
    Filter,
    Op,
)
from fashion_search.errors import FilterError, ValidationError

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_ARRAY_TYPES: dict[type, LiteralString] = {str: "text[]", int: "bigint[]", float: "double precision[]"}
_RANGE_SQL: dict[Op, LiteralString] = {Op.GT: ">", Op.GE: ">=", Op.LT: "<", Op.LE: "<="}

TRUE = sql.SQL("TRUE")
FALSE = sql.SQL("FALSE")


def _storable(kind: type, value: Any) -> bool:
    """Whether a column of ``kind`` could hold ``value`` at all."""
    if kind is str:
        return "\x00" not in value
    if kind is int:
        return _INT64_MIN <= value <= _INT64_MAX
    return True


def _check_value(c: Condition, kind: type, value: Any) -> None:
    if kind is str:
        if not isinstance(value, str):
            raise FilterError(f"filter value for {c.field!r} must be a string, got {value!r}")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise FilterError(f"filter value for {c.field!r} must be a number, got {value!r}")


_SEPARATOR = ATTRIBUTE_SEPARATOR.strip()


def attribute_values_sql(field: str, alias: str = "p") -> sql.Composable:
    """The values of attribute field ``field`` (``attr_material``) of a product as a ``text[]``
    (NULL when it has none), split and trimmed as :func:`fashion_search.domain.attribute_values`."""
    name = ATTRIBUTE_FIELDS.get(field)
    if name is None:
        raise FilterError(f"unknown attribute field {field!r}")
    return sql.SQL("array_remove(regexp_split_to_array(btrim({col} ->> {key}), {sep}), '')").format(
        col=sql.Identifier(alias, "attributes"),
        key=sql.Literal(name),
        sep=sql.Literal(rf"\s*{_SEPARATOR}\s*"),
    )


def _attribute_condition_sql(c: Condition, op: Op, alias: str) -> tuple[sql.Composable, list[Any]]:
    """A condition on a multi-valued attribute: does the product have (any of) the value(s)?

    A value that could never come out of the split (empty, padded, holding the separator or a NUL)
    matches nothing, as in :meth:`fashion_search.domain.Filter.matches`.
    """
    if op in RANGE_OPS:
        raise FilterError(f"range operator {op.value!r} needs a numeric field; {c.field!r} is text")
    if op in (Op.IN, Op.NOT_IN):
        if isinstance(c.value, str | bytes) or not isinstance(c.value, Iterable):
            raise FilterError(f"operator {op.value!r} on {c.field!r} needs a list of values")
        values = list(c.value)
    else:
        values = [c.value]
    for v in values:
        _check_value(c, str, v)
    kept = sorted({v for v in values if v and v == v.strip() and _SEPARATOR not in v and _storable(str, v)})
    positive = op in (Op.EQ, Op.IN)
    if not kept:
        return (FALSE if positive else TRUE), []
    overlap = sql.SQL("COALESCE({values} && %s::text[], FALSE)").format(
        values=attribute_values_sql(c.field, alias)
    )
    return (overlap if positive else sql.SQL("NOT {}").format(overlap)), [kept]


def condition_sql(c: Condition, alias: str = "p") -> tuple[sql.Composable, list[Any]]:
    """One condition over the products table aliased ``alias``: SQL fragment and its parameters."""
    if not isinstance(c, Condition):
        raise FilterError(f"a filter holds conditions, got {type(c).__name__}")
    if c.field in ATTRIBUTE_FIELDS:
        try:
            attr_op = Op(c.op)
        except ValueError:
            raise FilterError(f"unknown filter operator {c.op!r} for field {c.field!r}") from None
        return _attribute_condition_sql(c, attr_op, alias)
    kind = PRODUCT_FIELDS.get(c.field)
    if kind is None:
        raise FilterError(f"unknown filter field {c.field!r}")
    try:
        op = Op(c.op)
    except ValueError:
        raise FilterError(f"unknown filter operator {c.op!r} for field {c.field!r}") from None
    column = sql.Identifier(alias, c.field)
    if op in (Op.IN, Op.NOT_IN):
        if isinstance(c.value, str | bytes) or not isinstance(c.value, Iterable):
            raise FilterError(f"operator {op.value!r} on {c.field!r} needs a list of values")
        values = list(c.value)
        for v in values:
            _check_value(c, kind, v)
        # Sorted so that equal filters send equal parameters (plan caches, logs).
        kept = sorted({v for v in values if _storable(kind, v)})
        if op is Op.IN:
            if not kept:
                return FALSE, []
            return sql.SQL("{} = ANY(%s::{})").format(column, sql.SQL(_ARRAY_TYPES[kind])), [kept]
        if not kept:
            return TRUE, []
        return (
            sql.SQL("({col} IS NULL OR {col} <> ALL(%s::{t}))").format(
                col=column, t=sql.SQL(_ARRAY_TYPES[kind])
            ),
            [kept],
        )
    _check_value(c, kind, c.value)
    if op in RANGE_OPS:
        if kind is str:
            raise FilterError(f"range operator {op.value!r} needs a numeric field; {c.field!r} is text")
        # A null compares as unknown, which WHERE treats as false: as Filter.matches does.
        return sql.SQL("{} {} %s").format(column, sql.SQL(_RANGE_SQL[op])), [c.value]
    if not _storable(kind, c.value):
        return (FALSE if op is Op.EQ else TRUE), []
    if op is Op.EQ:
        return sql.SQL("{} = %s").format(column), [c.value]
    return sql.SQL("({col} IS NULL OR {col} <> %s)").format(col=column), [c.value]


def filter_sql(where: Filter | None, alias: str = "p") -> tuple[sql.Composable, list[Any]]:
    """A whole filter (a conjunction) as one SQL fragment; ``TRUE`` for no filter."""
    if where is None:
        return TRUE, []
    if not isinstance(where, Filter):
        raise ValidationError(f"where must be a Filter, got {type(where).__name__}")
    parts: list[sql.Composable] = []
    params: list[Any] = []
    for c in where.conditions:
        fragment, values = condition_sql(c, alias)
        if fragment is FALSE:
            return FALSE, []
        if fragment is not TRUE:
            parts.append(fragment)
            params.extend(values)
    if not parts:
        return TRUE, []
    return sql.SQL(" AND ").join(parts), params


def ids_sql(column: sql.Composable, ids: Sequence[int], keep: bool) -> tuple[sql.Composable, list[Any]]:
    """``column`` in (``keep``) or not in the given ids; ids beyond 64 bits are dropped."""
    kept = sorted({int(i) for i in ids if _INT64_MIN <= int(i) <= _INT64_MAX})
    if not kept:
        return (FALSE if keep else TRUE), []
    if keep:
        return sql.SQL("{} = ANY(%s::bigint[])").format(column), [kept]
    return sql.SQL("{} <> ALL(%s::bigint[])").format(column), [kept]

"""The two textual filter dialects, parsed into :class:`fashion_search.domain.Filter`.

* Expressions, as typed on the command line or in a query string, one condition each::

      price<50   gender=Men   "base_colour in Black,'Navy Blue'"   article_type!=Tshirts
      "article_type not in Shirts,Tshirts"   year>=2012   "price between 30 and 70"

* The JSON dialect of Databricks Vector Search: a mapping whose keys are a field name with an
  optional operator suffix (``>=``, ``>``, ``<=``, ``<``, ``NOT``, ``!=``, ``=``) and whose list
  values mean IN (NOT IN with ``NOT`` / ``!=``)::

      {"gender": "Men", "base_colour": ["Black", "White"], "price >=": 20, "season NOT": ["Winter"]}

Both go through :func:`fashion_search.domain.condition`, so fields, aliases and value types are
checked in one place and every error names the field or operator at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from fashion_search.domain import Condition, Filter, Op, canonical_field, condition, field_kind
from fashion_search.errors import FilterError

_FIELD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")
_SYMBOL_OP = re.compile(r"[<>=!~]+")
_WORD = re.compile(r"[A-Za-z]+")
_SYMBOLS = {"=": Op.EQ, "==": Op.EQ, "!=": Op.NE, "<": Op.LT, "<=": Op.LE, ">": Op.GT, ">=": Op.GE}
_KNOWN_EXPRESSION_OPS = "=, !=, <, <=, >, >=, in, not in, between ... and ..."

_DICT_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s*(\S.*?))?\s*$")
_DICT_SUFFIXES = {"=": Op.EQ, "!=": Op.NE, "not": Op.NE, "<": Op.LT, "<=": Op.LE, ">": Op.GT, ">=": Op.GE}
_KNOWN_DICT_SUFFIXES = ">=, >, <=, <, NOT, !=, ="


# --------------------------------------------------------------------------------------------
# expressions
# --------------------------------------------------------------------------------------------


def _unquote(raw: str, field: str, text: str) -> str:
    value = raw.strip()
    if not value:
        raise FilterError(f"missing value for {field!r} in filter expression {text!r}")
    if value[0] in "'\"":
        quote = value[0]
        if len(value) < 2 or value[-1] != quote:
            raise FilterError(f"unterminated quote in the value for {field!r} in {text!r}")
        inner = value[1:-1]
        if quote in inner:
            raise FilterError(f"stray quote inside the value for {field!r} in {text!r}")
        return inner
    return value


def _split_list(raw: str, field: str, text: str) -> list[str]:
    """Split ``a, 'b, c', d`` on commas outside quotes."""
    body = raw.strip()
    if len(body) >= 2 and (body[0], body[-1]) in (("(", ")"), ("[", "]")):
        body = body[1:-1]
    items: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for ch in body:
        if quote is not None:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    if quote is not None:
        raise FilterError(f"unterminated quote in the values for {field!r} in {text!r}")
    items.append("".join(current))
    if all(not item.strip() for item in items):
        raise FilterError(f"missing values for {field!r} in filter expression {text!r}")
    for item in items:
        if not item.strip():
            raise FilterError(f"empty item in the list of values for {field!r} in {text!r}")
    return [_unquote(item, field, text) for item in items]


def _parse_between(field: str, rest: str, text: str) -> list[Condition]:
    parts = re.split(r"\s+and\s+", rest.strip(), flags=re.IGNORECASE)
    if len(parts) != 2:
        raise FilterError(
            f"'between' on {field!r} needs the form '{field} between LOW and HIGH', got {text!r}"
        )
    if field_kind(canonical_field(field)) is str:
        raise FilterError(f"'between' needs a numeric field; {field!r} is text")
    low = condition(field, Op.GE, _unquote(parts[0], field, text))
    high = condition(field, Op.LE, _unquote(parts[1], field, text))
    if low.value > high.value:
        raise FilterError(
            f"'between' on {field!r}: the lower bound {low.value} is above the upper bound {high.value}"
        )
    return [low, high]


def parse_expression(text: str) -> Filter:
    """Parse one condition such as ``price<50`` or ``base_colour in Black,White``.

    Returns a :class:`Filter` because ``between`` yields two conditions.
    """
    if not isinstance(text, str):
        raise FilterError(f"a filter expression must be a string, got {text!r}")
    if not text.strip():
        raise FilterError("empty filter expression; expected FIELD OP VALUE, e.g. price<50")
    m = _FIELD.match(text)
    if m is None:
        raise FilterError(f"filter expression {text!r} must start with a field name, e.g. price<50")
    field = m.group(1)
    rest = text[m.end() :]
    if not rest:
        raise FilterError(
            f"filter expression {text!r} has no operator after {field!r}; "
            f"known operators: {_KNOWN_EXPRESSION_OPS}"
        )
    sym = _SYMBOL_OP.match(rest)
    if sym is not None:
        token = sym.group(0)
        op = _SYMBOLS.get(token)
        if op is None:
            raise FilterError(
                f"unknown filter operator {token!r} for field {field!r} in {text!r}; "
                f"known operators: {_KNOWN_EXPRESSION_OPS}"
            )
        return Filter((condition(field, op, _unquote(rest[sym.end() :], field, text)),))
    word = _WORD.match(rest)
    token = word.group(0).lower() if word is not None else rest.split()[0]
    after = rest[word.end() :] if word is not None else ""
    if token == "not":
        nxt = re.match(r"\s+in(?=\s|[(\[]|$)", after, flags=re.IGNORECASE)
        if nxt is None:
            raise FilterError(
                f"unknown filter operator 'not' for field {field!r} in {text!r}; "
                f"did you mean 'not in'? known operators: {_KNOWN_EXPRESSION_OPS}"
            )
        values = _split_list(after[nxt.end() :], field, text)
        return Filter((condition(field, Op.NOT_IN, values),))
    if token == "in" and (not after or after[0].isspace() or after[0] in "(["):
        return Filter((condition(field, Op.IN, _split_list(after, field, text)),))
    if token == "between" and (not after or after[0].isspace()):
        return Filter(tuple(_parse_between(field, after, text)))
    raise FilterError(
        f"unknown filter operator {token!r} for field {field!r} in {text!r}; "
        f"known operators: {_KNOWN_EXPRESSION_OPS}"
    )


def parse_expressions(texts: Iterable[str]) -> Filter:
    """AND of several expressions (e.g. repeated ``--where`` options); empty input -> empty filter."""
    if isinstance(texts, str):
        texts = [texts]
    result = Filter()
    for text in texts:
        result = result.and_(parse_expression(text))
    return result


# --------------------------------------------------------------------------------------------
# the Databricks Vector Search dialect
# --------------------------------------------------------------------------------------------


def from_dict(filters: Mapping[str, Any] | None) -> Filter:
    """Parse the Databricks Vector Search filter dialect (see the module docstring)."""
    if filters is None:
        return Filter()
    if not isinstance(filters, Mapping):
        raise FilterError(f"filters must be a JSON object of field -> value, got {type(filters).__name__}")
    conditions: list[Condition] = []
    for key, value in filters.items():
        if not isinstance(key, str):
            raise FilterError(f"filter keys must be strings, got {key!r}")
        m = _DICT_KEY.match(key)
        if m is None:
            raise FilterError(f"filter key {key!r} must be a field name with an optional operator")
        field, suffix = m.group(1), m.group(2)
        op = Op.EQ if suffix is None else _DICT_SUFFIXES.get(suffix.lower())
        if op is None:
            raise FilterError(
                f"unknown filter operator {suffix!r} in key {key!r} for field {field!r}; "
                f"known operators: {_KNOWN_DICT_SUFFIXES}"
            )
        if isinstance(value, list | tuple | set | frozenset):
            if op is Op.EQ:
                op = Op.IN
            elif op is Op.NE:
                op = Op.NOT_IN
            else:
                raise FilterError(
                    f"operator {op.value!r} on {field!r} needs a single value, got a list: {value!r}"
                )
        conditions.append(condition(field, op, value))
    return Filter(tuple(conditions))


def _key(field: str, op: Op) -> str:
    if op in (Op.EQ, Op.IN):
        return field
    if op in (Op.NE, Op.NOT_IN):
        return f"{field} NOT"
    return f"{field} {op.value}"


def to_dict(where: Filter | None) -> dict[str, Any]:
    """The Databricks dialect form of ``where``; ``from_dict(to_dict(f))`` matches what ``f`` matches.

    The dialect holds one entry per key, so conditions sharing a key are merged without changing
    what matches: equalities intersect, exclusions unite, bounds keep the tighter one.
    """
    if where is None:
        return {}
    merged: dict[str, tuple[Op, Any]] = {}
    for c in where.conditions:
        key = _key(c.field, c.op)
        if c.op in (Op.EQ, Op.IN, Op.NE, Op.NOT_IN):
            values = frozenset(c.value) if c.op in (Op.IN, Op.NOT_IN) else frozenset([c.value])
            if key in merged:
                prev_op, prev = merged[key]
                values = prev & values if c.op in (Op.EQ, Op.IN) else prev | values
                single = prev_op is c.op and c.op in (Op.EQ, Op.NE) and len(values) == 1
            else:
                single = c.op in (Op.EQ, Op.NE)
            merged[key] = (c.op if single else (Op.IN if c.op in (Op.EQ, Op.IN) else Op.NOT_IN), values)
        else:
            if key in merged:
                prev_value = merged[key][1]
                tighter = max if c.op in (Op.GT, Op.GE) else min
                merged[key] = (c.op, tighter(prev_value, c.value))
            else:
                merged[key] = (c.op, c.value)
    out: dict[str, Any] = {}
    for key, (op, value) in merged.items():
        if op in (Op.EQ, Op.NE):
            (out[key],) = value
        elif op in (Op.IN, Op.NOT_IN):
            out[key] = sorted(value)
        else:
            out[key] = value
    return out

"""Reading a real, messy ``styles.csv``: repair what can be repaired, report the rest.

The file is read one physical line at a time, so one bad row (an odd quote, a stray byte, a
missing field) costs that row only and never the rows after it; the price is that a quoted field
cannot span lines (no catalog of this format has line breaks inside a field). A row with more fields than the
header is repaired by giving the extra fields back to ``productDisplayName``, the one free-text
column, which is where the unquoted commas of the real catalog sit.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fashion_search.domain import ImageStatus, Product
from fashion_search.errors import CatalogError, MissingColumnsError

REQUIRED_COLUMNS: tuple[str, ...] = (
    "id",
    "gender",
    "masterCategory",
    "subCategory",
    "articleType",
    "baseColour",
    "season",
    "year",
    "usage",
    "productDisplayName",
)
"""The columns every ``styles.csv`` must have, in the order of the real file."""

NAME_COLUMN = "productDisplayName"

MAX_ID = 2**63 - 1  # ids are stored as 64-bit integers
MIN_YEAR, MAX_YEAR = 1900, 2100

NULL_VALUES: frozenset[str] = frozenset({"", "NA"})
"""Field values read as null. The real file writes "NA" for an unknown usage or colour."""


@dataclass(frozen=True, slots=True)
class StyleRow:
    """One accepted row of ``styles.csv`` with typed, snake_case fields."""

    id: int
    gender: str | None
    master_category: str | None
    sub_category: str | None
    article_type: str | None
    base_colour: str | None
    season: str | None
    year: int | None
    usage: str | None
    name: str

    def to_product(
        self,
        *,
        price: float | None = None,
        image_status: ImageStatus = ImageStatus.MISSING,
        image_file: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> Product:
        """The product this row describes, with what ``styles.csv`` does not hold given here."""
        return Product(
            id=self.id,
            name=self.name,
            gender=self.gender,
            master_category=self.master_category,
            sub_category=self.sub_category,
            article_type=self.article_type,
            base_colour=self.base_colour,
            season=self.season,
            year=self.year,
            usage=self.usage,
            price=price,
            image_status=image_status,
            image_file=image_file,
            attributes=attributes if attributes is not None else {},
        )


@dataclass(frozen=True, slots=True)
class RowIssue:
    """A row that was repaired, rejected or superseded; ``line`` is the 1-based line in the file."""

    line: int
    product_id: int | None
    reason: str

    def to_dict(self) -> dict[str, int | str | None]:
        return {"line": self.line, "product_id": self.product_id, "reason": self.reason}


@dataclass(slots=True)
class StylesReadResult:
    """What :func:`read_styles` kept and what it had to say about the rest."""

    rows: list[StyleRow] = field(default_factory=list)
    rows_read: int = 0
    """Non-blank data lines (the header excluded)."""
    repaired: list[RowIssue] = field(default_factory=list)
    rejected: list[RowIssue] = field(default_factory=list)
    duplicates: list[RowIssue] = field(default_factory=list)
    """One issue per superseded occurrence of a repeated id (the last occurrence is kept)."""


class _RowRejected(Exception):
    def __init__(self, reason: str, product_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.product_id = product_id


def _decode(raw: bytes) -> tuple[str, bool]:
    """Decode one line; the flag says whether it was not valid UTF-8."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    try:
        # Spreadsheet exports of this kind of catalog are most often Windows-1252.
        return raw.decode("cp1252"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True


def _strip_eol(raw: bytes) -> bytes:
    return raw.rstrip(b"\r\n")


def _split(text: str) -> list[str]:
    return next(csv.reader([text]), [])


def _parse_int(value: str) -> int:
    """An integer, also as pandas writes an integer column that had nulls ("2011.0")."""
    try:
        return int(value)
    except ValueError:
        number = float(value)  # ValueError propagates: not a number at all
        if not number.is_integer():
            raise ValueError(value) from None
        return int(number)


def _header_index(path: Path, header: list[str]) -> dict[str, int]:
    found = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in found]
    if missing:
        raise MissingColumnsError(missing, found, list(REQUIRED_COLUMNS))
    repeated = sorted({c for c in REQUIRED_COLUMNS if found.count(c) > 1})
    if repeated:
        raise CatalogError(f"{path}: the header names column(s) {repeated} more than once")
    return {c: found.index(c) for c in REQUIRED_COLUMNS}


def _parse_row(fields: list[str], width: int, index: dict[str, int]) -> tuple[StyleRow, list[str]]:
    """Build a row from its fields; returns the row and the repairs made."""
    repairs: list[str] = []
    name_at = index[NAME_COLUMN]
    if len(fields) > width:
        extra = len(fields) - width
        # The real file does not quote names, so a comma in a name splits it; the pieces are
        # consecutive, starting at the name column, and every later column is shifted right.
        name = ",".join(fields[name_at : name_at + extra + 1])
        fields = [*fields[:name_at], name, *fields[name_at + extra + 1 :]]
        repairs.append(f"{extra} unquoted comma(s) in {NAME_COLUMN}; extra fields joined back into the name")
    # A short row is still read as far as it goes, so that its rejection can name the id.
    values = {c: fields[i].strip() if i < len(fields) else "" for c, i in index.items()}
    raw_id = values["id"]
    if raw_id in NULL_VALUES:
        raise _RowRejected("empty id")
    try:
        product_id = _parse_int(raw_id)
    except ValueError:
        raise _RowRejected(f"id {raw_id!r} is not an integer") from None
    if not 0 <= product_id <= MAX_ID:
        raise _RowRejected(f"id {product_id} is out of range (0 to {MAX_ID})")
    if len(fields) < width:
        raise _RowRejected(f"expected {width} fields, found {len(fields)}", product_id)
    year: int | None = None
    if values["year"] not in NULL_VALUES:
        try:
            year = _parse_int(values["year"])
        except ValueError:
            raise _RowRejected(f"year {values['year']!r} is not an integer", product_id) from None
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _RowRejected(f"year {year} is out of range ({MIN_YEAR} to {MAX_YEAR})", product_id)

    def text(column: str) -> str | None:
        value = values[column]
        return None if value in NULL_VALUES else value

    name = values[NAME_COLUMN]
    if name in NULL_VALUES:
        # The real file has a few products named "NA"; a name made of their attributes keeps
        # them searchable and displayable instead of dropping or showing "NA".
        if text("articleType") is None:
            raise _RowRejected(f"empty {NAME_COLUMN} and no articleType to name the product by", product_id)
        parts = (text("gender"), text("baseColour"), text("articleType"))
        name = " ".join(p for p in parts if p)
        repairs.append(f"{NAME_COLUMN} {values[NAME_COLUMN]!r} replaced by {name!r}")

    row = StyleRow(
        id=product_id,
        gender=text("gender"),
        master_category=text("masterCategory"),
        sub_category=text("subCategory"),
        article_type=text("articleType"),
        base_colour=text("baseColour"),
        season=text("season"),
        year=year,
        usage=text("usage"),
        name=name,
    )
    return row, repairs


def read_styles(path: Path) -> StylesReadResult:
    """Read ``styles.csv``, repairing split names and reporting every row it could not keep.

    Raises :class:`CatalogError` when the file cannot be read at all and
    :class:`MissingColumnsError` when the header lacks a required column (extra columns are
    ignored). Row problems never raise: they land in ``rejected`` with their line number.
    """
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"styles file {path} does not exist or is not a file")
    result = StylesReadResult()
    kept: dict[int, tuple[int, StyleRow]] = {}
    try:
        with path.open("rb") as f:
            header_raw = f.readline()
            if not header_raw.strip():
                raise CatalogError(f"styles file {path} is empty: expected a header line")
            header_text, _ = _decode(_strip_eol(header_raw).removeprefix(b"\xef\xbb\xbf"))
            header = _split(header_text)
            index = _header_index(path, header)
            width = len(header)
            for line_no, raw in enumerate(f, start=2):
                raw = _strip_eol(raw)
                if not raw.strip():
                    continue
                result.rows_read += 1
                text, not_utf8 = _decode(raw)
                try:
                    row, repairs = _parse_row(_split(text), width, index)
                except _RowRejected as exc:
                    result.rejected.append(RowIssue(line_no, exc.product_id, exc.reason))
                    continue
                if not_utf8:
                    repairs.append("non-UTF-8 bytes")
                if repairs:
                    result.repaired.append(RowIssue(line_no, row.id, "; ".join(repairs)))
                previous = kept.pop(row.id, None)
                if previous is not None:
                    result.duplicates.append(
                        RowIssue(
                            previous[0],
                            row.id,
                            f"duplicate id {row.id}: line {previous[0]} superseded by line {line_no}",
                        )
                    )
                # Re-inserted so that the kept rows come out in the order of their last occurrence.
                kept[row.id] = (line_no, row)
    except OSError as exc:
        raise CatalogError(f"cannot read styles file {path}: {exc}") from exc
    result.rows = [row for _, row in kept.values()]
    return result

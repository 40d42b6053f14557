from __future__ import annotations

from pathlib import Path

import pytest

from fashion_search.catalog.styles import REQUIRED_COLUMNS, StyleRow, read_styles
from fashion_search.errors import CatalogError, MissingColumnsError

HEADER = ",".join(REQUIRED_COLUMNS)


def write(tmp_path: Path, *lines: str | bytes, header: str = HEADER, eol: bytes = b"\n") -> Path:
    path = tmp_path / "styles.csv"
    parts = [header.encode()] + [ln if isinstance(ln, bytes) else ln.encode() for ln in lines]
    path.write_bytes(eol.join(parts) + eol)
    return path


def test_reads_typed_rows_with_nulls(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "15970,Men,Apparel,Topwear,Shirts,Navy Blue,Fall,2011,Casual,Turtle Check Men Navy Blue Shirt",
        "53781,Men,Apparel,Topwear,Tshirts,NA,,,NA,Puma Men Blue Sless Round Neck T-shirt",
    )
    result = read_styles(path)
    assert result.rows_read == 2
    assert result.repaired == result.rejected == result.duplicates == []
    assert result.rows[0] == StyleRow(
        15970, "Men", "Apparel", "Topwear", "Shirts", "Navy Blue", "Fall", 2011, "Casual",
        "Turtle Check Men Navy Blue Shirt",
    )  # fmt: skip
    nulls = result.rows[1]
    assert (nulls.base_colour, nulls.season, nulls.year, nulls.usage) == (None, None, None, None)
    assert nulls.name == "Puma Men Blue Sless Round Neck T-shirt"


def test_unquoted_commas_go_back_into_the_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "1,Men,Apparel,Topwear,Tshirts,White,Summer,2011,Casual,Plain Tee",
        "23127,Unisex,Footwear,Flip Flops,Flip Flops,Green,Summer,2012,Casual,"
        "Converse Unisex Green Live, Life, Laugh Flip Flops",
    )
    result = read_styles(path)
    assert [r.id for r in result.rows] == [1, 23127]
    assert result.rows[1].name == "Converse Unisex Green Live, Life, Laugh Flip Flops"
    assert result.rows[1].year == 2012 and result.rows[1].usage == "Casual"
    assert len(result.repaired) == 1
    issue = result.repaired[0]
    assert (issue.line, issue.product_id) == (3, 23127)
    assert "2 unquoted comma" in issue.reason


def test_repair_works_when_the_name_is_not_the_last_column(tmp_path: Path) -> None:
    header = (
        "productDisplayName,id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,x"
    )
    path = write(
        tmp_path,
        "Red, White and Blue Cap,7,Men,Accessories,Headwear,Caps,Red,Summer,2012,Casual,x",
        header=header,
    )
    result = read_styles(path)
    (row,) = result.rows
    assert row.name == "Red, White and Blue Cap"
    assert (row.id, row.article_type, row.year, row.usage) == (7, "Caps", 2012, "Casual")
    assert len(result.repaired) == 1


def test_quoted_name_with_comma_is_not_a_repair(tmp_path: Path) -> None:
    path = write(
        tmp_path, '5,Women,Apparel,Dress,Dresses,Red,Summer,2012,Party,"Mango Women Red, Pink Dress"'
    )
    result = read_styles(path)
    assert result.rows[0].name == "Mango Women Red, Pink Dress"
    assert result.repaired == []


def test_missing_columns_name_found_and_expected(tmp_path: Path) -> None:
    path = write(tmp_path, "1,Men,Shirts", header="id,gender,articleType,colour")
    with pytest.raises(MissingColumnsError) as info:
        read_styles(path)
    err = info.value
    assert err.found == ["id", "gender", "articleType", "colour"]
    assert err.expected == list(REQUIRED_COLUMNS)
    assert err.missing == [c for c in REQUIRED_COLUMNS if c not in ("id", "gender", "articleType")]
    assert "baseColour" in str(err) and "colour" in str(err)


def test_missing_or_empty_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="nope.csv"):
        read_styles(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CatalogError, match="empty"):
        read_styles(empty)


def test_duplicate_id_keeps_the_last_occurrence(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "9,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,First Name",
        "10,Men,Apparel,Topwear,Shirts,Red,Fall,2011,Casual,Other",
        "9,Men,Apparel,Topwear,Shirts,Blue,Fall,2012,Casual,Second Name",
    )
    result = read_styles(path)
    assert result.rows_read == 3
    assert [(r.id, r.name) for r in result.rows] == [(10, "Other"), (9, "Second Name")]
    (dup,) = result.duplicates
    assert (dup.line, dup.product_id) == (2, 9)
    assert "line 2" in dup.reason and "line 4" in dup.reason


def test_non_utf8_byte_in_a_name_is_repaired_and_later_rows_survive(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        b"3,Women,Apparel,Topwear,Tops,Pink,Summer,2012,Casual,Caf\xe9 Women Pink Top",
        "4,Women,Apparel,Topwear,Tops,Black,Summer,2012,Casual,Ünïcode Top",
    )
    result = read_styles(path)
    assert [r.name for r in result.rows] == ["Café Women Pink Top", "Ünïcode Top"]
    (issue,) = result.repaired
    assert (issue.line, issue.product_id, issue.reason) == (2, 3, "non-UTF-8 bytes")


def test_bad_rows_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "1,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Good One",
        "2,Men,Apparel,Topwear",
        "x3,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Bad Id",
        "4,Men,Apparel,Topwear,Shirts,Blue,Fall,20x1,Casual,Bad Year",
        "5,Men,Apparel,Topwear,,Blue,Fall,2011,Casual,",
        ",Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,No Id",
        "",
        "7,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Good Two",
        "-8,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Negative Id",
        "99999999999999999999,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Huge Id",
        "10,Men,Apparel,Topwear,Shirts,Blue,Fall,20111,Casual,Odd Year",
    )
    result = read_styles(path)
    assert [r.id for r in result.rows] == [1, 7]
    assert result.rows_read == 10  # the blank line is not a row
    got = [(i.line, i.product_id) for i in result.rejected]
    assert got == [(3, 2), (4, None), (5, 4), (6, 5), (7, None), (10, None), (11, None), (12, 10)]
    reasons = [i.reason for i in result.rejected]
    assert "expected 10 fields, found 4" in reasons[0]
    assert "'x3' is not an integer" in reasons[1]
    assert "year '20x1'" in reasons[2]
    assert "empty productDisplayName" in reasons[3]
    assert reasons[4] == "empty id"
    assert "id -8 is out of range" in reasons[5] and "out of range" in reasons[6]
    assert "year 20111 is out of range" in reasons[7]


def test_placeholder_name_is_replaced_by_one_made_of_attributes(tmp_path: Path) -> None:
    path = write(tmp_path, "42878,Women,Accessories,Bags,Clutches,Maroon,Summer,2012,Casual,NA")
    result = read_styles(path)
    assert result.rows[0].name == "Women Maroon Clutches"
    (issue,) = result.repaired
    assert "'NA' replaced by 'Women Maroon Clutches'" in issue.reason


def test_crlf_bom_float_years_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "styles.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + (HEADER + ",price\r\n").encode()
        + b"11,Girls,Apparel,Bottomwear,Skirts,Pink,Summer,2011.0,Casual,Skirt,9.5\r\n"
    )  # fmt: skip
    result = read_styles(path)
    (row,) = result.rows
    assert (row.id, row.year, row.name) == (11, 2011, "Skirt")
    assert result.repaired == result.rejected == []

"""The real catalog (../shared/data/fashion-product-images) must ingest completely."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fashion_search.catalog.ingest import ingest_catalog
from fashion_search.catalog.styles import read_styles
from fashion_search.domain import ImageStatus
from fashion_search.store.sqlite import SqliteStore

REAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "fashion-product-images"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (REAL / "styles.csv").is_file(), reason=f"real catalog not found at {REAL}"),
]


def raw_lines() -> list[str]:
    return (REAL / "styles.csv").read_text(encoding="utf-8").splitlines()


def test_every_row_of_the_real_styles_csv_is_kept() -> None:
    result = read_styles(REAL / "styles.csv")
    lines = raw_lines()
    assert result.rows_read == len(lines) - 1 == 44_446
    assert len(result.rows) == 44_446
    assert result.rejected == [] and result.duplicates == []

    # Rows with more than ten comma-separated fields: the name keeps everything after the 9th comma.
    split_rows = {
        int(line.split(",", 1)[0]): (n, line.split(",", 9)[9])
        for n, line in enumerate(lines, start=1)
        if n > 1 and line.count(",") > 9
    }
    assert len(split_rows) == 22
    by_id = {r.id: r for r in result.rows}
    for product_id, (_, name) in split_rows.items():
        assert by_id[product_id].name == name
    assert by_id[44065].name == "Boss Men Perfume, After Shave Balm and Shower Gel Set"

    comma_repairs = {(i.line, i.product_id) for i in result.repaired if "unquoted comma" in i.reason}
    assert comma_repairs == {(n, pid) for pid, (n, _) in split_rows.items()}
    # The other repairs are the products literally named "NA".
    named_na = {int(line.split(",", 1)[0]) for line in lines[1:] if line.endswith(",NA")}
    assert {i.product_id for i in result.repaired} - set(split_rows) == named_na
    assert len(result.repaired) == 22 + len(named_na) == 29


def test_real_catalog_ingest_and_reingest(tmp_path: Path) -> None:
    photos = {
        int(e.name.removesuffix(".jpg")) for e in os.scandir(REAL / "images") if e.name.endswith(".jpg")
    }
    store = SqliteStore(tmp_path / "store")
    try:
        report = ingest_catalog(REAL / "styles.csv", REAL / "images", store)
        assert (report.rows_read, report.products_written, report.inserted) == (44_446, 44_446, 44_446)
        assert report.images_present + report.images_unreadable == len(photos) == 9_583
        assert report.images_unreadable == 0
        assert report.images_missing == 44_446 - 9_583
        assert store.count_products() == 44_446
        with_photo = store.get_product(min(photos))
        assert with_photo is not None and with_photo.image_status is ImageStatus.PRESENT

        again = ingest_catalog(REAL / "styles.csv", REAL / "images", store)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 44_446)
    finally:
        store.close()

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from PIL import Image

from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.catalog.ingest import IngestReport, find_image_files, ingest_catalog
from fashion_search.catalog.prices import simulate_price
from fashion_search.catalog.styles import REQUIRED_COLUMNS
from fashion_search.domain import ImageStatus, Product
from fashion_search.errors import CatalogError, ValidationError
from fashion_search.store.base import Store, UpsertResult
from fashion_search.store.sqlite import SqliteStore


class DictStore:
    """The two Store methods ingest uses, over a dict; counts like the real stores do."""

    def __init__(self) -> None:
        self.products: dict[int, Product] = {}
        self.batches: list[int] = []

    def upsert_products(self, products: Sequence[Product]) -> UpsertResult:
        self.batches.append(len(products))
        inserted = updated = 0
        for p in products:
            old = self.products.get(p.id)
            inserted += old is None
            updated += old is not None and old != p
            self.products[p.id] = p
        return UpsertResult(inserted, updated, len(products) - inserted - updated)

    def get_products(self, ids: Sequence[int]) -> list[Product]:
        return [self.products[i] for i in ids if i in self.products]

    def as_store(self) -> Store:
        """This store where a full Store is declared; ingest calls only the two methods above."""
        return cast(Store, self)


def jpeg(colour: tuple[int, int, int] = (200, 30, 40)) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    pixels[:8] = colour
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG")
    return buf.getvalue()


ROWS = [
    "1,Men,Apparel,Topwear,Shirts,Blue,Fall,2011,Casual,Good Photo Shirt",
    "2,Women,Footwear,Shoes,Heels,Red,Summer,2012,Party,Truncated Photo Heels",
    "3,Men,Accessories,Watches,Watches,Black,Winter,2016,Formal,Empty Photo Watch",
    "4,Women,Apparel,Dress,Dresses,Pink,Summer,2012,Casual,No Photo, Still Searchable Dress",
    "5,Girls,Apparel,Bottomwear,Skirts,Pink,Summer,2013,Casual,Png Photo Skirt",
    "6,Men,Apparel,Topwear,Tshirts,",
]


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "catalog"
    images = root / "images"
    images.mkdir(parents=True)
    (root / "styles.csv").write_text("\n".join([",".join(REQUIRED_COLUMNS), *ROWS]) + "\n")
    (images / "1.jpg").write_bytes(jpeg())
    (images / "2.jpg").write_bytes(jpeg()[:700])
    (images / "3.jpg").write_bytes(b"")
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buf, "PNG")
    (images / "5.png").write_bytes(buf.getvalue())
    (images / "99.jpg").write_bytes(jpeg())  # a photo with no row: ignored
    (images / "notes.txt").write_text("not a product")
    (images / "7").mkdir()  # a folder named like an id: ignored
    yield root


def test_ingest_reports_every_row_and_image(catalog: Path) -> None:
    store = DictStore()
    report = ingest_catalog(catalog / "styles.csv", catalog / "images", store.as_store())
    assert report.rows_read == 6
    assert (report.products_written, report.inserted, report.updated, report.unchanged) == (5, 5, 0, 0)
    assert [(i.line, i.product_id) for i in report.repaired] == [(5, 4)]
    assert [(i.line, i.product_id) for i in report.rejected] == [(7, 6)]
    assert (report.images_present, report.images_missing, report.images_unreadable) == (2, 1, 2)
    reasons = dict(report.unreadable_images)
    assert sorted(reasons) == [2, 3]
    assert "truncated" in reasons[2] and "empty" in reasons[3]

    p = store.products
    assert sorted(p) == [1, 2, 3, 4, 5]
    assert (p[1].image_status, p[1].image_file) == (ImageStatus.PRESENT, "1.jpg")
    assert (p[5].image_status, p[5].image_file) == (ImageStatus.PRESENT, "5.png")
    assert (p[2].image_status, p[2].image_file) == (ImageStatus.UNREADABLE, None)
    assert (p[4].image_status, p[4].image_file) == (ImageStatus.MISSING, None)
    assert p[4].name == "No Photo, Still Searchable Dress"
    assert p[3].price == simulate_price(3, "Watches", "Formal", "Accessories", seed=0)
    assert (p[1].gender, p[1].article_type, p[1].year, p[1].usage) == ("Men", "Shirts", 2011, "Casual")


def test_report_as_json(catalog: Path) -> None:
    report = ingest_catalog(catalog / "styles.csv", catalog / "images", DictStore().as_store())
    data = json.loads(json.dumps(report.to_dict()))
    assert data["products_written"] == 5 and data["images_unreadable"] == 2
    assert data["rejected"] == [{"line": 7, "product_id": 6, "reason": "expected 10 fields, found 6"}]
    assert {u["id"] for u in data["unreadable_images"]} == {2, 3}
    assert data["seconds"] >= 0


def test_reingest_is_idempotent_and_a_changed_row_updates(catalog: Path) -> None:
    store = DictStore()
    ingest_catalog(catalog / "styles.csv", catalog / "images", store.as_store())
    again = ingest_catalog(catalog / "styles.csv", catalog / "images", store.as_store())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)

    styles = catalog / "styles.csv"
    styles.write_text(styles.read_text().replace("Good Photo Shirt", "Renamed Shirt"))
    changed = ingest_catalog(styles, catalog / "images", store.as_store())
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 4)
    assert store.products[1].name == "Renamed Shirt"

    # A new seed reprices everything, so every product is updated.
    reseeded = ingest_catalog(styles, catalog / "images", store.as_store(), seed=7)
    assert reseeded.updated == 5


def test_ingest_into_the_sqlite_store(catalog: Path, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store")
    try:
        first = ingest_catalog(catalog / "styles.csv", catalog / "images", store)
        second = ingest_catalog(catalog / "styles.csv", catalog / "images", store)
        assert (first.inserted, second.inserted, second.unchanged) == (5, 0, 5)
        stored = store.get_product(4)
        assert stored is not None and stored.name == "No Photo, Still Searchable Dress"
        assert store.count_products() == 5
        photo = store.get_product(1)
        assert photo is not None and (photo.image_status, photo.image_file) == (ImageStatus.PRESENT, "1.jpg")

        # Attributes tagged after ingest survive a re-ingest, which then changes nothing.
        store.update_attributes({1: {"pattern": "striped"}})
        third = ingest_catalog(catalog / "styles.csv", catalog / "images", store)
        assert (third.updated, third.unchanged) == (0, 5)
        tagged = store.get_product(1)
        assert tagged is not None and dict(tagged.attributes) == {"pattern": "striped"}
    finally:
        store.close()


def test_batches_and_progress(catalog: Path) -> None:
    store = DictStore()
    calls: list[tuple[int, int]] = []
    ingest_catalog(
        catalog / "styles.csv",
        catalog / "images",
        store.as_store(),
        batch_size=2,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert store.batches == [2, 2, 1]
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_without_images_and_bad_arguments(catalog: Path, tmp_path: Path) -> None:
    report = ingest_catalog(catalog / "styles.csv", None, DictStore().as_store())
    assert (report.images_present, report.images_missing, report.images_unreadable) == (0, 5, 0)
    with pytest.raises(CatalogError, match="no-such-folder"):
        ingest_catalog(catalog / "styles.csv", tmp_path / "no-such-folder", DictStore().as_store())
    with pytest.raises(CatalogError, match="not a folder"):
        ingest_catalog(catalog / "styles.csv", catalog / "styles.csv", DictStore().as_store())
    with pytest.raises(ValidationError, match="batch_size"):
        ingest_catalog(catalog / "styles.csv", None, DictStore().as_store(), batch_size=0)


def test_find_image_files_prefers_jpg(tmp_path: Path) -> None:
    for name in ("8.png", "8.JPG", "9.webp", "10.gif", "x11.jpg", "12.jpeg"):
        (tmp_path / name).write_bytes(b"x")
    found = find_image_files(tmp_path)
    assert {k: v.name for k, v in found.items()} == {8: "8.JPG", 9: "9.webp", 12: "12.jpeg"}


def test_demo_catalog_goes_through_the_same_ingest(tmp_path: Path) -> None:
    root = generate_demo_catalog(tmp_path / "demo", n_products=30, seed=3)
    store = DictStore()
    report = ingest_catalog(root / "styles.csv", root / "images", store.as_store())
    assert isinstance(report, IngestReport)
    assert (report.rows_read, report.products_written, len(report.rejected)) == (30, 30, 0)
    assert (report.images_present, report.images_missing, report.images_unreadable) == (30, 0, 0)
    assert [i.product_id for i in report.repaired] == [60001]
    assert "," in store.products[60001].name
    assert store.products[60002].season is None
    assert all(p.price is not None and p.price > 0 for p in store.products.values())

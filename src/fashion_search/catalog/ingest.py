"""Catalog ingest: ``styles.csv`` + ``images/`` -> products in the store, with a report.

Re-running is idempotent: products are upserted by id, so an unchanged catalog writes nothing
new and a changed row updates its product. A missing or bad image never stops the run; the
product is kept with its image status and stays searchable by text.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fashion_search.catalog.images import check_image
from fashion_search.catalog.prices import simulate_price
from fashion_search.catalog.styles import RowIssue, read_styles
from fashion_search.domain import ImageStatus, Product
from fashion_search.errors import CatalogError, ValidationError
from fashion_search.store.base import Store

IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".webp")
"""Accepted image file endings, in order of preference when one id has several files."""

_IMAGE_NAME = re.compile(r"^(\d+)(\.[A-Za-z]+)$")


@dataclass(slots=True)
class IngestReport:
    """What one ingest run read, wrote, repaired and rejected."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: list[RowIssue] = field(default_factory=list)
    rejected: list[RowIssue] = field(default_factory=list)
    duplicates: list[RowIssue] = field(default_factory=list)
    images_present: int = 0
    images_missing: int = 0
    unreadable_images: list[tuple[int, str]] = field(default_factory=list)
    """``(product id, reason)`` for every image that exists but cannot be used."""
    seconds: float = 0.0

    @property
    def products_written(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def images_unreadable(self) -> int:
        return len(self.unreadable_images)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "rows_read": self.rows_read,
            "products_written": self.products_written,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "repaired": [i.to_dict() for i in self.repaired],
            "rejected": [i.to_dict() for i in self.rejected],
            "duplicates": [i.to_dict() for i in self.duplicates],
            "images_present": self.images_present,
            "images_missing": self.images_missing,
            "images_unreadable": self.images_unreadable,
            "unreadable_images": [{"id": pid, "reason": reason} for pid, reason in self.unreadable_images],
            "seconds": round(self.seconds, 3),
        }


def find_image_files(images_dir: Path) -> dict[int, Path]:
    """Map product id -> image path for every ``{id}.jpg`` (or .jpeg/.png/.webp) in the folder.

    One directory scan instead of one ``stat`` per product, which matters for catalogs of tens of
    thousands of rows with only some photos.
    """
    rank = {ext: i for i, ext in enumerate(IMAGE_EXTENSIONS)}
    found: dict[int, Path] = {}
    try:
        with os.scandir(images_dir) as entries:
            for entry in entries:
                match = _IMAGE_NAME.match(entry.name)
                if match is None or match.group(2).lower() not in rank or not entry.is_file():
                    continue
                product_id = int(match.group(1))
                current = found.get(product_id)
                if current is None or rank[match.group(2).lower()] < rank[current.suffix.lower()]:
                    found[product_id] = Path(entry.path)
    except FileNotFoundError:
        raise CatalogError(
            f"images folder {images_dir} does not exist (pass images_dir=None to ingest without images)"
        ) from None
    except NotADirectoryError:
        raise CatalogError(f"images folder {images_dir} is not a folder") from None
    return found


def ingest_catalog(
    styles_path: Path,
    images_dir: Path | None,
    store: Store,
    *,
    seed: int = 0,
    max_pixels: int = 40_000_000,
    batch_size: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Read ``styles.csv`` and the images folder into ``store`` and report what happened.

    ``images_dir=None`` ingests without images (every product's image is missing). Prices are
    simulated from ``seed`` (see :mod:`fashion_search.catalog.prices`). ``progress(done, total)``
    is called after each batch of ``batch_size`` products. Raises :class:`CatalogError` when the
    styles file or images folder cannot be read at all; bad rows and bad images only appear in
    the report.
    """
    if batch_size < 1:
        raise ValidationError(f"batch_size must be at least 1, got {batch_size}")
    if max_pixels < 1:
        raise ValidationError(f"max_pixels must be positive, got {max_pixels}")
    started = time.perf_counter()
    styles = read_styles(Path(styles_path))
    images = {} if images_dir is None else find_image_files(Path(images_dir))
    report = IngestReport(
        rows_read=styles.rows_read,
        repaired=styles.repaired,
        rejected=styles.rejected,
        duplicates=styles.duplicates,
    )
    total = len(styles.rows)
    for start in range(0, total, batch_size):
        rows = styles.rows[start : start + batch_size]
        # Visual attributes come from the attribute tagger, not from styles.csv: carry them over so
        # that re-ingesting does not erase them (and an unchanged row stays unchanged).
        tagged = {p.id: p.attributes for p in store.get_products([r.id for r in rows])}
        batch: list[Product] = []
        for row in rows:
            image = images.get(row.id)
            if image is None:
                status = ImageStatus.MISSING
                report.images_missing += 1
            else:
                check = check_image(image, max_pixels)
                status = check.status
                if status is ImageStatus.PRESENT:
                    report.images_present += 1
                elif status is ImageStatus.UNREADABLE:
                    report.unreadable_images.append((row.id, check.reason or "unreadable"))
                else:  # removed between the folder scan and the check
                    report.images_missing += 1
            price = simulate_price(row.id, row.article_type, row.usage, row.master_category, seed=seed)
            batch.append(
                row.to_product(
                    price=price,
                    image_status=status,
                    image_file=image.name if image is not None and status is ImageStatus.PRESENT else None,
                    attributes=tagged.get(row.id),
                )
            )
        result = store.upsert_products(batch)
        report.inserted += result.inserted
        report.updated += result.updated
        report.unchanged += result.unchanged
        if progress is not None:
            progress(min(start + batch_size, total), total)
    report.seconds = time.perf_counter() - started
    return report

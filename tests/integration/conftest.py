"""A catalog built by the real pipeline, once per session, and an HTTP client over its API.

demo catalog (300 products, PIL-drawn photos) -> ingest -> embed (fake:64, fast and with known
colour/type axes) -> index -> synthetic shoppers; plus one shopper without any event.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fashion_search.api import create_app
from fashion_search.app import Services, build
from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.catalog.ingest import ingest_catalog
from fashion_search.domain import User
from fashion_search.embed.pipeline import embed_catalog
from fashion_search.settings import Settings, load_settings

NEWCOMER_ID = 900_001
"""A shopper stored without events."""

SHARED_CATALOG = Path(__file__).resolve().parents[3] / "shared" / "data" / "fashion-product-images"
REAL_PER_TYPE = 8
"""Photographed products taken per article type for the real-photo catalog."""


@dataclass
class BuiltCatalog:
    settings: Settings
    services: Services
    catalog_dir: Path
    images_dir: Path
    newcomer_id: int = NEWCOMER_ID


def build_catalog(
    root: Path, *, model: str, styles: Path | None = None, images: Path | None = None
) -> BuiltCatalog:
    """Run the real pipeline into ``root``: the demo catalog unless ``styles`` / ``images`` are given."""
    if styles is None:
        catalog_dir = generate_demo_catalog(root / "catalog", n_products=300, seed=0)
        styles, images = catalog_dir / "styles.csv", catalog_dir / "images"
    else:
        catalog_dir = styles.parent
    assert images is not None
    settings = load_settings(data_dir=root / "data", model=model)
    services = build(settings)
    ingest_catalog(styles, images, services.store, seed=settings.seed)
    services.record_catalog(images)
    embed_catalog(services.store, services.embedder(), images)
    services.rebuild_index()
    report = services.bootstrap_users()
    assert report.created and report.users >= 20
    services.store.upsert_users(
        [User(id=NEWCOMER_ID, name="Nova", segment="new", description="no history yet")]
    )
    return BuiltCatalog(settings, services, catalog_dir, images)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltCatalog]:
    result = build_catalog(tmp_path_factory.mktemp("api-catalog"), model="fake:64")
    try:
        yield result
    finally:
        result.services.close()


@pytest.fixture(scope="session")
def client(built: BuiltCatalog) -> Iterator[TestClient]:
    with TestClient(create_app(built.settings, built.services)) as c:
        yield c


def real_subset(out_dir: Path, per_type: int = REAL_PER_TYPE) -> Path:
    """A ``styles.csv`` of photographed real products: up to ``per_type`` per article type (lowest ids),
    plus up to 30 photographed Puma and 30 Casio products. Returns its path."""
    from fashion_search.catalog.ingest import find_image_files
    from fashion_search.catalog.styles import REQUIRED_COLUMNS, read_styles

    photos = find_image_files(SHARED_CATALOG / "images")
    rows = [r for r in read_styles(SHARED_CATALOG / "styles.csv").rows if r.id in photos]
    by_type: dict[str | None, list[int]] = defaultdict(list)
    by_brand: dict[str, list[int]] = defaultdict(list)
    chosen: set[int] = set()
    for row in sorted(rows, key=lambda r: r.id):
        brand = row.name.split(" ", 1)[0].casefold()
        if brand in ("puma", "casio") and len(by_brand[brand]) < 30:
            by_brand[brand].append(row.id)
            chosen.add(row.id)
        elif len(by_type[row.article_type]) < per_type:
            by_type[row.article_type].append(row.id)
            chosen.add(row.id)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "styles.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(REQUIRED_COLUMNS)
        for r in rows:
            if r.id in chosen:
                values = {
                    "id": r.id,
                    "gender": r.gender,
                    "masterCategory": r.master_category,
                    "subCategory": r.sub_category,
                    "articleType": r.article_type,
                    "baseColour": r.base_colour,
                    "season": r.season,
                    "year": r.year,
                    "usage": r.usage,
                    "productDisplayName": r.name,
                }
                writer.writerow(["" if values[c] is None else values[c] for c in REQUIRED_COLUMNS])
    return path


@pytest.fixture(scope="session")
def real_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltCatalog]:
    """The real-photo catalog embedded by the shipped fashion-lite model (slow tests only)."""
    if not (SHARED_CATALOG / "styles.csv").is_file():
        pytest.skip(f"the shared catalog is not at {SHARED_CATALOG}")
    from fashion_search.embed.fashion_lite import shipped_model_dir
    from fashion_search.errors import ModelError

    try:
        shipped_model_dir()
    except ModelError as exc:
        pytest.skip(str(exc))
    root = tmp_path_factory.mktemp("real-catalog")
    styles = real_subset(root / "catalog")
    result = build_catalog(root, model="fashion-lite", styles=styles, images=SHARED_CATALOG / "images")
    try:
        yield result
    finally:
        result.services.close()


@pytest.fixture(scope="session")
def real_client(real_built: BuiltCatalog) -> Iterator[TestClient]:
    with TestClient(create_app(real_built.settings, real_built.services)) as c:
        yield c

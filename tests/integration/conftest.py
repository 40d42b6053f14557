"""A catalog built by the real pipeline, once per session, and an HTTP client over its API.

demo catalog (300 products, PIL-drawn photos) -> ingest -> embed (fake:64, fast and with known
colour/type axes) -> index -> synthetic shoppers; plus one shopper without any event.
"""

from __future__ import annotations

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


@dataclass
class BuiltCatalog:
    settings: Settings
    services: Services
    catalog_dir: Path
    newcomer_id: int = NEWCOMER_ID

    @property
    def images_dir(self) -> Path:
        return self.catalog_dir / "images"


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
    return BuiltCatalog(settings, services, catalog_dir)


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

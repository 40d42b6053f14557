"""A small catalog built by the real pipeline once per session, served by a real uvicorn server on
127.0.0.1 (a thread, an ephemeral port) for the reliability tests.

demo catalog (120 products, PIL-drawn photos) -> ingest -> embed (fake:64) -> index -> shoppers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fashion_search.api import create_app
from fashion_search.api.live import LiveServer
from fashion_search.app import Services, build
from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.catalog.ingest import ingest_catalog
from fashion_search.embed.pipeline import embed_catalog
from fashion_search.settings import Settings, load_settings

N_PRODUCTS = 120


@dataclass
class Catalog:
    settings: Settings
    services: Services
    catalog_dir: Path
    images_dir: Path


def build_small_catalog(root: Path, n_products: int = N_PRODUCTS, **overrides: Any) -> Catalog:
    catalog_dir = generate_demo_catalog(root / "catalog", n_products=n_products, seed=0)
    images = catalog_dir / "images"
    settings = load_settings(data_dir=root / "data", model="fake:64", **overrides)
    services = build(settings)
    ingest_catalog(catalog_dir / "styles.csv", images, services.store, seed=settings.seed)
    services.record_catalog(images)
    embed_catalog(services.store, services.embedder(), images)
    services.rebuild_index()
    services.bootstrap_users()
    return Catalog(settings, services, catalog_dir, images)


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    built = build_small_catalog(tmp_path_factory.mktemp("reliability"))
    try:
        yield built
    finally:
        built.services.close()


@pytest.fixture(scope="session")
def server(catalog: Catalog) -> Iterator[LiveServer]:
    with LiveServer(create_app(catalog.settings, catalog.services)) as live:
        yield live


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        yield client

"""A searchable demo catalog for the stylist's tests, built by the real pipeline.

Demo catalog (seeded, drawn photos) -> ingest -> embed with ``fake:64`` -> index -> synthetic
shoppers. Loaded by path from the stylist's test modules (the tests folder is not a package).
"""

from __future__ import annotations

from pathlib import Path

from fashion_search.app import Services, build
from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.catalog.ingest import ingest_catalog
from fashion_search.embed.pipeline import embed_catalog
from fashion_search.settings import Settings


def build_stylist_services(root: Path, n_products: int, seed: int = 0) -> Services:
    """Services over a freshly built demo catalog of ``n_products`` under ``root`` (with shoppers)."""
    catalog = generate_demo_catalog(root / "catalog", n_products=n_products, seed=seed)
    settings = Settings(data_dir=root / "data", model="fake:64", seed=seed)
    services = build(settings)
    ingest_catalog(catalog / "styles.csv", catalog / "images", services.store, seed=seed)
    embed_catalog(
        services.store, services.embedder(), catalog / "images", hybrid_image_weight=0.5, batch_size=64
    )
    services.rebuild_index()
    services.record_catalog(catalog / "images")
    services.bootstrap_users()
    return services

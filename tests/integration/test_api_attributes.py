"""Attributes through the API: filters, facets, product JSON and the enriched keyword/text search.

A small demo catalog built by the real pipeline with the fake model; a few products are given
attributes in the store (as the tagger writes them), then re-embedded and re-indexed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from fashion_search.api import create_app
from fashion_search.app import Services, build
from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.catalog.ingest import ingest_catalog
from fashion_search.embed.pipeline import embed_catalog
from fashion_search.settings import load_settings


@dataclass
class Tagged:
    client: TestClient
    services: Services
    leather: list[int]
    zipped: list[int]
    re_embedded_text: int


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tagged]:
    root = tmp_path_factory.mktemp("api-attributes")
    catalog = generate_demo_catalog(root / "catalog", n_products=80, seed=0)
    settings = load_settings(data_dir=root / "data", model="fake:64")
    services = build(settings)
    ingest_catalog(catalog / "styles.csv", catalog / "images", services.store, seed=settings.seed)
    services.record_catalog(catalog / "images")
    embed_catalog(services.store, services.embedder(), catalog / "images")
    ids = sorted(p.id for batch in services.store.iter_products() for p in batch)
    leather, zipped = ids[:3], ids[2:6]
    updates = {pid: {"material": "leather"} for pid in leather}
    for pid in zipped:
        updates[pid] = {**updates.get(pid, {}), "details": "pockets, zipper"}
    services.store.update_attributes(updates)
    report = embed_catalog(services.store, services.embedder(), catalog / "images")
    services.rebuild_index()
    try:
        with TestClient(create_app(settings, services)) as client:
            yield Tagged(client, services, leather, zipped, report.embedded["text"])
    finally:
        services.close()


def test_only_the_tagged_products_were_re_embedded(tagged: Tagged) -> None:
    assert tagged.re_embedded_text == len(set(tagged.leather) | set(tagged.zipped))


def test_attribute_filters_and_facets_on_the_listing(tagged: Tagged) -> None:
    client = tagged.client
    body = client.get("/api/v1/products", params={"filter": "attr_material=leather"}).json()
    assert sorted(p["id"] for p in body["data"]) == tagged.leather
    assert body["facets"]["attr_material"] == {"leather": 3}
    assert body["facets"]["attr_details"] == {"pockets": 1, "zipper": 1}
    assert body["data"][0]["attributes"]["material"] == "leather"

    zipper = client.get("/api/v1/products", params={"filter": "attr_details = zipper", "limit": 100}).json()
    assert sorted(p["id"] for p in zipper["data"]) == tagged.zipped
    others = client.get("/api/v1/products", params={"filter": "attr_details != zipper", "limit": 100}).json()
    assert others["count"] == 80 - len(tagged.zipped)
    both = client.get(
        "/api/v1/products", params={"filter": ["material in leather,denim", "details=pockets"]}
    ).json()
    assert [p["id"] for p in both["data"]] == [tagged.leather[2]]

    everything = client.get("/api/v1/products", params={"limit": 1}).json()
    assert everything["facets"]["attr_details"] == {"pockets": 4, "zipper": 4}

    bad = client.get("/api/v1/products", params={"filter": "attr_material > 3"})
    assert bad.status_code == 422 and "numeric field" in bad.text


def test_product_json_carries_attributes(tagged: Tagged) -> None:
    product = tagged.client.get(f"/api/v1/products/{tagged.leather[2]}").json()
    assert product["attributes"] == {"material": "leather", "details": "pockets, zipper"}
    untagged = tagged.client.get(f"/api/v1/products/{tagged.zipped[-1] + 1}").json()
    assert untagged["attributes"] == {}


def test_search_filters_by_attributes_and_reads_enriched_text(tagged: Tagged) -> None:
    client = tagged.client
    filtered = client.post(
        "/api/v1/search/text", json={"text": "shirt", "k": 10, "filters": {"attr_material": "leather"}}
    ).json()
    assert {i["product"]["id"] for i in filtered["data"]} <= set(tagged.leather)
    # The tagged products are found by a word only their enriched descriptions hold.
    named = {p.id for p in tagged.services.products().values() if "leather" in p.name.lower()}
    assert named and not named & set(tagged.leather)
    expected = named | set(tagged.leather)
    found = client.post(
        "/api/v1/search/text", json={"text": "leather", "k": len(expected), "keyword_weight": 1.0}
    ).json()
    assert {i["product"]["id"] for i in found["data"]} == expected
    assert all(i["signals"]["keyword_rank"] is not None for i in found["data"])

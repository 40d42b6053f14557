"""The API over real product photos embedded by the shipped fashion-lite model (slow: embeds ~800 photos)."""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from fashion_search.domain import ImageStatus
from fashion_search.index.filters import from_dict
from fashion_search.outfit.rules import compatible_genders, complementary_roles

if TYPE_CHECKING:
    from conftest import BuiltCatalog

pytestmark = pytest.mark.slow


def test_uploading_a_real_photo_returns_that_product_first(
    real_client: TestClient, real_built: BuiltCatalog
) -> None:
    photographed = sorted(
        (p for p in real_built.services.products().values() if p.image_status is ImageStatus.PRESENT),
        key=lambda p: p.id,
    )
    sample = photographed[:: max(1, len(photographed) // 15)][:15]
    for product in sample:
        data = (real_built.images_dir / str(product.image_file)).read_bytes()
        body = real_client.post(
            "/api/v1/search/image", files={"file": ("p.jpg", data, "image/jpeg")}, data={"k": "3"}
        ).json()
        assert body["data"][0]["product"]["id"] == product.id, product.name


def test_brand_and_words_on_real_data(real_client: TestClient) -> None:
    body = real_client.post("/api/v1/search/text", json={"text": "Puma", "k": 20}).json()
    assert len(body["data"]) == 20
    assert all(i["product"]["name"].startswith("Puma ") for i in body["data"])
    # The shared photos hold no Titan watch; Casio plays its part (a brand plus an article type).
    casio = real_client.post("/api/v1/search/text", json={"text": "Casio watch", "k": 10}).json()
    assert casio["query"]["filters"] == {"article_type": "Watches"}
    assert len(casio["data"]) == 10
    assert all(i["product"]["article_type"] == "Watches" for i in casio["data"])
    assert all(i["product"]["name"].casefold().startswith("casio ") for i in casio["data"])
    filters = {"gender": ["Women"], "price <": 60}
    body = real_client.post(
        "/api/v1/search/text", json={"text": "summer dress", "k": 30, "filters": filters}
    ).json()
    assert body["data"] and all(
        from_dict(body["query"]["filters"]).matches(
            real_client.app.state.services.products()[i["product"]["id"]]  # type: ignore[attr-defined]
        )
        for i in body["data"]
    )
    assert all(i["product"]["gender"] == "Women" and i["product"]["price"] < 60 for i in body["data"])


def test_personas_are_distinct_on_real_data(real_client: TestClient) -> None:
    tops = {
        uid: {
            i["product"]["id"]
            for i in real_client.get(f"/api/v1/recommendations/{uid}?limit=20").json()["data"]
        }
        for uid in range(1, 6)
    }
    assert all(len(t) == 20 for t in tops.values())
    for a, b in combinations(tops, 2):
        assert len(tops[a] & tops[b]) / 20 < 0.3, (a, b)


def test_complete_the_look_on_real_data(real_client: TestClient, real_built: BuiltCatalog) -> None:
    products = real_built.services.products()
    anchors = [p for p in products.values() if complementary_roles(p)][::40][:12]
    for anchor in anchors:
        body = real_client.get(f"/api/v1/products/{anchor.id}/complete-look", params={"user_id": 1}).json()
        roles = {r.name: r for r in complementary_roles(anchor)}
        genders = compatible_genders(anchor.gender)
        for role, items in body["roles"].items():
            for item in items:
                product = products[item["product"]["id"]]
                assert roles[role].matches(product)
                assert genders is None or product.gender in genders

"""POST /search/text, /search/image, /search/hybrid and GET /products/{id}/similar over a real pipeline."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from fashion_search.api import create_app
from fashion_search.domain import ImageStatus, Product
from fashion_search.index.filters import from_dict, parse_expressions

if TYPE_CHECKING:
    from conftest import BuiltCatalog

TEXT = "/api/v1/search/text"
IMAGE = "/api/v1/search/image"
HYBRID = "/api/v1/search/hybrid"


def products_of(built: BuiltCatalog, body: dict[str, Any]) -> list[Product]:
    index = built.services.index()
    out = []
    for item in body["data"]:
        product = index.get_product(item["product"]["id"])
        assert product is not None
        out.append(product)
    return out


def photographed(built: BuiltCatalog) -> list[Product]:
    return [p for p in built.services.products().values() if p.image_status is ImageStatus.PRESENT]


def test_puma_returns_puma_products(client: TestClient, built: BuiltCatalog) -> None:
    puma = [p for p in built.services.products().values() if p.name.startswith("Puma ")]
    assert len(puma) >= 5
    body = client.post(TEXT, json={"text": "Puma", "k": 10}).json()
    names = [item["product"]["name"] for item in body["data"]]
    assert len(names) == min(10, len(puma))
    assert all(name.startswith("Puma ") for name in names), names
    assert body["query"]["brand"] == ["Puma"] and body["query"]["brand_applied"] is True
    assert body["count"] == len(puma)


def test_keyword_fusion_lifts_a_name_the_vectors_do_not_know(client: TestClient, built: BuiltCatalog) -> None:
    # A brand too rare to be learned as one is still found by its name through the BM25 ranking.
    product = next(p for p in built.services.products().values() if p.name.startswith("Titan "))
    vector_only = client.post(TEXT, json={"text": "Titan", "k": 5, "keyword_weight": 0.0}).json()
    fused = client.post(TEXT, json={"text": "Titan", "k": 5, "keyword_weight": 0.8}).json()
    fused_ids = [i["product"]["id"] for i in fused["data"]]
    assert product.id in fused_ids
    assert fused["data"][fused_ids.index(product.id)]["signals"]["keyword_rank"] is not None
    assert fused["query"]["keyword_weight"] == 0.8 and vector_only["query"]["keyword_weight"] == 0.0
    assert all(i["signals"].get("keyword_rank") is None for i in vector_only["data"])


@pytest.mark.parametrize(
    "request_filters",
    [
        {"gender": ["Men", "Unisex"], "price <=": 60},
        {"base_colour NOT": ["Black", "White"], "price >": 20},
        ["master_category=Footwear", "price between 20 and 90"],
        ["article_type in Tshirts,Shirts", "gender!=Women"],
    ],
)
@pytest.mark.parametrize("text", ["casual wear", "black shoes", "shirt"])
def test_filters_hold_for_every_result(
    client: TestClient, built: BuiltCatalog, text: str, request_filters: dict[str, Any] | list[str]
) -> None:
    body = client.post(TEXT, json={"text": text, "k": 50, "filters": request_filters}).json()
    explicit = (
        from_dict(request_filters)
        if isinstance(request_filters, dict)
        else parse_expressions(request_filters)
    )
    applied = from_dict(body["query"]["filters"])
    results = products_of(built, body)
    assert all(explicit.matches(p) and applied.matches(p) for p in results)
    # filters apply before top-k: every admitted product is reachable
    assert body["count"] == sum(applied.matches(p) for p in built.services.products().values())
    assert len(results) == min(50, body["count"])


def test_query_words_become_filters_and_explicit_filters_win(client: TestClient, built: BuiltCatalog) -> None:
    body = client.post(TEXT, json={"text": "red tshirt under 40", "k": 30}).json()
    assert body["query"]["filters"] == {"article_type": "Tshirts", "base_colour": "Red", "price <": 40.0}
    assert all(
        p.base_colour == "Red" and p.article_type == "Tshirts" and (p.price or 99) < 40
        for p in products_of(built, body)
    )
    body = client.post(TEXT, json={"text": "red tshirt", "k": 30, "filters": {"base_colour": "Blue"}}).json()
    results = products_of(built, body)
    assert results and all(p.base_colour == "Blue" and p.article_type == "Tshirts" for p in results)
    assert all("budget" not in item["reason"] for item in body["data"])


def test_pages_follow_each_other(client: TestClient) -> None:
    whole = client.post(TEXT, json={"text": "shoes", "k": 30}).json()
    first = client.post(TEXT, json={"text": "shoes", "k": 15}).json()
    second = client.post(TEXT, json={"text": "shoes", "k": 15, "offset": 15}).json()
    ids = [i["product"]["id"] for i in whole["data"]]
    assert [i["product"]["id"] for i in first["data"] + second["data"]] == ids
    assert len(set(ids)) == 30


def test_every_result_has_a_breakdown_and_a_reason(client: TestClient) -> None:
    body = client.post(TEXT, json={"text": "blue jeans", "k": 10}).json()
    for item in body["data"]:
        b = item["breakdown"]
        assert (
            item["score"]
            == b["final"]
            == pytest.approx(0.5 * b["visual"] + 0.3 * b["user"] + 0.2 * b["attribute"], abs=1e-5)
        )
        assert item["reason"] == 'A close match for "blue jeans"'


def test_personalised_search_uses_the_profile_and_overridden_weights(client: TestClient) -> None:
    plain = client.post(TEXT, json={"text": "casual", "k": 20}).json()
    mine = client.post(
        TEXT,
        json={
            "text": "casual",
            "k": 20,
            "user_id": 5,
            "weights": {"visual": 0.2, "user": 0.4, "attribute": 0.4},
        },
    ).json()
    assert mine["query"]["personalised_for"] == 5
    assert mine["query"]["weights"] == {"visual": 0.2, "user": 0.4, "attribute": 0.4}
    for item in mine["data"]:
        b = item["breakdown"]
        assert b["final"] == pytest.approx(
            0.2 * b["visual"] + 0.4 * b["user"] + 0.4 * b["attribute"], abs=1e-5
        )
    assert any(item["breakdown"]["attribute"] > 0 for item in mine["data"])
    assert [i["product"]["id"] for i in plain["data"]] != [i["product"]["id"] for i in mine["data"]]
    assert client.post(TEXT, json={"text": "casual", "user_id": 424242}).status_code == 404


def test_uploading_a_catalog_photo_returns_that_product_first(
    client: TestClient, built: BuiltCatalog
) -> None:
    for product in photographed(built)[:: len(photographed(built)) // 8][:8]:
        assert product.image_file is not None
        data = (built.images_dir / product.image_file).read_bytes()
        body = client.post(IMAGE, files={"file": ("photo.jpg", data, "image/jpeg")}, data={"k": "5"}).json()
        assert body["data"][0]["product"]["id"] == product.id
        assert body["data"][0]["signals"]["cosine"] == pytest.approx(1.0, abs=1e-4)


def test_image_search_takes_filters_as_a_json_form_field(client: TestClient, built: BuiltCatalog) -> None:
    product = photographed(built)[0]
    data = (built.images_dir / str(product.image_file)).read_bytes()
    other = "Women" if product.gender != "Women" else "Men"
    body = client.post(
        IMAGE,
        files={"file": ("p.jpg", data, "image/jpeg")},
        data={"k": "20", "filters": json.dumps({"gender": other})},
    ).json()
    assert body["data"] and all(i["product"]["gender"] == other for i in body["data"])
    bad = client.post(IMAGE, files={"file": ("p.jpg", data, "image/jpeg")}, data={"filters": "{gender: Men"})
    assert bad.status_code == 422 and "filters must be JSON" in bad.json()["detail"]


def test_hybrid_mixes_text_and_image(client: TestClient, built: BuiltCatalog) -> None:
    product = next(p for p in photographed(built) if p.base_colour not in ("Red", None))
    data = (built.images_dir / str(product.image_file)).read_bytes()
    photo = client.post(
        HYBRID, files={"file": ("p.jpg", data, "image/jpeg")}, data={"k": "5", "space": "image"}
    ).json()
    assert photo["data"][0]["product"]["id"] == product.id
    assert photo["query"]["text_weight"] == 0.0
    mostly_text = client.post(
        HYBRID,
        files={"file": ("p.jpg", data, "image/jpeg")},
        data={"text": "red", "text_weight": "0.9", "k": "10"},
    ).json()
    reds = sum(i["product"]["base_colour"] == "Red" for i in mostly_text["data"])
    assert reds >= 5
    text_only = client.post(HYBRID, data={"text": "red dress", "k": "5"})
    assert text_only.status_code == 200
    nothing = client.post(HYBRID, data={"k": "5"})
    assert nothing.status_code == 422 and "text, an image, or both" in nothing.json()["detail"]


def test_similar_products_exclude_the_anchor_and_honour_filters(
    client: TestClient, built: BuiltCatalog
) -> None:
    anchor = photographed(built)[3]
    body = client.get(f"/api/v1/products/{anchor.id}/similar", params={"k": 10}).json()
    ids = [i["product"]["id"] for i in body["data"]]
    assert anchor.id not in ids and len(ids) == 10
    assert body["query"]["space"] == "image"
    assert all(i["reason"] == f"Similar to the {anchor.name}" for i in body["data"])
    cheap = client.get(f"/api/v1/products/{anchor.id}/similar", params={"k": 10, "filter": "price<30"}).json()
    assert all(i["product"]["price"] < 30 for i in cheap["data"])
    assert client.get("/api/v1/products/1/similar").status_code == 404


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_error_codes(client: TestClient, built: BuiltCatalog) -> None:
    not_image = client.post(IMAGE, files={"file": ("notes.txt", b"hello, I am text", "text/plain")})
    assert not_image.status_code == 415 and "not an image" in not_image.json()["detail"]
    empty = client.post(IMAGE, files={"file": ("empty.jpg", b"", "image/jpeg")})
    assert empty.status_code == 415
    bad_field = client.post(TEXT, json={"text": "shirt", "filters": {"colr": "Red"}})
    assert bad_field.status_code == 422 and "unknown filter field 'colr'" in bad_field.json()["detail"]
    bad_op = client.post(TEXT, json={"text": "shirt", "filters": ["price ~ 5"]})
    assert bad_op.status_code == 422 and "operator" in bad_op.json()["detail"]
    for body in (
        {"text": "shirt", "k": 0},
        {"text": "shirt", "k": 101},
        {"text": "shirt", "offset": -1},
        {"text": ""},
    ):
        r = client.post(TEXT, json=body)
        assert r.status_code == 422, body
        assert isinstance(r.json()["detail"], str)
    assert client.post(TEXT, json={"text": "shirt", "space": "audio"}).status_code == 422


def test_oversized_uploads_are_refused_with_413(built: BuiltCatalog) -> None:
    settings = built.settings.model_copy(
        update={"api": built.settings.api.model_copy(update={"max_upload_bytes": 4096})}
    )
    small = TestClient(create_app(settings, built.services, warm_up=False))
    big = b"\xff\xd8" + b"x" * 5000
    r = small.post(IMAGE, files={"file": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 413 and "4096 bytes" in r.json()["detail"]
    # Declared far beyond the limit: refused from the Content-Length header alone.
    huge = small.post(IMAGE, files={"file": ("huge.jpg", b"x" * 200_000, "image/jpeg")})
    assert huge.status_code == 413

    # Without a Content-Length (chunked), the bytes are counted as they arrive.
    def chunks() -> Any:
        for _ in range(40):
            yield b"y" * 4096

    chunked = small.post(
        IMAGE, content=chunks(), headers={"content-type": "multipart/form-data; boundary=zz"}
    )
    assert chunked.status_code == 413
    assert small.post(IMAGE, files={"file": ("ok.png", small_png(), "image/png")}).status_code == 200


def test_the_image_space_holds_photographed_products_only(client: TestClient, built: BuiltCatalog) -> None:
    body = client.post(TEXT, json={"text": "anything at all", "k": 100, "space": "image"}).json()
    results = products_of(built, body)
    assert len(results) == 100
    assert all(p.image_status is ImageStatus.PRESENT for p in results)

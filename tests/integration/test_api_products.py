"""GET /products (listing + facets), /products/{id}, its image, and complete-the-look."""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from fashion_search.domain import ImageStatus, Product, condition, where
from fashion_search.outfit.rules import compatible_genders, complementary_roles

if TYPE_CHECKING:
    from conftest import BuiltCatalog

PRODUCTS = "/api/v1/products"
BUCKETS = [
    (0, 25, "0-25"),
    (25, 50, "25-50"),
    (50, 100, "50-100"),
    (100, 200, "100-200"),
    (200, math.inf, "200+"),
]


def expected_facets(products: list[Product]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name in (
        "gender",
        "master_category",
        "sub_category",
        "article_type",
        "base_colour",
        "season",
        "usage",
    ):
        out[name] = dict(Counter(getattr(p, name) for p in products if getattr(p, name) is not None))
    prices = [p.price for p in products if p.price is not None]
    out["price"] = {label: sum(lo <= x < hi for x in prices) for lo, hi, label in BUCKETS}
    return out


@pytest.mark.parametrize(
    ("params", "admits"),
    [
        ({}, lambda p: True),
        (
            {"gender": "Men", "price_max": 50},
            lambda p: p.gender == "Men" and p.price is not None and p.price <= 50,
        ),
        (
            {"article_type": ["Tshirts", "Shirts"], "base_colour": "Black"},
            lambda p: p.article_type in ("Tshirts", "Shirts") and p.base_colour == "Black",
        ),
        (
            {"filter": ["price>=100", "usage!=Formal"]},
            lambda p: (p.price or 0) >= 100 and p.usage != "Formal",
        ),
    ],
)
def test_listing_pages_and_facets_cover_the_whole_filtered_set(
    client: TestClient, built: BuiltCatalog, params: dict[str, Any], admits: Any
) -> None:
    everything = sorted(built.services.products().values(), key=lambda p: p.id)
    matching = [p for p in everything if admits(p)]
    first = client.get(PRODUCTS, params={**params, "limit": 7}).json()
    assert first["count"] == len(matching)
    assert [d["id"] for d in first["data"]] == [p.id for p in matching[:7]]
    assert first["facets"] == expected_facets(matching)
    seen = []
    for offset in range(0, len(matching) + 1, 50):
        seen += [
            d["id"]
            for d in client.get(PRODUCTS, params={**params, "offset": offset, "limit": 50}).json()["data"]
        ]
    assert seen == [p.id for p in matching]


def test_listing_sorts_and_queries(client: TestClient, built: BuiltCatalog) -> None:
    by_price = client.get(PRODUCTS, params={"sort": "price_desc", "limit": 20}).json()["data"]
    prices = [d["price"] for d in by_price]
    assert prices == sorted(prices, reverse=True)
    q = client.get(PRODUCTS, params={"q": "black shoes under 80", "limit": 10}).json()
    matching = [
        p
        for p in built.services.products().values()
        if p.base_colour == "Black"
        and p.price is not None
        and p.price < 80
        and p.master_category == "Footwear"
    ]
    assert q["query"]["sort"] == "relevance"
    assert q["count"] <= len(matching) and q["count"] > 0
    assert all(d["base_colour"] == "Black" and d["price"] < 80 for d in q["data"])
    assert sum(q["facets"]["base_colour"].values()) == q["count"]
    bad = client.get(PRODUCTS, params={"filter": "colour ~ Red"})
    assert bad.status_code == 422
    assert client.get(PRODUCTS, params={"limit": 101}).status_code == 422
    by_relevance = client.get(PRODUCTS, params={"sort": "relevance", "limit": 5}).json()
    by_id = client.get(PRODUCTS, params={"sort": "id", "limit": 5}).json()
    assert by_relevance["query"]["sort"] == "id"
    assert [d["id"] for d in by_relevance["data"]] == [d["id"] for d in by_id["data"]]


def test_one_product_and_unknown_ids(client: TestClient, built: BuiltCatalog) -> None:
    product = next(iter(built.services.products().values()))
    body = client.get(f"{PRODUCTS}/{product.id}").json()
    assert body["id"] == product.id and body["name"] == product.name
    assert body["image_url"] == f"/api/v1/products/{product.id}/image"
    missing = client.get(f"{PRODUCTS}/123")
    assert missing.status_code == 404 and missing.json() == {"detail": "product 123 not found"}
    assert client.get(f"{PRODUCTS}/abc").status_code == 422


def test_images_are_served_from_the_catalog_folder_only(client: TestClient, built: BuiltCatalog) -> None:
    product = next(p for p in built.services.products().values() if p.image_status is ImageStatus.PRESENT)
    r = client.get(f"{PRODUCTS}/{product.id}/image")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == (built.images_dir / str(product.image_file)).read_bytes()
    index = built.services.index()
    secret = built.catalog_dir / "styles.csv"
    assert secret.is_file()
    sneaky = [
        Product(id=990_001, name="escape", image_status=ImageStatus.PRESENT, image_file="../styles.csv"),
        Product(id=990_002, name="absolute", image_status=ImageStatus.PRESENT, image_file=str(secret)),
        Product(id=990_003, name="no file", image_status=ImageStatus.PRESENT, image_file="nope.jpg"),
    ]
    index.upsert_products(sneaky)
    try:
        for p in sneaky:
            r = client.get(f"{PRODUCTS}/{p.id}/image")
            assert r.status_code == 404, p
            assert r.json() == {"detail": f"image of product {p.id} not found"}
    finally:
        index.delete([p.id for p in sneaky])


def test_complete_the_look_items_have_complementary_roles_and_compatible_genders(
    client: TestClient, built: BuiltCatalog
) -> None:
    anchors = [p for p in built.services.products().values() if complementary_roles(p)][::9]
    assert len(anchors) >= 10
    filled = 0
    for anchor in anchors:
        body = client.get(f"{PRODUCTS}/{anchor.id}/complete-look", params={"max_price": 60}).json()
        roles = {r.name: r for r in complementary_roles(anchor)}
        genders = compatible_genders(anchor.gender)
        assert set(body["roles"]) == set(roles)
        for role, items in body["roles"].items():
            for item in items:
                product = built.services.products()[item["product"]["id"]]
                assert roles[role].matches(product)
                assert product.sub_category != anchor.sub_category
                assert genders is None or product.gender in genders
                assert product.price is not None and product.price <= 60
                assert item["reason"]
                filled += 1
        assert body["count"] == sum(len(v) for v in body["roles"].values())
    assert filled >= 2 * len(anchors)


def test_complete_the_look_is_personal_with_a_user(client: TestClient, built: BuiltCatalog) -> None:
    anchor = next(p for p in built.services.products().values() if p.article_type == "Tshirts")
    plain = client.get(f"{PRODUCTS}/{anchor.id}/complete-look").json()
    mine = client.get(f"{PRODUCTS}/{anchor.id}/complete-look", params={"user_id": 5}).json()
    assert all(i["personal"] is None for items in plain["roles"].values() for i in items)
    assert all(i["personal"] is not None for items in mine["roles"].values() for i in items)
    assert client.get(f"{PRODUCTS}/{anchor.id}/complete-look", params={"user_id": 424242}).status_code == 404
    assert client.get(f"{PRODUCTS}/424242/complete-look").status_code == 404


def test_where_helper_matches_listing(client: TestClient, built: BuiltCatalog) -> None:
    # The query-string filters and the library's Filter agree on multi-valued fields.
    filt = where(gender=["Men", "Women"]).and_(where(season="Summer"))
    filt = filt.and_(type(filt)((condition("price", "<", 40.0),)))
    expected = [
        p.id for p in sorted(built.services.products().values(), key=lambda p: p.id) if filt.matches(p)
    ]
    body = client.get(
        PRODUCTS, params={"gender": ["Men", "Women"], "season": "Summer", "filter": "price<40", "limit": 100}
    )
    assert [d["id"] for d in body.json()["data"]] == expected

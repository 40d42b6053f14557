"""The offline stylist over real catalog rows and photos (fashion-lite), through POST /stylist/chat.

Slow: shares the real-photo catalog the other slow API tests build once per session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from fashion_search.domain import Product

if TYPE_CHECKING:
    from conftest import BuiltCatalog

pytestmark = pytest.mark.slow

CHAT = "/api/v1/stylist/chat"
SNEAKERS = {"Casual Shoes", "Sports Shoes"}


def ask(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(CHAT, json=body)
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


def picked(built: BuiltCatalog, reply: dict[str, Any]) -> list[Product]:
    catalog = built.services.products()
    products = [catalog[item["product"]["id"]] for item in reply["products"]]
    for p in products:
        assert p.name in reply["answer"] and f"#{p.id}" in reply["answer"], (p.name, reply["answer"])
    return products


def test_a_beach_wedding_outfit_on_real_data(real_client: TestClient, real_built: BuiltCatalog) -> None:
    reply = ask(real_client, message="an outfit for a beach wedding under 150")
    items = picked(real_built, reply)
    assert len(items) >= 3
    assert sum(p.price or 0 for p in items) <= 149.99
    roles = [p["role"] for p in reply["products"]]
    assert len(set(roles)) == len(roles) and "footwear" in roles
    # One grown-up's outfit: never a child's piece, never menswear with womenswear.
    genders = {p.gender for p in items}
    assert not genders & {"Boys", "Girls"}
    assert len(genders - {"Unisex"}) <= 1
    assert "beach wedding" in reply["answer"]


def test_cheaper_sneakers_on_real_data(real_client: TestClient, real_built: BuiltCatalog) -> None:
    first = ask(real_client, message="black sneakers for men")
    shown = picked(real_built, first)
    assert shown and all(
        p.article_type in SNEAKERS and p.gender in ("Men", "Unisex") and p.base_colour == "Black"
        for p in shown
    )
    anchor = shown[0]
    reply = ask(real_client, message="something like this but cheaper", session_id=first["session_id"])
    assert reply["tool_calls"][0]["arguments"]["product_id"] == anchor.id
    found = picked(real_built, reply)
    assert found
    assert all(
        (p.price or 1e9) < (anchor.price or 0)
        and p.article_type == anchor.article_type
        and p.gender in ("Men", "Unisex")
        for p in found
    )


def test_what_goes_with_a_real_shirt(real_client: TestClient, real_built: BuiltCatalog) -> None:
    shirt = next(
        p
        for p in sorted(real_built.services.products().values(), key=lambda p: p.id)
        if p.article_type == "Shirts" and p.gender == "Men"
    )
    reply = ask(real_client, message=f"what goes with product {shirt.id}?")
    assert [c["name"] for c in reply["tool_calls"]] == ["complete_the_look"]
    items = picked(real_built, reply)
    assert {p["role"] for p in reply["products"]} >= {"bottom", "footwear"}
    assert all(p.sub_category != "Topwear" and p.gender in ("Men", "Unisex") for p in items)
    assert shirt.name in reply["answer"]


def test_a_watch_for_my_dad_and_no_black_on_real_data(
    real_client: TestClient, real_built: BuiltCatalog
) -> None:
    watch = ask(real_client, message="a watch for my dad under 100")
    watches = picked(real_built, watch)
    assert watches and all(
        p.article_type == "Watches" and p.gender in ("Men", "Unisex") and (p.price or 1e9) <= 99.99
        for p in watches
    )
    tees = ask(real_client, message="I don't like black, t-shirts for women")
    found = picked(real_built, tees)
    assert found and all(
        p.article_type == "Tshirts" and p.gender in ("Women", "Unisex") and p.base_colour != "Black"
        for p in found
    )

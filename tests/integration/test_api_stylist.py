"""POST /stylist/chat through HTTP: answers with products, sessions across messages, clear 4xx errors.

Runs the offline stylist (no key in the settings) over the demo catalog the other API tests use.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from fashion_search.domain import ImageStatus, Product

if TYPE_CHECKING:
    from conftest import BuiltCatalog

CHAT = "/api/v1/stylist/chat"
SNEAKERS = {"Casual Shoes", "Sports Shoes"}


def ask(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(CHAT, json=body)
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


def picked(built: BuiltCatalog, reply: dict[str, Any]) -> list[Product]:
    """The catalog's own records of the products a reply recommends."""
    catalog = built.services.products()
    return [catalog[item["product"]["id"]] for item in reply["products"]]


def test_chat_answers_with_products_that_hold_the_constraints(
    client: TestClient, built: BuiltCatalog
) -> None:
    wanted = [
        p
        for p in built.services.products().values()
        if p.article_type in SNEAKERS and p.gender in ("Men", "Unisex") and p.base_colour == "White"
    ]
    assert len(wanted) >= 2, "the demo catalog must hold white sneakers for men"
    reply = ask(client, message="white sneakers for men")
    assert reply["model"] == "offline"
    assert len(reply["session_id"]) >= 8
    assert [c["name"] for c in reply["tool_calls"]] == ["search_by_text"]
    products = picked(built, reply)
    assert products
    for product, item in zip(products, reply["products"], strict=True):
        assert product.article_type in SNEAKERS and product.gender in ("Men", "Unisex")
        assert product.base_colour == "White"
        # The wire form is the catalog's product, with why it was picked.
        assert item["product"]["name"] == product.name and item["product"]["price"] == product.price
        assert item["reason"]
        assert product.name in reply["answer"] and f"#{product.id}" in reply["answer"]


def test_a_session_carries_the_conversation(client: TestClient, built: BuiltCatalog) -> None:
    first = ask(client, message="sneakers for men")
    session = first["session_id"]
    anchor = max(picked(built, first)[:3], key=lambda p: p.price or 0)
    place = ["first", "second", "third"][[p.id for p in picked(built, first)].index(anchor.id)]
    cheaper = ask(client, message=f"something like the {place} one but cheaper", session_id=session)
    assert cheaper["session_id"] == session
    call = cheaper["tool_calls"][0]
    assert call["name"] == "search_similar_by_image" and call["arguments"]["product_id"] == anchor.id
    found = picked(built, cheaper)
    assert found and all((p.price or 1e9) < (anchor.price or 0) for p in found)
    # Still sneakers, still for men (the first request's gender holds even for a unisex anchor).
    assert all(p.article_type == anchor.article_type and p.gender in ("Men", "Unisex") for p in found)
    assert anchor.id not in {p.id for p in found}
    assert anchor.name in cheaper["answer"]
    more = ask(client, message="show me more", session_id=session)
    shown = {p.id for p in found}
    assert set(more["tool_calls"][0]["arguments"]["exclude_ids"]) >= shown
    assert not shown & {p.id for p in picked(built, more)}
    # Another session knows nothing of this one.
    other = ask(client, message="something like this but cheaper")
    assert other["session_id"] != session and other["products"] == [] and other["tool_calls"] == []


def test_the_shopper_is_kept_for_the_session(client: TestClient, built: BuiltCatalog) -> None:
    user = built.services.users().list_users()[0][0]
    reply = ask(client, message="recommend something for me", user_id=user.id)
    assert reply["user_id"] == user.id
    assert reply["tool_calls"][0]["name"] == "get_personalized_recommendations"
    assert reply["tool_calls"][0]["arguments"]["user_id"] == user.id
    assert reply["products"] and user.name in reply["answer"]
    later = ask(client, message="anything under 60?", session_id=reply["session_id"])
    assert later["user_id"] == user.id
    assert all((p.price or 1e9) < 60 for p in picked(built, later))


def test_a_photo_sent_as_a_data_url_is_searched_by_image(client: TestClient, built: BuiltCatalog) -> None:
    product = next(
        p
        for p in sorted(built.services.products().values(), key=lambda p: p.id)
        if p.image_status is ImageStatus.PRESENT and p.article_type in SNEAKERS
    )
    data = (built.images_dir / str(product.image_file)).read_bytes()
    url = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    reply = ask(client, message="find me something like this", image=url)
    assert reply["image_ref"] == "upload:1"
    call = reply["tool_calls"][0]
    assert call["name"] == "search_similar_by_image" and call["arguments"]["image_ref"] == "upload:1"
    assert product.id in {p.id for p in picked(built, reply)}


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"message": ""}, 422, "message"),
        ({"message": "x" * 2001}, 422, "message"),
        ({}, 422, "message: Field required"),
        ({"message": "hi", "colour": "red"}, 422, "colour"),
        ({"message": "hi", "session_id": "no spaces allowed"}, 422, "session_id"),
        ({"message": "hi", "user_id": "me"}, 422, "user_id"),
        ({"message": "hi", "user_id": "1"}, 422, "user_id"),
        ({"message": "hi", "user_id": True}, 422, "user_id"),
        ({"message": "hi", "image": ""}, 422, "image"),
        ({"message": "hi", "user_id": 987654}, 404, "987654"),
        ({"message": "hi", "image": "not base64!"}, 422, "image: not valid base64"),
        ({"message": "hi", "image": "data:image/png,raw"}, 422, "base64-encoded"),
        ({"message": "   "}, 422, "message is empty"),
    ],
)
def test_bad_input_gets_a_clear_4xx(
    client: TestClient, body: dict[str, Any], status: int, words: str
) -> None:
    response = client.post(CHAT, json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_an_oversized_photo_is_refused_with_413(client: TestClient, built: BuiltCatalog) -> None:
    limit = built.settings.api.max_upload_bytes
    photo = base64.b64encode(b"\xff" * (limit + 1)).decode()
    response = client.post(CHAT, json={"message": "like this", "image": photo})
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    response = client.post(CHAT, content=b"black sneakers", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


def test_a_photo_that_is_not_an_image_is_reported_in_the_answer(client: TestClient) -> None:
    junk = base64.b64encode(b"definitely not a photo").decode()
    reply = ask(client, message="something like this photo", image=junk)
    assert reply["image_ref"] == "upload:1" and reply["products"] == []
    assert reply["tool_calls"][0]["name"] == "search_similar_by_image"
    error = reply["tool_calls"][0]["error"]
    assert error and "image" in error
    assert "photo" in reply["answer"].lower()


def test_openapi_documents_the_chat(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    op = doc["paths"][CHAT]["post"]
    assert op["tags"] == ["stylist"] and op["summary"]
    assert {"404", "413", "422"} <= set(op["responses"])
    body = op["requestBody"]["content"]["application/json"]
    assert {"outfit", "follow-up", "personal"} <= set(body["examples"])
    schemas = doc["components"]["schemas"]
    assert set(schemas["ChatIn"]["properties"]) == {"message", "session_id", "user_id", "image"}
    assert schemas["ChatIn"]["required"] == ["message"]
    out = schemas["ChatPublic"]["properties"]
    assert {"session_id", "answer", "products", "tool_calls", "model", "user_id", "image_ref"} == set(out)
    assert out["products"]["items"]["$ref"].endswith("/StylistPickPublic")
    pick = schemas["StylistPickPublic"]["properties"]
    assert pick["product"]["$ref"].endswith("/ProductPublic") and {"reason", "role"} <= set(pick)

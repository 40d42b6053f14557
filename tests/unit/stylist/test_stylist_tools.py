"""The stylist's tools: schemas, bindings to the services, and errors returned as results."""

from __future__ import annotations

import json

import pytest

from fashion_search.domain import Product
from fashion_search.stylist import TOOL_SPECS, Toolbox
from fashion_search.stylist.tools import ToolContext

EXPECTED_TOOLS = {
    "search_by_text",
    "search_similar_by_image",
    "get_personalized_recommendations",
    "complete_the_look",
    "get_product",
}


def _walk(node: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out += _walk(value)
    elif isinstance(node, list):
        for value in node:
            out += _walk(value)
    return out


def test_five_tools_with_object_schemas(toolbox: Toolbox) -> None:
    specs = toolbox.anthropic_tools()
    assert {s["name"] for s in specs} == EXPECTED_TOOLS == {s.name for s in TOOL_SPECS}
    for spec in specs:
        schema = spec["input_schema"]
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert spec["description"]
        assert not any(isinstance(d.get("title"), str) for d in _walk(schema))
        json.dumps(spec)
    required = {s["name"]: set(s["input_schema"].get("required", [])) for s in specs}
    assert required["search_by_text"] == {"text"}
    assert required["complete_the_look"] == {"product_id"}
    assert required["get_personalized_recommendations"] == {"user_id"}


def test_search_by_text_applies_every_filter(toolbox: Toolbox, catalog: dict[int, Product]) -> None:
    args = {
        "text": "shoes",
        "gender": "Men",
        "colours": ["navy", "Black"],
        "article_types": ["sneakers"],
        "max_price": 120,
        "k": 20,
    }
    result = toolbox.run("search_by_text", args)
    assert result.error is None and result.arguments == args
    expected = {
        p.id
        for p in catalog.values()
        if p.gender in ("Men", "Unisex")
        and p.base_colour in ("Navy Blue", "Black")
        and p.article_type in ("Casual Shoes", "Sports Shoes")
        and (p.price or 1e9) <= 120
    }
    assert expected
    assert {i.product.id for i in result.items} <= expected
    assert len(result.items) == min(20, len(expected))
    assert result.content["total_matching"] == len(expected)
    first = result.content["products"][0]
    assert set(first) >= {"id", "name", "price", "colour", "gender", "article_type", "reason"}
    assert json.loads(result.to_json()) == json.loads(json.dumps(result.content))


def test_exclusions(toolbox: Toolbox) -> None:
    shown = toolbox.run("search_by_text", {"text": "watch", "article_types": ["Watches"], "k": 3})
    ids = [i.product.id for i in shown.items]
    again = toolbox.run(
        "search_by_text",
        {
            "text": "watch",
            "article_types": ["Watches"],
            "k": 5,
            "exclude_ids": ids,
            "exclude_colours": ["Black"],
        },
    )
    assert again.items
    assert not {i.product.id for i in again.items} & set(ids)
    assert all(i.product.base_colour != "Black" for i in again.items)


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("search_by_text", {"text": "shirt", "colours": ["zzz"]}, "unknown colour 'zzz'"),
        (
            "search_by_text",
            {"text": "shirt", "article_types": ["spaceship"]},
            "unknown article type 'spaceship'",
        ),
        ("search_by_text", {"text": "shirt", "k": 0}, "k: Input should be greater than or equal to 1"),
        ("search_by_text", {"text": "shirt", "max_price": -5}, "max_price"),
        ("search_by_text", {"text": "shirt", "min_price": 50, "max_price": 10}, "must not exceed"),
        ("search_by_text", {"text": "shirt", "colour": "Red"}, "colour: Extra inputs are not permitted"),
        ("search_by_text", {}, "text: Field required"),
        ("search_by_text", {"text": "shirt", "user_id": 999999}, "user 999999 not found"),
        ("search_similar_by_image", {}, "exactly one of product_id or image_ref"),
        ("search_similar_by_image", {"product_id": 1, "image_ref": "upload:1"}, "exactly one"),
        ("search_similar_by_image", {"product_id": 999999}, "product 999999 not found"),
        ("search_similar_by_image", {"image_ref": "upload:7"}, "uploaded image"),
        ("search_similar_by_image", {"image_ref": "/etc/passwd"}, "image_ref"),
        ("get_personalized_recommendations", {"user_id": 999999}, "user 999999 not found"),
        ("complete_the_look", {"product_id": 999999}, "product 999999 not found"),
        ("get_product", {"product_id": 999999}, "product 999999 not found"),
        ("get_product", {"product_id": "abc"}, "product_id"),
        ("no_such_tool", {}, "unknown tool 'no_such_tool'"),
    ],
)
def test_errors_are_results_not_exceptions(
    toolbox: Toolbox, name: str, args: dict[str, object], message: str
) -> None:
    result = toolbox.run(name, args)
    assert result.is_error and result.items == ()
    assert result.error is not None and message in result.error
    assert json.loads(result.to_json()) == {"error": result.error}


def test_similar_keeps_filters_and_never_returns_the_anchor(
    toolbox: Toolbox, catalog: dict[int, Product]
) -> None:
    anchor = next(p for p in catalog.values() if p.article_type == "Casual Shoes" and p.price)
    assert anchor.price is not None
    price = anchor.price
    result = toolbox.run(
        "search_similar_by_image",
        {
            "product_id": anchor.id,
            "article_types": ["Casual Shoes"],
            "max_price": price - 0.01,
            "k": 10,
        },
    )
    assert result.error is None
    assert result.content["like"]["id"] == anchor.id
    assert result.items
    assert all(
        i.product.article_type == "Casual Shoes" and (i.product.price or 1e9) < price for i in result.items
    )
    assert anchor.id not in {i.product.id for i in result.items}


def test_similar_by_uploaded_image(toolbox: Toolbox, catalog: dict[int, Product]) -> None:
    images = toolbox.services.images_dir()
    assert images is not None
    product = next(p for p in catalog.values() if p.article_type == "Watches" and p.image_file)
    context = ToolContext(images={"upload:1": (images / str(product.image_file)).read_bytes()})
    result = toolbox.run("search_similar_by_image", {"image_ref": "upload:1", "k": 3}, context)
    assert result.error is None
    assert result.items[0].product.id == product.id
    broken = toolbox.run(
        "search_similar_by_image", {"image_ref": "upload:1"}, ToolContext({"upload:1": b"nope"})
    )
    assert broken.is_error and "image" in (broken.error or "")


def test_recommendations_and_outfits(toolbox: Toolbox, catalog: dict[int, Product]) -> None:
    users = toolbox.services.users()
    persona = users.list_users()[0][0]
    recs = toolbox.run(
        "get_personalized_recommendations", {"user_id": persona.id, "limit": 4, "max_price": 90}
    )
    assert recs.error is None and len(recs.items) == 4
    assert recs.content["personalised"] is True
    assert all((i.product.price or 1e9) <= 90 for i in recs.items)
    assert not {i.product.id for i in recs.items} & users.purchased(persona.id)

    shirt = next(p for p in catalog.values() if p.article_type == "Shirts" and p.gender == "Men")
    look = toolbox.run("complete_the_look", {"product_id": shirt.id, "per_role": 1, "max_price": 60})
    assert look.error is None
    assert look.content["anchor"]["id"] == shirt.id and look.content["anchor_role"] == "top"
    assert set(look.content["roles"]) == {"bottom", "footwear", "accessory"}
    assert all(i.role in look.content["roles"] and (i.product.price or 1e9) <= 60 for i in look.items)
    assert shirt.id not in {i.product.id for i in look.items}

    details = toolbox.run("get_product", {"product_id": shirt.id})
    assert details.content["product"]["name"] == shirt.name
    assert details.content["product"]["sub_category"] == "Topwear"

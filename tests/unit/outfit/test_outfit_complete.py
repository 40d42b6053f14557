from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from fashion_search.domain import Event, EventType, Filter, Hit, Product
from fashion_search.errors import ValidationError
from fashion_search.outfit import ListFetcher, complementary_roles, complete_the_look, role_of
from fashion_search.users import build_profile

# sub-category, article type, genders, usages, price range
ARTICLES = (
    ("Topwear", "Tshirts", ("Men", "Women"), ("Casual", "Sports"), (8, 30)),
    ("Topwear", "Shirts", ("Men", "Women"), ("Formal", "Casual"), (20, 60)),
    ("Topwear", "Kurtas", ("Women",), ("Ethnic",), (20, 70)),
    ("Bottomwear", "Jeans", ("Men", "Women"), ("Casual",), (30, 80)),
    ("Bottomwear", "Trousers", ("Men", "Women"), ("Formal", "Casual"), (30, 90)),
    ("Bottomwear", "Track Pants", ("Men", "Women"), ("Sports",), (20, 50)),
    ("Dress", "Dresses", ("Women", "Girls"), ("Casual", "Party"), (30, 120)),
    ("Shoes", "Casual Shoes", ("Men", "Women"), ("Casual",), (30, 90)),
    ("Shoes", "Sports Shoes", ("Men", "Women", "Boys"), ("Sports",), (40, 150)),
    ("Shoes", "Formal Shoes", ("Men",), ("Formal",), (50, 160)),
    ("Shoes", "Heels", ("Women",), ("Casual", "Party"), (40, 150)),
    ("Flip Flops", "Flip Flops", ("Men", "Women", "Unisex"), ("Casual",), (5, 20)),
    ("Bags", "Handbags", ("Women",), ("Casual",), (40, 400)),
    ("Bags", "Backpacks", ("Unisex",), ("Casual",), (25, 90)),
    ("Watches", "Watches", ("Men", "Women"), ("Casual", "Formal"), (60, 600)),
    ("Belts", "Belts", ("Men", "Women"), ("Casual", "Formal"), (15, 60)),
    ("Eyewear", "Sunglasses", ("Unisex",), ("Casual",), (30, 250)),
    ("Headwear", "Caps", ("Unisex", "Boys"), ("Casual", "Sports"), (10, 30)),
    ("Jewellery", "Earrings", ("Women",), ("Casual", "Ethnic"), (10, 200)),
    ("Jewellery", "Bracelet", ("Men", "Women"), ("Casual",), (10, 200)),
    ("Innerwear", "Briefs", ("Men",), ("Casual",), (5, 15)),
    ("Topwear", "Tshirts", ("Boys", "Girls"), ("Casual",), (5, 20)),
)
COLOURS = ("Black", "White", "Blue", "Navy Blue", "Grey", "Red", "Pink", "Green", "Brown", "Yellow", "Multi")
SEASONS = ("Summer", "Fall", "Winter", "Spring")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def outfit_catalog(n: int = 440) -> list[Product]:
    out = []
    for i in range(n):
        sub, art, genders, usages, (low, high) = ARTICLES[i % len(ARTICLES)]
        r = i // len(ARTICLES)
        out.append(
            Product(
                id=i + 1,
                name=f"{genders[r % len(genders)]} {COLOURS[(i * 3 + r) % len(COLOURS)]} {art} {i}",
                gender=genders[r % len(genders)],
                sub_category=sub,
                article_type=art,
                base_colour=COLOURS[(i * 3 + r) % len(COLOURS)],
                season=SEASONS[(i + r) % len(SEASONS)],
                usage=usages[(r // len(genders)) % len(usages)],
                price=round(low + (high - low) * ((i * 0.618) % 1), 2),
            )
        )
    return out


CATALOG = outfit_catalog()
ALLOWED_GENDERS = {
    "Men": {"Men", "Unisex"},
    "Women": {"Women", "Unisex"},
    "Boys": {"Boys", "Unisex"},
    "Girls": {"Girls", "Unisex"},
    "Unisex": {"Men", "Women", "Unisex"},
}


def test_every_outfit_item_is_complementary_compatible_and_within_budget() -> None:
    fetch = ListFetcher(CATALOG)
    checked = 0
    for anchor in CATALOG:
        outfit = complete_the_look(anchor, fetch, max_price=80, per_role=3)
        roles = {r.name: r for r in complementary_roles(anchor)}
        assert list(outfit.roles) == list(roles)
        seen = set()
        for item in outfit.items():
            assert item.role in roles and roles[item.role].matches(item.product)
            assert item.product.gender in ALLOWED_GENDERS[anchor.gender or "Unisex"]
            assert item.product.sub_category != anchor.sub_category
            assert item.product.price is not None and item.product.price <= 80
            assert item.product.id != anchor.id and item.product.id not in seen
            assert item.reason.endswith("within your budget of $80")
            seen.add(item.product.id)
            checked += 1
        assert all(len(items) <= 3 for items in outfit.roles.values())
    assert checked > 2000


def test_a_formal_shirt_gets_formal_shoes() -> None:
    shirt = Product(
        9001,
        "Men White Formal Shirt",
        gender="Men",
        sub_category="Topwear",
        article_type="Shirts",
        base_colour="White",
        season="Fall",
        usage="Formal",
        price=40,
    )
    shoes = {
        "formal": Product(
            9002,
            "Black Oxford",
            gender="Men",
            sub_category="Shoes",
            article_type="Formal Shoes",
            base_colour="Black",
            season="Fall",
            usage="Formal",
            price=90,
        ),
        "flip": Product(
            9003,
            "Black Flip Flops",
            gender="Men",
            sub_category="Flip Flops",
            article_type="Flip Flops",
            base_colour="Black",
            season="Fall",
            usage="Casual",
            price=10,
        ),
        "heels": Product(
            9004,
            "Black Heels",
            gender="Women",
            sub_category="Shoes",
            article_type="Heels",
            base_colour="Black",
            season="Fall",
            usage="Formal",
            price=60,
        ),
        "sports": Product(
            9005,
            "Black Runner",
            gender="Men",
            sub_category="Shoes",
            article_type="Sports Shoes",
            base_colour="Black",
            season="Fall",
            usage="Sports",
            price=70,
        ),
    }
    outfit = complete_the_look(shirt, ListFetcher(list(shoes.values())), per_role=1)
    assert [i.product.id for i in outfit.roles["footwear"]] == [9002]
    assert outfit.roles["bottom"] == () and outfit.roles["accessory"] == ()
    # With room for more, the strict usage rule is relaxed but Women's heels never appear.
    more = complete_the_look(shirt, ListFetcher(list(shoes.values())), per_role=3)
    ids = [i.product.id for i in more.roles["footwear"]]
    assert ids[0] == 9002 and 9004 not in ids
    assert more.roles["footwear"][0].compatibility.usage == 1.0


def test_a_dress_gets_shoes_bag_and_jewellery() -> None:
    dress = next(p for p in CATALOG if p.article_type == "Dresses" and p.gender == "Women")
    outfit = complete_the_look(dress, ListFetcher(CATALOG))
    assert list(outfit.roles) == ["footwear", "bag", "jewellery"]
    assert all(outfit.roles[r] for r in outfit.roles)
    assert outfit.anchor_role == "dress"


def test_the_profile_reorders_equally_compatible_items() -> None:
    shirt = Product(
        9101,
        "Men White Shirt",
        gender="Men",
        sub_category="Topwear",
        article_type="Shirts",
        base_colour="White",
        season="Summer",
        usage="Casual",
        price=30,
    )
    belts = [
        Product(
            9102,
            "Black Belt",
            gender="Men",
            sub_category="Belts",
            article_type="Belts",
            base_colour="Black",
            season="Summer",
            usage="Casual",
            price=20,
        ),
        Product(
            9103,
            "Grey Belt",
            gender="Men",
            sub_category="Belts",
            article_type="Belts",
            base_colour="Grey",
            season="Summer",
            usage="Casual",
            price=20,
        ),
    ]
    products = {p.id: p for p in belts}
    loves_grey = build_profile(1, [Event(1, 9103, EventType.PURCHASE, T0)], products)
    loves_black = build_profile(1, [Event(1, 9102, EventType.PURCHASE, T0)], products)
    order = {}
    for name, profile in (("grey", loves_grey), ("black", loves_black), ("none", None)):
        outfit = complete_the_look(shirt, ListFetcher(belts), profile=profile, per_role=2)
        order[name] = [i.product.id for i in outfit.roles["accessory"]]
    assert order["grey"] == [9103, 9102]
    assert order["black"] == [9102, 9103]
    outfit = complete_the_look(shirt, ListFetcher(belts), profile=loves_grey)
    assert "in your favourite colour Grey" in outfit.roles["accessory"][0].reason


class RecordingFetcher:
    def __init__(self, products: list[Product]) -> None:
        self.inner = ListFetcher(products)
        self.calls: list[tuple[Filter, int]] = []

    def __call__(self, where: Filter, k: int) -> list[Hit]:
        self.calls.append((where, k))
        return self.inner(where, k)


def test_hard_rules_reach_the_fetcher_as_filters() -> None:
    anchor = next(
        p for p in CATALOG if p.article_type == "Shirts" and p.gender == "Men" and p.usage == "Formal"
    )
    fetch = RecordingFetcher(CATALOG)
    complete_the_look(anchor, fetch, max_price=50, per_role=2, pool=20)
    assert fetch.calls
    for where, k in fetch.calls:
        ops = {(c.field, c.op.value): c.value for c in where.conditions}
        assert ops[("gender", "in")] == frozenset({"Men", "Unisex"})
        assert ops[("sub_category", "!=")] == "Topwear"
        assert ops[("price", "<=")] == 50
        assert ops[("id", "!=")] == anchor.id
        assert k == 20


def test_an_index_like_fetcher_orders_by_style() -> None:
    rng = np.random.default_rng(0)
    vectors = {p.id: rng.standard_normal(8).astype(np.float32) for p in CATALOG}
    anchor = next(p for p in CATALOG if p.article_type == "Jeans" and p.gender == "Men")
    fetch = ListFetcher(CATALOG, vectors, query=vectors[anchor.id])
    hits = fetch(Filter(), 5)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and len(hits) == 5
    outfit = complete_the_look(anchor, fetch, per_role=2)
    assert all(0.0 <= i.style <= 1.0 for i in outfit.items())


def test_anchor_outside_every_role_gets_a_note() -> None:
    briefs = next(p for p in CATALOG if p.article_type == "Briefs")
    assert role_of(briefs) is None
    outfit = complete_the_look(briefs, ListFetcher(CATALOG))
    assert outfit.roles == {} and "Innerwear" in outfit.note


def test_to_dict_and_validation() -> None:
    anchor = next(p for p in CATALOG if p.article_type == "Tshirts" and p.gender == "Women")
    d = complete_the_look(anchor, ListFetcher(CATALOG), per_role=1).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert set(d["roles"]) == {"bottom", "footwear", "accessory"}
    item = d["roles"]["bottom"][0]
    assert set(item["compatibility"]) == {"colour", "season", "usage", "gender", "overall"}
    for kwargs, message in (
        ({"per_role": 0}, "per_role"),
        ({"max_price": -5}, "max_price"),
        ({"per_role": 5, "pool": 3}, "pool"),
    ):
        with pytest.raises(ValidationError, match=message):
            complete_the_look(anchor, ListFetcher(CATALOG), **kwargs)  # type: ignore[arg-type]


def test_compatibility_prefers_harmony() -> None:
    top = Product(
        9201,
        "Red Shirt",
        gender="Women",
        sub_category="Topwear",
        article_type="Shirts",
        base_colour="Red",
        season="Summer",
        usage="Casual",
    )
    skirts = [
        Product(
            9202 + i,
            f"{c} Skirt",
            gender="Women",
            sub_category="Bottomwear",
            article_type="Skirts",
            base_colour=c,
            season="Summer",
            usage="Casual",
            price=20,
        )
        for i, c in enumerate(("Pink", "Black", "Blue"))
    ]
    outfit = complete_the_look(top, ListFetcher(skirts), per_role=3)
    colours = [i.product.base_colour for i in outfit.roles["bottom"]]
    assert colours == ["Black", "Blue", "Pink"]  # neutral 0.9, blue with red 0.65, red with pink clashes
    assert "clash" in outfit.roles["bottom"][-1].reason

from __future__ import annotations

import pytest

from fashion_search.domain import Product
from fashion_search.outfit import ROLES, complementary_roles, role_of
from fashion_search.outfit.rules import (
    compatible_genders,
    compatible_usages,
    gender_score,
    season_score,
    usage_score,
)


def p(sub: str, art: str, gender: str = "Women") -> Product:
    return Product(1, "x", gender=gender, sub_category=sub, article_type=art)


@pytest.mark.parametrize(
    ("sub", "art", "role"),
    [
        ("Topwear", "Tshirts", "top"),
        ("Topwear", "Kurtis", "top"),
        ("Bottomwear", "Jeans", "bottom"),
        ("Dress", "Dresses", "dress"),
        ("Topwear", "Dresses", "dress"),  # filed under Topwear in the real catalog
        ("Saree", "Sarees", "ethnic set"),
        ("Shoes", "Heels", "footwear"),
        ("Flip Flops", "Flip Flops", "footwear"),
        ("Sandal", "Sports Sandals", "footwear"),
        ("Bags", "Handbags", "bag"),
        ("Jewellery", "Earrings", "jewellery"),
        ("Watches", "Watches", "watch"),
        ("Belts", "Belts", "accessory"),
        ("Eyewear", "Sunglasses", "accessory"),
        ("Belts", "Tshirts", None),  # misfiled T-shirts are no accessory
        ("Innerwear", "Briefs", None),
        ("Fragrance", "Perfume and Body Mist", None),
        ("Socks", "Socks", None),
        ("Bottomwear", "Swimwear", None),
    ],
)
def test_role_of(sub: str, art: str, role: str | None) -> None:
    found = role_of(p(sub, art))
    assert (found.name if found else None) == role


@pytest.mark.parametrize(
    ("sub", "art", "gender", "expected"),
    [
        ("Topwear", "Shirts", "Men", ["bottom", "footwear", "accessory"]),
        ("Bottomwear", "Jeans", "Men", ["top", "footwear", "accessory"]),
        ("Dress", "Dresses", "Women", ["footwear", "bag", "jewellery"]),
        ("Shoes", "Casual Shoes", "Men", ["top", "bottom"]),
        ("Watches", "Watches", "Women", ["top", "bottom", "footwear"]),
        ("Belts", "Belts", "Men", ["top", "bottom", "footwear"]),
        ("Jewellery", "Earrings", "Women", ["dress", "footwear", "bag"]),
        ("Jewellery", "Bracelet", "Men", ["top", "bottom", "footwear", "bag"]),
        ("Innerwear", "Bra", "Women", []),
    ],
)
def test_complementary_roles(sub: str, art: str, gender: str, expected: list[str]) -> None:
    anchor = p(sub, art, gender)
    names = [r.name for r in complementary_roles(anchor)]
    assert names == expected
    own = role_of(anchor)
    assert own is None or own.name not in names


def test_role_filters_agree_with_matches() -> None:
    samples = [p(s, a) for s in ("Topwear", "Bottomwear", "Belts", "Bags", "Dress") for a in
               ("Tshirts", "Jeans", "Belts", "Handbags", "Dresses", "Wallets")]  # fmt: skip
    for role in ROLES.values():
        f = role.to_filter()
        assert all(f.matches(x) == role.matches(x) for x in samples)


def test_gender_rules() -> None:
    assert compatible_genders("Men") == {"Men", "Unisex"}
    assert compatible_genders("Girls") == {"Girls", "Unisex"}
    assert compatible_genders("Unisex") == {"Men", "Women", "Unisex"}
    assert compatible_genders(None) is None
    assert gender_score("Men", "Men") == 1.0
    assert gender_score("Men", "Unisex") == 0.8
    assert gender_score("Men", "Women") == 0.0
    assert gender_score("Boys", "Men") == 0.0


def test_season_rules() -> None:
    assert season_score("Summer", "Summer") == 1.0
    assert season_score("Summer", "Fall") == season_score("Fall", "Summer") == 0.7
    assert season_score("Winter", "Spring") == 0.7  # the year wraps round
    assert season_score("Summer", "Winter") == 0.2
    assert season_score(None, "Summer") == 0.6


def test_usage_rules() -> None:
    assert usage_score("Formal", "Formal") == 1.0
    assert usage_score("Formal", "Sports") == 0.0
    assert usage_score("Formal", "Smart Casual") == usage_score("Smart Casual", "Formal") == 0.8
    assert usage_score(None, "Formal") == 0.5
    assert compatible_usages("Formal") == {"Formal", "Smart Casual", "Party"}
    assert compatible_usages("Sports") == {"Sports", "Casual", "Travel"}
    assert compatible_usages("NA") is None
    usages = ["Formal", "Smart Casual", "Casual", "Sports", "Ethnic", "Party", "Travel", "Home"]
    for a in usages:
        for b in usages:
            assert usage_score(a, b) == usage_score(b, a)
            assert 0.0 <= usage_score(a, b) <= 1.0

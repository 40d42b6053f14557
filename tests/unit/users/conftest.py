"""A small, realistic catalog built from the real catalog's vocabulary (no files, no randomness)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fashion_search.domain import Product

# article type, master category, sub-category, genders, usages, (low, high) price
ARTICLES: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...], tuple[float, float]], ...] = (
    ("Tshirts", "Apparel", "Topwear", ("Men", "Women"), ("Casual", "Sports"), (8, 30)),
    ("Shirts", "Apparel", "Topwear", ("Men", "Women"), ("Formal", "Casual"), (20, 60)),
    ("Kurtas", "Apparel", "Topwear", ("Men", "Women"), ("Ethnic",), (20, 70)),
    ("Jeans", "Apparel", "Bottomwear", ("Men", "Women"), ("Casual",), (30, 80)),
    ("Trousers", "Apparel", "Bottomwear", ("Men", "Women"), ("Formal", "Casual"), (30, 90)),
    ("Track Pants", "Apparel", "Bottomwear", ("Men", "Women"), ("Sports",), (20, 50)),
    ("Shorts", "Apparel", "Bottomwear", ("Men", "Women"), ("Casual", "Sports"), (10, 35)),
    ("Dresses", "Apparel", "Dress", ("Women",), ("Casual", "Party"), (30, 120)),
    ("Skirts", "Apparel", "Bottomwear", ("Women",), ("Casual",), (20, 60)),
    ("Casual Shoes", "Footwear", "Shoes", ("Men", "Women"), ("Casual",), (30, 90)),
    ("Sports Shoes", "Footwear", "Shoes", ("Men", "Women"), ("Sports",), (40, 150)),
    ("Formal Shoes", "Footwear", "Shoes", ("Men",), ("Formal",), (50, 160)),
    ("Heels", "Footwear", "Shoes", ("Women",), ("Casual", "Party"), (40, 150)),
    ("Flip Flops", "Footwear", "Flip Flops", ("Men", "Women"), ("Casual",), (5, 20)),
    ("Handbags", "Accessories", "Bags", ("Women",), ("Casual",), (40, 400)),
    ("Backpacks", "Accessories", "Bags", ("Unisex",), ("Casual",), (25, 90)),
    ("Watches", "Accessories", "Watches", ("Men", "Women"), ("Casual", "Formal"), (60, 600)),
    ("Belts", "Accessories", "Belts", ("Men",), ("Casual", "Formal"), (15, 60)),
    ("Sunglasses", "Accessories", "Eyewear", ("Unisex",), ("Casual",), (30, 250)),
    ("Caps", "Accessories", "Headwear", ("Unisex",), ("Casual", "Sports"), (10, 30)),
    ("Earrings", "Accessories", "Jewellery", ("Women",), ("Casual",), (10, 200)),
    ("Briefs", "Apparel", "Innerwear", ("Men",), ("Casual",), (5, 15)),
)
COLOURS = ("Black", "White", "Blue", "Navy Blue", "Grey", "Red", "Pink", "Green", "Brown", "Yellow", "Maroon")
SEASONS = ("Summer", "Fall", "Winter", "Spring")


def make_catalog(n: int, first_id: int = 1000, priced: bool = True) -> list[Product]:
    """``n`` products cycling through article types, genders, colours, usages and price levels."""
    products = []
    for i in range(n):
        art, master, sub, genders, usages, (low, high) = ARTICLES[i % len(ARTICLES)]
        round_ = i // len(ARTICLES)
        gender = genders[round_ % len(genders)]
        colour = COLOURS[(i * 7 + round_) % len(COLOURS)]
        usage = usages[(round_ // len(genders)) % len(usages)]
        level = (i * 0.6180339887) % 1.0
        price = round(low + (high - low) * level, 2) if priced else None
        products.append(
            Product(
                id=first_id + i,
                name=f"Brand{i % 9} {gender} {colour} {art}",
                gender=gender,
                master_category=master,
                sub_category=sub,
                article_type=art,
                base_colour=colour,
                season=SEASONS[i % len(SEASONS)],
                year=2012 + i % 6,
                usage=usage,
                price=price,
            )
        )
    return products


@pytest.fixture
def catalog_factory() -> Callable[..., list[Product]]:
    return make_catalog


@pytest.fixture(scope="module")
def small_catalog() -> list[Product]:
    return make_catalog(330)

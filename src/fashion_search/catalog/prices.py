"""Simulated prices: the real catalog has none, and budget filters need them.

A price depends only on the product's id, its article type, usage and master category, and a
seed, so every run and every machine gives the same price. Within an article type's range the
price is log-uniform (cheap items are more common than dear ones, as in real assortments), then
multiplied by its usage factor and written the retail way, ending in .99.
"""

from __future__ import annotations

import hashlib
import math

from fashion_search.domain import price_tier

__all__ = [
    "ARTICLE_TYPE_PRICE_RANGES",
    "DEFAULT_PRICE_RANGE",
    "MASTER_CATEGORY_PRICE_RANGES",
    "USAGE_MULTIPLIERS",
    "price_range",
    "price_tier",
    "simulate_price",
]

# The price table: list prices in US dollars, (lowest, highest), before the usage factor, chosen
# to look like a mid-market online fashion retailer. Article types not listed fall back to their
# master category's range, and to DEFAULT_PRICE_RANGE when that is unknown too.
ARTICLE_TYPE_PRICE_RANGES: dict[str, tuple[float, float]] = {
    # apparel: tops
    "Tshirts": (8, 35),
    "Lounge Tshirts": (8, 30),
    "Tops": (10, 45),
    "Tunics": (12, 45),
    "Kurtis": (12, 45),
    "Camisoles": (6, 25),
    "Shirts": (15, 70),
    "Kurtas": (15, 70),
    "Kurta Sets": (30, 120),
    "Sweatshirts": (20, 70),
    "Sweaters": (25, 90),
    "Shrug": (15, 50),
    "Waistcoat": (25, 90),
    "Nehru Jackets": (35, 120),
    "Jackets": (40, 200),
    "Rain Jacket": (25, 90),
    "Blazers": (60, 250),
    "Suits": (100, 450),
    # apparel: bottoms
    "Jeans": (25, 90),
    "Jeggings": (15, 50),
    "Trousers": (20, 80),
    "Track Pants": (15, 55),
    "Shorts": (10, 40),
    "Capris": (12, 40),
    "Leggings": (8, 30),
    "Churidar": (10, 35),
    "Salwar": (10, 35),
    "Patiala": (10, 35),
    "Lounge Pants": (10, 35),
    "Lounge Shorts": (8, 28),
    # apparel: one-piece and sets
    "Dresses": (20, 120),
    "Jumpsuit": (25, 90),
    "Rompers": (15, 50),
    "Skirts": (15, 60),
    "Sarees": (25, 250),
    "Lehenga Choli": (80, 400),
    "Dupatta": (8, 35),
    "Salwar and Dupatta": (20, 70),
    "Tracksuits": (35, 120),
    "Clothing Set": (20, 70),
    "Swimwear": (15, 60),
    "Night suits": (15, 50),
    "Nightdress": (12, 45),
    "Baby Dolls": (12, 40),
    "Bath Robe": (20, 70),
    "Robe": (20, 70),
    # apparel: innerwear
    "Bra": (8, 40),
    "Briefs": (5, 20),
    "Boxers": (6, 22),
    "Trunk": (5, 20),
    "Innerwear Vests": (5, 18),
    "Shapewear": (15, 50),
    "Stockings": (4, 18),
    "Tights": (5, 20),
    "Socks": (3, 15),
    # footwear
    "Flip Flops": (5, 30),
    "Flats": (15, 60),
    "Sandals": (15, 70),
    "Sports Sandals": (20, 70),
    "Casual Shoes": (25, 110),
    "Sports Shoes": (35, 160),
    "Heels": (30, 140),
    "Formal Shoes": (45, 180),
    "Booties": (30, 120),
    # accessories
    "Watches": (40, 400),
    "Sunglasses": (20, 220),
    "Handbags": (25, 200),
    "Clutches": (15, 90),
    "Backpacks": (20, 110),
    "Rucksacks": (30, 130),
    "Duffel Bag": (25, 120),
    "Laptop Bag": (25, 120),
    "Messenger Bag": (25, 100),
    "Trolley Bag": (60, 250),
    "Waist Pouch": (8, 35),
    "Mobile Pouch": (6, 25),
    "Wallets": (12, 70),
    "Belts": (10, 55),
    "Caps": (8, 35),
    "Hat": (10, 45),
    "Ties": (10, 45),
    "Cufflinks": (12, 60),
    "Ties and Cufflinks": (20, 70),
    "Accessory Gift Set": (20, 70),
    "Scarves": (10, 50),
    "Stoles": (10, 50),
    "Mufflers": (10, 40),
    "Gloves": (8, 35),
    "Umbrellas": (8, 35),
    "Earrings": (8, 90),
    "Necklace and Chains": (12, 150),
    "Pendant": (10, 120),
    "Ring": (10, 150),
    "Bangle": (8, 80),
    "Bracelet": (8, 90),
    "Jewellery Set": (20, 180),
    # personal care
    "Perfume and Body Mist": (15, 120),
    "Fragrance Gift Set": (25, 120),
    "Deodorant": (3, 12),
    "Lipstick": (5, 35),
    "Lip Gloss": (5, 25),
    "Lip Liner": (4, 18),
    "Nail Polish": (3, 15),
    "Kajal and Eyeliner": (4, 20),
    "Mascara": (6, 30),
    "Eyeshadow": (6, 40),
    "Foundation and Primer": (10, 50),
    "Compact": (8, 35),
    "Highlighter and Blush": (8, 40),
    "Face Moisturisers": (8, 50),
    "Sunscreen": (6, 30),
}

MASTER_CATEGORY_PRICE_RANGES: dict[str, tuple[float, float]] = {
    "Apparel": (12, 60),
    "Footwear": (20, 100),
    "Accessories": (10, 80),
    "Personal Care": (5, 40),
    "Sporting Goods": (10, 50),
    "Home": (10, 50),
    "Free Items": (1, 10),
}
"""Used when the article type is not in :data:`ARTICLE_TYPE_PRICE_RANGES`."""

DEFAULT_PRICE_RANGE: tuple[float, float] = (10, 60)
"""Used when neither the article type nor the master category is known."""

USAGE_MULTIPLIERS: dict[str, float] = {
    "Casual": 1.0,
    "Travel": 1.05,
    "Sports": 1.1,
    "Smart Casual": 1.15,
    "Ethnic": 1.25,
    "Formal": 1.3,
    "Party": 1.35,
    "Home": 0.85,
}
"""Formal, party and ethnic wear cost more than the casual version of the same article."""

_ARTICLE_KEYS = {k.casefold(): v for k, v in ARTICLE_TYPE_PRICE_RANGES.items()}
_MASTER_KEYS = {k.casefold(): v for k, v in MASTER_CATEGORY_PRICE_RANGES.items()}
_USAGE_KEYS = {k.casefold(): v for k, v in USAGE_MULTIPLIERS.items()}


def price_range(
    article_type: str | None, usage: str | None, master_category: str | None
) -> tuple[float, float]:
    """The range a simulated price is drawn from, usage factor included."""
    low, high = (
        _ARTICLE_KEYS.get((article_type or "").strip().casefold())
        or _MASTER_KEYS.get((master_category or "").strip().casefold())
        or DEFAULT_PRICE_RANGE
    )
    factor = _USAGE_KEYS.get((usage or "").strip().casefold(), 1.0)
    return low * factor, high * factor


def _unit_draw(product_id: int, seed: int) -> float:
    """A uniform number in [0, 1) from the id and seed; stable across processes and machines."""
    digest = hashlib.blake2b(f"price:{seed}:{product_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def simulate_price(
    product_id: int,
    article_type: str | None,
    usage: str | None,
    master_category: str | None,
    seed: int = 0,
) -> float:
    """A deterministic, realistic price ending in .99 (e.g. 24.99).

    The price lies in :func:`price_range` for the product's attributes, except that ending in .99
    may lift it by less than 1 above the range's top.
    """
    low, high = price_range(article_type, usage, master_category)
    raw = low * math.exp(_unit_draw(product_id, seed) * math.log(high / low))
    return round(math.floor(raw) + 0.99, 2)

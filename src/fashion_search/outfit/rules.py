"""The role table of complete-the-look: what an anchor product is, and which roles complete it.

Roles are defined on the catalog's own ``subCategory`` / ``articleType`` values:

=========== ====================================== ===============================================
role        subCategory                            articleType (empty = every type of those)
=========== ====================================== ===============================================
top         Topwear                                Shirts, Tshirts, Tops, Sweatshirts, Sweaters,
                                                   Jackets, Blazers, Kurtas, Kurtis, Tunics, ...
bottom      Bottomwear                             Jeans, Trousers, Shorts, Skirts, Track Pants,
                                                   Capris, Leggings, Jeggings, Churidar, Salwar, ...
dress       Dress, Topwear                         Dresses, Jumpsuit
ethnic set  Saree, Apparel Set, Topwear            Sarees, Kurta Sets, Lehenga Choli
footwear    Shoes, Sandal, Flip Flops              (all)
bag         Bags                                   Handbags, Clutches, Backpacks, Laptop Bag, ...
jewellery   Jewellery                              (all)
watch       Watches                                (all)
accessory   Belts, Eyewear, Headwear, Ties,        (all but Tshirts misfiled under Belts)
            Scarves, Stoles, Cufflinks, Mufflers,
            Wallets
=========== ====================================== ===============================================

Anchors map to complementary roles (:data:`COMPLEMENTS`):

- top -> bottom + footwear + accessory; bottom -> top + footwear + accessory
- dress and ethnic set -> footwear + bag + jewellery
- footwear -> top + bottom
- watch, accessory, bag -> top + bottom + footwear; jewellery -> dress + footwear + bag

Innerwear, loungewear, socks, personal care (fragrance, make-up, skin, nails, lips, hair), free
gifts, sports equipment, umbrellas and home goods belong to no role: they are never suggested and,
as anchors, get no outfit. A role is never filled from the anchor's own sub-category.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from fashion_search.domain import Filter, Op, Product, condition


@dataclass(frozen=True, slots=True)
class Role:
    """A slot in an outfit: products of these sub-categories (and, if given, article types)."""

    name: str
    sub_categories: frozenset[str]
    article_types: frozenset[str] = frozenset()
    apparel: bool = False
    """Clothing and footwear must agree on usage; accessories may mix more freely."""

    def matches(self, product: Product) -> bool:
        if product.sub_category not in self.sub_categories:
            return False
        return not self.article_types or product.article_type in self.article_types

    def to_filter(self) -> Filter:
        conditions = [condition("sub_category", Op.IN, sorted(self.sub_categories))]
        if self.article_types:
            conditions.append(condition("article_type", Op.IN, sorted(self.article_types)))
        return Filter(tuple(conditions))


TOP = Role(
    "top",
    frozenset({"Topwear"}),
    frozenset(
        {
            "Shirts", "Tshirts", "Tops", "Sweatshirts", "Sweaters", "Jackets", "Blazers", "Kurtas",
            "Kurtis", "Tunics", "Waistcoat", "Shrug", "Nehru Jackets", "Rain Jacket",
        }
    ),
    apparel=True,
)  # fmt: skip
BOTTOM = Role(
    "bottom",
    frozenset({"Bottomwear"}),
    frozenset(
        {
            "Jeans", "Trousers", "Shorts", "Skirts", "Track Pants", "Capris", "Leggings", "Jeggings",
            "Churidar", "Salwar", "Patiala", "Salwar and Dupatta",
        }
    ),
    apparel=True,
)  # fmt: skip
# The catalog files some dresses and lehengas under Topwear; the article type says what they are.
DRESS = Role("dress", frozenset({"Dress", "Topwear"}), frozenset({"Dresses", "Jumpsuit"}), apparel=True)
ETHNIC_SET = Role(
    "ethnic set",
    frozenset({"Saree", "Apparel Set", "Topwear"}),
    frozenset({"Sarees", "Kurta Sets", "Lehenga Choli"}),
    apparel=True,
)
FOOTWEAR = Role("footwear", frozenset({"Shoes", "Sandal", "Flip Flops"}), apparel=True)
BAG = Role(
    "bag",
    frozenset({"Bags"}),
    frozenset(
        {"Handbags", "Clutches", "Backpacks", "Laptop Bag", "Messenger Bag", "Duffel Bag", "Rucksacks"}
    ),
)
JEWELLERY = Role("jewellery", frozenset({"Jewellery"}))
WATCH = Role("watch", frozenset({"Watches"}))
ACCESSORY = Role(
    "accessory",
    frozenset(
        {"Belts", "Eyewear", "Headwear", "Ties", "Scarves", "Stoles", "Cufflinks", "Mufflers", "Wallets"}
    ),
    frozenset(
        {
            "Belts", "Sunglasses", "Caps", "Hat", "Headband", "Ties", "Ties and Cufflinks", "Scarves",
            "Stoles", "Cufflinks", "Mufflers", "Wallets",
        }
    ),
)  # fmt: skip

ROLES: Mapping[str, Role] = MappingProxyType(
    {r.name: r for r in (TOP, BOTTOM, DRESS, ETHNIC_SET, FOOTWEAR, BAG, JEWELLERY, WATCH, ACCESSORY)}
)
"""Every role by name."""

COMPLEMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "top": ("bottom", "footwear", "accessory"),
        "bottom": ("top", "footwear", "accessory"),
        "dress": ("footwear", "bag", "jewellery"),
        "ethnic set": ("footwear", "bag", "jewellery"),
        "footwear": ("top", "bottom"),
        "bag": ("top", "bottom", "footwear"),
        "watch": ("top", "bottom", "footwear"),
        "accessory": ("top", "bottom", "footwear"),
        "jewellery": ("dress", "footwear", "bag"),
    }
)
"""Anchor role -> the roles that complete it, in display order."""

ROLE_GENDERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"dress": frozenset({"Women", "Girls"}), "ethnic set": frozenset({"Women", "Girls"})}
)
"""Roles that exist for some genders only; a Men anchor's jewellery gets top + bottom instead."""


def role_of(product: Product) -> Role | None:
    """The role ``product`` plays in an outfit, or None for products outside every role."""
    for role in ROLES.values():
        if role.matches(product):
            return role
    return None


def complementary_roles(anchor: Product) -> tuple[Role, ...]:
    """Roles that complete ``anchor``, in display order; empty for an anchor outside every role."""
    role = role_of(anchor)
    if role is None:
        return ()
    names = list(COMPLEMENTS[role.name])
    if anchor.gender in ("Men", "Boys"):
        kept = [n for n in names if n not in ROLE_GENDERS or anchor.gender in ROLE_GENDERS[n]]
        if len(kept) < len(names):
            kept = list(dict.fromkeys(["top", "bottom", *kept]))
        names = [n for n in kept if n != role.name]
    return tuple(ROLES[n] for n in names)


# --------------------------------------------------------------------------------------------
# Compatibility of gender, season and usage, each scored in [0, 1]
# --------------------------------------------------------------------------------------------

COMPATIBLE_GENDERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "Men": frozenset({"Men", "Unisex"}),
        "Women": frozenset({"Women", "Unisex"}),
        "Boys": frozenset({"Boys", "Unisex"}),
        "Girls": frozenset({"Girls", "Unisex"}),
        "Unisex": frozenset({"Men", "Women", "Unisex"}),
    }
)
"""Genders an item may have to go with an anchor of the key's gender (a hard rule)."""


def compatible_genders(gender: str | None) -> frozenset[str] | None:
    """Genders that may be combined with ``gender``; None means any (the anchor's gender is unknown)."""
    if gender is None:
        return None
    return COMPATIBLE_GENDERS.get(gender, frozenset({gender, "Unisex"}))


def gender_score(anchor: str | None, item: str | None) -> float:
    """1 for the same gender, 0.8 where Unisex bridges them (or one is unknown), 0 otherwise."""
    allowed = compatible_genders(anchor)
    if allowed is None or item is None:
        return 0.8
    if item not in allowed:
        return 0.0
    return 1.0 if item == anchor else 0.8


SEASONS: tuple[str, ...] = ("Spring", "Summer", "Fall", "Winter")
"""The catalog's seasons in calendar order (a cycle: Winter is next to Spring)."""


def season_score(a: str | None, b: str | None) -> float:
    """1 for the same season, 0.7 for adjacent ones, 0.2 for opposite ones, 0.6 when one is unknown."""
    if a not in SEASONS or b not in SEASONS:
        return 0.6
    distance = abs(SEASONS.index(a) - SEASONS.index(b))
    distance = min(distance, len(SEASONS) - distance)
    return (1.0, 0.7, 0.2)[distance]


_USAGE_PAIRS: dict[tuple[str, str], float] = {
    ("Formal", "Smart Casual"): 0.8, ("Formal", "Party"): 0.6, ("Formal", "Casual"): 0.3,
    ("Formal", "Ethnic"): 0.2, ("Formal", "Travel"): 0.1,
    ("Smart Casual", "Casual"): 0.8, ("Smart Casual", "Party"): 0.7, ("Smart Casual", "Ethnic"): 0.4,
    ("Smart Casual", "Travel"): 0.5,
    ("Casual", "Sports"): 0.5, ("Casual", "Travel"): 0.7, ("Casual", "Party"): 0.5,
    ("Casual", "Ethnic"): 0.5, ("Casual", "Home"): 0.4,
    ("Sports", "Travel"): 0.5,
    ("Ethnic", "Party"): 0.6,
}  # fmt: skip
USAGE_COMPATIBILITY: Mapping[frozenset[str], float] = MappingProxyType(
    {frozenset(pair): score for pair, score in _USAGE_PAIRS.items()}
)
"""Symmetric usage pairs; the same usage scores 1 and a pair not listed 0 (e.g. Formal with Sports)."""
UNKNOWN_USAGE = 0.5
STRICT_USAGE = 0.5
"""Clothing and footwear are first looked for among usages scoring at least this with the anchor's."""


def usage_score(a: str | None, b: str | None) -> float:
    if not a or not b or a == "NA" or b == "NA":
        return UNKNOWN_USAGE
    if a == b:
        return 1.0
    return USAGE_COMPATIBILITY.get(frozenset({a, b}), 0.0)


def compatible_usages(usage: str | None) -> frozenset[str] | None:
    """Usages scoring at least :data:`STRICT_USAGE` with ``usage``; None when ``usage`` is unknown."""
    if not usage or usage == "NA":
        return None
    known = {u for pair in USAGE_COMPATIBILITY for u in pair} | {usage}
    return frozenset(u for u in known if usage_score(usage, u) >= STRICT_USAGE)

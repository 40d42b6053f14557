"""Who the synthetic shoppers are: segment tastes and the five readable demo personas.

A :class:`Taste` is written in the catalog's own vocabulary (``articleType``, ``baseColour``,
``usage`` values). Segments describe many shoppers loosely; personas are single shoppers whose
tastes are resolved against the catalog at hand, so that each persona has products to like even on
a small demo catalog that lacks most of the article types the persona would ideally choose.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from fashion_search.domain import Product, User
from fashion_search.errors import ValidationError


class PriceBand(StrEnum):
    """Where in the price range a shopper likes to buy (relative to comparable products)."""

    LOW = "low"
    MID = "mid"
    HIGH = "high"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Taste:
    """Consistent preferences of a shopper or a segment of shoppers."""

    genders: Mapping[str, float]
    """Probability of each shopper gender; a shopper sees products of that gender and Unisex ones."""
    article_types: Mapping[str, float]
    """Relative preference for article types; types the catalog lacks are ignored."""
    colours: tuple[str, ...]
    """Favourite colours, most liked first."""
    price: PriceBand = PriceBand.ANY
    usages: Mapping[str, float] = field(default_factory=dict)
    """Multiplier per usage; a usage not listed gets ``other_usage``."""
    other_usage: float = 0.3


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    share: float
    """Fraction of the synthetic (non-persona) shoppers in this segment."""
    taste: Taste


def _ranked(*names: str, steepness: float = 0.12) -> dict[str, float]:
    # Earlier names are liked more; at the default steepness the tenth is still liked about half as
    # much as the first.
    return {name: 1.0 / (1.0 + steepness * i) for i, name in enumerate(names)}


_MEN_WOMEN = {"Men": 0.5, "Women": 0.5}

SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "budget",
        0.24,
        Taste(
            genders=_MEN_WOMEN,
            article_types=_ranked(
                "Tshirts", "Casual Shoes", "Flip Flops", "Jeans", "Tops", "Kurtis", "Shorts", "Sandals",
                "Backpacks", "Socks", "Track Pants", "Wallets",
            ),
            colours=("Black", "Blue", "White", "Grey", "Red", "Navy Blue", "Brown"),
            price=PriceBand.LOW,
            usages={"Casual": 1.0},
        ),
    ),
    Segment(
        "athletic",
        0.18,
        Taste(
            genders=_MEN_WOMEN,
            article_types=_ranked(
                "Sports Shoes", "Tshirts", "Track Pants", "Shorts", "Tracksuits", "Sweatshirts", "Caps",
                "Sports Sandals", "Capris", "Jackets", "Backpacks", "Socks", "Tops",
            ),
            colours=("Black", "Blue", "Grey", "White", "Navy Blue", "Red", "Green"),
            price=PriceBand.MID,
            usages={"Sports": 1.0, "Casual": 0.25},
            other_usage=0.05,
        ),
    ),
    Segment(
        "luxury",
        0.10,
        Taste(
            genders={"Men": 0.4, "Women": 0.6},
            article_types=_ranked(
                "Watches", "Handbags", "Sunglasses", "Perfume and Body Mist", "Heels", "Formal Shoes",
                "Clutches", "Wallets", "Necklace and Chains", "Earrings", "Belts", "Bracelet", "Blazers",
            ),
            colours=("Black", "Gold", "Silver", "Brown", "White", "Steel", "Maroon"),
            price=PriceBand.HIGH,
        ),
    ),
    Segment(
        "professional",
        0.17,
        Taste(
            genders={"Men": 0.6, "Women": 0.4},
            article_types=_ranked(
                "Shirts", "Trousers", "Formal Shoes", "Blazers", "Ties", "Belts", "Watches", "Tops",
                "Laptop Bag", "Heels", "Cufflinks", "Suits", "Waistcoat",
            ),
            colours=("White", "Blue", "Black", "Navy Blue", "Grey", "Brown", "Charcoal"),
            price=PriceBand.MID,
            usages={"Formal": 1.0, "Smart Casual": 0.8, "Casual": 0.25},
            other_usage=0.05,
        ),
    ),
    Segment(
        "genz",
        0.19,
        Taste(
            genders=_MEN_WOMEN,
            article_types=_ranked(
                "Tshirts", "Sweatshirts", "Casual Shoes", "Jeans", "Shorts", "Caps", "Tops", "Dresses",
                "Backpacks", "Jackets", "Flip Flops", "Skirts", "Sunglasses",
            ),
            colours=("Pink", "Yellow", "Purple", "Green", "Multi", "White", "Red", "Orange"),
            price=PriceBand.LOW,
            usages={"Casual": 1.0, "Sports": 0.5},
        ),
    ),
    Segment(
        "vintage",
        0.12,
        Taste(
            genders={"Men": 0.35, "Women": 0.65},
            article_types=_ranked(
                "Kurtas", "Dresses", "Kurtis", "Sarees", "Flats", "Sweaters", "Handbags", "Earrings",
                "Scarves", "Waistcoat", "Nehru Jackets", "Casual Shoes", "Skirts", "Shirts",
            ),
            colours=("Brown", "Maroon", "Olive", "Beige", "Cream", "Mustard", "Rust", "Khaki", "Burgundy"),
            price=PriceBand.MID,
            usages={"Ethnic": 1.0, "Casual": 0.7},
        ),
    ),
)  # fmt: skip
"""The synthetic shopper segments; shares sum to 1."""

SEGMENT_NAMES: tuple[str, ...] = tuple(s.name for s in SEGMENTS)


@dataclass(frozen=True, slots=True)
class PersonaSpec:
    """What a persona would ideally like; :func:`resolve_personas` fits it to a catalog."""

    id: int
    name: str
    segment: str
    description: str
    genders: tuple[str, ...]
    """Preferred shopper gender first, then acceptable substitutes."""
    article_types: tuple[str, ...]
    """Ideal article types, most liked first."""
    fallback_usages: tuple[str, ...]
    """Usages whose article types stand in when the catalog lacks the ideal ones."""
    colours: tuple[str, ...]
    price: PriceBand
    usages: Mapping[str, float] = field(default_factory=dict)
    other_usage: float = 0.3


PERSONA_SPECS: tuple[PersonaSpec, ...] = (
    PersonaSpec(
        id=1,
        name="Arjun",
        segment="professional",
        description="Arjun, 34, a corporate lawyer who dresses sharp for the office every day.",
        genders=("Men", "Boys"),
        article_types=(
            "Shirts", "Trousers", "Formal Shoes", "Blazers", "Ties", "Belts", "Cufflinks", "Suits",
            "Waistcoat",
        ),
        fallback_usages=("Formal", "Smart Casual"),
        colours=("White", "Navy Blue", "Black", "Blue", "Grey", "Charcoal", "Brown"),
        price=PriceBand.MID,
        usages={"Formal": 1.0, "Smart Casual": 0.8, "Casual": 0.2},
        other_usage=0.05,
    ),
    PersonaSpec(
        id=2,
        name="Priya",
        segment="vintage",
        description="Priya, 29, a textile designer who loves ethnic prints, kurtas and flowing dresses.",
        genders=("Women", "Girls"),
        article_types=(
            "Kurtas", "Dresses", "Kurtis", "Sarees", "Tunics", "Flats", "Skirts", "Earrings", "Dupatta",
        ),
        fallback_usages=("Ethnic", "Casual"),
        colours=("Maroon", "Pink", "Red", "Mustard", "Green", "Cream", "Purple"),
        price=PriceBand.MID,
        usages={"Ethnic": 1.0, "Casual": 0.8},
    ),
    PersonaSpec(
        id=3,
        name="Maya",
        segment="athletic",
        description="Maya, 27, runs marathons and lives in sportswear.",
        genders=("Women", "Girls", "Unisex"),
        article_types=(
            "Sports Shoes", "Track Pants", "Capris", "Tracksuits", "Sweatshirts", "Jackets", "Leggings",
            "Sports Sandals", "Headband",
        ),
        fallback_usages=("Sports",),
        colours=("Black", "Grey", "Pink", "Blue", "Purple", "White"),
        price=PriceBand.MID,
        usages={"Sports": 1.0, "Casual": 0.3},
        other_usage=0.05,
    ),
    PersonaSpec(
        id=4,
        name="Sofia",
        segment="luxury",
        description="Sofia, 41, a gallery owner who collects designer watches and handbags.",
        genders=("Women", "Unisex", "Men"),
        article_types=(
            "Watches", "Handbags", "Sunglasses", "Clutches", "Heels", "Perfume and Body Mist",
            "Necklace and Chains", "Bracelet", "Wallets",
        ),
        fallback_usages=("Party", "Formal"),
        colours=("Gold", "Black", "Silver", "Brown", "White", "Steel"),
        price=PriceBand.HIGH,
    ),
    PersonaSpec(
        id=5,
        name="Leo",
        segment="genz",
        description="Leo, 19, a student on a tight budget who likes bright streetwear and sneakers.",
        genders=("Men", "Boys", "Unisex"),
        article_types=(
            "Tshirts", "Jeans", "Casual Shoes", "Shorts", "Caps", "Flip Flops", "Backpacks", "Socks",
        ),
        fallback_usages=("Casual",),
        colours=("Yellow", "Red", "Green", "Orange", "Multi", "Blue", "White"),
        price=PriceBand.LOW,
        usages={"Casual": 1.0, "Sports": 0.4},
    ),
)  # fmt: skip
"""The five demo personas, with fixed user ids 1..5."""

PERSONA_IDS: tuple[int, ...] = tuple(p.id for p in PERSONA_SPECS)

MIN_PERSONA_TYPES = 3
"""A persona is resolved to at least this many article types where the catalog allows ..."""
WANTED_PERSONA_TYPES = 4
"""... and to this many where it can be done without sharing types with another persona."""
MAX_PERSONA_TYPES = 6
"""... and to at most this many, so that its favourites stand out in a few dozen events."""
_MIN_GENDER_PRODUCTS = 10
_MAX_COLOURS = 4


@dataclass(frozen=True, slots=True)
class Persona:
    """A demo persona fitted to one catalog: the user record and the taste its events follow."""

    user: User
    gender: str
    taste: Taste


def _pool(products: Sequence[Product], gender: str) -> list[Product]:
    if gender == "Unisex":
        return [p for p in products if p.gender is not None]
    return [p for p in products if p.gender in (gender, "Unisex")]


def _choose_gender(spec: PersonaSpec, gender_counts: Counter[str]) -> str:
    for g in spec.genders:
        if gender_counts[g] >= _MIN_GENDER_PRODUCTS:
            return g
    for g in spec.genders:
        if gender_counts[g] > 0:
            return g
    return gender_counts.most_common(1)[0][0]


def _top_up(chosen: list[str], candidates: Sequence[str], skip: set[str], target: int) -> None:
    for t in candidates:
        if len(chosen) >= target:
            return
        if t not in chosen and t not in skip:
            chosen.append(t)


def _resolve_types(pools: Sequence[Sequence[Product]], catalog_types: Counter[str]) -> list[list[str]]:
    """Article types of each persona, in four rounds over all personas.

    1. up to four of its ideal types that nobody has taken yet;
    2. stand-ins up to four, most common first: the types of its usages (Formal for Arjun, Sports
       for Maya, ...) so it keeps its character on a catalog without its ideal types, then any
       type nobody has taken;
    3. more of its ideal types, up to six, that nobody has taken;
    4. only on a catalog too small for disjoint tastes: shared types up to three.

    Going round all personas in each round keeps one persona's extras and stand-ins from taking
    another persona's ideal types.
    """
    present = [Counter(p.article_type for p in pool if p.article_type) for pool in pools]
    ideals = [
        [t for t in spec.article_types if types[t] > 0]
        for spec, types in zip(PERSONA_SPECS, present, strict=True)
    ]
    chosen: list[list[str]] = [[] for _ in PERSONA_SPECS]
    claimed: set[str] = set()
    for i in range(len(PERSONA_SPECS)):
        _top_up(chosen[i], ideals[i], claimed, WANTED_PERSONA_TYPES)
        claimed.update(chosen[i])
    for i, (spec, pool) in enumerate(zip(PERSONA_SPECS, pools, strict=True)):
        usage_types = Counter(
            p.article_type for p in pool if p.article_type and p.usage in spec.fallback_usages
        )
        _top_up(chosen[i], [t for t, _ in usage_types.most_common()], claimed, WANTED_PERSONA_TYPES)
        _top_up(chosen[i], [t for t, _ in present[i].most_common()], claimed, WANTED_PERSONA_TYPES)
        claimed.update(chosen[i])
    for i in range(len(PERSONA_SPECS)):
        _top_up(chosen[i], ideals[i], claimed, MAX_PERSONA_TYPES)
        claimed.update(chosen[i])
    for i in range(len(PERSONA_SPECS)):
        _top_up(chosen[i], [t for t, _ in present[i].most_common()], set(), MIN_PERSONA_TYPES)
        _top_up(chosen[i], [t for t, _ in catalog_types.most_common()], set(), MIN_PERSONA_TYPES)
    return chosen


def _resolve_colours(spec: PersonaSpec, pool: Sequence[Product], types: Sequence[str]) -> tuple[str, ...]:
    wanted = set(types)
    colours = Counter(p.base_colour for p in pool if p.article_type in wanted and p.base_colour)
    chosen = [c for c in spec.colours if colours[c] > 0][:_MAX_COLOURS]
    if len(chosen) < 2:
        chosen += [c for c, _ in colours.most_common() if c not in chosen][: 2 - len(chosen)]
    return tuple(chosen)


def resolve_personas(products: Sequence[Product]) -> tuple[Persona, ...]:
    """Fit the five persona specs to ``products``.

    Each persona keeps the article types of its ideal list that the catalog has for its gender,
    topped up (to four) with the catalog's types of the persona's usages, then with the
    most common types; types another persona already has are avoided so that the personas stay
    distinct, unless the catalog is too small to give each persona three types of its own.
    Raises :class:`ValidationError` for an empty catalog.
    """
    if not products:
        raise ValidationError("cannot resolve personas against an empty catalog")
    gender_counts = Counter(p.gender for p in products if p.gender)
    if not gender_counts:
        gender_counts = Counter({"Unisex": len(products)})
    catalog_types = Counter(p.article_type for p in products if p.article_type)
    genders = [_choose_gender(spec, gender_counts) for spec in PERSONA_SPECS]
    pools = [_pool(products, g) or list(products) for g in genders]
    chosen = _resolve_types(pools, catalog_types)
    personas = []
    for spec, gender, pool, types in zip(PERSONA_SPECS, genders, pools, chosen, strict=True):
        taste = Taste(
            genders={gender: 1.0},
            article_types=_ranked(*types, steepness=0.5),
            colours=_resolve_colours(spec, pool, types),
            price=spec.price,
            usages=dict(spec.usages),
            other_usage=spec.other_usage,
        )
        user = User(
            id=spec.id, name=spec.name, segment=spec.segment, description=spec.description, is_persona=True
        )
        personas.append(Persona(user=user, gender=gender, taste=taste))
    return tuple(personas)

"""Occasions and their outfit templates: what to wear to a beach wedding, the office, the gym, ...

An :class:`Occasion` has the phrases that name it, the catalog usages and colours that suit it, and
an ordered list of :class:`Slot` s (the pieces of the outfit). A slot names the article types that
can fill it for men and for women, in the catalog's own vocabulary, and the words the planner
searches with. Slots are filled in order: the first one is the main piece; ``skip_after`` lists the
article types that make a later slot unnecessary (a dress needs no bottom); ``optional`` slots are
the first dropped when a budget is tight. Article types missing from a catalog are ignored, and a
slot left with none is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from fashion_search.domain import Product
from fashion_search.search.vocabulary import phrase_tokens

MENSWEAR = "Men"
WOMENSWEAR = "Women"
ONE_PIECES: Mapping[str, str] = MappingProxyType(
    {
        "Dresses": "dress", "Jumpsuit": "jumpsuit", "Sarees": "saree", "Kurta Sets": "kurta set",
        "Lehenga Choli": "lehenga", "Tracksuits": "tracksuit", "Suits": "suit",
    }
)  # fmt: skip
"""Article types that are a whole outfit's base on their own, with the role an answer calls them."""
_ONE_PIECE = frozenset(ONE_PIECES)


@dataclass(frozen=True, slots=True)
class Slot:
    """One piece of an outfit template."""

    role: str
    """The piece's role, in the outfit module's terms: top, bottom, dress, footwear, bag, watch, ..."""
    words: str
    """What to search for ("light linen shirt")."""
    types: Mapping[str, tuple[str, ...]]
    """Article types per wardrobe (``Men`` / ``Women``), most fitting first."""
    optional: bool = False
    skip_after: frozenset[str] = frozenset()
    """Article types chosen for an earlier slot that make this one unnecessary."""

    def types_for(self, wardrobe: str | None) -> tuple[str, ...]:
        """The slot's article types for a wardrobe (none if it has no such piece); both wardrobes'
        (men's first) when the wardrobe is unknown."""
        if wardrobe is not None:
            return self.types.get(wardrobe, ())
        return tuple(dict.fromkeys(t for w in (MENSWEAR, WOMENSWEAR) for t in self.types.get(w, ())))


@dataclass(frozen=True, slots=True)
class Occasion:
    """An occasion the stylist can dress someone for."""

    name: str
    phrases: tuple[str, ...]
    usages: tuple[str, ...]
    """Catalog usages that suit it, most fitting first."""
    palette: tuple[str, ...]
    """Colours that suit it (a preference, not a filter)."""
    avoid: tuple[str, ...]
    """Colours that do not (ranked down, not filtered out)."""
    slots: tuple[Slot, ...]
    advice: str
    keys: tuple[tuple[str, ...], ...] = field(default=())
    """The phrases as normalised tokens (filled in by :func:`occasion`)."""


def _slot(
    role: str,
    words: str,
    men: Sequence[str],
    women: Sequence[str],
    *,
    optional: bool = False,
    skip_after: frozenset[str] = frozenset(),
) -> Slot:
    types: dict[str, tuple[str, ...]] = {}
    if men:
        types[MENSWEAR] = tuple(men)
    if women:
        types[WOMENSWEAR] = tuple(women)
    return Slot(role, words, MappingProxyType(types), optional, skip_after)


def occasion(
    name: str,
    phrases: Sequence[str],
    usages: Sequence[str],
    palette: Sequence[str],
    avoid: Sequence[str],
    slots: Sequence[Slot],
    advice: str,
) -> Occasion:
    """Build an :class:`Occasion` (its phrases normalised the way queries are)."""
    keys = tuple(k for k in (phrase_tokens(p) for p in phrases) if k)
    return Occasion(
        name, tuple(phrases), tuple(usages), tuple(palette), tuple(avoid), tuple(slots), advice, keys
    )


_SHOES_SMART = ("Formal Shoes", "Casual Shoes")
_ETHNIC_BOTTOMS_W = ("Churidar", "Leggings", "Salwar", "Patiala", "Salwar and Dupatta")


def default_occasions() -> tuple[Occasion, ...]:
    """The built-in occasions, most specific phrases first where they overlap."""
    return (
        occasion(
            "beach wedding",
            ("beach wedding", "destination wedding", "wedding on the beach", "seaside wedding"),
            ("Casual", "Smart Casual", "Party", "Formal"),
            (
                "White",
                "Off White",
                "Cream",
                "Beige",
                "Blue",
                "Turquoise Blue",
                "Sea Green",
                "Peach",
                "Pink",
                "Yellow",
                "Lavender",
            ),
            ("Black", "Charcoal", "Maroon"),
            (
                _slot("top", "light linen shirt", ("Shirts",), ()),
                _slot("dress", "flowy summer maxi dress", (), ("Dresses", "Jumpsuit", "Tops")),
                _slot(
                    "bottom",
                    "light chinos trousers",
                    ("Trousers", "Shorts"),
                    ("Skirts", "Trousers"),
                    skip_after=_ONE_PIECE,
                ),
                _slot(
                    "footwear", "sandals loafers", ("Sandals", "Casual Shoes"), ("Sandals", "Flats", "Heels")
                ),
                _slot(
                    "accessory",
                    "sunglasses clutch",
                    ("Sunglasses", "Watches"),
                    ("Clutches", "Sunglasses", "Handbags"),
                    optional=True,
                ),
            ),
            "Light fabrics and pale colours stay cool on the sand; leave black and heavy leather at home.",
        ),
        occasion(
            "job interview",
            ("job interview", "interview", "interviews"),
            ("Formal", "Smart Casual"),
            ("White", "Blue", "Navy Blue", "Grey", "Charcoal", "Black", "Beige", "Brown"),
            ("Multi", "Fluorescent Green", "Pink", "Yellow", "Orange", "Magenta"),
            (
                _slot("top", "formal shirt", ("Shirts", "Blazers"), ("Shirts", "Tops", "Blazers")),
                _slot("bottom", "formal trousers", ("Trousers",), ("Trousers", "Skirts")),
                _slot("footwear", "formal shoes", ("Formal Shoes",), ("Heels", "Flats", "Formal Shoes")),
                _slot(
                    "accessory",
                    "leather belt watch",
                    ("Belts", "Watches", "Ties"),
                    ("Handbags", "Watches"),
                    optional=True,
                ),
            ),
            "Keep it quiet and well fitted: plain dark or pale colours, polished shoes, nothing loud.",
        ),
        occasion(
            "office",
            (
                "office",
                "work",
                "workplace",
                "business meeting",
                "meeting",
                "meetings",
                "corporate",
                "conference",
                "presentation",
                "business casual",
                "workwear",
            ),
            ("Formal", "Smart Casual"),
            ("White", "Blue", "Navy Blue", "Grey", "Charcoal", "Black", "Beige", "Brown", "Olive", "Maroon"),
            ("Fluorescent Green", "Multi"),
            (
                _slot("top", "formal shirt", ("Shirts",), ("Shirts", "Tops", "Kurtas")),
                _slot("bottom", "formal trousers", ("Trousers",), ("Trousers", "Skirts")),
                _slot(
                    "footwear",
                    "formal shoes",
                    ("Formal Shoes",),
                    ("Heels", "Flats", "Formal Shoes", "Casual Shoes"),
                ),
                _slot(
                    "bag",
                    "work handbag laptop bag",
                    ("Belts", "Laptop Bag"),
                    ("Handbags", "Laptop Bag"),
                    optional=True,
                ),
                _slot("watch", "analog watch", ("Watches",), ("Watches",), optional=True),
            ),
            "Office wear is about fit and calm colours; one interesting piece (a watch, a bag) is enough.",
        ),
        occasion(
            "wedding",
            (
                "wedding",
                "weddings",
                "wedding guest",
                "reception",
                "sangeet",
                "mehendi",
                "shaadi",
                "engagement",
            ),
            ("Ethnic", "Party", "Formal"),
            ("Maroon", "Gold", "Red", "Cream", "Off White", "Pink", "Navy Blue", "Magenta", "Burgundy"),
            ("Black", "Grey"),
            (
                _slot(
                    "top",
                    "festive kurta",
                    ("Kurtas", "Nehru Jackets", "Blazers", "Shirts"),
                    ("Sarees", "Lehenga Choli", "Kurta Sets", "Kurtas", "Dresses"),
                ),
                _slot(
                    "bottom",
                    "churidar trousers",
                    ("Churidar", "Trousers", "Salwar"),
                    _ETHNIC_BOTTOMS_W,
                    skip_after=_ONE_PIECE,
                ),
                _slot(
                    "footwear", "festive footwear", _SHOES_SMART + ("Sandals",), ("Heels", "Sandals", "Flats")
                ),
                _slot(
                    "jewellery",
                    "earrings bangles watch",
                    ("Watches",),
                    ("Earrings", "Jewellery Set", "Bangle", "Necklace and Chains"),
                    optional=True,
                ),
                _slot("bag", "clutch", (), ("Clutches", "Handbags"), optional=True),
            ),
            "Wedding guests can go rich: jewel tones, a little shine, and shoes for a long evening.",
        ),
        occasion(
            "gym",
            (
                "gym",
                "workout",
                "work out",
                "training",
                "exercise",
                "yoga",
                "fitness",
                "running",
                "run",
                "jog",
                "jogging",
                "marathon",
            ),
            ("Sports",),
            ("Black", "Grey", "Navy Blue", "Blue", "Red", "White", "Fluorescent Green", "Pink"),
            (),
            (
                _slot("top", "sports t-shirt", ("Tshirts",), ("Tshirts", "Tops")),
                _slot(
                    "bottom",
                    "track pants shorts",
                    ("Track Pants", "Shorts"),
                    ("Track Pants", "Leggings", "Tights", "Capris", "Shorts"),
                ),
                _slot("footwear", "running sports shoes", ("Sports Shoes",), ("Sports Shoes",)),
                _slot(
                    "accessory",
                    "cap gym bag",
                    ("Caps", "Duffel Bag", "Backpacks"),
                    ("Duffel Bag", "Backpacks", "Caps"),
                    optional=True,
                ),
            ),
            "Breathable sportswear and proper trainers matter more than colour; dark bottoms hide sweat.",
        ),
        occasion(
            "music festival",
            ("music festival", "concert", "gig", "coachella", "rave"),
            ("Casual",),
            ("Yellow", "Orange", "White", "Multi", "Pink", "Turquoise Blue", "Green", "Blue"),
            (),
            (
                _slot("top", "graphic t-shirt", ("Tshirts", "Shirts"), ("Tops", "Tshirts", "Dresses")),
                _slot(
                    "bottom",
                    "denim shorts",
                    ("Shorts", "Jeans"),
                    ("Shorts", "Skirts", "Jeans"),
                    skip_after=_ONE_PIECE,
                ),
                _slot(
                    "footwear",
                    "canvas sneakers sandals",
                    ("Casual Shoes", "Sandals", "Flip Flops"),
                    ("Casual Shoes", "Sandals", "Flats"),
                ),
                _slot(
                    "accessory",
                    "sunglasses cap",
                    ("Sunglasses", "Caps"),
                    ("Sunglasses", "Caps"),
                    optional=True,
                ),
            ),
            "Festivals reward comfort and colour: shoes you can stand in all day, and sunglasses.",
        ),
        occasion(
            "festival",
            (
                "festival",
                "festive",
                "diwali",
                "eid",
                "puja",
                "pooja",
                "navratri",
                "holi",
                "durga puja",
                "onam",
                "pongal",
                "rakhi",
            ),
            ("Ethnic",),
            ("Yellow", "Orange", "Red", "Maroon", "Gold", "Green", "Pink", "Magenta", "Cream", "Off White"),
            ("Black",),
            (
                _slot(
                    "top",
                    "festive kurta",
                    ("Kurtas", "Nehru Jackets"),
                    ("Kurtas", "Kurtis", "Kurta Sets", "Sarees", "Lehenga Choli"),
                ),
                _slot(
                    "bottom",
                    "churidar pyjama",
                    ("Churidar", "Trousers", "Salwar"),
                    _ETHNIC_BOTTOMS_W,
                    skip_after=_ONE_PIECE,
                ),
                _slot(
                    "footwear",
                    "ethnic sandals",
                    ("Sandals", "Casual Shoes", "Formal Shoes"),
                    ("Sandals", "Flats", "Heels"),
                ),
                _slot(
                    "jewellery",
                    "earrings bangles watch",
                    ("Watches",),
                    ("Earrings", "Bangle", "Necklace and Chains", "Jewellery Set"),
                    optional=True,
                ),
            ),
            "Festive dressing loves bright, warm colours and a touch of gold.",
        ),
        occasion(
            "party",
            (
                "party",
                "parties",
                "night out",
                "club",
                "clubbing",
                "cocktail",
                "cocktails",
                "birthday party",
                "new year",
                "new years eve",
                "prom",
            ),
            ("Party", "Casual", "Smart Casual"),
            ("Black", "Red", "Maroon", "Gold", "Silver", "Navy Blue", "Purple", "Magenta", "Burgundy"),
            ("Beige", "Khaki", "Olive"),
            (
                _slot(
                    "top",
                    "statement party wear",
                    ("Shirts", "Tshirts", "Blazers"),
                    ("Dresses", "Jumpsuit", "Tops"),
                ),
                _slot(
                    "bottom",
                    "slim jeans",
                    ("Jeans", "Trousers"),
                    ("Skirts", "Jeans", "Jeggings"),
                    skip_after=_ONE_PIECE,
                ),
                _slot(
                    "footwear",
                    "party shoes heels",
                    ("Casual Shoes", "Formal Shoes"),
                    ("Heels", "Flats", "Sandals"),
                ),
                _slot(
                    "accessory",
                    "clutch watch earrings",
                    ("Watches", "Belts"),
                    ("Clutches", "Earrings", "Handbags"),
                    optional=True,
                ),
            ),
            "For a party, one bold or dark statement piece with simple, sharp companions works best.",
        ),
        occasion(
            "date",
            (
                "date",
                "date night",
                "first date",
                "dinner date",
                "romantic dinner",
                "anniversary",
                "valentine",
                "valentines",
                "dinner",
            ),
            ("Casual", "Smart Casual", "Party"),
            ("Red", "Maroon", "Pink", "Navy Blue", "White", "Black", "Burgundy", "Blue"),
            ("Fluorescent Green",),
            (
                _slot("top", "smart date night wear", ("Shirts", "Tshirts"), ("Dresses", "Tops")),
                _slot(
                    "bottom",
                    "dark jeans chinos",
                    ("Jeans", "Trousers"),
                    ("Skirts", "Jeans"),
                    skip_after=_ONE_PIECE,
                ),
                _slot(
                    "footwear", "smart shoes", ("Casual Shoes", "Formal Shoes"), ("Heels", "Flats", "Sandals")
                ),
                _slot(
                    "accessory",
                    "watch handbag",
                    ("Watches",),
                    ("Handbags", "Clutches", "Earrings"),
                    optional=True,
                ),
            ),
            "For a date, look like yourself on a good day: clean lines, one warm colour, comfortable shoes.",
        ),
        occasion(
            "beach holiday",
            (
                "beach",
                "vacation",
                "holiday",
                "holidays",
                "pool party",
                "pool",
                "resort",
                "seaside",
                "summer holiday",
                "goa",
            ),
            ("Casual",),
            ("White", "Blue", "Turquoise Blue", "Yellow", "Orange", "Sea Green", "Beige", "Pink", "Peach"),
            ("Black", "Charcoal"),
            (
                _slot("top", "summer t-shirt shirt", ("Tshirts", "Shirts"), ("Dresses", "Tops", "Tshirts")),
                _slot("bottom", "shorts", ("Shorts",), ("Shorts", "Skirts"), skip_after=_ONE_PIECE),
                _slot(
                    "footwear",
                    "flip flops sandals",
                    ("Flip Flops", "Sandals"),
                    ("Flip Flops", "Sandals", "Flats"),
                ),
                _slot(
                    "accessory",
                    "sunglasses",
                    ("Sunglasses", "Caps"),
                    ("Sunglasses", "Handbags"),
                    optional=True,
                ),
            ),
            "Beach days want light colours, breathable fabric, flip-flops and proper sunglasses.",
        ),
        occasion(
            "hiking",
            ("hiking", "hike", "trek", "trekking", "camping", "outdoors", "mountains"),
            ("Sports", "Casual"),
            ("Olive", "Green", "Grey", "Navy Blue", "Black", "Brown", "Khaki", "Blue"),
            ("White",),
            (
                _slot(
                    "top",
                    "outdoor t-shirt jacket",
                    ("Tshirts", "Jackets", "Sweatshirts"),
                    ("Tshirts", "Jackets", "Tops"),
                ),
                _slot(
                    "bottom",
                    "track pants trousers",
                    ("Track Pants", "Trousers", "Shorts"),
                    ("Track Pants", "Leggings", "Trousers"),
                ),
                _slot(
                    "footwear",
                    "sports shoes",
                    ("Sports Shoes", "Casual Shoes"),
                    ("Sports Shoes", "Casual Shoes"),
                ),
                _slot(
                    "bag",
                    "backpack rucksack",
                    ("Backpacks", "Rucksacks"),
                    ("Backpacks", "Rucksacks"),
                    optional=True,
                ),
            ),
            "On a trail, grip and layers beat looks; earthy colours hide the dust.",
        ),
        occasion(
            "travel",
            (
                "travel",
                "travelling",
                "traveling",
                "trip",
                "road trip",
                "flight",
                "airport",
                "weekend getaway",
            ),
            ("Casual", "Travel"),
            ("Navy Blue", "Grey", "Black", "White", "Olive", "Blue", "Beige"),
            (),
            (
                _slot(
                    "top", "comfortable t-shirt", ("Tshirts", "Shirts", "Sweatshirts"), ("Tops", "Tshirts")
                ),
                _slot(
                    "bottom",
                    "comfortable jeans",
                    ("Jeans", "Trousers", "Track Pants"),
                    ("Jeans", "Leggings", "Trousers"),
                ),
                _slot(
                    "footwear",
                    "comfortable shoes",
                    ("Casual Shoes", "Sports Shoes"),
                    ("Casual Shoes", "Flats"),
                ),
                _slot(
                    "bag",
                    "backpack travel bag",
                    ("Backpacks", "Duffel Bag"),
                    ("Handbags", "Backpacks"),
                    optional=True,
                ),
            ),
            "Travel clothes should survive a long day sitting: soft fabrics, layers and slip-on shoes.",
        ),
        occasion(
            "casual day out",
            (
                "casual",
                "everyday",
                "weekend",
                "brunch",
                "college",
                "day out",
                "shopping",
                "hangout",
                "hanging out",
                "movie",
                "movies",
            ),
            ("Casual", "Smart Casual"),
            ("Blue", "White", "Navy Blue", "Grey", "Olive", "Beige", "Black", "Red", "Green", "Yellow"),
            (),
            (
                _slot("top", "casual t-shirt shirt", ("Tshirts", "Shirts"), ("Tops", "Tshirts", "Dresses")),
                _slot(
                    "bottom",
                    "jeans",
                    ("Jeans", "Shorts", "Trousers"),
                    ("Jeans", "Skirts", "Shorts"),
                    skip_after=_ONE_PIECE,
                ),
                _slot(
                    "footwear",
                    "casual sneakers",
                    ("Casual Shoes", "Sandals"),
                    ("Casual Shoes", "Flats", "Sandals"),
                ),
                _slot(
                    "accessory",
                    "watch sunglasses handbag",
                    ("Watches", "Sunglasses", "Caps"),
                    ("Handbags", "Sunglasses", "Watches"),
                    optional=True,
                ),
            ),
            "An easy casual look: well-fitting denim, a clean top and sneakers go almost anywhere.",
        ),
    )


def role_name(slot: Slot, product: Product) -> str:
    """The role a chosen product plays: the slot's, "dress" / "saree" ... for a one-piece, or "watch"
    for the watch that fills a menswear jewellery slot."""
    if slot.role == "jewellery" and product.article_type == "Watches":
        return "watch"
    return ONE_PIECES.get(product.article_type or "", slot.role)


def find_occasions(keys: Sequence[str], occasions: Sequence[Occasion]) -> list[tuple[Occasion, int, int]]:
    """Occasions named in a token sequence as ``(occasion, start, end)`` token spans, longest first.

    Overlapping matches keep the longest phrase ("beach wedding" wins over "beach" and "wedding").
    """
    found: list[tuple[Occasion, int, int]] = []
    taken: set[int] = set()
    candidates: list[tuple[int, int, Occasion]] = []
    for occ in occasions:
        for phrase in occ.keys:
            n = len(phrase)
            for i in range(len(keys) - n + 1):
                if tuple(keys[i : i + n]) == phrase:
                    candidates.append((n, i, occ))
    for n, i, occ in sorted(candidates, key=lambda c: (-c[0], c[1])):
        span = set(range(i, i + n))
        if span & taken:
            continue
        taken |= span
        found.append((occ, i, i + n))
    found.sort(key=lambda f: f[1])
    return found

"""Catalog vocabularies that query understanding maps words onto.

A :class:`Vocabulary` knows, for each product facet (colour, gender, article type, season, usage),
the canonical values of one catalog and the phrases shoppers use for them ("navy" -> Navy Blue,
"sneakers" -> Casual Shoes + Sports Shoes, "ladies" -> Women). It also knows the catalog's brand
names, so that a brand spelt with an ordinary word ("Red Tape", "Do U Speak Green") is not read as
a colour.

:meth:`Vocabulary.from_products` learns the values present in any catalog and keeps only the
built-in synonyms whose targets exist there; :meth:`Vocabulary.default` is the same thing over the
values of the real ``styles.csv``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from fashion_search.domain import Product
from fashion_search.errors import ValidationError


class Facet(StrEnum):
    """What a phrase names. Every facet except BRAND is the product field it filters."""

    COLOUR = "base_colour"
    GENDER = "gender"
    ARTICLE_TYPE = "article_type"
    SEASON = "season"
    USAGE = "usage"
    BRAND = "brand"


@dataclass(frozen=True, slots=True)
class Term:
    """One phrase of the vocabulary and the catalog values it stands for."""

    phrase: tuple[str, ...]
    """Normalised tokens (see :func:`phrase_tokens`)."""
    facet: Facet
    values: tuple[str, ...]
    needs_cue: bool = False
    """An ambiguous word ("skin", "rose", "steel"): a colour only when "colour", "shade"... follows."""
    hint_only: bool = False
    """Recognised and reported, but never turned into a filter (see the policy in ``query.py``)."""


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------

# Letters and digits; an apostrophe inside a word keeps it whole ("men's" -> "mens").
_WORD = re.compile(r"[^\W_]+(?:['\u2019\u02bc][^\W_]+)*")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc")


def token_key(word: str) -> str:
    """The matching form of one word: case-folded, apostrophes and accents removed."""
    if word.isascii():
        return word.lower().replace("'", "")
    folded = unicodedata.normalize("NFKD", word.casefold().translate(_APOSTROPHES))
    return unicodedata.normalize("NFC", "".join(c for c in folded if not unicodedata.combining(c)))


def scan_tokens(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, key)`` of every word of ``text``; punctuation and symbols separate words."""
    return [(m.start(), m.end(), token_key(m.group())) for m in _WORD.finditer(text)]


def phrase_tokens(text: str) -> tuple[str, ...]:
    """The normalised tokens of a phrase, as the vocabulary stores and matches them."""
    return tuple(key for _, _, key in scan_tokens(unicodedata.normalize("NFKC", text)) if key)


# --------------------------------------------------------------------------------------------
# The real catalog's values (styles.csv), used by Vocabulary.default()
# --------------------------------------------------------------------------------------------

CATALOG_COLOURS: tuple[str, ...] = (
    "Black", "White", "Blue", "Brown", "Grey", "Red", "Green", "Pink", "Navy Blue", "Purple",
    "Silver", "Yellow", "Beige", "Gold", "Maroon", "Orange", "Olive", "Multi", "Cream", "Steel",
    "Charcoal", "Peach", "Off White", "Skin", "Lavender", "Grey Melange", "Khaki", "Magenta", "Teal",
    "Tan", "Mustard", "Bronze", "Copper", "Turquoise Blue", "Rust", "Burgundy", "Metallic",
    "Coffee Brown", "Mauve", "Rose", "Nude", "Sea Green", "Mushroom Brown", "Taupe", "Lime Green",
    "Fluorescent Green",
)  # fmt: skip
CATALOG_GENDERS: tuple[str, ...] = ("Men", "Women", "Boys", "Girls", "Unisex")
CATALOG_ARTICLE_TYPES: tuple[str, ...] = (
    "Tshirts", "Shirts", "Casual Shoes", "Watches", "Sports Shoes", "Kurtas", "Tops", "Handbags",
    "Heels", "Sunglasses", "Wallets", "Flip Flops", "Sandals", "Briefs", "Belts", "Backpacks", "Socks",
    "Formal Shoes", "Perfume and Body Mist", "Jeans", "Shorts", "Trousers", "Flats", "Bra", "Dresses",
    "Sarees", "Earrings", "Deodorant", "Nail Polish", "Lipstick", "Track Pants", "Clutches",
    "Sweatshirts", "Caps", "Sweaters", "Ties", "Jackets", "Innerwear Vests", "Kurtis", "Tunics",
    "Nightdress", "Leggings", "Pendant", "Capris", "Necklace and Chains", "Lip Gloss", "Night suits",
    "Trunk", "Skirts", "Scarves", "Ring", "Dupatta", "Accessory Gift Set", "Cufflinks",
    "Kajal and Eyeliner", "Kurta Sets", "Free Gifts", "Stoles", "Duffel Bag", "Bangle", "Laptop Bag",
    "Foundation and Primer", "Sports Sandals", "Bracelet", "Lounge Pants", "Face Moisturisers",
    "Jewellery Set", "Fragrance Gift Set", "Highlighter and Blush", "Boxers", "Compact", "Lip Liner",
    "Mobile Pouch", "Messenger Bag", "Eyeshadow", "Suspenders", "Camisoles", "Mufflers", "Patiala",
    "Lounge Shorts", "Jeggings", "Stockings", "Salwar", "Churidar", "Tracksuits",
    "Face Wash and Cleanser", "Sunscreen", "Shoe Accessories", "Bath Robe", "Gloves", "Hair Colour",
    "Rain Jacket", "Swimwear", "Waist Pouch", "Baby Dolls", "Travel Accessory", "Lip Care",
    "Jumpsuit", "Waistcoat", "Basketballs", "Mascara", "Mask and Peel", "Rompers", "Booties",
    "Water Bottle", "Concealer", "Rucksacks", "Tights", "Shapewear", "Blazers", "Footballs",
    "Clothing Set", "Salwar and Dupatta", "Headband", "Wristbands", "Shrug", "Eye Cream",
    "Nail Essentials", "Body Lotion", "Umbrellas", "Face Scrub and Exfoliator", "Nehru Jackets",
    "Toner", "Beauty Accessory", "Robe", "Lehenga Choli", "Makeup Remover", "Lip Plumper",
    "Trolley Bag", "Lounge Tshirts", "Tablet Sleeve", "Hat", "Ties and Cufflinks", "Key chain",
    "Face Serum and Gel", "Rain Trousers", "Shoe Laces", "Hair Accessory", "Cushion Covers",
    "Mens Grooming Kit", "Body Wash and Scrub", "Suits", "Ipad",
)  # fmt: skip
CATALOG_SEASONS: tuple[str, ...] = ("Summer", "Fall", "Winter", "Spring")
CATALOG_USAGES: tuple[str, ...] = (
    "Casual", "Sports", "Ethnic", "Formal", "Smart Casual", "Party", "Travel", "Home",
)  # fmt: skip

DEFAULT_BRANDS: tuple[str, ...] = (
    # Brands of the real catalog whose names contain a colour, usage or type word.
    "Red Tape", "Red Chief", "Red Rose", "Indigo Nation", "Do U Speak Green", "Black Coffee",
    "F Sports", "Pink Floyd", "Pacific Gold", "U.S. Polo Assn.",
    # The largest brands of the real catalog.
    "Nike", "Puma", "Adidas", "United Colors of Benetton", "Catwalk", "Fastrack", "Wrangler",
    "Lino Perros", "Baggit", "Fabindia", "Gini and Jony", "Arrow", "Fila", "French Connection",
    "Jealous 21", "Lotto", "Lee", "Flying Machine", "Wildcraft", "Mark Taylor", "Peter England",
    "Fossil", "Reebok", "Q&Q", "Titan", "Timberland", "Levis", "Vans", "Casio", "Skechers", "Lakme",
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Built-in synonym tables: phrase -> catalog values. Targets missing from a catalog are dropped.
# --------------------------------------------------------------------------------------------

COLOUR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "scarlet": ("Red",), "crimson": ("Red",), "cherry red": ("Red",), "blood red": ("Red",),
    "navy": ("Navy Blue",), "dark blue": ("Navy Blue", "Blue"), "indigo": ("Navy Blue", "Blue"),
    "turquoise": ("Turquoise Blue",), "aqua": ("Turquoise Blue", "Teal"), "cyan": ("Turquoise Blue",),
    "gray": ("Grey",), "melange": ("Grey Melange",), "heather grey": ("Grey Melange", "Grey"),
    "heather gray": ("Grey Melange", "Grey"), "charcoal grey": ("Charcoal",),
    "charcoal gray": ("Charcoal",), "dark grey": ("Charcoal", "Grey"), "dark gray": ("Charcoal", "Grey"),
    "offwhite": ("Off White",), "ivory": ("Off White", "Cream"),
    "beige": ("Beige", "Cream"), "cream": ("Cream", "Beige"), "camel": ("Tan", "Beige"),
    "golden": ("Gold",), "silvery": ("Silver",),
    "violet": ("Purple",), "lilac": ("Lavender", "Purple"), "plum": ("Purple",),
    "wine": ("Burgundy", "Maroon"), "oxblood": ("Burgundy", "Maroon"),
    "fuchsia": ("Magenta", "Pink"), "hot pink": ("Pink", "Magenta"),
    "multicolour": ("Multi",), "multicolor": ("Multi",), "multicoloured": ("Multi",),
    "multicolored": ("Multi",), "multi colour": ("Multi",), "multi color": ("Multi",),
    "multi coloured": ("Multi",), "multi colored": ("Multi",),
    "olive green": ("Olive",), "army green": ("Olive",), "mint green": ("Green", "Sea Green"),
    "neon green": ("Fluorescent Green", "Lime Green"), "fluorescent": ("Fluorescent Green",),
    "lime": ("Lime Green",),
    "chocolate": ("Brown", "Coffee Brown"), "chocolate brown": ("Brown", "Coffee Brown"),
    "dark brown": ("Brown", "Coffee Brown"), "mustard yellow": ("Mustard",),
    "nude": ("Nude", "Skin"), "jet black": ("Black",),
}  # fmt: skip

GENDER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "men": ("Men",), "man": ("Men",), "male": ("Men",), "males": ("Men",), "mens": ("Men",),
    "gents": ("Men",), "gent": ("Men",), "gentleman": ("Men",), "gentlemen": ("Men",),
    "guy": ("Men",), "guys": ("Men",), "him": ("Men",),
    "women": ("Women",), "woman": ("Women",), "womens": ("Women",), "female": ("Women",),
    "females": ("Women",), "ladies": ("Women",), "lady": ("Women",), "her": ("Women",),
    "boys": ("Boys",), "boy": ("Boys",), "girls": ("Girls",), "girl": ("Girls",),
    "kids": ("Boys", "Girls"), "kid": ("Boys", "Girls"), "children": ("Boys", "Girls"),
    "childrens": ("Boys", "Girls"), "child": ("Boys", "Girls"),
    "unisex": ("Unisex",),
}  # fmt: skip

SEASON_SYNONYMS: dict[str, tuple[str, ...]] = {
    # Widened on purpose: the catalog labels seasons loosely (of 90 names that say "winter",
    # 85 are labelled Fall and none Winter), so a season asked for admits its neighbour.
    "summer": ("Summer", "Spring"), "summers": ("Summer", "Spring"),
    "spring": ("Spring", "Summer"),
    "fall": ("Fall", "Winter"), "autumn": ("Fall", "Winter"),
    "winter": ("Winter", "Fall"), "winters": ("Winter", "Fall"),
}  # fmt: skip

USAGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "formal": ("Formal",), "formals": ("Formal",), "formal wear": ("Formal",),
    "formalwear": ("Formal",), "office wear": ("Formal",),
    "casual": ("Casual", "Smart Casual"), "casuals": ("Casual", "Smart Casual"),
    "casual wear": ("Casual", "Smart Casual"),
    "smart casual": ("Smart Casual", "Casual", "Formal"),
    "sports": ("Sports",), "sporty": ("Sports",), "sportswear": ("Sports",), "athletic": ("Sports",),
    "gym": ("Sports",), "workout": ("Sports",), "running": ("Sports",), "activewear": ("Sports",),
    "sport": ("Sports",),
    "ethnic": ("Ethnic",), "ethnic wear": ("Ethnic",), "traditional": ("Ethnic",),
    "party": ("Party",), "partywear": ("Party",), "party wear": ("Party",),
    "travel": ("Travel",), "home": ("Home",),
}  # fmt: skip

_SHOES = ("Casual Shoes", "Sports Shoes", "Formal Shoes", "Heels", "Flats", "Booties")
_BAGS = (
    "Handbags", "Backpacks", "Duffel Bag", "Laptop Bag", "Messenger Bag", "Clutches", "Rucksacks",
    "Trolley Bag", "Waist Pouch", "Mobile Pouch",
)  # fmt: skip
_JEWELLERY = ("Earrings", "Necklace and Chains", "Pendant", "Ring", "Bangle", "Bracelet", "Jewellery Set")
_UNDERWEAR = ("Briefs", "Boxers", "Trunk", "Bra", "Innerwear Vests")

ARTICLE_TYPE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "t shirt": ("Tshirts",), "t shirts": ("Tshirts",), "tshirt": ("Tshirts",), "tee": ("Tshirts",),
    "tees": ("Tshirts",), "tee shirt": ("Tshirts",), "polo": ("Tshirts",), "polos": ("Tshirts",),
    "dress shirt": ("Shirts",), "dress shirts": ("Shirts",),
    "sneaker": ("Casual Shoes", "Sports Shoes"), "sneakers": ("Casual Shoes", "Sports Shoes"),
    "trainer": ("Casual Shoes", "Sports Shoes"), "trainers": ("Casual Shoes", "Sports Shoes"),
    "running shoe": ("Sports Shoes",), "running shoes": ("Sports Shoes",),
    "athletic shoe": ("Sports Shoes",), "athletic shoes": ("Sports Shoes",),
    "gym shoe": ("Sports Shoes",), "gym shoes": ("Sports Shoes",),
    "training shoe": ("Sports Shoes",), "training shoes": ("Sports Shoes",),
    "sport shoe": ("Sports Shoes",), "sport shoes": ("Sports Shoes",),
    "tennis shoe": ("Sports Shoes",), "tennis shoes": ("Sports Shoes",),
    "basketball shoe": ("Sports Shoes",), "basketball shoes": ("Sports Shoes",),
    "football shoe": ("Sports Shoes",), "football shoes": ("Sports Shoes",),
    "football boots": ("Sports Shoes",),
    "dress shoe": ("Formal Shoes",), "dress shoes": ("Formal Shoes",), "oxfords": ("Formal Shoes",),
    "brogue": ("Formal Shoes",), "brogues": ("Formal Shoes",), "office shoes": ("Formal Shoes",),
    "loafer": ("Casual Shoes", "Formal Shoes"), "loafers": ("Casual Shoes", "Formal Shoes"),
    "moccasin": ("Casual Shoes", "Formal Shoes"), "moccasins": ("Casual Shoes", "Formal Shoes"),
    "shoe": _SHOES, "shoes": _SHOES,
    "footwear": (*_SHOES, "Sandals", "Sports Sandals", "Flip Flops"),
    "boot": ("Booties", "Casual Shoes", "Sports Shoes", "Formal Shoes", "Flats"),
    "boots": ("Booties", "Casual Shoes", "Sports Shoes", "Formal Shoes", "Flats"),
    "high heels": ("Heels",), "stiletto": ("Heels",), "stilettos": ("Heels",), "pumps": ("Heels",),
    "wedges": ("Heels",), "ballerinas": ("Flats",), "ballet flats": ("Flats",), "flat shoes": ("Flats",),
    "sandal": ("Sandals", "Sports Sandals"), "sandals": ("Sandals", "Sports Sandals"),
    "floaters": ("Sandals", "Sports Sandals"),
    "flipflop": ("Flip Flops",), "flipflops": ("Flip Flops",), "slides": ("Flip Flops",),
    "slipper": ("Flip Flops", "Sandals"), "slippers": ("Flip Flops", "Sandals"),
    "chappal": ("Flip Flops", "Sandals"), "chappals": ("Flip Flops", "Sandals"),
    "gown": ("Dresses",), "gowns": ("Dresses",), "frock": ("Dresses",), "frocks": ("Dresses",),
    "sundress": ("Dresses",),
    "night dress": ("Nightdress",), "nighty": ("Nightdress",), "nightie": ("Nightdress",),
    "nightgown": ("Nightdress",),
    "pyjama": ("Night suits", "Lounge Pants"), "pyjamas": ("Night suits", "Lounge Pants"),
    "pajama": ("Night suits", "Lounge Pants"), "pajamas": ("Night suits", "Lounge Pants"),
    "nightwear": ("Night suits", "Nightdress"), "sleepwear": ("Night suits", "Nightdress"),
    "blouse": ("Tops",), "blouses": ("Tops",), "tank top": ("Tops",), "crop top": ("Tops",),
    "denims": ("Jeans",),
    "pant": ("Trousers", "Track Pants", "Lounge Pants"), "pants": ("Trousers", "Track Pants", "Lounge Pants"),
    "chinos": ("Trousers",), "slacks": ("Trousers",),
    "joggers": ("Track Pants",), "trackpants": ("Track Pants",),
    "sweatpants": ("Track Pants", "Lounge Pants"), "bermudas": ("Shorts",),
    "wristwatch": ("Watches",), "wristwatches": ("Watches",), "timepiece": ("Watches",),
    "smartwatch": ("Watches",),
    "purse": ("Handbags", "Clutches"), "purses": ("Handbags", "Clutches"),
    "hand bag": ("Handbags",), "tote": ("Handbags",), "totes": ("Handbags",), "tote bag": ("Handbags",),
    "shoulder bag": ("Handbags",), "sling bag": ("Handbags",),
    "bag": _BAGS, "bags": _BAGS,
    "gym bag": ("Duffel Bag", "Backpacks"), "travel bag": ("Duffel Bag", "Trolley Bag", "Backpacks"),
    "backpack": ("Backpacks", "Rucksacks"), "backpacks": ("Backpacks", "Rucksacks"),
    "rucksack": ("Rucksacks", "Backpacks"), "school bag": ("Backpacks",),
    "shades": ("Sunglasses",), "glasses": ("Sunglasses",), "eyewear": ("Sunglasses",),
    "goggles": ("Sunglasses",),
    "sari": ("Sarees",), "saris": ("Sarees",),
    "jacket": ("Jackets", "Rain Jacket", "Nehru Jackets"),
    "jackets": ("Jackets", "Rain Jacket", "Nehru Jackets"),
    "coat": ("Jackets", "Blazers"), "coats": ("Jackets", "Blazers"), "windcheater": ("Jackets",),
    "raincoat": ("Rain Jacket",),
    "suit": ("Suits", "Blazers"), "suits": ("Suits", "Blazers"),
    "jumper": ("Sweaters",), "jumpers": ("Sweaters",), "pullover": ("Sweaters",),
    "pullovers": ("Sweaters",), "cardigan": ("Sweaters",), "cardigans": ("Sweaters",),
    "hoodie": ("Sweatshirts",), "hoodies": ("Sweatshirts",), "sweat shirt": ("Sweatshirts",),
    "perfume": ("Perfume and Body Mist",), "perfumes": ("Perfume and Body Mist",),
    "fragrance": ("Perfume and Body Mist",), "cologne": ("Perfume and Body Mist",),
    "body mist": ("Perfume and Body Mist",), "deo": ("Deodorant",),
    "nail paint": ("Nail Polish",), "nail colour": ("Nail Polish",), "nail color": ("Nail Polish",),
    "kajal": ("Kajal and Eyeliner",), "eyeliner": ("Kajal and Eyeliner",), "kohl": ("Kajal and Eyeliner",),
    "foundation": ("Foundation and Primer",), "primer": ("Foundation and Primer",),
    "blush": ("Highlighter and Blush",), "blusher": ("Highlighter and Blush",),
    "face wash": ("Face Wash and Cleanser",), "facewash": ("Face Wash and Cleanser",),
    "cleanser": ("Face Wash and Cleanser",),
    "moisturiser": ("Face Moisturisers",), "moisturizer": ("Face Moisturisers",),
    "face cream": ("Face Moisturisers",),
    "jhumka": ("Earrings",), "jhumkas": ("Earrings",),
    "necklace": ("Necklace and Chains",), "necklaces": ("Necklace and Chains",),
    "chain": ("Necklace and Chains",), "chains": ("Necklace and Chains",),
    "jewellery": _JEWELLERY, "jewelry": _JEWELLERY,
    "hat": ("Hat", "Caps"), "hats": ("Hat", "Caps"), "beanie": ("Caps",),
    "necktie": ("Ties",), "cuff links": ("Cufflinks",), "scarf": ("Scarves",),
    "panty": ("Briefs",), "panties": ("Briefs",), "knickers": ("Briefs",),
    "underwear": _UNDERWEAR, "innerwear": _UNDERWEAR,
    "vest": ("Innerwear Vests", "Waistcoat"), "vests": ("Innerwear Vests", "Waistcoat"),
    "tracksuit": ("Tracksuits",), "track suit": ("Tracksuits",),
    "swimsuit": ("Swimwear",), "bikini": ("Swimwear",), "swimming costume": ("Swimwear",),
    "playsuit": ("Jumpsuit", "Rompers"),
    "lehenga": ("Lehenga Choli",), "lehengas": ("Lehenga Choli",),
    "waist coat": ("Waistcoat",), "bathrobe": ("Bath Robe",),
    "laptop sleeve": ("Laptop Bag", "Tablet Sleeve"), "phone pouch": ("Mobile Pouch",),
    "shoelaces": ("Shoe Laces",), "laces": ("Shoe Laces",),
}  # fmt: skip

# Catalog type words that are also ordinary adjectives: "short dress" is not Shorts, "flat" is not Flats.
_NO_SINGULAR: frozenset[str] = frozenset({"shorts", "briefs", "flats", "tights"})
# Single-word type values that are too ambiguous alone; they are matched by a longer phrase instead.
_TYPE_PHRASE_OVERRIDES: dict[str, str] = {"compact": "compact powder"}

COLOUR_CUE_WORDS: frozenset[str] = frozenset(
    {"colour", "color", "coloured", "colored", "shade", "shades", "tone", "toned", "hue"}
)
"""Words that confirm an ambiguous colour word: "skin colour", "rose shade"."""

AMBIGUOUS_COLOUR_WORDS: frozenset[str] = frozenset({"skin", "rose", "lavender", "multi", "steel"})
"""Colour values that are more often a material, a scent or a flower; see :attr:`Term.needs_cue`."""

HINT_ONLY_USAGES: frozenset[str] = frozenset({"Party", "Travel", "Home"})
"""Usage values the catalog barely uses (29 Party products; the 28 names that say "party" are labelled
Casual): a filter on them would hide the products a shopper wants."""

HINT_ONLY_PHRASES: frozenset[tuple[str, ...]] = frozenset({("sport",)})
"""Phrases recognised but never filtered: "Sport" is mostly a product line name ("Arrow Sport")."""

_GENDER_WORDS: frozenset[str] = frozenset(
    {"men", "man", "mens", "women", "woman", "womens", "boys", "boy", "girls", "girl", "unisex", "kids"}
)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 3:
        return word[:-1]
    return word


def _plural(word: str) -> str:
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    return word + "s"


def _type_phrases(value: str) -> set[tuple[str, ...]]:
    tokens = phrase_tokens(value)
    if not tokens:
        return set()
    if len(tokens) == 1 and tokens[0] in _TYPE_PHRASE_OVERRIDES:
        return {phrase_tokens(_TYPE_PHRASE_OVERRIDES[tokens[0]])}
    *head, last = tokens
    forms = {last}
    if last not in _NO_SINGULAR:
        singular = _singular(last)
        forms |= {singular, _plural(singular)}
    return {(*head, form) for form in forms}


class Vocabulary:
    """Phrases of one catalog's facets, matched longest first by :func:`parse_query`.

    Build it with :meth:`from_products`, :meth:`from_values` or :meth:`default`; the constructor
    takes already normalised terms.
    """

    __slots__ = ("_index", "_max_len", "_terms", "_values")

    def __init__(self, values: Mapping[Facet, Iterable[str]], terms: Iterable[Term]) -> None:
        self._values: dict[Facet, tuple[str, ...]] = {
            f: tuple(dict.fromkeys(values.get(f, ()))) for f in Facet
        }
        merged: dict[tuple[tuple[str, ...], Facet], Term] = {}
        for term in terms:
            known = set(self._values[term.facet])
            unknown = [v for v in term.values if v not in known]
            if not term.phrase or unknown or not term.values:
                raise ValidationError(
                    f"vocabulary term {' '.join(term.phrase)!r} ({term.facet.value}) names values "
                    f"missing from the vocabulary: {unknown or 'none given'}"
                )
            key = (term.phrase, term.facet)
            if key in merged:
                old = merged[key]
                term = Term(
                    term.phrase,
                    term.facet,
                    tuple(dict.fromkeys(old.values + term.values)),
                    needs_cue=old.needs_cue and term.needs_cue,
                    hint_only=old.hint_only and term.hint_only,
                )
            merged[key] = term
        self._terms = tuple(merged.values())
        index: dict[tuple[str, ...], list[Term]] = defaultdict(list)
        for term in self._terms:
            index[term.phrase].append(term)
        self._index = {phrase: tuple(ts) for phrase, ts in index.items()}
        self._max_len = max((len(p) for p in self._index), default=0)

    # ---- construction ------------------------------------------------------------------

    @classmethod
    def from_values(
        cls,
        *,
        colours: Iterable[str] = (),
        genders: Iterable[str] = (),
        article_types: Iterable[str] = (),
        seasons: Iterable[str] = (),
        usages: Iterable[str] = (),
        brands: Iterable[str] = (),
    ) -> Vocabulary:
        """A vocabulary over these canonical values plus the built-in synonyms that fit them."""
        values: dict[Facet, tuple[str, ...]] = {
            Facet.COLOUR: _clean_values(colours),
            Facet.GENDER: _clean_values(genders),
            Facet.ARTICLE_TYPE: _clean_values(article_types),
            Facet.SEASON: _clean_values(seasons),
            Facet.USAGE: _clean_values(usages),
            Facet.BRAND: _clean_values(brands),
        }
        terms = [*_facet_terms(values)]
        for brand in values[Facet.BRAND]:
            phrase = phrase_tokens(brand)
            if phrase:
                terms.append(Term(phrase, Facet.BRAND, (brand,), hint_only=True))
        return cls(values, terms)

    @classmethod
    def from_products(cls, products: Iterable[Product], *, min_brand_count: int = 3) -> Vocabulary:
        """Learn the values present in a catalog, and its brands from the product names.

        A brand is the part of a name before its gender word ("Red Tape Men Brown Shoes" -> Red
        Tape) when at least ``min_brand_count`` names share it; see :func:`learn_brands`.
        """
        if min_brand_count < 1:
            raise ValidationError(f"min_brand_count must be at least 1, got {min_brand_count}")
        seen: dict[Facet, dict[str, None]] = {f: {} for f in Facet}
        names: list[str] = []
        for product in products:
            if not isinstance(product, Product):
                raise ValidationError(f"Vocabulary.from_products needs Product objects, got {product!r:.80}")
            for facet in (Facet.COLOUR, Facet.GENDER, Facet.ARTICLE_TYPE, Facet.SEASON, Facet.USAGE):
                value = getattr(product, facet.value)
                if value:
                    seen[facet][value] = None
            names.append(product.name)
        base = cls.from_values(
            colours=seen[Facet.COLOUR],
            genders=seen[Facet.GENDER],
            article_types=seen[Facet.ARTICLE_TYPE],
            seasons=seen[Facet.SEASON],
            usages=seen[Facet.USAGE],
        )
        brands = learn_brands(names, base.single_words(), min_count=min_brand_count)
        return cls.from_values(
            colours=seen[Facet.COLOUR],
            genders=seen[Facet.GENDER],
            article_types=seen[Facet.ARTICLE_TYPE],
            seasons=seen[Facet.SEASON],
            usages=seen[Facet.USAGE],
            brands=brands,
        )

    @classmethod
    def default(cls) -> Vocabulary:
        """The vocabulary of the real fashion-product-images catalog (its values and main brands)."""
        return cls.from_values(
            colours=CATALOG_COLOURS,
            genders=CATALOG_GENDERS,
            article_types=CATALOG_ARTICLE_TYPES,
            seasons=CATALOG_SEASONS,
            usages=CATALOG_USAGES,
            brands=DEFAULT_BRANDS,
        )

    # ---- queries -----------------------------------------------------------------------

    def values(self, facet: Facet | str) -> tuple[str, ...]:
        """The canonical values of one facet, in first-seen order."""
        return self._values[Facet(facet)]

    @property
    def terms(self) -> tuple[Term, ...]:
        return self._terms

    @property
    def max_phrase_tokens(self) -> int:
        return self._max_len

    def lookup(self, phrase: str | tuple[str, ...]) -> tuple[Term, ...]:
        """Terms whose phrase is exactly ``phrase`` (normalised first when given as text)."""
        key = phrase_tokens(phrase) if isinstance(phrase, str) else phrase
        return self._index.get(key, ())

    def single_words(self) -> frozenset[str]:
        """One-word phrases of the attribute facets (not brands, not genders)."""
        return frozenset(
            t.phrase[0]
            for t in self._terms
            if len(t.phrase) == 1 and t.facet not in (Facet.BRAND, Facet.GENDER)
        )

    def __repr__(self) -> str:
        counts = ", ".join(f"{f.value}={len(v)}" for f, v in self._values.items())
        return f"Vocabulary({counts}, phrases={len(self._index)})"


def _clean_values(values: Iterable[str]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for value in values:
        if not isinstance(value, str):
            raise ValidationError(f"vocabulary values must be strings, got {value!r:.80}")
        text = " ".join(value.split())
        # "NA" is the catalog's spelling of unknown, never a value to search for.
        if text and text.upper() != "NA":
            out[text] = None
    return tuple(out)


def _facet_terms(values: Mapping[Facet, tuple[str, ...]]) -> Iterable[Term]:
    colours = values[Facet.COLOUR]
    # A one-word colour admits the compound values that contain it ("blue" -> Navy Blue too).
    family: dict[str, tuple[str, ...]] = {}
    for colour in colours:
        words = phrase_tokens(colour)
        family[colour] = (colour,)
        if len(words) == 1:
            family[colour] += tuple(c for c in colours if c != colour and words[0] in phrase_tokens(c))

    def expand(targets: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for t in targets for v in family.get(t, (t,))))

    def make(facet: Facet, phrase: tuple[str, ...], targets: tuple[str, ...]) -> Term | None:
        present = tuple(t for t in targets if t in values[facet])
        if not present or not phrase:
            return None
        needs_cue = facet is Facet.COLOUR and phrase in {(w,) for w in AMBIGUOUS_COLOUR_WORDS}
        hint_only = (facet is Facet.USAGE and all(v in HINT_ONLY_USAGES for v in present)) or (
            phrase in HINT_ONLY_PHRASES
        )
        if facet is Facet.COLOUR:
            present = expand(present)
        return Term(phrase, facet, present, needs_cue=needs_cue, hint_only=hint_only)

    tables: list[tuple[Facet, Mapping[str, tuple[str, ...]]]] = [
        (Facet.COLOUR, COLOUR_SYNONYMS),
        (Facet.GENDER, GENDER_SYNONYMS),
        (Facet.ARTICLE_TYPE, ARTICLE_TYPE_SYNONYMS),
        (Facet.SEASON, SEASON_SYNONYMS),
        (Facet.USAGE, USAGE_SYNONYMS),
    ]
    candidates: list[Term | None] = []
    for facet, table in tables:
        for value in values[facet]:
            phrases = _type_phrases(value) if facet is Facet.ARTICLE_TYPE else {phrase_tokens(value)}
            candidates.extend(make(facet, phrase, (value,)) for phrase in phrases)
        candidates.extend(make(facet, phrase_tokens(p), targets) for p, targets in table.items())
    return [t for t in candidates if t is not None]


_COMMON_WORDS: frozenset[str] = frozenset(
    "a an and at by for her his in me mr mrs ms my new of on only or the to with".split()
)


def _dominant(counts: Counter[str], word: str) -> bool:
    # One stray name ("Do u speak cream ...") must not break a brand; a real slot is far more even.
    return counts[word] >= 0.9 * sum(counts.values())


def learn_brands(names: Iterable[str], attribute_words: frozenset[str], *, min_count: int = 3) -> list[str]:
    """Brand names of a catalog, read from product names of the form "<Brand> <Gender> ...".

    A one-word brand that is an attribute word ("Black"), a number, or a word the names use more
    often inside than at their start ("Denim", "AND") is dropped, and so is a candidate whose
    attribute word is a variable slot: "Newhide Black" is rejected because other names continue
    "Newhide" with a different colour ("Newhide Brown"), while "Red Rose", "Pacific Gold" and "Do U
    Speak Green" are kept because at least 90% of the names that continue their first words with an
    attribute word continue them with the brand's own.
    """
    counts: Counter[tuple[str, ...]] = Counter()
    display: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    all_tokens: list[tuple[str, ...]] = []
    for name in names:
        # Brands sit at the start of a name; the first 160 characters hold them.
        text = unicodedata.normalize("NFKC", name[:160])
        scanned = [t for t in scan_tokens(text)[:12] if t[2]]
        tokens = tuple(key for _, _, key in scanned)
        all_tokens.append(tokens)
        at = next((i for i, key in enumerate(tokens) if key in _GENDER_WORDS), None)
        if at:
            key = tokens[:at]
            counts[key] += 1
            display[key][" ".join(text[: scanned[at][0]].split())] += 1

    candidates = [p for p, c in counts.items() if c >= min_count]
    needed = {p[:i] for p in candidates for i in range(1, len(p)) if p[i] in attribute_words}
    followers: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    if needed:
        longest = max(len(p) for p in needed)
        for tokens in all_tokens:
            for i in range(1, min(longest, len(tokens) - 1) + 1):
                head = tokens[:i]
                if head in needed and tokens[i] in attribute_words:
                    followers[head][tokens[i]] += 1

    singles = {p[0] for p in candidates if len(p) == 1}
    first: Counter[str] = Counter()
    later: Counter[str] = Counter()
    for tokens in all_tokens:
        if tokens and tokens[0] in singles:
            first[tokens[0]] += 1
        later.update(t for t in set(tokens[1:]) if t in singles)

    brands: list[str] = []
    for p in sorted(candidates, key=lambda p: (-counts[p], p)):
        if len(p) == 1:
            word = p[0]
            # A one-word brand that is also an ordinary word ("AND", "Denim", "Cat", "24") would
            # turn plain queries into brand queries: keep it only if names use it mostly as a name.
            if (
                len(word) < 2
                or word.isdigit()
                or word in attribute_words
                or word in _COMMON_WORDS
                or later[word] > first[word]
            ):
                continue
        else:
            if any(
                p[i] in attribute_words and not _dominant(followers[p[:i]], p[i]) for i in range(1, len(p))
            ):
                continue
        # The spelling most names use ("Adidas" over "ADIDAS" if more names say so).
        brands.append(min(display[p].items(), key=lambda kv: (-kv[1], kv[0]))[0])
    return brands

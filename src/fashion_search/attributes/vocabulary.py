"""What the tagger may say: the attributes, their values, the phrases that describe each value, and
which products an attribute applies to.

Values are lower-case words as they appear in ``Product.attributes`` and in descriptions
("Pattern: striped"). The phrases are what the zero-shot prompts put into words; several phrases
per value are averaged, so one odd wording does not decide a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fashion_search.domain import Product

_GARMENT_SUBS = frozenset(
    {"Topwear", "Bottomwear", "Dress", "Innerwear", "Loungewear and Nightwear", "Saree"}
)
_UPPER_SUBS = frozenset({"Topwear", "Dress"})
_UPPER_TYPES = frozenset({"Innerwear Vests", "Nightdress", "Night suits", "Lounge Tshirts", "Bra"})
_FIT_SUBS = frozenset({"Topwear", "Bottomwear", "Dress"})
_MATERIAL_SUBS = _GARMENT_SUBS | frozenset(
    {
        "Shoes",
        "Sandal",
        "Flip Flops",
        "Bags",
        "Wallets",
        "Belts",
        "Watches",
        "Headwear",
        "Ties",
        "Socks",
        "Mufflers",
        "Scarves",
        "Stoles",
        "Gloves",
        "Cufflinks",
        "Jewellery",
        "Eyewear",
    }
)
_PATTERN_SUBS = _GARMENT_SUBS | frozenset(
    {"Bags", "Ties", "Socks", "Mufflers", "Scarves", "Stoles", "Headwear", "Shoes", "Sandal", "Flip Flops"}
)
_WEARABLE_MASTERS = frozenset({"Apparel", "Footwear", "Accessories"})
_PLURAL_ONLY = (
    "shorts",
    "jeans",
    "trousers",
    "pants",
    "jeggings",
    "leggings",
    "tights",
    "capris",
    "briefs",
    "boxers",
    "trunks",
    "sunglasses",
    "flip flops",
    "flats",
    "heels",
)


NO_STYLE = "none"
"""The style value of products with no particular style (never stored)."""


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute: its values, the phrases for each value, and where it applies."""

    name: str
    values: tuple[str, ...]
    phrases: Mapping[str, tuple[str, ...]]
    template: str
    """Prompt with ``{phrase}`` and ``{item}`` slots, e.g. ``"a photo of a {phrase} {item}"``."""
    sub_categories: frozenset[str] | None = None
    """Sub-categories it applies to (None: any wearable master category)."""
    article_types: frozenset[str] = frozenset()
    """Further article types it applies to, outside ``sub_categories``."""
    max_values: int = 1
    """More than 1 for keyword-like attributes (style, details) that may hold several values."""
    none_value: str | None = None
    """A value meaning "none of the others" (a casual basic has no style keyword): predicted and
    measured like any value, never stored."""

    def applies_to(self, product: Product) -> bool:
        """Whether a product of this kind can have the attribute (sleeves on shirts, not on bags)."""
        if product.article_type in self.article_types:
            return True
        if self.sub_categories is None:
            return product.master_category in _WEARABLE_MASTERS
        return product.sub_category in self.sub_categories

    def prompts(self, value: str, item: str) -> list[str]:
        """The zero-shot sentences for ``value`` on a product called ``item``."""
        return [self.template.format(phrase=phrase, item=item) for phrase in self.phrases[value]]

    @property
    def multi_valued(self) -> bool:
        return self.max_values > 1


def _spec(
    name: str,
    phrases: dict[str, tuple[str, ...]],
    template: str,
    sub_categories: frozenset[str] | None = None,
    article_types: frozenset[str] = frozenset(),
    max_values: int = 1,
    none_value: str | None = None,
) -> AttributeSpec:
    return AttributeSpec(
        name=name,
        values=tuple(phrases),
        phrases=phrases,
        template=template,
        sub_categories=sub_categories,
        article_types=article_types,
        max_values=max_values,
        none_value=none_value,
    )


def default_attributes() -> dict[str, AttributeSpec]:
    """The attributes the tagger fills, in :data:`~fashion_search.domain.ATTRIBUTE_NAMES` order."""
    specs = [
        _spec(
            "material",
            {
                "leather": ("leather", "genuine leather"),
                "denim": ("denim", "blue jean denim"),
                "cotton": ("cotton", "soft cotton jersey"),
                "knit": ("knitted wool", "chunky knit"),
                "silk": ("silk", "shiny satin"),
                "synthetic": ("polyester", "nylon"),
                "metal": ("metal", "stainless steel"),
                "canvas": ("canvas", "rough canvas fabric"),
                "suede": ("suede",),
                "rubber": ("rubber", "plastic"),
            },
            "a photo of a {item} made of {phrase}",
            _MATERIAL_SUBS,
        ),
        _spec(
            "pattern",
            {
                "solid": ("plain solid colour", "solid"),
                "striped": ("striped", "with stripes"),
                "checked": ("checked", "plaid check"),
                "floral": ("floral print", "flower pattern"),
                "printed": ("printed", "graphic print"),
                "polka dots": ("polka dot", "dotted"),
            },
            "a photo of a {phrase} {item}",
            _PATTERN_SUBS,
        ),
        _spec(
            "formality",
            {
                "formal": ("formal", "office formal"),
                "business casual": ("smart casual", "business casual"),
                "casual": ("casual", "everyday casual"),
                "athletic": ("sports", "athletic training"),
            },
            "a photo of a {phrase} {item}",
        ),
        _spec(
            "sleeve_length",
            {
                "sleeveless": ("sleeveless", "no sleeves"),
                "short sleeve": ("short sleeves", "half sleeves"),
                "three-quarter sleeve": ("three-quarter sleeves", "elbow length sleeves"),
                "long sleeve": ("long sleeves", "full sleeves"),
            },
            "a photo of a {item} with {phrase}",
            _UPPER_SUBS,
            _UPPER_TYPES,
        ),
        _spec(
            "neckline",
            {
                "round neck": ("round neck", "crew neck"),
                "v-neck": ("v-neck", "v neckline"),
                "polo collar": ("polo collar", "polo collar with buttons"),
                "shirt collar": ("shirt collar", "button-down collar"),
                "hooded": ("hood", "hoodie hood"),
                "high neck": ("high neck", "turtle neck"),
                "mandarin collar": ("mandarin collar", "band collar"),
            },
            "a photo of a {item} with a {phrase}",
            _UPPER_SUBS,
            _UPPER_TYPES,
        ),
        _spec(
            "fit",
            {
                "slim fit": ("slim fit", "fitted"),
                "regular fit": ("regular fit", "straight"),
                "skinny fit": ("skinny", "tight skinny fit"),
                "loose fit": ("loose fit", "relaxed baggy"),
            },
            "a photo of a {phrase} {item}",
            _FIT_SUBS,
        ),
        _spec(
            "style",
            {
                "sporty": ("sporty", "athletic sportswear"),
                "ethnic": ("ethnic Indian", "traditional ethnic"),
                "party": ("party", "glamorous party"),
                "elegant": ("elegant", "classic elegant"),
                "vintage": ("vintage washed", "retro vintage"),
                "streetwear": ("streetwear", "urban street style"),
                "minimalist": ("minimalist", "simple clean minimal"),
                NO_STYLE: ("plain everyday", "basic everyday"),
            },
            "a photo of a {phrase} style {item}",
            max_values=2,
            none_value=NO_STYLE,
        ),
        _spec(
            "details",
            {
                "pockets": ("pockets",),
                "zipper": ("a zipper", "zip fastening"),
                "hood": ("a hood",),
                "logo": ("a big brand logo",),
                "buttons": ("buttons",),
                "lace": ("lace",),
                "embroidery": ("embroidery",),
                "buckle": ("a buckle",),
            },
            "a photo of a {item} with {phrase}",
            max_values=2,
        ),
    ]
    return {s.name: s for s in specs}


def item_word(product: Product) -> str:
    """How a prompt names the product: its article type in lower case ("tshirts" -> "t-shirt")."""
    kind = (product.article_type or product.sub_category or "garment").strip().lower()
    kind = kind.replace("tshirts", "t-shirt")
    # Prompts read "a photo of a shirt", so a plural type name becomes singular.
    if kind.endswith(_PLURAL_ONLY) or kind.endswith(("ss", "us")):
        return kind
    if kind.endswith(("sses", "ches", "shes", "xes")):
        return kind[:-2]
    if kind.endswith("s"):
        return kind[:-1]
    return kind

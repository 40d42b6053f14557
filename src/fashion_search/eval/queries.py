"""The fixed set of natural search queries and, for each, the rule that says which products are relevant.

A rule is the query's constraints written as a predicate on product fields: the article types it
asks for, and where the query says so the colour, the audience, the usage, a price bound and visual
traits (a pattern, a material, a collar, ...). Every constraint present must hold.

A visual trait can be judged two ways (:class:`Judge`):

* ``METADATA``: only from the catalog's own words, i.e. a word in the product name ("Striped",
  "Leather", "Full Sleeve"). Independent of anything the system predicts, but blind to the many
  striped shirts whose name does not say so.
* ``ATTRIBUTES``: the name words *or* a confident value of the product's visual attributes (what
  the attribute tagger read from the photo). This is how the issue asks relevance to be judged; it
  rewards enriched descriptions partly by construction, so the report shows both judges.

Colours: "blue" accepts Blue and Navy Blue, "silver" Silver and Steel; an audience ("for men")
accepts that gender and Unisex. Soft words that a shopper would not insist on ("summer" in "red
summer dress") are not constraints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from fashion_search.domain import ATTRIBUTE_SEPARATOR, Product
from fashion_search.errors import ValidationError


class Judge(StrEnum):
    METADATA = "metadata"
    ATTRIBUTES = "attributes"


@dataclass(frozen=True, slots=True)
class Trait:
    """A visual trait: stated by a name word matching ``name``, or by one of ``values`` of an attribute."""

    label: str
    name: str
    """Regular expression searched (case-insensitive) in the product name."""
    values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Attribute name -> values any of which states the trait (empty: judged from the name only)."""

    def __post_init__(self) -> None:
        try:
            re.compile(self.name)
        except re.error as exc:
            raise ValidationError(f"trait {self.label!r}: bad name pattern {self.name!r}: {exc}") from None

    def holds(self, product: Product, judge: Judge) -> bool:
        if re.search(self.name, product.name or "", re.IGNORECASE):
            return True
        if judge is Judge.METADATA:
            return False
        for attribute, wanted in self.values.items():
            raw = product.attributes.get(attribute) or ""
            have = {v.strip() for v in raw.split(ATTRIBUTE_SEPARATOR.strip()) if v.strip()}
            if have & wanted:
                return True
        return False


def _trait(label: str, name: str, **values: str | tuple[str, ...]) -> Trait:
    return Trait(
        label,
        name,
        {k: frozenset((v,) if isinstance(v, str) else v) for k, v in values.items()},
    )


STRIPED = _trait("striped", r"\bstrip(?:e|es|ed)\b", pattern="striped")
CHECKED = _trait("checked", r"\bchecks?\b|\bchecked\b|\bplaid\b", pattern="checked")
FLORAL = _trait("floral", r"\bfloral\b|\bflowers?\b", pattern="floral")
PRINTED = _trait("printed", r"\bprint(?:ed|s)?\b|\bgraphic\b", pattern="printed")
LEATHER = _trait("leather", r"\bleather\b", material="leather")
DENIM = _trait("denim", r"\bdenim\b", material="denim")
HOODED = _trait("hooded", r"\bhood(?:ed|ie|y)?\b", neckline="hooded", details="hood")
POLO = _trait("polo collar", r"\bpolo\b(?!\s+assn)", neckline="polo collar")
ROUND_NECK = _trait("round neck", r"\bround[ -]?neck\b|\bcrew\b", neckline="round neck")
V_NECK = _trait("v-neck", r"\bv[ -]?neck\b", neckline="v-neck")
FULL_SLEEVE = _trait("long sleeve", r"\b(?:full|long)[ -]sleeves?\b", sleeve_length="long sleeve")
SLEEVELESS = _trait("sleeveless", r"\bsleeveless\b|\bstrappy\b|\btank\b", sleeve_length="sleeveless")
SLIM = _trait("slim fit", r"\bslim\b|\bskinny\b", fit=("slim fit", "skinny fit"))
AVIATOR = _trait("aviator", r"\baviator\b")

MEN = frozenset({"Men", "Unisex"})
WOMEN = frozenset({"Women", "Unisex"})
BLUE = frozenset({"Blue", "Navy Blue"})
SILVER = frozenset({"Silver", "Steel"})


@dataclass(frozen=True, slots=True)
class Rule:
    """The constraints of one query; an empty constraint does not constrain."""

    article_types: frozenset[str]
    colours: frozenset[str] = frozenset()
    genders: frozenset[str] = frozenset()
    usages: frozenset[str] = frozenset()
    max_price: float | None = None
    traits: tuple[Trait, ...] = ()

    def matches(self, product: Product, judge: Judge = Judge.ATTRIBUTES) -> bool:
        """Whether ``product`` is relevant to the query under ``judge``."""
        if product.article_type not in self.article_types:
            return False
        if self.colours and product.base_colour not in self.colours:
            return False
        if self.genders and product.gender not in self.genders:
            return False
        if self.usages and product.usage not in self.usages:
            return False
        if self.max_price is not None and (product.price is None or product.price > self.max_price):
            return False
        return all(t.holds(product, judge) for t in self.traits)

    def describe(self) -> str:
        """The rule in words, for the report."""
        parts = [f"type in {{{', '.join(sorted(self.article_types))}}}"]
        if self.colours:
            parts.append(f"colour in {{{', '.join(sorted(self.colours))}}}")
        if self.genders:
            parts.append(f"gender in {{{', '.join(sorted(self.genders))}}}")
        if self.usages:
            parts.append(f"usage in {{{', '.join(sorted(self.usages))}}}")
        if self.max_price is not None:
            parts.append(f"price <= {self.max_price:g}")
        for t in self.traits:
            attrs = "; ".join(f"{k} in {{{', '.join(sorted(v))}}}" for k, v in t.values.items())
            parts.append(f"{t.label} (name /{t.name}/" + (f" or {attrs})" if attrs else ")"))
        return " AND ".join(parts)


@dataclass(frozen=True, slots=True)
class JudgedQuery:
    text: str
    rule: Rule


def _q(
    text: str,
    types: str | tuple[str, ...],
    *,
    colours: str | frozenset[str] | None = None,
    genders: frozenset[str] | None = None,
    usage: str | None = None,
    max_price: float | None = None,
    traits: tuple[Trait, ...] = (),
) -> JudgedQuery:
    return JudgedQuery(
        text,
        Rule(
            article_types=frozenset((types,) if isinstance(types, str) else types),
            colours=frozenset({colours}) if isinstance(colours, str) else (colours or frozenset()),
            genders=genders or frozenset(),
            usages=frozenset({usage}) if usage else frozenset(),
            max_price=max_price,
            traits=traits,
        ),
    )


SHOES = ("Casual Shoes", "Sports Shoes")

QUERIES: tuple[JudgedQuery, ...] = (
    _q("red summer dress", "Dresses", colours="Red"),
    _q("formal black shoes for men", "Formal Shoes", colours="Black", genders=MEN),
    _q("striped casual shirt", "Shirts", usage="Casual", traits=(STRIPED,)),
    _q("leather handbag under 80", "Handbags", max_price=80, traits=(LEATHER,)),
    _q("white sneakers", SHOES, colours="White"),
    _q("blue denim jeans for women", "Jeans", colours=BLUE, genders=WOMEN),
    _q("black leather belt for men", "Belts", colours="Black", genders=MEN, traits=(LEATHER,)),
    _q("checked shirt for men", "Shirts", genders=MEN, traits=(CHECKED,)),
    _q("women's sports shoes", "Sports Shoes", genders=WOMEN),
    _q("watch for women", "Watches", genders=WOMEN),
    _q("aviator sunglasses", "Sunglasses", traits=(AVIATOR,)),
    _q("grey hooded sweatshirt", "Sweatshirts", colours="Grey", traits=(HOODED,)),
    _q("navy blue polo t-shirt", "Tshirts", colours="Navy Blue", traits=(POLO,)),
    _q("round neck t-shirt for men", "Tshirts", genders=MEN, traits=(ROUND_NECK,)),
    _q("v-neck t-shirt", "Tshirts", traits=(V_NECK,)),
    _q("full sleeve shirt", "Shirts", traits=(FULL_SLEEVE,)),
    _q("sleeveless top for women", "Tops", genders=WOMEN, traits=(SLEEVELESS,)),
    _q("floral print top", "Tops", traits=(FLORAL,)),
    _q("printed t-shirt", "Tshirts", traits=(PRINTED,)),
    _q("pink kurta for women", ("Kurtas", "Kurtis"), colours="Pink", genders=WOMEN),
    _q("ethnic kurta for men", "Kurtas", genders=MEN, usage="Ethnic"),
    _q("brown leather wallet", "Wallets", colours="Brown", traits=(LEATHER,)),
    _q("black backpack", "Backpacks", colours="Black"),
    _q("sports track pants", "Track Pants", usage="Sports"),
    _q("blue jeans for men", "Jeans", colours=BLUE, genders=MEN),
    _q("slim fit jeans", "Jeans", traits=(SLIM,)),
    _q("woollen sweater", "Sweaters"),
    _q("red heels", "Heels", colours="Red"),
    _q("black heels", "Heels", colours="Black"),
    _q("brown casual shoes for men", "Casual Shoes", colours="Brown", genders=MEN),
    _q("flip flops for men", "Flip Flops", genders=MEN),
    _q("sandals for women", "Sandals", genders=WOMEN),
    _q("silver watch for men", "Watches", colours=SILVER, genders=MEN),
    _q("gold watch", "Watches", colours="Gold"),
    _q("white formal shirt", "Shirts", colours="White", usage="Formal"),
    _q("blue formal shirt for men", "Shirts", colours=BLUE, usage="Formal", genders=MEN),
    _q("black trousers for women", "Trousers", colours="Black", genders=WOMEN),
    _q("formal trousers for men", "Trousers", usage="Formal", genders=MEN),
    _q("denim jacket", "Jackets", traits=(DENIM,)),
    _q("black jacket for men", "Jackets", colours="Black", genders=MEN),
    _q("green t-shirt", "Tshirts", colours="Green"),
    _q("yellow top", "Tops", colours="Yellow"),
    _q("purple t-shirt for women", "Tshirts", colours="Purple", genders=WOMEN),
    _q("white socks", "Socks", colours="White"),
    _q("black cap", "Caps", colours="Black"),
    _q("striped tie", "Ties", traits=(STRIPED,)),
    _q("cufflinks", "Cufflinks"),
    _q("clutch for women", "Clutches", genders=WOMEN),
    _q("casual shoes under 50", "Casual Shoes", max_price=50),
    _q("sports shoes for men under 100", "Sports Shoes", genders=MEN, max_price=100),
    _q("t-shirt under 20", "Tshirts", max_price=20),
    _q("brown handbag", "Handbags", colours="Brown"),
    _q("briefs for men", "Briefs", genders=MEN),
    _q("navy blue shorts", "Shorts", colours="Navy Blue"),
    _q("sweatshirt for women", "Sweatshirts", genders=WOMEN),
    _q("sunglasses for women", "Sunglasses", genders=WOMEN),
    _q("laptop bag", "Laptop Bag"),
    _q("pink flats", "Flats", colours="Pink"),
    _q("white sports shoes for women", "Sports Shoes", colours="White", genders=WOMEN),
    _q("leather formal shoes", "Formal Shoes", traits=(LEATHER,)),
)
"""The fixed query set (60 queries): plain colours and types, audiences, budgets and visual traits."""

"""Weak labels: attribute values the catalog itself states, in product names and metadata.

Names say "Striped", "Checks", "Leather", "Sleeveless", "Polo", "Slim Fit", ...; ``usage`` says how
formal a product is; a few article types imply a value ("Jeans" are denim, "Shirts" have a shirt
collar). Those labels are incomplete (most names say nothing about the pattern) and sometimes wrong,
but they are what the heads are trained on and what every method is measured against. Each label
records whether it came from the name or from metadata, and a name that names two values of a
single-valued attribute ("Striped Checked") yields no label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fashion_search.attributes.vocabulary import AttributeSpec
from fashion_search.domain import Product


@dataclass(frozen=True, slots=True)
class WeakLabel:
    values: frozenset[str]
    source: str
    """``"name"`` or ``"metadata"``."""


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


NAME_RULES: dict[str, dict[str, re.Pattern[str]]] = {
    "material": {
        "leather": _rx(r"\bleather\b"),
        "denim": _rx(r"\bdenim\b"),
        "cotton": _rx(r"\bcotton\b"),
        "knit": _rx(r"\bknit(?:ted)?\b|\bwool(?:len|en)?\b"),
        "silk": _rx(r"\bsilk\b|\bsatin\b"),
        "synthetic": _rx(r"\bpolyester\b|\bnylon\b|\bleatherette\b|\bpu\b|\bsynthetic\b"),
        "metal": _rx(r"\bsteel\b|\bmetal\b|\bstainless\b"),
        "canvas": _rx(r"\bcanvas\b"),
        "suede": _rx(r"\bsuede\b"),
        "rubber": _rx(r"\brubber\b"),
    },
    "pattern": {
        "striped": _rx(r"\bstrip(?:e|es|ed)\b"),
        "checked": _rx(r"\bchecks?\b|\bchecked\b|\bplaid\b|\btartan\b"),
        "solid": _rx(r"\bsolid\b|\bplain\b"),
        "floral": _rx(r"\bfloral\b|\bflowers?\b"),
        "printed": _rx(r"\bprint(?:ed|s)?\b|\bgraphic\b"),
        "polka dots": _rx(r"\bpolka\b|\bdotted\b"),
    },
    "sleeve_length": {
        "sleeveless": _rx(r"\bsleeveless\b|\bstrappy\b|\btank\b"),
        "short sleeve": _rx(r"\b(?:short|half)[ -]sleeve[sd]?\b"),
        "three-quarter sleeve": _rx(r"\b3/4\b|\bthree[ -]quarter\b"),
        "long sleeve": _rx(r"\b(?:full|long)[ -]sleeve[sd]?\b"),
    },
    "neckline": {
        # "U.S. Polo Assn." is a brand, not a collar.
        "polo collar": _rx(r"\bpolo\b(?!\s+assn)"),
        "v-neck": _rx(r"\bv[ -]?neck\b"),
        "round neck": _rx(r"\bround[ -]?neck\b|\bcrew\b"),
        "hooded": _rx(r"\bhood(?:ed|ie)?\b"),
        "high neck": _rx(r"\bturtle[ -]?neck\b|\bhigh[ -]neck\b"),
        "mandarin collar": _rx(r"\bmandarin\b"),
    },
    "fit": {
        "slim fit": _rx(r"\bslim\b"),
        "skinny fit": _rx(r"\bskinny\b"),
        "regular fit": _rx(r"\bregular\b|\bstraight fit\b"),
        "loose fit": _rx(r"\bloose\b|\brelaxed\b|\bbaggy\b|\bboyfriend\b"),
    },
    "style": {
        "vintage": _rx(r"\bwashed\b|\bfaded\b|\bvintage\b|\bdistressed\b|\bretro\b"),
    },
    "details": {
        "hood": _rx(r"\bhood(?:ed|ie)?\b"),
        "zipper": _rx(r"\bzip(?:per|ped)?\b"),
        "logo": _rx(r"\blogo\b"),
        "pockets": _rx(r"\bpockets?\b"),
        "buttons": _rx(r"\bbutton(?:s|ed)?\b"),
        "lace": _rx(r"\blace(?:d|s)?\b"),
        "embroidery": _rx(r"\bembroider(?:ed|y)\b"),
        "buckle": _rx(r"\bbuckle\b"),
    },
}
"""Per attribute, per value, the words in a product name that state the value."""

USAGE_FORMALITY: dict[str, str] = {
    "Formal": "formal",
    "Smart Casual": "business casual",
    "Casual": "casual",
    "Sports": "athletic",
}
USAGE_STYLE: dict[str, str] = {"Sports": "sporty", "Ethnic": "ethnic", "Party": "party", "Formal": "elegant"}
USAGE_NONE: dict[str, frozenset[str]] = {"style": frozenset({"Casual"})}
"""Usages that mean "none of the values" for an attribute with a none value (a casual product whose
name names no style has none), so a method learns when to say nothing."""
TYPE_RULES: dict[str, dict[str, str]] = {
    "material": {"Jeans": "denim", "Sweaters": "knit"},
    "sleeve_length": {
        "Sweatshirts": "long sleeve",
        "Jackets": "long sleeve",
        "Sweaters": "long sleeve",
        "Tshirts": "short sleeve",
        "Innerwear Vests": "sleeveless",
    },
    "neckline": {"Shirts": "shirt collar", "Tshirts": "round neck"},
}
"""Article types that imply a value when the name says nothing (weaker than the name)."""


def _from_name(name: str, rules: Mapping[str, re.Pattern[str]]) -> frozenset[str]:
    return frozenset(value for value, rx in rules.items() if rx.search(name))


def weak_label(product: Product, spec: AttributeSpec) -> WeakLabel | None:
    """What the catalog says about ``spec`` for ``product``, or None when it says nothing (or both
    of two values of a single-valued attribute)."""
    if not spec.applies_to(product):
        return None
    named = _from_name(product.name or "", NAME_RULES.get(spec.name, {}))
    if named and (spec.multi_valued or len(named) == 1):
        values = named
        if spec.name == "style" and product.usage in USAGE_STYLE:
            values = values | {USAGE_STYLE[product.usage]}
        return WeakLabel(values, "name")
    if named:
        return None
    usage = product.usage or ""
    if spec.name == "formality" and usage in USAGE_FORMALITY:
        return WeakLabel(frozenset({USAGE_FORMALITY[usage]}), "metadata")
    if spec.name == "style" and usage in USAGE_STYLE:
        return WeakLabel(frozenset({USAGE_STYLE[usage]}), "metadata")
    if spec.none_value is not None and usage in USAGE_NONE.get(spec.name, ()):
        return WeakLabel(frozenset({spec.none_value}), "metadata")
    implied = TYPE_RULES.get(spec.name, {}).get(product.article_type or "")
    if implied is not None:
        return WeakLabel(frozenset({implied}), "metadata")
    return None


def weak_labels(product: Product, specs: Mapping[str, AttributeSpec]) -> dict[str, WeakLabel]:
    """Every weak label of ``product``, by attribute name."""
    out: dict[str, WeakLabel] = {}
    for name, spec in specs.items():
        label = weak_label(product, spec)
        if label is not None:
            out[name] = label
    return out

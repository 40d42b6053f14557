"""The one place that turns product metadata into the text that represents a product.

The embedder's text side, text search and the keyword index all read :func:`describe_product`, so a
product is described the same way wherever its words matter.
"""

from __future__ import annotations

from fashion_search.domain import Product, price_tier

# Values the catalog uses for "unknown"; they must not leak into descriptions as words.
_MISSING = frozenset({"", "na", "n/a", "nan", "none", "null", "-"})

_AUDIENCE = {
    "men": "men",
    "women": "women",
    "boys": "boys",
    "girls": "girls",
    "unisex": "men and women",
}


def clean_value(value: object) -> str | None:
    """A metadata value as trimmed text, or None when it is missing or a placeholder like "NA"."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text.lower() in _MISSING else text


def audience(gender: str | None) -> str | None:
    """Who a product is for, in words ("men", "women", "men and women" for unisex)."""
    g = clean_value(gender)
    if g is None:
        return None
    return _AUDIENCE.get(g.lower(), g.lower())


def describe_product(product: Product) -> str:
    """One-paragraph description of ``product`` from its metadata.

    Example: ``"Turtle Check Men Navy Blue Shirt. Navy Blue Shirts for men. Casual wear for fall.
    Mid-range price. Material: cotton. Pattern: checked."`` Missing fields are left out; visual
    attributes appear only when present (they hold confident values only).
    """
    sentences: list[str] = []
    name = clean_value(product.name)
    if name:
        sentences.append(name.rstrip("."))

    kind = " ".join(v for v in (clean_value(product.base_colour), clean_value(product.article_type)) if v)
    who = audience(product.gender)
    if kind and who:
        sentences.append(f"{kind} for {who}")
    elif kind:
        sentences.append(kind)
    elif who:
        sentences.append(f"For {who}")

    usage = clean_value(product.usage)
    season = clean_value(product.season)
    if usage and season:
        sentences.append(f"{usage} wear for {season.lower()}")
    elif usage:
        sentences.append(f"{usage} wear")
    elif season:
        sentences.append(f"For {season.lower()}")

    tier = price_tier(product.price)
    if tier:
        sentences.append(f"{tier[0].upper()}{tier[1:]} price")

    for key in sorted(product.attributes):
        value = clean_value(product.attributes[key])
        label = clean_value(key)
        if value and label:
            sentences.append(f"{label.replace('_', ' ').capitalize()}: {value}")

    return ". ".join(sentences) + "." if sentences else ""

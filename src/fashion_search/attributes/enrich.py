"""Plain and enriched product descriptions.

A product's description (:func:`~fashion_search.embed.descriptions.describe_product`) is what the
text embeddings and the keyword index read. Once a product carries confident visual attributes the
description names them ("... Material: leather. Pattern: striped."): that is the *enriched*
description. The *plain* one is the same product described without the tagger's attributes, so the
two can be compared on the same catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from fashion_search.domain import ATTRIBUTE_NAMES, Product
from fashion_search.embed.descriptions import describe_product


def without_attributes(product: Product) -> Product:
    """``product`` without the tagger's attributes (other keys in ``attributes`` are kept)."""
    if not any(key in ATTRIBUTE_NAMES for key in product.attributes):
        return product
    kept = {k: v for k, v in product.attributes.items() if k not in ATTRIBUTE_NAMES}
    return replace(product, attributes=kept)


def with_attributes(product: Product, attributes: Mapping[str, str]) -> Product:
    """``product`` carrying ``attributes`` as its tagger attributes (replacing any it had)."""
    merged = dict(without_attributes(product).attributes)
    merged.update({k: v for k, v in attributes.items() if v})
    return replace(product, attributes=merged)


def apply_attributes(
    products: Iterable[Product], attributes: Mapping[int, Mapping[str, str]]
) -> list[Product]:
    """Each product with the attributes given for its id; products without an entry lose theirs."""
    return [with_attributes(p, attributes.get(p.id, {})) for p in products]


def plain_description(product: Product) -> str:
    """The description without the tagger's attributes."""
    return describe_product(without_attributes(product))


def enriched_description(product: Product) -> str:
    """The description with the product's confident attributes (what embeddings and BM25 read)."""
    return describe_product(product)

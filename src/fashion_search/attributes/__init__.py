"""Visual attributes (material, pattern, formality, sleeves, neckline, fit, style, details) tagged
from product photos, measured against weak labels from the catalog, and enriched descriptions."""

from fashion_search.attributes.enrich import (
    apply_attributes,
    enriched_description,
    plain_description,
    with_attributes,
    without_attributes,
)
from fashion_search.attributes.figures import AttributeFigures, attribute_figures
from fashion_search.attributes.job import TaggingResult, TagReport, tag_catalog, tag_products
from fashion_search.attributes.tagger import AttributeTagger, TaggedValue
from fashion_search.attributes.vocabulary import AttributeSpec, default_attributes
from fashion_search.attributes.weak_labels import WeakLabel, weak_labels

__all__ = [
    "AttributeFigures",
    "AttributeSpec",
    "AttributeTagger",
    "TagReport",
    "TaggedValue",
    "TaggingResult",
    "WeakLabel",
    "apply_attributes",
    "attribute_figures",
    "default_attributes",
    "enriched_description",
    "plain_description",
    "tag_catalog",
    "tag_products",
    "weak_labels",
    "with_attributes",
    "without_attributes",
]

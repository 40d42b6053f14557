"""Catalog ingest: ``styles.csv`` + ``images/`` read, repaired, checked, priced and stored; demo catalog."""

from fashion_search.catalog.demo import generate_demo_catalog
from fashion_search.catalog.images import ImageCheck, check_image, open_image_rgb
from fashion_search.catalog.ingest import IngestReport, ingest_catalog
from fashion_search.catalog.prices import price_tier, simulate_price
from fashion_search.catalog.styles import REQUIRED_COLUMNS, RowIssue, StyleRow, StylesReadResult, read_styles

__all__ = [
    "REQUIRED_COLUMNS",
    "ImageCheck",
    "IngestReport",
    "RowIssue",
    "StyleRow",
    "StylesReadResult",
    "check_image",
    "generate_demo_catalog",
    "ingest_catalog",
    "open_image_rgb",
    "price_tier",
    "read_styles",
    "simulate_price",
]

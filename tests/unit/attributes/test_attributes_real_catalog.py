"""Weak labels on the real styles.csv: known rows, and how many photographed products carry each."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fashion_search.attributes.vocabulary import default_attributes
from fashion_search.attributes.weak_labels import weak_labels
from fashion_search.catalog.styles import read_styles
from fashion_search.domain import Product

CATALOG = Path(__file__).resolve().parents[4] / "shared" / "data" / "fashion-product-images"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CATALOG / "styles.csv").exists(), reason="the real catalog is not on this machine"
    ),
]


@pytest.fixture(scope="module")
def products() -> dict[int, Product]:
    rows = read_styles(CATALOG / "styles.csv").rows
    return {r.id: r.to_product() for r in rows}


def test_known_rows(products: dict[int, Product]) -> None:
    specs = default_attributes()

    def values(pid: int) -> dict[str, set[str]]:
        return {k: set(v.values) for k, v in weak_labels(products[pid], specs).items()}

    assert values(15970)["pattern"] == {"checked"}  # Turtle Check Men Navy Blue Shirt
    stripe_polo = values(5891)  # Puma Men's Stripe Polo Black T-shirt
    assert stripe_polo["pattern"] == {"striped"} and stripe_polo["neckline"] == {"polo collar"}
    assert values(1668)["sleeve_length"] == {"long sleeve"}  # Reebok Men Playdry Full Sleeved T-shirt Red
    mandarin = values(7422)  # W Women Mandarin Neck Full Sleeve White Top (Ethnic)
    assert mandarin["neckline"] == {"mandarin collar"} and mandarin["style"] == {"ethnic"}
    assert values(10268)["material"] == {"leather"}  # Clarks Men Hang Work Leather Black Formal Shoes
    assert values(10268)["formality"] == {"formal"}
    assert values(39386)["material"] == {"denim"}  # Peter England Men Party Blue Jeans (by type)


def test_label_counts_on_the_photographed_products(products: dict[int, Product]) -> None:
    photographed = [
        products[int(p.stem)] for p in (CATALOG / "images").glob("*.jpg") if int(p.stem) in products
    ]
    assert len(photographed) == 9583
    specs = default_attributes()
    by_attribute: Counter[str] = Counter()
    by_name: Counter[str] = Counter()
    for product in photographed:
        for name, label in weak_labels(product, specs).items():
            by_attribute[name] += 1
            by_name[name] += label.source == "name"
    # What the catalog can teach: plenty for pattern and formality, little for fit and details.
    assert by_name["pattern"] > 3000
    assert by_attribute["formality"] > 9000
    assert 500 < by_attribute["material"] < 1500
    assert by_attribute["fit"] < 200 and by_attribute["details"] < 200

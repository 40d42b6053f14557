from __future__ import annotations

import pytest

from fashion_search.attributes.vocabulary import default_attributes, item_word
from fashion_search.attributes.weak_labels import weak_label, weak_labels
from fashion_search.domain import ATTRIBUTE_NAMES, Product

SPECS = default_attributes()


def shirt(name: str, **kw: object) -> Product:
    fields: dict[str, object] = {
        "gender": "Men",
        "master_category": "Apparel",
        "sub_category": "Topwear",
        "article_type": "Shirts",
        "usage": "Casual",
    }
    fields.update(kw)
    return Product(1, name, **fields)  # type: ignore[arg-type]


def labels(product: Product) -> dict[str, tuple[set[str], str]]:
    return {k: (set(v.values), v.source) for k, v in weak_labels(product, SPECS).items()}


def test_vocabulary_covers_the_domain_attributes_in_order() -> None:
    assert tuple(SPECS) == ATTRIBUTE_NAMES
    for spec in SPECS.values():
        assert set(spec.phrases) == set(spec.values)
        assert all(spec.phrases[v] for v in spec.values)


def test_real_catalog_names_give_their_values() -> None:
    # Rows of styles.csv, as they are.
    got = labels(shirt("Turtle Check Men Navy Blue Shirt"))
    assert got["pattern"] == ({"checked"}, "name")
    assert got["neckline"] == ({"shirt collar"}, "metadata")  # implied by the article type
    assert got["formality"] == ({"casual"}, "metadata")  # from usage
    assert got["style"] == ({"none"}, "metadata")  # a casual product names no style: it has none
    assert "sleeve_length" not in got

    got = labels(shirt("Reebok Men Playdry Full Sleeved T-shirt Red", article_type="Tshirts", usage="Sports"))
    assert got["sleeve_length"] == ({"long sleeve"}, "name")  # the name beats the type's "short sleeve"
    assert got["formality"] == ({"athletic"}, "metadata")
    assert got["style"] == ({"sporty"}, "metadata")

    got = labels(shirt("W Women Mandarin Neck Full Sleeve White Top", article_type="Tops", usage="Ethnic"))
    assert got["neckline"] == ({"mandarin collar"}, "name")
    assert got["style"] == ({"ethnic"}, "metadata")
    assert "formality" not in got  # "Ethnic" says nothing about formality


def test_a_brand_is_not_a_collar() -> None:
    brand = labels(shirt("U.S. Polo Assn. Men Blue T-shirt", article_type="Tshirts"))
    assert brand["neckline"] == ({"round neck"}, "metadata")
    polo = labels(shirt("Nike Women Purple Polo T-shirt", article_type="Tshirts"))
    assert polo["neckline"] == ({"polo collar"}, "name")


def test_two_values_of_a_single_valued_attribute_give_no_label() -> None:
    got = labels(shirt("Striped Checked Shirt"))
    assert "pattern" not in got


def test_multi_valued_attributes_keep_every_named_value() -> None:
    hoodie = shirt("Hooded Zip Sweatshirt", article_type="Sweatshirts", usage="Sports")
    got = labels(hoodie)
    assert got["details"] == ({"hood", "zipper"}, "name")
    washed = labels(shirt("Washed Sports Tee", article_type="Tshirts", usage="Sports"))
    assert washed["style"] == ({"vintage", "sporty"}, "name")


def test_materials_and_where_attributes_apply() -> None:
    bag = Product(
        2,
        "Baggit Women Leather Brown Handbag",
        master_category="Accessories",
        sub_category="Bags",
        article_type="Handbags",
        usage="Casual",
    )
    got = labels(bag)
    assert got["material"] == ({"leather"}, "name")
    assert "sleeve_length" not in got and "neckline" not in got and "fit" not in got
    wallet = Product(3, "Leatherette Wallet", master_category="Accessories", sub_category="Wallets")
    assert labels(wallet)["material"] == ({"synthetic"}, "name")
    jeans = shirt("Levis Men Blue Slim Fit Jeans", sub_category="Bottomwear", article_type="Jeans")
    got = labels(jeans)
    assert got["material"] == ({"denim"}, "metadata")
    assert got["fit"] == ({"slim fit"}, "name")
    perfume = Product(4, "Davidoff Men Cool Water", master_category="Personal Care", sub_category="Fragrance")
    assert weak_labels(perfume, SPECS) == {}


def test_a_product_the_attribute_does_not_apply_to_has_no_label() -> None:
    bag = Product(5, "Striped Full Sleeve Bag", master_category="Accessories", sub_category="Bags")
    assert weak_label(bag, SPECS["sleeve_length"]) is None
    assert weak_label(bag, SPECS["pattern"]) is not None


@pytest.mark.parametrize(
    ("article_type", "word"),
    [
        ("Tshirts", "t-shirt"),
        ("Shirts", "shirt"),
        ("Dresses", "dress"),
        ("Watches", "watch"),
        ("Jeans", "jeans"),
        ("Track Pants", "track pants"),
        ("Casual Shoes", "casual shoe"),
        ("Sunglasses", "sunglasses"),
        ("Kurtas", "kurta"),
    ],
)
def test_item_word_is_a_singular_lower_case_type(article_type: str, word: str) -> None:
    assert item_word(Product(1, "x", article_type=article_type)) == word

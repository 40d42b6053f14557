"""BrandIndex: products by the brand their names start with."""

from __future__ import annotations

from fashion_search.domain import Product
from fashion_search.search.brands import BrandIndex

NAMES = [
    "CASIO G-Shock Men Black Watch",
    "Casio Enticer Men Silver Watch",
    "Casio Men Steel Watch",
    "Casio",
    "Red Tape Men Brown Shoes",
    "Red Men Tshirt",
    "Puma Men Black Tshirt",
    "Pumpkin Women Dress",
]


def brand_index() -> BrandIndex:
    products = [Product(id=i + 1, name=n) for i, n in enumerate(NAMES)]
    return BrandIndex(products, ["CASIO", "Casio Enticer", "Red Tape", "Puma", "Nike"])


def test_a_brand_holds_every_name_that_starts_with_it_word_by_word() -> None:
    index = brand_index()
    assert index.ids("casio").tolist() == [1, 2, 3, 4]
    assert index.ids("Casio Enticer").tolist() == [2]
    assert index.ids("Red Tape").tolist() == [5]  # "Red Men Tshirt" is not Red Tape
    assert index.ids("PUMA").tolist() == [7]  # "Pumpkin" is not Puma
    assert index.ids("Nike").size == 0 and index.ids("Unknown").size == 0


def test_ids_of_any_unite_brands_and_brands_lists_those_with_products() -> None:
    index = brand_index()
    assert index.ids_of_any(["Puma", "Red Tape"]).tolist() == [5, 7]
    assert index.ids_of_any([]).size == 0
    assert index.brands() == ["CASIO", "Casio Enticer", "Puma", "Red Tape"]
    assert len(index) == 4

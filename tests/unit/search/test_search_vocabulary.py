"""Vocabularies: learned from a catalog, synonyms kept only where their targets exist, brands learned."""

from __future__ import annotations

import pytest

from fashion_search.domain import Product
from fashion_search.errors import ValidationError
from fashion_search.search.vocabulary import (
    CATALOG_ARTICLE_TYPES,
    CATALOG_COLOURS,
    Facet,
    Term,
    Vocabulary,
    learn_brands,
    phrase_tokens,
)


def product(pid: int, name: str, **fields: str) -> Product:
    return Product(pid, name, **fields)  # type: ignore[arg-type]


def values_of(vocab: Vocabulary, phrase: str, facet: Facet) -> tuple[str, ...] | None:
    for term in vocab.lookup(phrase):
        if term.facet is facet:
            return term.values
    return None


def test_phrase_tokens_normalise_case_punctuation_apostrophes_and_accents() -> None:
    assert phrase_tokens("Men's  T-Shirt!") == ("mens", "t", "shirt")
    assert phrase_tokens("BÉIGE") == ("beige",)
    assert phrase_tokens("ｎａｖｙ") == ("navy",)
    assert phrase_tokens("🔥 ... ") == ()


def test_default_vocabulary_knows_every_catalog_value() -> None:
    vocab = Vocabulary.default()
    assert set(vocab.values(Facet.COLOUR)) == set(CATALOG_COLOURS)
    assert set(vocab.values(Facet.ARTICLE_TYPE)) == set(CATALOG_ARTICLE_TYPES)
    for value in CATALOG_ARTICLE_TYPES:
        if value != "Compact":  # ambiguous alone: matched as "compact powder"
            assert any(t.facet is Facet.ARTICLE_TYPE and value in t.values for t in vocab.lookup(value)), (
                value
            )


@pytest.mark.parametrize(
    ("phrase", "facet", "expected"),
    [
        ("scarlet", Facet.COLOUR, ("Red",)),
        ("crimson", Facet.COLOUR, ("Red",)),
        ("navy", Facet.COLOUR, ("Navy Blue",)),
        ("navy blue", Facet.COLOUR, ("Navy Blue",)),
        ("blue", Facet.COLOUR, ("Blue", "Navy Blue", "Turquoise Blue")),
        ("gray", Facet.COLOUR, ("Grey", "Grey Melange")),
        ("golden", Facet.COLOUR, ("Gold",)),
        ("mushroom brown", Facet.COLOUR, ("Mushroom Brown",)),
        ("men", Facet.GENDER, ("Men",)),
        ("guy", Facet.GENDER, ("Men",)),
        ("ladies", Facet.GENDER, ("Women",)),
        ("female", Facet.GENDER, ("Women",)),
        ("kids", Facet.GENDER, ("Boys", "Girls")),
        ("sneakers", Facet.ARTICLE_TYPE, ("Casual Shoes", "Sports Shoes")),
        ("trainers", Facet.ARTICLE_TYPE, ("Casual Shoes", "Sports Shoes")),
        ("tee", Facet.ARTICLE_TYPE, ("Tshirts",)),
        ("t-shirt", Facet.ARTICLE_TYPE, ("Tshirts",)),
        ("watch", Facet.ARTICLE_TYPE, ("Watches",)),
        ("watches", Facet.ARTICLE_TYPE, ("Watches",)),
        ("handbag", Facet.ARTICLE_TYPE, ("Handbags",)),
        ("gown", Facet.ARTICLE_TYPE, ("Dresses",)),
        ("dress", Facet.ARTICLE_TYPE, ("Dresses",)),
        ("flip-flops", Facet.ARTICLE_TYPE, ("Flip Flops",)),
        ("kurta", Facet.ARTICLE_TYPE, ("Kurtas",)),
        ("saree", Facet.ARTICLE_TYPE, ("Sarees",)),
        ("sari", Facet.ARTICLE_TYPE, ("Sarees",)),
        ("formal", Facet.USAGE, ("Formal",)),
        ("athletic", Facet.USAGE, ("Sports",)),
        ("autumn", Facet.SEASON, ("Fall", "Winter")),
    ],
)
def test_default_synonyms(phrase: str, facet: Facet, expected: tuple[str, ...]) -> None:
    assert values_of(Vocabulary.default(), phrase, facet) == expected


def test_words_that_are_adjectives_are_not_types() -> None:
    vocab = Vocabulary.default()
    for word in ("short", "brief", "flat", "tight", "compact"):
        assert values_of(vocab, word, Facet.ARTICLE_TYPE) is None, word
    assert values_of(vocab, "shorts", Facet.ARTICLE_TYPE) == ("Shorts",)
    assert values_of(vocab, "compact powder", Facet.ARTICLE_TYPE) == ("Compact",)


def test_ambiguous_and_hint_only_flags() -> None:
    vocab = Vocabulary.default()
    (skin,) = vocab.lookup("skin")
    assert skin.needs_cue and skin.values == ("Skin",)
    (party,) = vocab.lookup("party")
    assert party.hint_only
    (formal,) = vocab.lookup("formal")
    assert not formal.hint_only and not formal.needs_cue


def test_from_products_learns_only_present_values_and_fitting_synonyms() -> None:
    products = [
        product(1, "Acme Men Red Tshirt", gender="Men", article_type="Tshirts", base_colour="Red"),
        product(2, "Acme Women Blue Dress", gender="Women", article_type="Dresses", base_colour="Blue"),
        product(3, "Acme Women Blue Dress", gender="Women", article_type="Dresses", base_colour="NA"),
        product(4, "Nameless", usage="Casual", season="Summer"),
    ]
    vocab = Vocabulary.from_products(products)
    assert vocab.values(Facet.COLOUR) == ("Red", "Blue")
    assert vocab.values(Facet.GENDER) == ("Men", "Women")
    assert vocab.values(Facet.USAGE) == ("Casual",)
    assert values_of(vocab, "scarlet", Facet.COLOUR) == ("Red",)
    assert values_of(vocab, "gown", Facet.ARTICLE_TYPE) == ("Dresses",)
    assert values_of(vocab, "sneakers", Facet.ARTICLE_TYPE) is None  # no shoes in this catalog
    assert values_of(vocab, "navy", Facet.COLOUR) is None  # Navy Blue absent
    assert values_of(vocab, "kids", Facet.GENDER) is None  # Boys/Girls absent
    assert values_of(vocab, "summer", Facet.SEASON) == ("Summer",)  # widening only to present values
    assert values_of(vocab, "na", Facet.COLOUR) is None


def test_learn_brands_keeps_fixed_brand_words_and_drops_variable_slots() -> None:
    names = [
        *["Red Tape Men Brown Shoes"] * 3,
        *["Red Rose Women Kurta"] * 3,
        *["Newhide Black Men Wallet", "Newhide Brown Men Wallet", "Newhide Black Unisex Wallet"] * 2,
        *["Puma Men Black Tshirt"] * 5,
        *["Black Men Shirt"] * 4,  # only attribute words: never a brand
        "Rare Brand Men Socks",  # below the minimum count
    ]
    words = Vocabulary.default().single_words()
    brands = learn_brands(names, words, min_count=3)
    assert "Red Tape" in brands
    assert "Red Rose" in brands
    assert "Puma" in brands
    assert not any(b.startswith("Newhide") for b in brands)
    assert "Black" not in brands
    assert "Rare Brand" not in brands
    assert brands.index("Puma") < brands.index("Red Tape")  # most frequent first


def test_brand_terms_protect_their_words() -> None:
    vocab = Vocabulary.from_values(colours=["Red", "Brown"], brands=["Red Tape"])
    (term,) = vocab.lookup("red tape")
    assert term.facet is Facet.BRAND and term.hint_only and term.values == ("Red Tape",)


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(ValidationError, match="must be strings"):
        Vocabulary.from_values(colours=[1])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="Product objects"):
        Vocabulary.from_products([{"id": 1}])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="min_brand_count"):
        Vocabulary.from_products([], min_brand_count=0)
    with pytest.raises(ValidationError, match="missing from the vocabulary"):
        Vocabulary({Facet.COLOUR: ["Red"]}, [Term(("navy",), Facet.COLOUR, ("Navy Blue",))])


def test_empty_catalog_gives_an_empty_vocabulary() -> None:
    vocab = Vocabulary.from_products([])
    assert vocab.terms == ()
    assert vocab.max_phrase_tokens == 0


def test_learn_brands_drops_one_word_brands_that_are_ordinary_words() -> None:
    names = [
        *["Denim Men Blue Jacket"] * 3,  # "Denim" the brand ...
        *["Roadster Men Blue Denim Jacket"] * 5,  # ... is mostly the word denim
        *["AND Women Black Dress"] * 3,
        *["Gini and Jony Boys Shirt"] * 4,
        *["24 Men Black Jeans"] * 3,
        *["Puma Men Puma Logo Tshirt"] * 3,  # repeated inside its own names, still mostly a name start
    ]
    brands = learn_brands(names, Vocabulary.default().single_words(), min_count=3)
    assert "Denim" not in brands
    assert "AND" not in brands
    assert "24" not in brands
    assert {"Roadster", "Gini and Jony", "Puma"} <= set(brands)

"""Query understanding: known parses of shopper queries, explicit filters win, hostile input is safe."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fashion_search.domain import Filter, Op, Product, condition, where
from fashion_search.errors import ValidationError
from fashion_search.search.query import MAX_QUERY_CHARS, ParsedQuery, merge_filters, parse_query
from fashion_search.search.vocabulary import Facet, Vocabulary

SHOES = ["Booties", "Casual Shoes", "Flats", "Formal Shoes", "Heels", "Sports Shoes"]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.default()


def summary(parsed: ParsedQuery) -> dict[str, Any]:
    """Conditions as {field: value} for equalities and sets, and {"price": {op: value}}."""
    out: dict[str, Any] = {}
    for c in parsed.filter.conditions:
        if c.field == "price":
            out.setdefault("price", {})[c.op.value] = c.value
        elif c.op in (Op.IN, Op.NOT_IN):
            out[c.field] = (c.op.value, sorted(c.value))
        else:
            out[c.field] = (c.op.value, c.value)
    return out


MEN = ("in", ["Men", "Unisex"])
WOMEN = ("in", ["Unisex", "Women"])

CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "black sneakers for men",
        {
            "gender": MEN,
            "article_type": ("in", ["Casual Shoes", "Sports Shoes"]),
            "base_colour": ("=", "Black"),
        },
        "black sneakers for men",
    ),
    (
        "red summer dress under 50",
        {"article_type": ("=", "Dresses"), "base_colour": ("=", "Red"), "price": {"<": 50.0}},
        "red summer dress",
    ),
    ("between 30 and 70", {"price": {">=": 30.0, "<=": 70.0}}, ""),
    ("Puma", {}, "Puma"),
    ("scarlet gown", {"article_type": ("=", "Dresses"), "base_colour": ("=", "Red")}, "scarlet gown"),
    (
        "navy blue shirt",
        {"article_type": ("=", "Shirts"), "base_colour": ("=", "Navy Blue")},
        "navy blue shirt",
    ),
    ("NAVY shirt", {"article_type": ("=", "Shirts"), "base_colour": ("=", "Navy Blue")}, "NAVY shirt"),
    (
        "white sneakers",
        {
            "article_type": ("in", ["Casual Shoes", "Sports Shoes"]),
            "base_colour": ("in", ["Off White", "White"]),
        },
        "white sneakers",
    ),
    (
        "formal black shoes for men",
        {
            "gender": MEN,
            "article_type": ("in", SHOES),
            "base_colour": ("=", "Black"),
            "usage": ("=", "Formal"),
        },
        "formal black shoes for men",
    ),
    ("jeans below $50", {"article_type": ("=", "Jeans"), "price": {"<": 50.0}}, "jeans"),
    ("watch less than 50", {"article_type": ("=", "Watches"), "price": {"<": 50.0}}, "watch"),
    ("watches < 50", {"article_type": ("=", "Watches"), "price": {"<": 50.0}}, "watches"),
    ("handbag cheaper than 50", {"article_type": ("=", "Handbags"), "price": {"<": 50.0}}, "handbag"),
    ("purse over 100", {"article_type": ("in", ["Clutches", "Handbags"]), "price": {">": 100.0}}, "purse"),
    ("heels above 100", {"article_type": ("=", "Heels"), "price": {">": 100.0}}, "heels"),
    (
        "flip flops 30-70",
        {"article_type": ("=", "Flip Flops"), "price": {">=": 30.0, "<=": 70.0}},
        "flip flops",
    ),
    ("kurta from 30 to 70", {"article_type": ("=", "Kurtas"), "price": {">=": 30.0, "<=": 70.0}}, "kurta"),
    ("saree max 80", {"article_type": ("=", "Sarees"), "price": {"<=": 80.0}}, "saree"),
    ("tshirt budget 80", {"article_type": ("=", "Tshirts"), "price": {"<=": 80.0}}, "tshirt"),
    ("T-Shirts for women", {"gender": WOMEN, "article_type": ("=", "Tshirts")}, "T-Shirts for women"),
    ("men's tee", {"gender": MEN, "article_type": ("=", "Tshirts")}, "men's tee"),
    ("ladies handbag", {"gender": WOMEN, "article_type": ("=", "Handbags")}, "ladies handbag"),
    ("kids shoes", {"gender": ("in", ["Boys", "Girls"]), "article_type": ("in", SHOES)}, "kids shoes"),
    ("unisex watch", {"gender": ("=", "Unisex"), "article_type": ("=", "Watches")}, "unisex watch"),
    (
        "grey or gray trainers",
        {
            "article_type": ("in", ["Casual Shoes", "Sports Shoes"]),
            "base_colour": ("in", ["Grey", "Grey Melange"]),
        },
        "grey or gray trainers",
    ),  # fmt: skip
    ("golden earrings", {"article_type": ("=", "Earrings"), "base_colour": ("=", "Gold")}, "golden earrings"),
    ("tan belt", {"article_type": ("=", "Belts"), "base_colour": ("=", "Tan")}, "tan belt"),
    ("orange top", {"article_type": ("=", "Tops"), "base_colour": ("=", "Orange")}, "orange top"),
    (
        "beige trousers",
        {"article_type": ("=", "Trousers"), "base_colour": ("in", ["Beige", "Cream"])},
        "beige trousers",
    ),
    (
        "black and white sneakers",
        {
            "article_type": ("in", ["Casual Shoes", "Sports Shoes"]),
            "base_colour": ("in", ["Black", "Off White", "White"]),
        },
        "black and white sneakers",
    ),
    (
        "turquoise blue tunic",
        {"article_type": ("=", "Tunics"), "base_colour": ("=", "Turquoise Blue")},
        "turquoise blue tunic",
    ),  # fmt: skip
    (
        "off-white kurta",
        {"article_type": ("=", "Kurtas"), "base_colour": ("=", "Off White")},
        "off-white kurta",
    ),
    ("casual shoes", {"article_type": ("=", "Casual Shoes")}, "casual shoes"),
    ("sports shoes", {"article_type": ("=", "Sports Shoes")}, "sports shoes"),
    ("running shoes", {"article_type": ("=", "Sports Shoes")}, "running shoes"),
    ("ethnic wear for women", {"gender": WOMEN, "usage": ("=", "Ethnic")}, "ethnic wear for women"),
    ("gym tshirt", {"article_type": ("=", "Tshirts"), "usage": ("=", "Sports")}, "gym tshirt"),
    (
        "jackets for winter",
        {
            "article_type": ("in", ["Jackets", "Nehru Jackets", "Rain Jacket"]),
            "season": ("in", ["Fall", "Winter"]),
        },
        "jackets for winter",
    ),  # fmt: skip
    (
        "summer collection tops",
        {"article_type": ("=", "Tops"), "season": ("in", ["Spring", "Summer"])},
        "summer collection tops",
    ),  # fmt: skip
    ("party dress", {"article_type": ("=", "Dresses")}, "party dress"),
    ("red tape shoes", {"article_type": ("in", SHOES)}, "red tape shoes"),
    ("do u speak green tshirt", {"article_type": ("=", "Tshirts")}, "do u speak green tshirt"),
    ("shirt with red print", {"article_type": ("=", "Shirts")}, "shirt with red print"),
    ("dress not red", {"article_type": ("=", "Dresses"), "base_colour": ("!=", "Red")}, "dress"),
    ("shoes but not heels", {"article_type": ("in", [t for t in SHOES if t != "Heels"])}, "shoes"),
    (
        "sneakers without black or white",
        {
            "article_type": ("in", ["Casual Shoes", "Sports Shoes"]),
            "base_colour": ("not in", ["Black", "Off White", "White"]),
        },
        "sneakers",
    ),  # fmt: skip
    ("skin heels", {"article_type": ("=", "Heels")}, "skin heels"),
    (
        "skin colour heels",
        {"article_type": ("=", "Heels"), "base_colour": ("=", "Skin")},
        "skin colour heels",
    ),
    ("short dress", {"article_type": ("=", "Dresses")}, "short dress"),
    ("compact wallet", {"article_type": ("=", "Wallets")}, "compact wallet"),
    ("size 8-10 shoes", {"article_type": ("in", SHOES)}, "size 8-10 shoes"),
    ("jeans 28-32 waist", {"article_type": ("=", "Jeans")}, "jeans 28-32 waist"),
    ("price: <= 80", {"price": {"<=": 80.0}}, ""),
    (
        "watches priced 100-200",
        {"article_type": ("=", "Watches"), "price": {">=": 100.0, "<=": 200.0}},
        "watches",
    ),
    ("shirt not formal", {"article_type": ("=", "Shirts"), "usage": ("!=", "Formal")}, "shirt"),
    ("shorts under 5 years", {"article_type": ("=", "Shorts")}, "shorts under 5 years"),
    ("dress for under $50", {"article_type": ("=", "Dresses"), "price": {"<": 50.0}}, "dress"),
    (
        "bags 1,000-2,500 rs",
        {
            "article_type": (
                "in",
                [
                    "Backpacks",
                    "Clutches",
                    "Duffel Bag",
                    "Handbags",
                    "Laptop Bag",
                    "Messenger Bag",
                    "Mobile Pouch",
                    "Rucksacks",
                    "Trolley Bag",
                    "Waist Pouch",
                ],
            ),
            "price": {">=": 1000.0, "<=": 2500.0},
        },
        "bags",
    ),  # fmt: skip
    ("jeans under 2k", {"article_type": ("=", "Jeans"), "price": {"<": 2000.0}}, "jeans"),
    ("watch 100+", {"article_type": ("=", "Watches"), "price": {">=": 100.0}}, "watch"),
    (
        "shirt at least 20 and at most 40",
        {"article_type": ("=", "Shirts"), "price": {">=": 20.0, "<=": 40.0}},
        "shirt",
    ),  # fmt: skip
    ("shoes under 80, under 50", {"article_type": ("in", SHOES), "price": {"<": 50.0}}, "shoes"),
    ("under 50 for men", {"gender": MEN, "price": {"<": 50.0}}, "men"),
    ("over 100 under 50", {}, ""),
    ("PUMA   Sneakers!!!", {"article_type": ("in", ["Casual Shoes", "Sports Shoes"])}, "PUMA Sneakers!!!"),
]


@pytest.mark.parametrize(("text", "expected", "semantic"), CASES, ids=[c[0] for c in CASES])
def test_known_parses(vocab: Vocabulary, text: str, expected: dict[str, Any], semantic: str) -> None:
    parsed = parse_query(text, vocab)
    assert summary(parsed) == expected
    assert parsed.semantic_text == semantic
    assert parsed.text == text


def test_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


def test_detected_reports_filters_hints_and_brands(vocab: Vocabulary) -> None:
    parsed = parse_query("Red Tape black summer party shoes for men under $80", vocab)
    d = parsed.detected
    assert d["base_colour"] == ["Black"]
    assert d["gender"] == ["Men", "Unisex"]
    assert d["price"] == {"<": 80.0}
    assert d["hints"]["brand"] == ["Red Tape"]
    assert d["hints"]["season"] == ["Summer", "Spring"]
    assert d["hints"]["usage"] == ["Party"]
    assert "season" not in d and "usage" not in d
    roles = {t.text.lower(): t.role for t in parsed.terms}
    assert roles["red tape"] == "hint"
    assert roles["black"] == "filter"
    assert parsed.semantic_text == "Red Tape black summer party shoes for men"


def test_price_tier_words_are_hints(vocab: Vocabulary) -> None:
    parsed = parse_query("cheap black jeans", vocab)
    assert parsed.detected["hints"]["price_tier"] == ["budget"]
    assert "price" not in summary(parsed)


def test_detected_exclusions(vocab: Vocabulary) -> None:
    parsed = parse_query("kurta not for men", vocab)
    assert parsed.detected["exclude"] == {"gender": ["Men"]}
    assert summary(parsed) == {"article_type": ("=", "Kurtas"), "gender": ("!=", "Men")}
    assert parsed.semantic_text == "kurta"


def test_season_words_alone_are_hints_not_filters(vocab: Vocabulary) -> None:
    for text in ("summer dress", "winter jacket", "spring tops"):
        parsed = parse_query(text, vocab)
        assert "season" not in parsed.filter.fields()
        assert parsed.detected["hints"]["season"]


def test_parsed_filter_matches_the_products_it_describes(vocab: Vocabulary) -> None:
    parsed = parse_query("black sneakers for men under 60", vocab)
    hit = Product(1, "x", gender="Men", article_type="Sports Shoes", base_colour="Black", price=59.0)
    unisex = Product(2, "x", gender="Unisex", article_type="Casual Shoes", base_colour="Black", price=10.0)
    too_dear = Product(3, "x", gender="Men", article_type="Sports Shoes", base_colour="Black", price=60.0)
    wrong_colour = Product(4, "x", gender="Men", article_type="Sports Shoes", base_colour="Red", price=10.0)
    women = Product(5, "x", gender="Women", article_type="Sports Shoes", base_colour="Black", price=10.0)
    assert [p.id for p in (hit, unisex, too_dear, wrong_colour, women) if parsed.filter.matches(p)] == [1, 2]


def test_vocabulary_of_a_small_catalog_limits_what_is_recognised() -> None:
    small = Vocabulary.from_values(colours=["Red", "Blue"], genders=["Men"], article_types=["Tshirts"])
    parsed = parse_query("navy tshirt for women", small)
    # Neither Navy Blue nor Women exist here: no filter on them, and no Unisex to widen to.
    assert summary(parsed) == {"article_type": ("=", "Tshirts")}
    assert summary(parse_query("men blue tee", small)) == {
        "gender": ("=", "Men"),
        "article_type": ("=", "Tshirts"),
        "base_colour": ("=", "Blue"),
    }


# --------------------------------------------------------------------------------------------
# merge_filters: explicit filters win
# --------------------------------------------------------------------------------------------


def test_explicit_field_replaces_the_parsed_one(vocab: Vocabulary) -> None:
    parsed = parse_query("red dress for women under 50", vocab)
    merged = merge_filters(parsed, where(base_colour="Blue"))
    fields = [c.field for c in merged.conditions]
    assert fields.count("base_colour") == 1
    assert condition("base_colour", "=", "Blue") in merged.conditions
    # Fields the caller did not set keep the parsed conditions.
    assert {"article_type", "gender", "price"} <= merged.fields()


def test_explicit_price_replaces_every_parsed_price_bound(vocab: Vocabulary) -> None:
    parsed = parse_query("shoes between 30 and 70", vocab)
    explicit = Filter((condition("price", "<=", 200),))
    merged = merge_filters(parsed, explicit)
    prices = [c for c in merged.conditions if c.field == "price"]
    assert prices == [condition("price", "<=", 200.0)]
    cheap = Product(1, "x", article_type="Heels", price=10.0)
    assert merged.matches(cheap)


def test_merge_without_explicit_or_without_parsed(vocab: Vocabulary) -> None:
    parsed = parse_query("navy shirt", vocab)
    assert merge_filters(parsed, None) == parsed.filter
    assert merge_filters(parsed, Filter()) == parsed.filter
    explicit = where(gender="Men")
    assert merge_filters(None, explicit) == explicit
    assert merge_filters(Filter(), explicit) == explicit
    assert merge_filters(parsed.filter, explicit).fields() == {"article_type", "base_colour", "gender"}


def test_merge_rejects_wrong_types(vocab: Vocabulary) -> None:
    with pytest.raises(ValidationError, match="explicit filters"):
        merge_filters(parse_query("x", vocab), {"gender": "Men"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ParsedQuery or Filter"):
        merge_filters("red", None)  # type: ignore[arg-type]


def test_bad_arguments_are_clear_errors(vocab: Vocabulary) -> None:
    with pytest.raises(ValidationError, match="must be a string"):
        parse_query(None, vocab)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Vocabulary"):
        parse_query("red", {"red": "Red"})  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Hostile input
# --------------------------------------------------------------------------------------------

HOSTILE = [
    "",
    "   ",
    "!!!???...",
    "red " * 2500,
    "x" * 10_000,
    "1-" * 5000,
    "under " * 2000 + "50",
    "9" * 10_000,
    "$" * 10_000,
    "👗👠🔥 red dress 💃🏽" * 300,
    "فستان أحمر تحت 50 red dress",
    "שמלה אדומה \u202eblue\u202c shirt",
    "red\u0301\u0302\u0303 dre\u0301ss" + "\u0301" * 5000,
    "Z\u0351\u0352\u0353a\u0354\u0355lgo navy blue",
    "nul\x00byte red\x07 shirt",
    "lone \ud800 surrogate red shirt",
    "ｕｎｄｅｒ　５０ ｒｅｄ",
    "1e999 under 1e999",
    "under 999999999999999999999 shoes",
    "between 5 and",
    "not not not no",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_does_not_crash_and_stays_bounded(vocab: Vocabulary, text: str) -> None:
    start = time.perf_counter()
    parsed = parse_query(text, vocab)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    assert len(parsed.semantic_text) <= MAX_QUERY_CHARS
    parsed.semantic_text.encode("utf-8")
    assert parsed.filter.fields() <= {f.value for f in Facet if f is not Facet.BRAND} | {"price"}


def test_long_input_is_truncated_and_says_so(vocab: Vocabulary) -> None:
    parsed = parse_query("red shirt " + "word " * 3000, vocab)
    assert parsed.detected["truncated"] is True
    assert summary(parsed)["base_colour"] == ("=", "Red")


def test_fullwidth_and_accents_are_normalised(vocab: Vocabulary) -> None:
    assert summary(parse_query("ｕｎｄｅｒ　５０ ｒｅｄ", vocab)) == {
        "base_colour": ("=", "Red"),
        "price": {"<": 50.0},
    }
    assert summary(parse_query("béige sàree", vocab)) == {
        "article_type": ("=", "Sarees"),
        "base_colour": ("in", ["Beige", "Cream"]),
    }


def test_absurd_prices_are_ignored(vocab: Vocabulary) -> None:
    assert "price" not in summary(parse_query("under 999999999999999999999 shoes", vocab))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses(text: str) -> None:
    parsed = parse_query(
        text, Vocabulary.from_values(colours=["Red", "Navy Blue"], article_types=["Tshirts"])
    )
    assert isinstance(parsed.semantic_text, str)
    parsed.semantic_text.encode("utf-8")
    for c in parsed.filter.conditions:
        if c.field == "price":
            assert 0 <= c.value <= 1e9

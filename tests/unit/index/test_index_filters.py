from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fashion_search.domain import Condition, Filter, ImageStatus, Op, Product, condition
from fashion_search.errors import FilterError
from fashion_search.index.filters import from_dict, parse_expression, parse_expressions, to_dict


def conds(f: Filter) -> list[tuple[str, Op, Any]]:
    return [(c.field, c.op, c.value) for c in f.conditions]


# --------------------------------------------------------------------------------------------
# expressions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("price<50", [("price", Op.LT, 50.0)]),
        ("price <= 50.5", [("price", Op.LE, 50.5)]),
        ("year>=2012", [("year", Op.GE, 2012)]),
        ("year > 2012", [("year", Op.GT, 2012)]),
        ("gender=Men", [("gender", Op.EQ, "Men")]),
        ("gender == Men", [("gender", Op.EQ, "Men")]),
        ("  gender =  Men  ", [("gender", Op.EQ, "Men")]),
        ("article_type!=Tshirts", [("article_type", Op.NE, "Tshirts")]),
        ("base_colour = Navy Blue", [("base_colour", Op.EQ, "Navy Blue")]),
        ("base_colour='Navy Blue'", [("base_colour", Op.EQ, "Navy Blue")]),
        ('baseColour = "Navy Blue"', [("base_colour", Op.EQ, "Navy Blue")]),
        ("color in Black,White", [("base_colour", Op.IN, frozenset({"Black", "White"}))]),
        ("base_colour IN Black, 'Navy Blue'", [("base_colour", Op.IN, frozenset({"Black", "Navy Blue"}))]),
        ("base_colour in (Black, White)", [("base_colour", Op.IN, frozenset({"Black", "White"}))]),
        ("name in 'a, b',c", [("name", Op.IN, frozenset({"a, b", "c"}))]),
        (
            "articleType not in Shirts,Tshirts",
            [("article_type", Op.NOT_IN, frozenset({"Shirts", "Tshirts"}))],
        ),
        ("article_type NOT  IN Shirts", [("article_type", Op.NOT_IN, frozenset({"Shirts"}))]),
        ("year in 2011,2012", [("year", Op.IN, frozenset({2011, 2012}))]),
        ("price between 30 and 70", [("price", Op.GE, 30.0), ("price", Op.LE, 70.0)]),
        ("year BETWEEN 2010 AND 2010", [("year", Op.GE, 2010), ("year", Op.LE, 2010)]),
        ("price>-5", [("price", Op.GT, -5.0)]),
        ("image_status=present", [("image_status", Op.EQ, "present")]),
    ],
)
def test_parse_expression_valid_forms(text: str, expected: list[tuple[str, Op, Any]]) -> None:
    assert conds(parse_expression(text)) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("=Men", "field name"),
        ("colr=Black", "'colr'"),
        ("gender", "'gender'"),
        ("price ~ 50", "'~'"),
        ("price => 50", "'=>'"),
        ("price is 50", "'is'"),
        ("article_type not Shirts", "'not'"),
        ("gender=", "'gender'"),
        ("gender='Men", "quote"),
        ("gender in", "'gender'"),
        ("gender in Men,,Women", "'gender'"),
        ("gender in 'Men", "quote"),
        ("price<cheap", "'price'"),
        ("year=2012.5", "'year'"),
        ("gender>Men", "'>'"),
        ("gender between a and b", "'between'"),
        ("price between 30", "'price'"),
        ("price between 70 and 30", "lower bound"),
    ],
)
def test_parse_expression_errors_name_what_is_wrong(text: str, named: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_expression(text)
    assert named.lower() in str(info.value).lower()


def test_range_on_text_field_names_the_field() -> None:
    with pytest.raises(FilterError, match="'gender'"):
        parse_expression("gender < Men")


def test_parse_expressions_ands_them() -> None:
    f = parse_expressions(["gender=Men", "price between 10 and 20", "color not in Black"])
    assert conds(f) == [
        ("gender", Op.EQ, "Men"),
        ("price", Op.GE, 10.0),
        ("price", Op.LE, 20.0),
        ("base_colour", Op.NOT_IN, frozenset({"Black"})),
    ]
    assert parse_expressions([]) == Filter()
    assert conds(parse_expressions("year=2012")) == [("year", Op.EQ, 2012)]


def test_parsed_expression_selects_the_right_products() -> None:
    products = [
        Product(id=1, name="a", gender="Men", price=20.0, base_colour="Black"),
        Product(id=2, name="b", gender="Men", price=80.0, base_colour="White"),
        Product(id=3, name="c", gender="Women", price=25.0, base_colour=None),
        Product(id=4, name="d", gender="Men", price=None, base_colour="Blue"),
    ]
    f = parse_expressions(["gender=Men", "price < 50"])
    assert [p.id for p in products if f.matches(p)] == [1]
    g = parse_expression("base_colour not in Black,White")
    assert [p.id for p in products if g.matches(p)] == [3, 4]


# --------------------------------------------------------------------------------------------
# the Databricks dialect
# --------------------------------------------------------------------------------------------


def test_from_dict_full_example() -> None:
    f = from_dict(
        {
            "gender": "Men",
            "base_colour": ["Black", "White"],
            "price >=": 20,
            "price <": 50,
            "article_type NOT": "Tshirts",
            "season NOT": ["Winter", "Fall"],
        }
    )
    assert conds(f) == [
        ("gender", Op.EQ, "Men"),
        ("base_colour", Op.IN, frozenset({"Black", "White"})),
        ("price", Op.GE, 20.0),
        ("price", Op.LT, 50.0),
        ("article_type", Op.NE, "Tshirts"),
        ("season", Op.NOT_IN, frozenset({"Winter", "Fall"})),
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("year >", 2010, ("year", Op.GT, 2010)),
        ("year<=", 2010, ("year", Op.LE, 2010)),
        ("articleType !=", "Shirts", ("article_type", Op.NE, "Shirts")),
        ("color not", ["Red"], ("base_colour", Op.NOT_IN, frozenset({"Red"}))),
        ("gender =", "Women", ("gender", Op.EQ, "Women")),
        ("gender =", ["Women", "Girls"], ("gender", Op.IN, frozenset({"Women", "Girls"}))),
        ("id", [1, 2], ("id", Op.IN, frozenset({1, 2}))),
        ("price", "19.5", ("price", Op.EQ, 19.5)),
        ("image_status", ImageStatus.PRESENT.value, ("image_status", Op.EQ, "present")),
    ],
)
def test_from_dict_forms(key: str, value: Any, expected: tuple[str, Op, Any]) -> None:
    assert conds(from_dict({key: value})) == [expected]


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"colr": "Black"}, "'colr'"),
        ({"price ~": 3}, "'~'"),
        ({"price OR": 3}, "'OR'"),
        ({"price >=": [1, 2]}, "'price'"),
        ({"price <": "cheap"}, "'price'"),
        ({"gender": None}, "'gender'"),
        ({"gender": 3}, "'gender'"),
        ({"year": True}, "'year'"),
        ({"gender >": "Men"}, "'gender'"),
        ({"": "x"}, "''"),
        ({"1abc": "x"}, "'1abc'"),
        ({3: "x"}, "3"),
        ({"gender": ["Men"] * 1001}, "'gender'"),
    ],
)
def test_from_dict_errors_name_what_is_wrong(filters: dict[Any, Any], named: str) -> None:
    with pytest.raises(FilterError) as info:
        from_dict(filters)
    assert named in str(info.value)


def test_from_dict_rejects_non_mappings() -> None:
    with pytest.raises(FilterError, match="object"):
        from_dict(["gender", "Men"])  # type: ignore[arg-type]
    assert from_dict(None) == Filter()
    assert from_dict({}) == Filter()


# --------------------------------------------------------------------------------------------
# to_dict round trip
# --------------------------------------------------------------------------------------------


def test_to_dict_example() -> None:
    f = parse_expressions(
        [
            "gender=Men",
            "color in White,Black",
            "price between 20 and 50",
            "season not in Winter",
            "year!=2012",
        ]
    )
    assert to_dict(f) == {
        "gender": "Men",
        "base_colour": ["Black", "White"],
        "price >=": 20.0,
        "price <=": 50.0,
        "season NOT": ["Winter"],
        "year NOT": 2012,
    }
    assert from_dict(to_dict(f)) == f
    assert to_dict(None) == {} and to_dict(Filter()) == {}


def _random_filter(rng: np.random.Generator) -> Filter:
    out: list[Condition] = []
    for _ in range(int(rng.integers(1, 6))):
        kind = int(rng.integers(6))
        field = str(rng.choice(["gender", "base_colour", "season"]))
        values = ["Men", "Women", "Black", "White", "Summer", "Winter", "Unisex"]
        if kind == 0:
            out.append(condition(field, "=", str(rng.choice(values))))
        elif kind == 1:
            out.append(condition(field, "!=", str(rng.choice(values))))
        elif kind == 2:
            out.append(condition(field, "in", [str(v) for v in rng.choice(values, size=3)]))
        elif kind == 3:
            out.append(condition(field, "not in", [str(v) for v in rng.choice(values, size=2)]))
        else:
            numeric = str(rng.choice(["price", "year"]))
            value = float(rng.integers(10, 60)) if numeric == "price" else int(rng.integers(2009, 2016))
            out.append(condition(numeric, str(rng.choice([">", ">=", "<", "<="])), value))
    return Filter(tuple(out))


def test_to_dict_round_trip_keeps_what_matches() -> None:
    rng = np.random.default_rng(1)
    values = ["Men", "Women", "Black", "White", "Summer", "Winter", "Unisex", None]
    products = [
        Product(
            id=i,
            name=f"p{i}",
            gender=values[int(rng.integers(len(values)))],
            base_colour=values[int(rng.integers(len(values)))],
            season=values[int(rng.integers(len(values)))],
            price=None if i % 9 == 0 else float(rng.integers(5, 70)),
            year=None if i % 7 == 0 else int(rng.integers(2008, 2017)),
        )
        for i in range(400)
    ]
    merged_keys = 0
    for _ in range(200):
        f = _random_filter(rng)
        d = to_dict(f)
        merged_keys += len(d) < len(f.conditions)
        g = from_dict(d)
        assert [p.id for p in products if g.matches(p)] == [p.id for p in products if f.matches(p)], (f, d)
    # Conditions sharing a key were merged often enough to matter.
    assert merged_keys > 20

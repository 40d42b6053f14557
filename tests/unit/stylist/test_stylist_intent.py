"""Reading one message: counts, exclusions and prices, checked on the words alone (no tool runs)."""

from __future__ import annotations

import pytest

from fashion_search.stylist import Toolbox
from fashion_search.stylist.base import TurnContext
from fashion_search.stylist.builtin_occasions import default_occasions
from fashion_search.stylist.intent import Intent, Request, read_request


def read(toolbox: Toolbox, message: str) -> Request:
    return read_request(
        TurnContext(message),
        toolbox.vocabulary(),
        default_occasions(),
        lambda pid: toolbox.product(pid) is not None,
    )


@pytest.mark.parametrize(
    ("message", "count"),
    [
        ("show me 3 watches for women", 3),
        ("two black dresses", 2),
        ("give me five options", 5),
        ("3 black t-shirts under 40", 3),
        ("size 10 sneakers", None),
        ("under 3 watches", None),
        ("15 dollar t-shirts", None),
        ("watches for women under 5", None),
        ("t-shirts for men", None),
    ],
)
def test_how_many(toolbox: Toolbox, message: str, count: int | None) -> None:
    assert read(toolbox, message).count == count


@pytest.mark.parametrize(
    "message",
    [
        "I don't like black, show me sneakers",
        "sneakers, anything but black",
        "I hate black. sneakers please",
        "sneakers but not black",
        "we do not want black sneakers",
    ],
)
def test_what_the_shopper_does_not_want(toolbox: Toolbox, message: str) -> None:
    request = read(toolbox, message)
    assert request.intent is Intent.SEARCH
    assert request.colours == ()
    assert request.parsed.detected["exclude"]["base_colour"] == ["Black"]
    assert set(request.article_types) == {"Casual Shoes", "Sports Shoes"}


def test_a_liked_colour_is_not_an_exclusion(toolbox: Toolbox) -> None:
    request = read(toolbox, "I like black, show me sneakers")
    assert request.colours == ("Black",) and "exclude" not in request.parsed.detected

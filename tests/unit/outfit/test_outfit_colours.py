from __future__ import annotations

import itertools

import pytest

from fashion_search.outfit import harmony
from fashion_search.outfit.colours import NEUTRALS

# Every baseColour of the real styles.csv (NA aside).
CATALOG_COLOURS = (
    "Black", "White", "Blue", "Brown", "Grey", "Red", "Green", "Pink", "Navy Blue", "Purple", "Silver",
    "Yellow", "Beige", "Gold", "Maroon", "Orange", "Olive", "Multi", "Cream", "Steel", "Charcoal", "Peach",
    "Off White", "Skin", "Lavender", "Grey Melange", "Khaki", "Magenta", "Teal", "Tan", "Mustard", "Bronze",
    "Copper", "Turquoise Blue", "Rust", "Burgundy", "Metallic", "Coffee Brown", "Mauve", "Rose", "Nude",
    "Sea Green", "Mushroom Brown", "Taupe", "Lime Green", "Fluorescent Green",
)  # fmt: skip


def test_every_catalog_colour_is_covered_and_scores_are_symmetric() -> None:
    assert len(CATALOG_COLOURS) == 46
    for a, b in itertools.product(CATALOG_COLOURS, repeat=2):
        h = harmony(a, b)
        assert h.reason != "colour not recorded", (a, b)
        assert 0.0 <= h.score <= 1.0
        assert h.score == harmony(b, a).score


def test_neutrals_go_with_everything() -> None:
    for neutral in NEUTRALS:
        for other in CATALOG_COLOURS:
            expected_min = 0.6 if {neutral, other} == {"Black", "Navy Blue"} else 0.7
            assert harmony(neutral, other).score >= expected_min, (neutral, other)
    assert harmony("Black", "Red").reason == "Black goes with everything"


@pytest.mark.parametrize(
    ("a", "b"), [("Red", "Pink"), ("Orange", "Purple"), ("Red", "Green"), ("Multi", "Multi")]
)
def test_clashes_score_low(a: str, b: str) -> None:
    h = harmony(a, b)
    assert h.score < 0.3
    assert "clash" in h.reason


def test_classic_pairs_score_high() -> None:
    assert harmony("Blue", "Brown").score >= 0.8
    assert "pair well" in harmony("Blue", "Brown").reason
    assert harmony("Green", "Brown").score > harmony("Green", "Purple").score
    assert harmony("Red", "Maroon").score == 0.6  # two shades of one family


def test_unknown_and_metal_rules() -> None:
    assert harmony(None, "Red").score == 0.5
    assert harmony("NA", "Red").score == 0.5
    assert harmony("Chartreuse", "Red").score == 0.5
    assert harmony("Gold", "Silver").score == 0.4
    assert harmony("Gold", "Red").score == 0.8

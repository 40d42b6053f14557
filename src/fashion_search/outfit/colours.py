"""Colour harmony between two of the catalog's ``baseColour`` names, scored in [0, 1].

The rules, in order:

1. An unknown colour (missing, "NA") scores 0.5: no evidence either way.
2. Neutrals (black, white, greys, navy, beige, cream, khaki, tan, ...) go with everything: 0.9 with
   any colour, 0.85 with another neutral, 0.8 with itself (0.6 for black with navy, which read as a
   near miss).
3. Metallics (gold, silver, steel, bronze, copper): 0.8 with any colour or neutral, 0.8 with the same
   metal, 0.4 when two different metals are mixed.
4. "Multi" (prints): 0.7 with a neutral (rule 2), 0.35 with a plain colour, 0.1 with another print.
5. The same colour twice: 0.55 (monochrome is safe but flat); two shades of one family (red and
   maroon): 0.6.
6. Otherwise the family table :data:`FAMILY_PAIRS` decides (complementary and classic pairs high,
   known clashes such as red with pink or orange with purple low); a pair not in the table gets 0.5.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

NEUTRALS: frozenset[str] = frozenset(
    {
        "Black", "White", "Grey", "Grey Melange", "Charcoal", "Navy Blue", "Beige", "Cream",
        "Off White", "Khaki", "Tan", "Taupe", "Nude", "Skin", "Mushroom Brown",
    }
)  # fmt: skip
METALLICS: frozenset[str] = frozenset({"Gold", "Silver", "Steel", "Bronze", "Copper", "Metallic"})
PRINTS: frozenset[str] = frozenset({"Multi"})

FAMILIES: Mapping[str, str] = MappingProxyType(
    {
        "Red": "red", "Maroon": "red", "Burgundy": "red",
        "Pink": "pink", "Rose": "pink", "Peach": "pink", "Magenta": "pink", "Mauve": "pink",
        "Orange": "orange", "Rust": "orange",
        "Yellow": "yellow", "Mustard": "yellow",
        "Green": "green", "Olive": "green", "Sea Green": "green", "Lime Green": "green",
        "Fluorescent Green": "green",
        "Teal": "teal", "Turquoise Blue": "teal",
        "Blue": "blue",
        "Purple": "purple", "Lavender": "purple",
        "Brown": "brown", "Coffee Brown": "brown",
    }
)  # fmt: skip
"""Colour name -> hue family, for the plain (non-neutral, non-metallic) colours of the catalog."""

_PAIRS: dict[tuple[str, str], float] = {
    ("blue", "brown"): 0.85, ("blue", "yellow"): 0.75, ("blue", "orange"): 0.75,
    ("blue", "pink"): 0.7, ("blue", "teal"): 0.7, ("blue", "red"): 0.65, ("blue", "green"): 0.6,
    ("blue", "purple"): 0.6,
    ("red", "pink"): 0.15, ("red", "orange"): 0.2, ("red", "green"): 0.2, ("red", "purple"): 0.25,
    ("red", "yellow"): 0.35, ("red", "teal"): 0.4, ("red", "brown"): 0.5,
    ("pink", "orange"): 0.2, ("pink", "green"): 0.6, ("pink", "purple"): 0.65, ("pink", "teal"): 0.55,
    ("pink", "yellow"): 0.5, ("pink", "brown"): 0.45,
    ("orange", "purple"): 0.15, ("orange", "green"): 0.35, ("orange", "teal"): 0.7,
    ("orange", "brown"): 0.75, ("orange", "yellow"): 0.6,
    ("yellow", "purple"): 0.7, ("yellow", "green"): 0.55, ("yellow", "brown"): 0.6,
    ("yellow", "teal"): 0.6,
    ("green", "brown"): 0.8, ("green", "purple"): 0.25, ("green", "teal"): 0.6,
    ("purple", "brown"): 0.35, ("purple", "teal"): 0.5,
    ("brown", "teal"): 0.7,
}  # fmt: skip
FAMILY_PAIRS: Mapping[frozenset[str], float] = MappingProxyType(
    {frozenset(pair): score for pair, score in _PAIRS.items()}
)
"""Harmony of two different hue families (symmetric)."""

UNKNOWN = 0.5
CLASH_BELOW = 0.3
"""Scores under this are called a clash in reasons."""


@dataclass(frozen=True, slots=True)
class Harmony:
    score: float
    reason: str


def _known(colour: str | None) -> bool:
    return (
        bool(colour)
        and colour != "NA"
        and (colour in NEUTRALS or colour in METALLICS or colour in PRINTS or colour in FAMILIES)
    )


def harmony(a: str | None, b: str | None) -> Harmony:
    """How well colours ``a`` and ``b`` go together (symmetric), with a short reason."""
    if not _known(a) or not _known(b):
        return Harmony(UNKNOWN, "colour not recorded")
    assert a is not None and b is not None
    if a in NEUTRALS and b in NEUTRALS:
        if a == b:
            return Harmony(0.8, f"all {a} is a safe classic")
        if {a, b} == {"Black", "Navy Blue"}:
            return Harmony(0.6, "Black and Navy Blue read as a near miss")
        return Harmony(0.85, f"{a} and {b} are easy neutrals")
    if a in NEUTRALS or b in NEUTRALS:
        neutral, other = (a, b) if a in NEUTRALS else (b, a)
        if other in PRINTS:
            return Harmony(0.7, f"{neutral} calms a print")
        return Harmony(0.9, f"{neutral} goes with everything")
    if a in METALLICS or b in METALLICS:
        if a in METALLICS and b in METALLICS and a != b:
            return Harmony(0.4, f"{a} and {b} mix metals")
        metal, other = (a, b) if a in METALLICS else (b, a)
        return Harmony(0.8, f"{metal} accents {other}")
    if a in PRINTS or b in PRINTS:
        if a in PRINTS and b in PRINTS:
            return Harmony(0.1, "two prints clash")
        plain = b if a in PRINTS else a
        return Harmony(0.35, f"a print with {plain} is busy")
    if a == b:
        return Harmony(0.55, f"tone-on-tone {a}")
    fa, fb = FAMILIES[a], FAMILIES[b]
    if fa == fb:
        return Harmony(0.6, f"{a} and {b} are shades of one colour")
    score = FAMILY_PAIRS.get(frozenset({fa, fb}), UNKNOWN)
    if score < CLASH_BELOW:
        return Harmony(score, f"{a} and {b} clash")
    if score >= 0.7:
        return Harmony(score, f"{a} and {b} pair well")
    return Harmony(score, f"{a} with {b}")

"""Occasions and their outfit templates: what to wear to a beach wedding, the office, the gym, ...

An :class:`Occasion` has the phrases that name it, the catalog usages and colours that suit it, and
an ordered list of :class:`Slot` s (the pieces of the outfit). A slot names the article types that
can fill it for men and for women, in the catalog's own vocabulary, and the words the planner
searches with. Slots are filled in order: the first one is the main piece; ``skip_after`` lists the
article types that make a later slot unnecessary (a dress needs no bottom); ``optional`` slots are
the first dropped when a budget is tight. Article types missing from a catalog are ignored, and a
slot left with none is skipped. The built-in occasions are in
:mod:`~fashion_search.stylist.builtin_occasions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from fashion_search.domain import Product
from fashion_search.search.vocabulary import phrase_tokens

MENSWEAR = "Men"
WOMENSWEAR = "Women"
ONE_PIECES: Mapping[str, str] = MappingProxyType(
    {
        "Dresses": "dress", "Jumpsuit": "jumpsuit", "Sarees": "saree", "Kurta Sets": "kurta set",
        "Lehenga Choli": "lehenga", "Tracksuits": "tracksuit", "Suits": "suit",
    }
)  # fmt: skip
"""Article types that are a whole outfit's base on their own, with the role an answer calls them."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One piece of an outfit template."""

    role: str
    """The piece's role, in the outfit module's terms: top, bottom, dress, footwear, bag, watch, ..."""
    words: str
    """What to search for ("light linen shirt")."""
    types: Mapping[str, tuple[str, ...]]
    """Article types per wardrobe (``Men`` / ``Women``), most fitting first."""
    optional: bool = False
    skip_after: frozenset[str] = frozenset()
    """Article types chosen for an earlier slot that make this one unnecessary."""

    def types_for(self, wardrobe: str | None) -> tuple[str, ...]:
        """The slot's article types for a wardrobe (none if it has no such piece); both wardrobes'
        (men's first) when the wardrobe is unknown."""
        if wardrobe is not None:
            return self.types.get(wardrobe, ())
        return tuple(dict.fromkeys(t for w in (MENSWEAR, WOMENSWEAR) for t in self.types.get(w, ())))


@dataclass(frozen=True, slots=True)
class Occasion:
    """An occasion the stylist can dress someone for."""

    name: str
    phrases: tuple[str, ...]
    usages: tuple[str, ...]
    """Catalog usages that suit it, most fitting first."""
    palette: tuple[str, ...]
    """Colours that suit it (a preference, not a filter)."""
    avoid: tuple[str, ...]
    """Colours that do not (ranked down, not filtered out)."""
    slots: tuple[Slot, ...]
    advice: str
    keys: tuple[tuple[str, ...], ...] = field(default=())
    """The phrases as normalised tokens (filled in by :func:`occasion`)."""


def slot(
    role: str,
    words: str,
    men: Sequence[str],
    women: Sequence[str],
    *,
    optional: bool = False,
    skip_after: frozenset[str] = frozenset(),
) -> Slot:
    types: dict[str, tuple[str, ...]] = {}
    if men:
        types[MENSWEAR] = tuple(men)
    if women:
        types[WOMENSWEAR] = tuple(women)
    """Build a :class:`Slot` from its men's and women's article types (an empty side: no such piece)."""
    return Slot(role, words, MappingProxyType(types), optional, skip_after)


def occasion(
    name: str,
    phrases: Sequence[str],
    usages: Sequence[str],
    palette: Sequence[str],
    avoid: Sequence[str],
    slots: Sequence[Slot],
    advice: str,
) -> Occasion:
    """Build an :class:`Occasion` (its phrases normalised the way queries are)."""
    keys = tuple(k for k in (phrase_tokens(p) for p in phrases) if k)
    return Occasion(
        name, tuple(phrases), tuple(usages), tuple(palette), tuple(avoid), tuple(slots), advice, keys
    )


def role_name(slot: Slot, product: Product) -> str:
    """The role a chosen product plays: the slot's, "dress" / "saree" ... for a one-piece, or "watch"
    for the watch that fills a menswear jewellery slot."""
    if slot.role == "jewellery" and product.article_type == "Watches":
        return "watch"
    return ONE_PIECES.get(product.article_type or "", slot.role)


def find_occasions(keys: Sequence[str], occasions: Sequence[Occasion]) -> list[tuple[Occasion, int, int]]:
    """Occasions named in a token sequence as ``(occasion, start, end)`` token spans, longest first.

    Overlapping matches keep the longest phrase ("beach wedding" wins over "beach" and "wedding").
    """
    found: list[tuple[Occasion, int, int]] = []
    taken: set[int] = set()
    candidates: list[tuple[int, int, Occasion]] = []
    for occ in occasions:
        for phrase in occ.keys:
            n = len(phrase)
            for i in range(len(keys) - n + 1):
                if tuple(keys[i : i + n]) == phrase:
                    candidates.append((n, i, occ))
    for n, i, occ in sorted(candidates, key=lambda c: (-c[0], c[1])):
        span = set(range(i, i + n))
        if span & taken:
            continue
        taken |= span
        found.append((occ, i, i + n))
    found.sort(key=lambda f: f[1])
    return found

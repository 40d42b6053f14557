"""A generated demo catalog in the real format, for a machine without the dataset.

``styles.csv`` has the real ten columns and vocabularies, and ``images/{id}.jpg`` are drawn with
PIL: 224x224 product silhouettes on white, in the catalog's colour names, plain, striped or
checked. Two rows are messy on purpose, like the real file (an unquoted comma in a name, an
empty season), so the demo goes through the same repair path as real data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from fashion_search.catalog.styles import REQUIRED_COLUMNS
from fashion_search.errors import CatalogError, ValidationError

SIZE = 224
FIRST_ID = 60000
MAX_DEMO_PRODUCTS = 100_000
_SUPERSAMPLE = 2  # drawn at twice the size and scaled down, for smooth edges

COLOURS: dict[str, tuple[int, int, int]] = {
    "Black": (30, 30, 32),
    "White": (246, 246, 244),
    "Blue": (40, 90, 200),
    "Navy Blue": (28, 40, 92),
    "Red": (200, 30, 40),
    "Green": (40, 140, 60),
    "Grey": (128, 128, 132),
    "Pink": (240, 140, 180),
    "Brown": (110, 70, 40),
    "Tan": (190, 140, 95),
    "Yellow": (240, 205, 40),
    "Purple": (115, 55, 150),
    "Orange": (240, 130, 30),
    "Beige": (225, 205, 170),
    "Maroon": (120, 20, 40),
    "Olive": (110, 115, 50),
    "Silver": (192, 194, 200),
    "Gold": (212, 175, 55),
}
"""Catalog colour names (``baseColour``) and the RGB they are drawn in."""

PATTERNS: tuple[str, ...] = ("plain", "striped", "checked")
_PATTERN_WORDS = {"plain": "", "striped": "Striped ", "checked": "Checked "}
SEASONS: tuple[str, ...] = ("Summer", "Fall", "Winter", "Spring")

_APPAREL: tuple[str, ...] = ("Black", "White", "Blue", "Navy Blue", "Red", "Green", "Grey", "Pink", "Brown")
_APPAREL += ("Yellow", "Purple", "Orange", "Beige", "Maroon", "Olive")
_FOOTWEAR = ("Black", "White", "Brown", "Tan", "Blue", "Grey", "Red", "Navy Blue")
_LEATHER = ("Black", "Brown", "Tan", "Maroon")

Point = tuple[float, float]
Box = tuple[float, float, float, float]
Ink = int | tuple[int, ...]


class _Pen:
    """Draws in 224-pixel coordinates onto a supersampled, shifted and scaled canvas."""

    def __init__(self, draw: ImageDraw.ImageDraw, scale: float, dx: float, dy: float) -> None:
        self.draw = draw
        self.k = scale * _SUPERSAMPLE
        self.dx = dx
        self.dy = dy

    def _p(self, pts: Sequence[Point]) -> list[Point]:
        c = SIZE / 2
        return [
            ((x - c) * self.k + (c + self.dx) * _SUPERSAMPLE, (y - c) * self.k + (c + self.dy) * _SUPERSAMPLE)
            for x, y in pts
        ]

    def _box(self, box: Box) -> list[Point]:
        return self._p([(box[0], box[1]), (box[2], box[3])])

    def polygon(self, pts: Sequence[Point], fill: Ink) -> None:
        self.draw.polygon(self._p(pts), fill=fill)

    def ellipse(self, box: Box, fill: Ink) -> None:
        self.draw.ellipse(self._box(box), fill=fill)

    def ring(self, box: Box, colour: Ink, width: float) -> None:
        self.draw.ellipse(self._box(box), outline=colour, width=max(1, round(width * self.k)))

    def rect(self, box: Box, fill: Ink, radius: float = 0) -> None:
        self.draw.rounded_rectangle(self._box(box), radius=radius * self.k, fill=fill)

    def line(self, pts: Sequence[Point], colour: Ink, width: float) -> None:
        self.draw.line(self._p(pts), fill=colour, width=max(1, round(width * self.k)), joint="curve")

    def arc(self, box: Box, start: float, end: float, colour: Ink, width: float) -> None:
        self.draw.arc(self._box(box), start, end, fill=colour, width=max(1, round(width * self.k)))

    def pieslice(self, box: Box, start: float, end: float, fill: Ink) -> None:
        self.draw.pieslice(self._box(box), start, end, fill=fill)


# A shape draws the silhouette on ``m`` (a mask: fill 255) and details on ``d`` (an RGBA layer
# laid over the coloured silhouette) in ``ink``, a colour that contrasts with the product's.
Shape = Callable[[_Pen, _Pen, tuple[int, int, int, int]], None]

_ON = 255
_SOLE = (238, 238, 236, 255)
_METAL = (200, 200, 206, 255)


def _tshirt(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon(
        [(72, 40), (96, 32), (112, 44), (128, 32), (152, 40), (190, 74), (170, 98), (154, 86)]
        + [(154, 192), (70, 192), (70, 86), (54, 98), (34, 74)],
        _ON,
    )
    d.arc((96, 22, 128, 50), 20, 160, ink, 3)


def _shirt(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon(
        [(76, 36), (100, 30), (112, 40), (124, 30), (148, 36), (176, 66), (196, 176), (174, 182)]
        + [(154, 98), (154, 196), (70, 196), (70, 98), (50, 182), (28, 176), (48, 66)],
        _ON,
    )
    d.polygon([(100, 30), (112, 40), (104, 56), (94, 40)], ink)
    d.polygon([(124, 30), (112, 40), (120, 56), (130, 40)], ink)
    d.line([(112, 42), (112, 194)], ink, 2)
    for y in (70, 100, 130, 160):
        d.ellipse((109, y - 3, 115, y + 3), ink)


def _kurta(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon(
        [(80, 24), (102, 18), (112, 26), (122, 18), (144, 24), (176, 58), (186, 126), (166, 130)]
        + [(152, 80), (158, 212), (66, 212), (72, 80), (58, 130), (38, 126), (48, 58)],
        _ON,
    )
    d.line([(112, 26), (112, 86)], ink, 3)
    d.line([(68, 190), (156, 190)], ink, 3)


def _trousers(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon([(74, 22), (150, 22), (162, 208), (124, 208), (112, 78), (100, 208), (62, 208)], _ON)
    d.line([(74, 32), (150, 32)], ink, 2)
    d.line([(112, 32), (112, 70)], ink, 2)


def _jeans(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    _trousers(m, d, ink)
    stitch = (235, 180, 80, 255)
    d.arc((76, 20, 104, 60), 0, 90, stitch, 2)
    d.arc((120, 20, 148, 60), 90, 180, stitch, 2)
    d.line([(68, 204), (102, 204)], stitch, 2)
    d.line([(122, 204), (158, 204)], stitch, 2)


def _shorts(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon([(68, 52), (156, 52), (170, 152), (122, 158), (112, 100), (102, 158), (54, 152)], _ON)
    d.line([(68, 62), (156, 62)], ink, 2)


def _dress(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon(
        [(88, 22), (100, 22), (112, 42), (124, 22), (136, 22), (142, 88), (190, 204), (34, 204), (82, 88)],
        _ON,
    )
    d.line([(82, 88), (142, 88)], ink, 3)


def _skirt(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon([(80, 48), (144, 48), (186, 184), (38, 184)], _ON)
    d.line([(80, 58), (144, 58)], ink, 3)


def _casual_shoe(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon(
        [
            (28, 150),
            (36, 116),
            (84, 104),
            (112, 78),
            (150, 74),
            (166, 104),
            (196, 128),
            (200, 162),
            (28, 164),
        ],
        _ON,
    )
    d.rect((24, 150, 202, 166), _SOLE, radius=6)
    for x in (104, 118, 132):
        d.line([(x, 86), (x + 14, 100)], ink, 3)


def _sports_shoe(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon(
        [(26, 146), (34, 110), (80, 100), (110, 70), (152, 66), (170, 98), (198, 124), (202, 156), (26, 158)],
        _ON,
    )
    d.rect((22, 140, 204, 172), _SOLE, radius=10)
    d.arc((60, 80, 190, 160), 200, 320, ink, 7)


def _formal_shoe(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon(
        [(22, 148), (38, 126), (104, 114), (144, 96), (172, 98), (194, 138), (200, 156), (22, 156)],
        _ON,
    )
    d.rect((160, 150, 198, 170), ink, radius=2)
    d.line([(22, 156), (150, 156)], ink, 3)
    d.line([(118, 110), (136, 126)], ink, 2)


def _sandal(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.rect((26, 150, 200, 166), _ON, radius=8)
    m.line([(60, 150), (96, 104), (130, 150)], _ON, 12)
    m.line([(140, 150), (160, 112), (184, 150)], _ON, 12)
    d.line([(26, 166), (200, 166)], ink, 3)


def _flip_flop(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.ellipse((74, 20, 150, 206), _ON)
    d.line([(112, 50), (82, 110)], ink, 6)
    d.line([(112, 50), (142, 110)], ink, 6)
    d.ellipse((108, 46, 116, 54), ink)


def _handbag(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.polygon([(52, 92), (172, 92), (190, 196), (34, 196)], _ON)
    m.arc((72, 36, 152, 132), 180, 360, _ON, 10)
    d.line([(48, 118), (176, 118)], ink, 2)
    d.rect((104, 110, 120, 128), _METAL, radius=3)


def _backpack(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.rect((58, 44, 166, 204), _ON, radius=30)
    m.arc((90, 24, 134, 64), 180, 360, _ON, 8)
    d.rect((78, 130, 146, 192), ink, radius=10)
    d.line([(70, 96), (154, 96)], ink, 3)


def _watch(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.rect((94, 8, 130, 216), _ON, radius=8)
    m.ellipse((60, 60, 164, 164), _ON)
    d.ellipse((72, 72, 152, 152), (250, 250, 248, 255))
    d.ring((72, 72, 152, 152), ink, 3)
    d.line([(112, 112), (112, 84)], ink, 4)
    d.line([(112, 112), (134, 120)], ink, 3)


def _cap(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.pieslice((48, 56, 176, 184), 180, 360, _ON)
    m.polygon([(150, 114), (210, 124), (206, 136), (150, 128)], _ON)
    d.ellipse((106, 52, 118, 64), ink)
    d.line([(112, 60), (112, 118)], ink, 2)


def _belt(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.rect((8, 98, 216, 126), _ON, radius=4)
    d.ring((30, 90, 64, 134), _METAL, 6)
    d.line([(40, 112), (62, 112)], _METAL, 4)
    for x in (100, 120, 140):
        d.ellipse((x - 3, 109, x + 3, 115), ink)


def _sunglasses(m: _Pen, d: _Pen, ink: tuple[int, int, int, int]) -> None:
    m.ellipse((26, 82, 104, 146), _ON)
    m.ellipse((120, 82, 198, 146), _ON)
    m.line([(100, 96), (112, 90), (124, 96)], _ON, 6)
    m.line([(28, 96), (10, 86)], _ON, 5)
    m.line([(196, 96), (214, 86)], _ON, 5)
    d.arc((36, 88, 70, 120), 200, 260, (255, 255, 255, 160), 4)
    d.arc((130, 88, 164, 120), 200, 260, (255, 255, 255, 160), 4)


@dataclass(frozen=True, slots=True)
class _Article:
    article_type: str
    master_category: str
    sub_category: str
    noun: str
    genders: tuple[str, ...]
    usages: tuple[str, ...]
    colours: tuple[str, ...]
    brands: tuple[str, ...]
    shape: Shape
    patterned: bool = False
    styles: tuple[str, ...] = ()
    """Words that sometimes qualify the name, as in the real catalog ("Polo", "Running")."""


_ARTICLES: tuple[_Article, ...] = (
    _Article(
        article_type="Tshirts",
        master_category="Apparel",
        sub_category="Topwear",
        noun="Tshirt",
        genders=("Men", "Women", "Boys", "Girls", "Unisex"),
        usages=("Casual", "Sports"),
        colours=_APPAREL,
        brands=("Puma", "Nike", "Adidas", "Roadster", "United Colors of Benetton"),
        shape=_tshirt,
        patterned=True,
        styles=("Polo", "Round Neck", "V-Neck"),
    ),
    _Article(
        article_type="Shirts",
        master_category="Apparel",
        sub_category="Topwear",
        noun="Shirt",
        genders=("Men", "Women", "Boys"),
        usages=("Casual", "Formal", "Party"),
        colours=_APPAREL,
        brands=("Peter England", "Arrow", "Van Heusen", "Turtle", "Louis Philippe"),
        shape=_shirt,
        patterned=True,
        styles=("Slim Fit", "Formal", "Linen"),
    ),
    _Article(
        article_type="Kurtas",
        master_category="Apparel",
        sub_category="Topwear",
        noun="Kurta",
        genders=("Men", "Women"),
        usages=("Ethnic",),
        colours=_APPAREL,
        brands=("Fabindia", "Biba", "Manyavar", "W"),
        shape=_kurta,
        patterned=True,
        styles=("Printed", "Cotton"),
    ),
    _Article(
        article_type="Jeans",
        master_category="Apparel",
        sub_category="Bottomwear",
        noun="Jeans",
        genders=("Men", "Women", "Boys", "Girls"),
        usages=("Casual",),
        colours=("Blue", "Navy Blue", "Black", "Grey"),
        brands=("Levis", "Wrangler", "Lee", "Flying Machine", "Spykar"),
        shape=_jeans,
        patterned=False,
        styles=("Skinny Fit", "Slim Fit", "Washed"),
    ),
    _Article(
        article_type="Trousers",
        master_category="Apparel",
        sub_category="Bottomwear",
        noun="Trousers",
        genders=("Men", "Women"),
        usages=("Formal", "Casual"),
        colours=("Black", "Navy Blue", "Grey", "Beige", "Brown", "Olive"),
        brands=("Arrow", "Van Heusen", "Allen Solly"),
        shape=_trousers,
        patterned=True,
        styles=("Flat-Front", "Chino"),
    ),
    _Article(
        article_type="Shorts",
        master_category="Apparel",
        sub_category="Bottomwear",
        noun="Shorts",
        genders=("Men", "Women", "Boys", "Girls"),
        usages=("Casual", "Sports"),
        colours=_APPAREL,
        brands=("Puma", "Nike", "Adidas", "Jack & Jones"),
        shape=_shorts,
        patterned=True,
        styles=("Denim", "Running"),
    ),
    _Article(
        article_type="Dresses",
        master_category="Apparel",
        sub_category="Dress",
        noun="Dress",
        genders=("Women", "Girls"),
        usages=("Casual", "Party"),
        colours=_APPAREL,
        brands=("Mango", "Vero Moda", "Jealous 21", "Only"),
        shape=_dress,
        patterned=True,
        styles=("Maxi", "Shift", "Floral"),
    ),
    _Article(
        article_type="Skirts",
        master_category="Apparel",
        sub_category="Bottomwear",
        noun="Skirt",
        genders=("Women", "Girls"),
        usages=("Casual", "Party"),
        colours=_APPAREL,
        brands=("Mango", "Vero Moda", "Only"),
        shape=_skirt,
        patterned=True,
        styles=("Pleated", "A-Line"),
    ),
    _Article(
        article_type="Casual Shoes",
        master_category="Footwear",
        sub_category="Shoes",
        noun="Casual Shoes",
        genders=("Men", "Women", "Unisex", "Boys"),
        usages=("Casual",),
        colours=_FOOTWEAR,
        brands=("Converse", "Vans", "Puma", "Red Tape", "Woodland"),
        shape=_casual_shoe,
        patterned=False,
        styles=("Canvas", "Sneaker"),
    ),
    _Article(
        article_type="Sports Shoes",
        master_category="Footwear",
        sub_category="Shoes",
        noun="Sports Shoes",
        genders=("Men", "Women", "Unisex"),
        usages=("Sports",),
        colours=_FOOTWEAR,
        brands=("Nike", "Adidas", "Puma", "Reebok", "Asics"),
        shape=_sports_shoe,
        patterned=False,
        styles=("Running", "Training"),
    ),
    _Article(
        article_type="Formal Shoes",
        master_category="Footwear",
        sub_category="Shoes",
        noun="Formal Shoes",
        genders=("Men",),
        usages=("Formal",),
        colours=_LEATHER,
        brands=("Clarks", "Hush Puppies", "Red Tape", "Bata"),
        shape=_formal_shoe,
        patterned=False,
        styles=("Leather", "Derby", "Oxford"),
    ),
    _Article(
        article_type="Sandals",
        master_category="Footwear",
        sub_category="Sandal",
        noun="Sandals",
        genders=("Men", "Women"),
        usages=("Casual",),
        colours=_FOOTWEAR,
        brands=("Bata", "Crocs", "Woodland"),
        shape=_sandal,
        patterned=False,
        styles=("Leather", "Strappy"),
    ),
    _Article(
        article_type="Flip Flops",
        master_category="Footwear",
        sub_category="Flip Flops",
        noun="Flip Flops",
        genders=("Men", "Women", "Unisex"),
        usages=("Casual",),
        colours=_APPAREL,
        brands=("Havaianas", "Crocs", "Puma"),
        shape=_flip_flop,
        patterned=False,
    ),
    _Article(
        article_type="Handbags",
        master_category="Accessories",
        sub_category="Bags",
        noun="Handbag",
        genders=("Women",),
        usages=("Casual", "Party", "Formal"),
        colours=("Black", "Brown", "Tan", "Red", "Beige", "Pink", "Maroon"),
        brands=("Baggit", "Lavie", "Hidesign"),
        shape=_handbag,
        patterned=False,
        styles=("Leather", "Tote"),
    ),
    _Article(
        article_type="Backpacks",
        master_category="Accessories",
        sub_category="Bags",
        noun="Backpack",
        genders=("Unisex", "Men", "Women"),
        usages=("Casual", "Travel"),
        colours=("Black", "Blue", "Grey", "Red", "Navy Blue", "Olive"),
        brands=("Wildcraft", "American Tourister", "Nike"),
        shape=_backpack,
        patterned=False,
        styles=("Laptop", "Travel"),
    ),
    _Article(
        article_type="Watches",
        master_category="Accessories",
        sub_category="Watches",
        noun="Watch",
        genders=("Men", "Women", "Unisex"),
        usages=("Casual", "Formal"),
        colours=("Black", "Silver", "Gold", "Brown", "Tan"),
        brands=("Titan", "Fastrack", "Timex", "Fossil", "Casio"),
        shape=_watch,
        patterned=False,
        styles=("Analog", "Chronograph"),
    ),
    _Article(
        article_type="Caps",
        master_category="Accessories",
        sub_category="Headwear",
        noun="Cap",
        genders=("Unisex", "Men"),
        usages=("Casual", "Sports"),
        colours=("Black", "Blue", "Red", "White", "Navy Blue", "Olive", "Grey"),
        brands=("Puma", "Nike", "Adidas"),
        shape=_cap,
        patterned=False,
        styles=("Baseball",),
    ),
    _Article(
        article_type="Belts",
        master_category="Accessories",
        sub_category="Belts",
        noun="Belt",
        genders=("Men", "Women"),
        usages=("Casual", "Formal"),
        colours=_LEATHER,
        brands=("Hidesign", "Lino Perros", "Allen Solly"),
        shape=_belt,
        patterned=False,
        styles=("Leather", "Reversible"),
    ),
    _Article(
        article_type="Sunglasses",
        master_category="Accessories",
        sub_category="Eyewear",
        noun="Sunglasses",
        genders=("Men", "Women", "Unisex"),
        usages=("Casual",),
        colours=("Black", "Brown", "Gold", "Silver", "Blue"),
        brands=("Ray-Ban", "Fastrack", "Vogue", "Oakley"),
        shape=_sunglasses,
        patterned=False,
        styles=("Aviator", "Wayfarer"),
    ),
)

ARTICLE_TYPES: tuple[str, ...] = tuple(a.article_type for a in _ARTICLES)
"""The article types the demo catalog draws."""


def _luma(rgb: tuple[int, int, int]) -> float:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _contrast(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """A second colour for stripes, checks and details: darker on light colours, lighter on dark."""
    if _luma(rgb) > 150:
        return (int(rgb[0] * 0.55), int(rgb[1] * 0.55), int(rgb[2] * 0.55))
    return (int(rgb[0] * 0.4 + 153), int(rgb[1] * 0.4 + 153), int(rgb[2] * 0.4 + 153))


def _texture(size: int, rgb: tuple[int, int, int], pattern: str, period: int) -> Image.Image:
    texture = Image.new("RGB", (size, size), rgb)
    if pattern == "plain":
        return texture
    band = period // 2
    # Stripes are solid bands of the second colour; checks are half-strength bands both ways,
    # so that where they cross the second colour shows in full, like a woven gingham.
    strength = 255 if pattern == "striped" else 128
    bands = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(bands)
    for offset in range(0, size, period):
        draw.rectangle((0, offset, size, offset + band - 1), fill=strength)
    if pattern == "checked":
        bands = ImageChops.add(bands, bands.transpose(Image.Transpose.TRANSPOSE))
    return Image.composite(Image.new("RGB", (size, size), _contrast(rgb)), texture, bands)


def _draw_product(article: _Article, colour: str, pattern: str, rng: random.Random) -> Image.Image:
    big = SIZE * _SUPERSAMPLE
    scale = rng.uniform(0.88, 1.02)
    dx, dy = rng.uniform(-6, 6), rng.uniform(-6, 6)
    mask = Image.new("L", (big, big), 0)
    details = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    rgb = COLOURS[colour]
    ink = (*_contrast(rgb), 255)
    article.shape(
        _Pen(ImageDraw.Draw(mask), scale, dx, dy), _Pen(ImageDraw.Draw(details), scale, dx, dy), ink
    )
    period = rng.choice((16, 20, 28)) * _SUPERSAMPLE
    canvas = Image.new("RGB", (big, big), (255, 255, 255))
    canvas.paste(_texture(big, rgb, pattern, period), (0, 0), mask)
    # A darker edge so that white products stand out from the white background.
    edge = mask.filter(ImageFilter.FIND_EDGES).filter(ImageFilter.BoxBlur(2)).point(lambda v: min(255, v * 3))
    canvas.paste((int(rgb[0] * 0.6), int(rgb[1] * 0.6), int(rgb[2] * 0.6)), (0, 0), edge)
    canvas = Image.alpha_composite(canvas.convert("RGBA"), details).convert("RGB")
    return canvas.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def _row(index: int, rng: random.Random) -> tuple[_Article, list[str], str, str]:
    article = rng.choice(_ARTICLES)
    gender = rng.choice(article.genders)
    colour = rng.choice(article.colours)
    pattern = rng.choice(PATTERNS) if article.patterned else "plain"
    brand = rng.choice(article.brands)
    style = f"{rng.choice(article.styles)} " if article.styles and rng.random() < 0.4 else ""
    name = f"{brand} {gender} {_PATTERN_WORDS[pattern]}{colour} {style}{article.noun}"
    if index == 1:
        # Like the real file: a name with an unquoted comma, which splits the row into 11 fields.
        second = rng.choice([c for c in article.colours if c != colour])
        name = f"{brand} {gender} {colour}, {second} and White {article.noun}"
    season = "" if index == 2 else rng.choice(SEASONS)
    fields = [
        str(FIRST_ID + index),
        gender,
        article.master_category,
        article.sub_category,
        article.article_type,
        colour,
        season,
        str(rng.randint(2011, 2018)),
        rng.choice(article.usages),
        name,
    ]
    return article, fields, colour, pattern


def generate_demo_catalog(out_dir: Path, n_products: int = 300, seed: int = 0) -> Path:
    """Write ``out_dir/styles.csv`` and ``out_dir/images/{id}.jpg``; returns ``out_dir``.

    Deterministic for a seed: product ``i`` (id ``60000 + i``) depends only on ``seed`` and ``i``,
    so a larger catalog extends a smaller one. Existing files of the same names are replaced.
    """
    if isinstance(n_products, bool) or not isinstance(n_products, int):
        raise ValidationError(f"n_products must be an integer, got {n_products!r}")
    if not 1 <= n_products <= MAX_DEMO_PRODUCTS:
        raise ValidationError(f"n_products must be between 1 and {MAX_DEMO_PRODUCTS}, got {n_products}")
    out_dir = Path(out_dir)
    images_dir = out_dir / "images"
    try:
        images_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CatalogError(f"cannot create the demo catalog folder {images_dir}: {exc}") from exc
    lines = [",".join(REQUIRED_COLUMNS)]
    try:
        for index in range(n_products):
            rng = random.Random(f"demo:{seed}:{index}")
            article, fields, colour, pattern = _row(index, rng)
            lines.append(",".join(fields))
            image = _draw_product(article, colour, pattern, rng)
            image.save(images_dir / f"{fields[0]}.jpg", quality=90)
        (out_dir / "styles.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot write the demo catalog in {out_dir}: {exc}") from exc
    return out_dir

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_search.catalog.demo import ARTICLE_TYPES, COLOURS, FIRST_ID, generate_demo_catalog
from fashion_search.catalog.styles import REQUIRED_COLUMNS, read_styles
from fashion_search.errors import ValidationError

GENDERS = {"Men", "Women", "Unisex", "Boys", "Girls"}
MASTERS = {"Apparel", "Footwear", "Accessories"}
SUBS = {"Topwear", "Bottomwear", "Dress", "Shoes", "Sandal", "Flip Flops", "Bags", "Watches", "Headwear"}
SUBS |= {"Belts", "Eyewear"}
SEASONS = {"Summer", "Fall", "Winter", "Spring"}
USAGES = {"Casual", "Formal", "Sports", "Ethnic", "Party", "Travel"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo_catalog(tmp_path_factory.mktemp("demo"), n_products=80, seed=0)


def test_real_format_and_vocabulary(demo: Path) -> None:
    lines = (demo / "styles.csv").read_text().splitlines()
    assert lines[0] == ",".join(REQUIRED_COLUMNS)
    result = read_styles(demo / "styles.csv")
    assert result.rows_read == len(result.rows) == 80
    assert [r.id for r in result.rows] == list(range(FIRST_ID, FIRST_ID + 80))
    for row in result.rows:
        assert row.gender in GENDERS and row.master_category in MASTERS and row.sub_category in SUBS
        assert row.article_type in ARTICLE_TYPES and row.base_colour in COLOURS and row.usage in USAGES
        assert row.season in SEASONS or row.id == FIRST_ID + 2
        assert row.year is not None and 2011 <= row.year <= 2018
        assert row.base_colour in row.name and row.gender in row.name
    # 80 products cover most of what the demo can draw.
    assert len({r.article_type for r in result.rows}) >= 15


def test_two_rows_are_messy_like_the_real_file(demo: Path) -> None:
    lines = (demo / "styles.csv").read_text().splitlines()
    assert len(lines[2].split(",")) == 11  # an unquoted comma in the name of the second product
    assert lines[3].split(",")[6] == ""  # an empty season in the third
    result = read_styles(demo / "styles.csv")
    assert [(i.line, i.product_id) for i in result.repaired] == [(3, FIRST_ID + 1)]
    assert result.rejected == []


def test_images_are_224_rgb_jpegs_in_the_named_colour(demo: Path) -> None:
    rows = read_styles(demo / "styles.csv").rows
    assert sorted(p.name for p in (demo / "images").iterdir()) == sorted(f"{r.id}.jpg" for r in rows)
    checked = 0
    for row in rows:
        with Image.open(demo / "images" / f"{row.id}.jpg") as image:
            assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (224, 224))
            pixels = np.asarray(image, dtype=np.float64).reshape(-1, 3)
        assert row.base_colour is not None
        if "Striped" in row.name or "Checked" in row.name or row.base_colour == "White":
            continue
        # The most common non-background colour of a plain product is its base colour.
        product = pixels[np.abs(pixels - 255).sum(axis=1) > 60]
        assert len(product) > 224 * 224 * 0.05
        colours, counts = np.unique((product // 16).astype(int), axis=0, return_counts=True)
        dominant = colours[counts.argmax()] * 16 + 8
        assert np.abs(dominant - COLOURS[row.base_colour]).max() <= 24, (row.id, row.base_colour, dominant)
        checked += 1
    assert checked >= 40


def test_deterministic_for_a_seed_and_extends_smaller_catalogs(demo: Path, tmp_path: Path) -> None:
    small = generate_demo_catalog(tmp_path / "small", n_products=10, seed=0)
    big_lines = (demo / "styles.csv").read_text().splitlines()
    assert (small / "styles.csv").read_text().splitlines() == big_lines[:11]
    for product_id in range(FIRST_ID, FIRST_ID + 10):
        name = f"{product_id}.jpg"
        assert (small / "images" / name).read_bytes() == (demo / "images" / name).read_bytes()
    other = generate_demo_catalog(tmp_path / "other", n_products=10, seed=1)
    assert (other / "styles.csv").read_text() != (small / "styles.csv").read_text()


@pytest.mark.parametrize("n", [0, -5, 100_001])
def test_bad_sizes(tmp_path: Path, n: int) -> None:
    with pytest.raises(ValidationError, match="n_products"):
        generate_demo_catalog(tmp_path, n_products=n)

"""The fake embedder: fixed colour / type axes give known answers; everything is deterministic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from fashion_search.embed.base import Embedder
from fashion_search.embed.fake import FAKE_COLOURS, FAKE_TYPES, MIN_FAKE_DIM, FakeEmbedder
from fashion_search.embed.registry import load_embedder
from fashion_search.errors import ConfigurationError, ValidationError


def garment(
    colour: tuple[int, int, int], size: tuple[int, int] = (60, 80), stripe: bool = False
) -> Image.Image:
    """A product-photo-like image: a coloured shape on a white background."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((w // 5, h // 6, 4 * w // 5, 5 * h // 6), fill=colour)
    if stripe:
        draw.rectangle((w // 5, h // 2, 4 * w // 5, h // 2 + 3), fill=(255, 255, 255))
    return image


RED = (200, 30, 40)
BLUE = (35, 80, 205)


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder(64)


def test_is_an_embedder_with_unit_float32_rows(fake: FakeEmbedder) -> None:
    assert isinstance(fake, Embedder)
    assert (fake.name, fake.dim) == ("fake-64", 64)
    texts = fake.embed_texts(["red dress", "", "zzz qqq", "Navy Blue T-shirt"])
    images = fake.embed_images([garment(RED), Image.new("RGB", (10, 10), (255, 255, 255))])
    for arr in (texts, images):
        assert arr.dtype == np.float32
        assert arr.shape[1] == 64
        np.testing.assert_allclose(np.linalg.norm(arr, axis=1), 1.0, atol=1e-6)
    assert fake.embed_texts([]).shape == (0, 64)


def test_red_dress_text_is_closer_to_a_red_image_than_to_a_blue_one(fake: FakeEmbedder) -> None:
    query = fake.embed_texts(["red dress"])[0]
    red, blue = fake.embed_images([garment(RED), garment(BLUE, stripe=True)])
    assert query @ red > 0.5
    assert abs(query @ blue) < 0.2
    assert query @ red > query @ blue + 0.4


def test_texts_switch_on_the_axes_of_their_colour_and_type_words(fake: FakeEmbedder) -> None:
    vec = fake.embed_texts(["Navy Blue Shirts for men"])[0]
    on = {int(i) for i in np.flatnonzero(vec[: MIN_FAKE_DIM - 8])}
    # "navy blue" is one colour, not also "blue"; "shirts" is the shirt type.
    assert on == {fake.colour_axis("Navy Blue"), fake.type_axis("shirt")}
    tee = fake.embed_texts(["white t-shirt"])[0]
    assert {int(i) for i in np.flatnonzero(tee[: MIN_FAKE_DIM - 8])} == {
        fake.colour_axis("White"),
        fake.type_axis("tshirt"),
    }
    # Texts that share the type word are closer than texts that share nothing.
    a, b, c = fake.embed_texts(["black dresses", "green dress", "brown watch"])
    assert a @ b > 0.3 > a @ c


def test_images_switch_on_the_nearest_colour_axis(fake: FakeEmbedder) -> None:
    for colour, rgb in FAKE_COLOURS.items():
        image = garment(rgb)
        assert fake.nearest_colour(image) == colour
        vec = fake.embed_images([image])[0]
        assert int(np.argmax(vec[: len(FAKE_COLOURS) + len(FAKE_TYPES)])) == fake.colour_axis(colour)
    # A white product on a white background is white, not "no colour".
    assert fake.nearest_colour(Image.new("RGB", (20, 20), (255, 255, 255))) == "White"


def test_distinct_images_of_one_colour_differ_but_stay_close(fake: FakeEmbedder) -> None:
    plain, striped, small = fake.embed_images(
        [garment(RED), garment(RED, stripe=True), garment(RED, (30, 30))]
    )
    assert not np.allclose(plain, striped)
    assert plain @ striped > 0.85
    assert plain @ small > 0.85


def test_deterministic_within_and_across_processes(fake: FakeEmbedder) -> None:
    texts = ["red dress", "Turtle Check Men Navy Blue Shirt"]
    first = fake.embed_texts(texts)
    np.testing.assert_array_equal(first, FakeEmbedder(64).embed_texts(texts))
    np.testing.assert_array_equal(fake.embed_images([garment(RED)]), fake.embed_images([garment(RED)]))
    # Python's str hash is salted per process; the fake must not depend on it.
    code = (
        "from fashion_search.embed.fake import FakeEmbedder;"
        f"print(FakeEmbedder(64).embed_texts({texts!r}).tobytes().hex())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
    )
    assert bytes.fromhex(other.stdout.strip()) == first.tobytes()


def test_dimension_is_validated_and_registry_builds_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=f">= {MIN_FAKE_DIM}"):
        FakeEmbedder(MIN_FAKE_DIM - 1)
    assert FakeEmbedder(MIN_FAKE_DIM).embed_texts(["red"]).shape == (1, MIN_FAKE_DIM)
    built = load_embedder("fake:128", cache_dir=tmp_path)
    assert isinstance(built, FakeEmbedder) and built.dim == 128


def test_bad_inputs_are_clear_errors(fake: FakeEmbedder) -> None:
    with pytest.raises(ValidationError, match="not a single string"):
        fake.embed_texts("red dress")
    with pytest.raises(ValidationError, match="text 1 is int"):
        fake.embed_texts(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="no axis for colour 'Chartreuse'"):
        fake.colour_axis("Chartreuse")

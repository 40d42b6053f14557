"""Fast checks of fashion-lite's parts: descriptions, preprocessing, colour features, heads, model dirs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_search.domain import Product
from fashion_search.embed.backbones import (
    IMAGE_EXTRA_DIM,
    IMAGE_SIZE,
    SPATIAL_SHAPE,
    _cells,
    _grid,
    images_to_uint8,
    load_rgb,
    normalise_pixels,
)
from fashion_search.embed.descriptions import describe_product
from fashion_search.embed.fashion_lite import Heads, read_config
from fashion_search.embed.features import COLOUR_DIM, ImageFeatures, colour_histogram
from fashion_search.embed.train import caption, split_holdout, write_model_dir
from fashion_search.errors import ImageError, ModelError, ValidationError


def shirt(**changes: object) -> Product:
    base: dict[str, object] = {
        "id": 1,
        "name": "Turtle Check Men Navy Blue Shirt",
        "gender": "Men",
        "article_type": "Shirts",
        "base_colour": "Navy Blue",
        "season": "Fall",
        "usage": "Casual",
        "price": 49.99,
    }
    base.update(changes)
    return Product(**base)  # type: ignore[arg-type]


def test_description_reads_every_field_in_order() -> None:
    text = describe_product(shirt(attributes={"pattern": "checked", "material": "cotton"}))
    assert text == (
        "Turtle Check Men Navy Blue Shirt. Navy Blue Shirts for men. Casual wear for fall. "
        "Mid-range price. Material: cotton. Pattern: checked."
    )


def test_description_leaves_out_missing_and_placeholder_values() -> None:
    text = describe_product(shirt(base_colour="NA", usage=None, season="", price=None, gender="Unisex"))
    assert text == "Turtle Check Men Navy Blue Shirt. Shirts for men and women."
    assert describe_product(Product(id=2, name="")) == ""


def test_captions_by_template() -> None:
    p = shirt()
    assert caption(p, "type") == "a photo of a Shirts"
    assert caption(p, "colour_type_for") == "a Navy Blue Shirts for men"
    assert caption(p, "full") == "men casual Shirts in Navy Blue"
    assert caption(shirt(base_colour=None), "colour_type") is None
    with pytest.raises(ValidationError, match="unknown caption template"):
        caption(p, "haiku")


def test_split_is_seeded_disjoint_and_complete() -> None:
    ids = list(range(100, 200))
    train, held = split_holdout(ids, 0.2, seed=0)
    assert len(held) == 20 and sorted(train + held) == ids
    assert split_holdout(list(reversed(ids)), 0.2, seed=0) == (train, held)
    assert split_holdout(ids, 0.2, seed=1)[1] != held
    with pytest.raises(ValidationError, match="holdout"):
        split_holdout(ids, 1.0, seed=0)


def test_portraits_are_squashed_and_transparency_lands_on_white() -> None:
    portrait = Image.new("RGB", (300, 400), (10, 20, 30))
    clear = Image.new("RGBA", (50, 50), (255, 0, 0, 0))
    pixels = images_to_uint8([portrait, clear])
    assert pixels.shape == (2, IMAGE_SIZE, IMAGE_SIZE, 3)
    assert tuple(pixels[0, 100, 100]) == (10, 20, 30)
    assert tuple(pixels[1, 10, 10]) == (255, 255, 255)
    x = normalise_pixels(pixels)
    assert x.shape == (2, 3, IMAGE_SIZE, IMAGE_SIZE)
    assert x[1].max() == pytest.approx(1.0) and x[0].min() > -1.0


def test_big_jpegs_are_decoded_at_reduced_size(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    Image.new("RGB", (1800, 2400), (0, 128, 0)).save(path, quality=90)
    with Image.open(path) as im:
        out = load_rgb(im)
        assert im.size[0] < 1800  # draft mode reduced the decode
    assert out.size == (IMAGE_SIZE, IMAGE_SIZE)


def test_a_broken_image_raises_image_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.jpg"
    noise = np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path, quality=95)
    path.write_bytes(path.read_bytes()[:20_000])
    with Image.open(path) as im, pytest.raises(ImageError):
        load_rgb(im)


def test_colour_histogram_ignores_the_white_background() -> None:
    red_on_white = np.full((1, 224, 224, 3), 255, dtype=np.uint8)
    red_on_white[0, 60:160, 60:160] = (200, 20, 20)
    pure_red = np.zeros((1, 224, 224, 3), dtype=np.uint8)
    pure_red[...] = (200, 20, 20)
    blue = pure_red[..., ::-1].copy()
    h = colour_histogram(np.concatenate([red_on_white, pure_red, blue]))
    assert h.shape == (3, COLOUR_DIM)
    # The histogram (square-rooted fractions) of the product is the same with or without background.
    np.testing.assert_allclose(h[0, :-7], h[1, :-7], atol=1e-6)
    assert np.linalg.norm(h[0, :-7] - h[2, :-7]) > 1.0
    # Foreground fraction is the share of non-background pixels.
    assert h[0, -7] == pytest.approx((100 / 224) ** 2, abs=0.02)
    assert h[1, -7] == pytest.approx(1.0)


def tiny_heads(dim: int = 4, d_in: int = 1280 + COLOUR_DIM) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "in_mean": np.zeros(d_in, np.float32),
        "in_scale": np.ones(d_in, np.float32),
        "w1": rng.standard_normal((d_in, 8)).astype(np.float32),
        "b1": np.zeros(8, np.float32),
        "w2": rng.standard_normal((8, dim)).astype(np.float32),
        "b2": np.zeros(dim, np.float32),
    }


def test_heads_give_unit_vectors_and_a_locked_text_side_keeps_direction() -> None:
    heads = Heads(arrays=tiny_heads(), use_colour=True, prior_weight=0.0, prior_temperature=1.0)
    rng = np.random.default_rng(1)
    feats = ImageFeatures(
        rng.standard_normal((3, 1280)).astype(np.float32),
        np.zeros((3, 1000), np.float32),
        rng.random((3, COLOUR_DIM)).astype(np.float32),
    )
    z = heads.project_images(feats)
    assert z.shape == (3, 4)
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1.0, atol=1e-5)
    t = np.array([[3.0, 0.0, 4.0, 0.0]], np.float32)
    np.testing.assert_allclose(heads.project_texts(t), [[0.6, 0.0, 0.8, 0.0]], atol=1e-6)


def test_model_dir_round_trip_and_errors(tmp_path: Path) -> None:
    out = tmp_path / "model"
    config = {"family": "fashion-lite-v1", "recipe": {"use_colour": True}, "holdout_ids": [3, 4]}
    write_model_dir(out, config, tiny_heads())
    write_model_dir(out, config, tiny_heads(dim=6))  # replaces the directory whole
    assert read_config(out)["holdout_ids"] == [3, 4]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    heads = Heads.load(out / "heads.npz", read_config(out))
    assert heads.dim == 6
    with np.load(out / "heads.npz") as data:
        assert data["w1"].dtype == np.float16
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "config.json").write_text(json.dumps({"family": "something-else"}))
    with pytest.raises(ModelError, match="fashion-lite-v1"):
        read_config(tmp_path / "other")
    with pytest.raises(ModelError, match="config.json is missing"):
        read_config(tmp_path / "nothing")


def test_a_visual_subspace_leaves_text_rankings_alone_and_adds_image_similarity(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    plain = tiny_heads()
    visual = {
        **plain,
        "vis_w1": rng.standard_normal((1280 + COLOUR_DIM, 8)).astype(np.float32),
        "vis_b1": np.zeros(8, np.float32),
        "vis_w2": rng.standard_normal((8, 3)).astype(np.float32),
        "vis_b2": np.zeros(3, np.float32),
    }
    base = Heads(arrays=plain, use_colour=True, prior_weight=0.0, prior_temperature=1.0)
    heads = Heads(arrays=visual, use_colour=True, prior_weight=0.0, prior_temperature=1.0, visual_weight=1.5)
    assert heads.dim == 7 and base.dim == 4
    feats = ImageFeatures(
        rng.standard_normal((6, 1280)).astype(np.float32),
        np.zeros((6, 1000), np.float32),
        rng.random((6, COLOUR_DIM)).astype(np.float32),
    )
    images, texts = (
        heads.project_images(feats),
        heads.project_texts(rng.standard_normal((5, 4)).astype(np.float32)),
    )
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert np.all(texts[:, 4:] == 0.0)
    # Text -> image scores shrink by one constant, so every ranking and prompt choice is the same...
    old = base.project_texts(texts[:, :4]) @ base.project_images(feats).T
    np.testing.assert_allclose(texts @ images.T, old / np.sqrt(1 + 1.5**2), atol=1e-5)
    # ...while image -> image similarity now includes the visual part.
    z, u = images[:, :4] * np.sqrt(1 + 1.5**2), images[:, 4:] * np.sqrt(1 + 1.5**2) / 1.5
    np.testing.assert_allclose(images @ images.T, (z @ z.T + 1.5**2 * u @ u.T) / (1 + 1.5**2), atol=1e-5)
    out = tmp_path / "model"
    write_model_dir(out, {"family": "fashion-lite-v1", "recipe": {"visual_weight": 1.5}}, visual)
    assert Heads.load(out / "heads.npz", read_config(out)).visual_weight == 1.5
    del visual["vis_b2"]
    write_model_dir(out, {"family": "fashion-lite-v1", "recipe": {}}, visual)
    with pytest.raises(ModelError, match="incomplete visual head"):
        Heads.load(out / "heads.npz", read_config(out))


def test_the_visual_head_reads_extra_poolings_and_a_1x1_convolution_of_the_spatial_map(
    tmp_path: Path,
) -> None:
    import torch

    rng = np.random.default_rng(3)
    channels = SPATIAL_SHAPE[0]
    arrays = {
        **tiny_heads(),
        "vis_w1": rng.standard_normal((1280 + COLOUR_DIM + IMAGE_EXTRA_DIM + 5 * 49, 8)).astype(np.float32),
        "vis_b1": np.zeros(8, np.float32),
        "vis_w2": rng.standard_normal((8, 3)).astype(np.float32),
        "vis_b2": np.zeros(3, np.float32),
        "vis_extra_mean": rng.standard_normal(IMAGE_EXTRA_DIM).astype(np.float32),
        "vis_extra_scale": rng.random(IMAGE_EXTRA_DIM).astype(np.float32),
        "vis_map_mean": rng.standard_normal(channels).astype(np.float32),
        "vis_map_scale": rng.random(channels).astype(np.float32),
        "vis_conv_w": rng.standard_normal((channels, 5)).astype(np.float32),
        "vis_conv_b": rng.standard_normal(5).astype(np.float32),
    }
    heads = Heads(arrays=arrays, use_colour=True, prior_weight=0.0, prior_temperature=1.0, visual_weight=1.5)
    spatial = rng.standard_normal((2, *SPATIAL_SHAPE)).astype(np.float32)
    feats = ImageFeatures(
        rng.standard_normal((2, 1280)).astype(np.float32),
        np.zeros((2, 1000), np.float32),
        rng.random((2, COLOUR_DIM)).astype(np.float32),
        rng.standard_normal((2, IMAGE_EXTRA_DIM)).astype(np.float32),
        spatial,
    )
    images = heads.project_images(feats)
    assert images.shape == (2, 7)
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    # The NumPy convolution is torch's 1x1 Conv2d on the standardised map, flattened channel-major.
    conv = torch.nn.Conv2d(channels, 5, kernel_size=1)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(arrays["vis_conv_w"].T[:, :, None, None].copy()))
        assert conv.bias is not None
        conv.bias.copy_(torch.from_numpy(arrays["vis_conv_b"]))
        maps = (spatial - arrays["vis_map_mean"][:, None, None]) * arrays["vis_map_scale"][:, None, None]
        want = torch.nn.functional.gelu(conv(torch.from_numpy(maps)), approximate="tanh").flatten(1).numpy()
    np.testing.assert_allclose(heads._spatial_conv(feats), want, rtol=1e-4, atol=1e-4)
    # Features without the extra outputs (an older cache) are refused with a clear error.
    with pytest.raises(ModelError, match="extra poolings"):
        heads.project_images(ImageFeatures(feats.backbone, feats.logits, feats.colour))
    with pytest.raises(ModelError, match="spatial map"):
        heads.project_images(ImageFeatures(feats.backbone, feats.logits, feats.colour, feats.extra))
    # A model whose heads expect another backbone layout fails on load, naming the mismatch.
    out = tmp_path / "model"
    wrong = {
        **arrays,
        "vis_extra_mean": arrays["vis_extra_mean"][:-1],
        "vis_extra_scale": arrays["vis_extra_scale"][:-1],
    }
    write_model_dir(out, {"family": "fashion-lite-v1", "recipe": {"visual_weight": 1.5}}, wrong)
    with pytest.raises(ModelError, match=f"reads {IMAGE_EXTRA_DIM - 1} extra poolings"):
        Heads.load(out / "heads.npz", read_config(out))
    write_model_dir(out, {"family": "fashion-lite-v1", "recipe": {"shared_extra": True}}, arrays)
    with pytest.raises(ModelError, match="reads 1439 inputs, but its config"):
        Heads.load(out / "heads.npz", read_config(out))
    del arrays["vis_conv_b"]
    write_model_dir(out, {"family": "fashion-lite-v1", "recipe": {}}, arrays)
    with pytest.raises(ModelError, match="incomplete spatial convolution"):
        Heads.load(out / "heads.npz", read_config(out))


def test_grid_cells_cover_the_map_and_overlap_only_when_it_does_not_divide() -> None:
    import torch

    assert _cells(7, 2) == [(0, 4), (3, 7)]
    assert _cells(14, 2) == [(0, 7), (7, 14)]
    assert _cells(7, 3) == [(0, 3), (2, 5), (4, 7)]
    x = torch.arange(2 * 3 * 14 * 14, dtype=torch.float32).reshape(2, 3, 14, 14)
    grid = _grid(x, 2)
    assert grid.shape == (2, 12)
    # Row-major cells, each holding every channel: the top-right cell's first channel.
    assert float(grid[0, 3]) == float(x[0, 0, :7, 7:].mean())

"""`fashion-search train` / `eval` end to end on a tiny generated catalog (real towers, few epochs)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from fashion_search.domain import Product
from fashion_search.embed.backbones import SPATIAL_SHAPE
from fashion_search.embed.fashion_lite import FashionLiteEmbedder, Heads, read_config
from fashion_search.embed.features import ImageFeatures
from fashion_search.embed.train import (
    Recipe,
    TrainingSet,
    choose_withheld_types,
    fit_heads,
    recipe_changes,
    recipe_with,
    train_model,
)
from fashion_search.errors import ValidationError

COLOURS = {"Red": (200, 30, 30), "Blue": (30, 50, 190)}
HEADER = "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName\n"


def draw(kind: str, rgb: tuple[int, int, int], jitter: int) -> Image.Image:
    img = Image.new("RGB", (120, 160), "white")
    d = ImageDraw.Draw(img)
    if kind == "Tshirts":
        d.rectangle((30 + jitter, 40, 90 + jitter, 130), fill=rgb)
        d.rectangle((10 + jitter, 40, 110 + jitter, 70), fill=rgb)
    else:
        d.ellipse((15, 90 + jitter, 105, 130 + jitter), fill=rgb)
    return img


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny-catalog")
    (root / "images").mkdir()
    lines = [HEADER]
    pid = 100
    for kind, sub in (("Tshirts", "Topwear"), ("Casual Shoes", "Shoes")):
        for colour, rgb in COLOURS.items():
            for j in range(4):
                pid += 1
                name = f"Acme Men {colour} {kind} {j}"
                lines.append(f"{pid},Men,Apparel,{sub},{kind},{colour},Summer,2012,Casual,{name}\n")
                draw(kind, rgb, 3 * j).save(root / "images" / f"{pid}.jpg")
    lines.append("999,Men,Apparel,Topwear,Shirts,Red,Summer,2012,Casual,No photo shirt\n")
    (root / "styles.csv").write_text("".join(lines), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.mark.slow
def test_training_is_seeded_records_the_split_and_loads(catalog: Path, cache: Path, tmp_path: Path) -> None:
    recipe = Recipe(epochs=3, hidden=32, batch_size=8)
    a = train_model(catalog, tmp_path / "a", cache_dir=cache, seed=3, holdout=0.25, recipe=recipe)
    b = train_model(catalog, tmp_path / "b", cache_dir=cache, seed=3, holdout=0.25, recipe=recipe)
    config = read_config(tmp_path / "a")
    assert len(config["holdout_ids"]) == 4 and len(config["train_ids"]) == 12
    assert not set(config["holdout_ids"]) & set(config["train_ids"])
    assert 999 not in config["train_ids"] + config["holdout_ids"]  # no photo, never used
    assert config["seed"] == 3 and config["recipe"]["epochs"] == 3
    assert a.train_ids == b.train_ids
    with np.load(tmp_path / "a" / "heads.npz") as x, np.load(tmp_path / "b" / "heads.npz") as y:
        for key in x.files:
            np.testing.assert_array_equal(x[key], y[key])
    assert "fashion-search train" in (tmp_path / "a" / "MODEL_CARD.md").read_text()
    model = FashionLiteEmbedder.from_directory(tmp_path / "a", cache_dir=cache)
    vecs = model.embed_texts(["a photo of a Tshirts"])
    assert config["dim"] == model.dim == 384 + recipe.visual_dim and vecs.shape == (1, model.dim)


@pytest.mark.slow
def test_excluded_types_are_never_trained_on(catalog: Path, cache: Path, tmp_path: Path) -> None:
    recipe = Recipe(epochs=1, hidden=16, batch_size=8)
    report = train_model(
        catalog, tmp_path / "m", cache_dir=cache, holdout=0.0, exclude_types=["Casual Shoes"], recipe=recipe
    )
    assert len(report.train_ids) == 8
    assert read_config(tmp_path / "m")["type_names"] == ["Tshirts"]
    with pytest.raises(ValidationError, match="Boots"):
        train_model(catalog, tmp_path / "n", cache_dir=cache, exclude_types=["Boots"], recipe=recipe)


@pytest.mark.slow
def test_cli_train_then_eval_on_its_holdout(catalog: Path, cache: Path, tmp_path: Path) -> None:
    from fashion_search.cli.main import create_cli

    runner = CliRunner()
    out = tmp_path / "model"
    data_dir = cache.parent / "data"
    result = runner.invoke(
        create_cli(),
        [
            "train",
            "--catalog",
            str(catalog),
            "--out",
            str(out),
            "--epochs",
            "2",
            "--holdout",
            "0.5",
            "--data-dir",
            str(data_dir),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_holdout"] == 8
    result = runner.invoke(
        create_cli(),
        [
            "eval",
            "--catalog",
            str(catalog),
            "--model",
            str(out),
            "--holdout-of",
            str(out),
            "--data-dir",
            str(data_dir),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in (
        "article_type_top1",
        "colour_top1",
        "name_to_image_r1",
        "name_to_image_r10",
        "image_to_image_p10",
        "n_images",
        "model",
    ):
        assert key in report
    assert report["n_images"] == 8
    assert report["model"].startswith("fashion-lite-v1-")
    assert set(report["baselines"]) == {"imagenet", "random_projection"}
    assert report["baselines"]["imagenet"]["article_type_top1"] is None
    bad = runner.invoke(create_cli(), ["train", "--catalog", str(tmp_path / "nowhere"), "--out", str(out)])
    assert bad.exit_code == 4 and "styles.csv" in "".join(bad.output.split())  # rich wraps long paths


@pytest.mark.slow
def test_eval_reports_every_photo_of_the_withheld_types(catalog: Path, cache: Path, tmp_path: Path) -> None:
    from fashion_search.cli.main import create_cli

    out = tmp_path / "model"
    report = train_model(
        catalog,
        out,
        cache_dir=cache,
        holdout=0.25,
        exclude_types=["Casual Shoes"],
        recipe=Recipe(epochs=1, hidden=16, batch_size=8),
    )
    held = read_config(out)["holdout_ids"]
    assert len(report.train_ids) == 6  # the Tshirts outside the 25% holdout
    result = CliRunner().invoke(
        create_cli(),
        ["eval", "--catalog", str(catalog), "--holdout-of", str(out), "--model", str(out)]
        + ["--data-dir", str(cache.parent / "data"), "--json", "--calibration-sweep", "0,0.5,5"],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["n_images"] == len(held)
    unseen = body["unseen_types"]
    # All 8 shoe photos, not just those in the random holdout, scored among both types.
    assert unseen["n_images"] == 8 and unseen["n_classes"] == 2 and unseen["types"] == ["Casual Shoes"]
    assert 0.0 <= unseen["top1"] <= 1.0
    # Generalised zero-shot figures: held-out Tshirts among both types, and the harmonic mean.
    n_tshirts = sum(1 for i in held if i <= 108)
    assert unseen["seen_n_images"] == n_tshirts and unseen["unseen_top1"] == unseen["top1"]
    sweep = unseen["calibration_sweep"]
    assert [p["image_value"] for p in sweep] == [0.0, 0.5, 5.0] and sum(p["best"] for p in sweep) == 1
    assert sweep[0]["unseen_top1"] == unseen["top1"] and sweep[0]["seen_top1"] == unseen["seen_top1"]
    # An overwhelming weight sends every photo to the untrained type's prompt.
    assert sweep[2]["unseen_top1"] == 1.0 and sweep[2]["seen_top1"] == 0.0


def kinds(counts: dict[str, int]) -> list[Product]:
    out: list[Product] = []
    for kind, n in counts.items():
        out += [Product(id=len(out) + i, name=f"{kind} {i}", article_type=kind) for i in range(n)]
    return out


def test_withheld_types_are_seeded_and_drawn_among_types_with_enough_photos() -> None:
    products = kinds({"Tshirts": 30, "Shirts": 25, "Jeans": 20, "Heels": 40, "Ties": 3, "Socks": 19})
    a = choose_withheld_types(products, 2, seed=0)
    assert a == choose_withheld_types(products, 2, seed=0) and a == sorted(a)
    assert len(a) == 2 and set(a) <= {"Tshirts", "Shirts", "Jeans", "Heels"}
    draws = {tuple(choose_withheld_types(products, 2, seed=s)) for s in range(20)}
    assert len(draws) > 1  # the seed matters
    assert choose_withheld_types(products, 1, seed=0, min_photos=3) != []
    with pytest.raises(ValidationError, match="cannot withhold 4"):
        choose_withheld_types(products, 4, seed=0)


def toy_set(seed: int) -> TrainingSet:
    """Three types whose inputs share a weak direction buried in noise; one caption per photo."""
    rng = np.random.default_rng(seed)
    n, d = 90, 24
    types = np.repeat(np.arange(3), n // 3)
    inputs = rng.standard_normal((n, d)).astype(np.float32)
    inputs[:, :3] += 2.5 * np.eye(3, dtype=np.float32)[types]
    captions = rng.standard_normal((n, 8)).astype(np.float32)
    captions /= np.linalg.norm(captions, axis=1, keepdims=True)
    prompts = np.eye(3, 8, dtype=np.float32)
    return TrainingSet(
        inputs=inputs,
        inputs_flipped=inputs,
        caption_ids=np.arange(n)[:, None],
        caption_vectors=captions,
        type_index=types,
        colour_index=np.zeros(n, dtype=np.int64),
        type_prompts=prompts,
        colour_prompts=prompts[:1],
    )


def same_type_p1(data: TrainingSet, weights: dict[str, np.ndarray]) -> float:
    x = (data.inputs - weights["in_mean"]) * weights["in_scale"]
    h = x @ weights["w1"] + weights["b1"]
    z = (0.5 * h * (1 + np.tanh(0.7978845608 * (h + 0.044715 * h**3)))) @ weights["w2"] + weights["b2"]
    z = z + x @ weights["skip"]
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    sims = z @ z.T
    np.fill_diagonal(sims, -np.inf)
    return float(np.mean(data.type_index[sims.argmax(axis=1)] == data.type_index))


def test_supervised_contrastive_loss_pulls_same_type_photos_together() -> None:
    data = toy_set(0)
    # Captions are random per photo, so the image-text loss alone says nothing about types.
    base = Recipe(epochs=60, batch_size=30, hidden=32, dropout=0.0, type_prompt_weight=0.0)
    base = replace(base, colour_prompt_weight=0.0, flip_augment=False, visual_dim=0)
    without = fit_heads(base, data, seed=0)
    with_supcon = fit_heads(replace(base, supcon_weight=4.0), data, seed=0)
    again = fit_heads(replace(base, supcon_weight=4.0), data, seed=0)
    np.testing.assert_array_equal(with_supcon.arrays["w1"], again.arrays["w1"])
    p_without = same_type_p1(data, without.arrays)
    p_with = same_type_p1(data, with_supcon.arrays)
    assert p_with >= 0.85 and p_with > p_without + 0.3, (p_with, p_without)


def test_the_visual_head_learns_type_neighbours_on_its_own() -> None:
    data = toy_set(0)
    recipe = Recipe(epochs=60, batch_size=30, hidden=32, dropout=0.0, type_prompt_weight=0.0)
    recipe = replace(recipe, colour_prompt_weight=0.0, flip_augment=False, visual_dim=6, visual_hidden=32)
    w = fit_heads(recipe, data, seed=0).arrays
    assert w["vis_w2"].shape == (32, 6)
    x = (data.inputs - w["in_mean"]) * w["in_scale"]
    h = x @ w["vis_w1"] + w["vis_b1"]
    u = (0.5 * h * (1 + np.tanh(0.7978845608 * (h + 0.044715 * h**3)))) @ w["vis_w2"] + w["vis_b2"]
    sims = u @ u.T / np.outer(np.linalg.norm(u, axis=1), np.linalg.norm(u, axis=1))
    np.fill_diagonal(sims, -np.inf)
    assert np.mean(data.type_index[sims.argmax(axis=1)] == data.type_index) >= 0.85
    # The shared head got no type signal (random captions only), so it does not cluster types.
    assert same_type_p1(data, w) < 0.7


def test_recipe_overrides_from_json_and_what_differs_from_the_defaults() -> None:
    recipe = recipe_with('{"supcon_weight": 1.5, "templates": ["name", "type"]}')
    assert recipe.supcon_weight == 1.5 and recipe.templates == ("name", "type")
    assert recipe.epochs == Recipe().epochs
    assert recipe_changes(recipe) == {"supcon_weight": 1.5, "templates": ["name", "type"]}
    assert recipe_with("") == Recipe() and recipe_changes(Recipe()) == {}
    with pytest.raises(ValidationError, match="unknown recipe fields \\['warp'\\]"):
        recipe_with({"warp": 9})
    with pytest.raises(ValidationError, match="not valid JSON"):
        recipe_with("{supcon")
    with pytest.raises(ValidationError, match="JSON object"):
        recipe_with("[1, 2]")


def test_the_visual_head_learns_types_from_the_layout_of_the_spatial_map() -> None:
    """Types that differ only in *where* a pattern sits: pooled inputs carry nothing, the map does."""
    n, channels = 90, SPATIAL_SHAPE[0]
    types = np.repeat(np.arange(3), n // 3)

    def photos(seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        maps = 0.1 * rng.standard_normal((n, *SPATIAL_SHAPE)).astype(np.float32)
        maps[np.arange(n), :16, 1 + 2 * types, 3] += 1.0  # the same channels, a different row per type
        return rng.standard_normal((n, 4)).astype(np.float32), maps

    inputs, maps = photos(4)
    data = replace(toy_set(0), inputs=inputs, inputs_flipped=inputs)
    data = replace(data, visual_spatial=maps, visual_spatial_flipped=maps)
    recipe = Recipe(epochs=60, batch_size=30, hidden=16, dropout=0.0, type_prompt_weight=0.0)
    recipe = replace(recipe, colour_prompt_weight=0.0, flip_augment=False, visual_dim=6, visual_hidden=32)
    recipe = replace(recipe, visual_conv=4)
    new_inputs, new_maps = photos(5)  # photos never trained on

    def visual_p1(arrays: dict[str, np.ndarray], spatial: np.ndarray | None) -> float:
        heads = Heads(
            arrays=arrays, use_colour=False, prior_weight=0.0, prior_temperature=1.0, visual_weight=1.0
        )
        feats = ImageFeatures(new_inputs, np.zeros((n, 1000), np.float32), np.zeros((n, 0)), None, spatial)
        u = heads.project_images(feats)[:, -6:]
        sims = u @ u.T
        np.fill_diagonal(sims, -np.inf)
        return float(np.mean(types[sims.argmax(axis=1)] == types))

    with_map = fit_heads(recipe, data, seed=0).arrays
    assert with_map["vis_conv_w"].shape == (channels, 4) and with_map["vis_w1"].shape[0] == 4 + 4 * 49
    without = fit_heads(replace(recipe, visual_conv=0), data, seed=0).arrays
    assert "vis_conv_w" not in without
    assert visual_p1(with_map, new_maps) >= 0.9
    assert visual_p1(without, None) < 0.6

"""Calibrated stacking inside the embedding space: invariances, the lift on unseen types, configs."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from fashion_search.embed.backbones import ImageBackbone, TextBackbone
from fashion_search.embed.base import l2_normalise
from fashion_search.embed.calibration import (
    Calibration,
    CalibrationParams,
    best_point,
    extend_images,
    extend_texts,
    gzsl_scores,
    gzsl_sweep,
    harmonic_mean,
    reference_texts,
    symmetric_grid,
    write_calibration,
)
from fashion_search.embed.fashion_lite import FashionLiteEmbedder, Heads, read_config
from fashion_search.embed.features import COLOUR_DIM, ImageFeatures
from fashion_search.embed.train import write_model_dir
from fashion_search.errors import ModelError


def unit_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    return l2_normalise(rng.standard_normal((n, d)).astype(np.float32))


def test_rankings_by_text_and_by_image_are_unchanged_while_image_to_text_choices_move() -> None:
    rng = np.random.default_rng(0)
    images, texts = unit_rows(rng, 40, 16), unit_rows(rng, 12, 16)
    weights = rng.random(12).astype(np.float32)  # any mix of covered and uncovered texts
    img, txt = extend_images(images, 0.6), extend_texts(texts, 0.7 * weights)
    np.testing.assert_allclose(np.linalg.norm(img, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(txt, axis=1), 1.0, atol=1e-6)
    # text -> image: every text ranks the images exactly as before (an increasing affine map).
    before, after = texts @ images.T, txt @ img.T
    assert np.array_equal(np.argsort(-before, axis=1), np.argsort(-after, axis=1))
    expected = (before - (0.6 * 0.7 * weights)[:, None]) / (
        math.sqrt(1 + 0.36) * np.sqrt(1 + (0.7 * weights) ** 2)[:, None]
    )
    np.testing.assert_allclose(after, expected, atol=1e-5)
    # image -> image: cosines are (c + b^2) / (1 + b^2), so neighbours are the same.
    np.testing.assert_allclose(img @ img.T, (images @ images.T + 0.36) / 1.36, atol=1e-5)
    assert np.array_equal(np.argsort(-(images @ images.T), axis=1), np.argsort(-(img @ img.T), axis=1))
    # image -> text: the choice does move (that is the point).
    assert not np.array_equal(np.argmax(before.T, axis=1), np.argmax(after.T, axis=1))


def test_uncovered_texts_keep_their_vectors_and_coverage_ramps_between_low_and_high() -> None:
    reference = np.eye(3, 8, dtype=np.float32)
    cal = Calibration(CalibrationParams(image_value=0.5, text_weight=0.5, low=0.9, high=0.98), reference)
    angle = np.arccos([1.0, 0.94, 0.5])  # best reference cosine 1.0, 0.94 (mid-ramp), 0.5
    minilm = np.zeros((3, 8), np.float32)
    minilm[:, 0], minilm[:, 5] = np.cos(angle), np.sin(angle)
    np.testing.assert_allclose(cal.coverage(minilm), [1.0, 0.5, 0.0], atol=1e-5)
    vectors = unit_rows(np.random.default_rng(1), 3, 6)
    out = cal.extend_texts(vectors, minilm)
    np.testing.assert_array_equal(out[2], np.append(vectors[2], 0.0))  # s = 0: untouched
    assert out[0, -1] == pytest.approx(-0.5 / math.sqrt(1.25), abs=1e-6)


def synthetic_gzsl(seed: int = 0) -> dict[str, Any]:
    """Four seen and two unseen classes; photos of an unseen class lie nearer a seen relative's prompt
    (the bias of a head trained on seen photos only) but lean towards their own prompt."""
    rng = np.random.default_rng(seed)
    classes = ["Sandals", "Trousers", "Shirts", "Watches", "Flip Flops", "Jeans"]
    prompts = unit_rows(rng, 6, 32)
    relative = {"Flip Flops": "Sandals", "Jeans": "Trousers"}
    images, labels = [], []
    for j, name in enumerate(classes):
        for _ in range(30):
            if name in relative:
                mix = 0.75 * prompts[classes.index(relative[name])] + 0.35 * prompts[j]
            else:
                mix = prompts[j]
            images.append(mix + 0.04 * rng.standard_normal(32))
            labels.append(name)
    return {
        "images": l2_normalise(np.asarray(images, np.float32)),
        "labels": labels,
        "classes": classes,
        "prompts": prompts,
        "reference": prompts[:4],  # the trained types' prompts
        "unseen": ["Flip Flops", "Jeans"],
    }


def test_calibration_lifts_unseen_types_and_the_protocol_picks_a_balanced_weight() -> None:
    case = synthetic_gzsl()
    args = (case["images"], case["labels"], case["classes"], case["prompts"], case["prompts"], case["unseen"])
    seen0, unseen0 = gzsl_scores(*args, None)
    assert seen0 > 0.95 and unseen0 < 0.05  # the seen-class bias
    points = gzsl_sweep(*args, case["reference"], symmetric_grid([0.0, 0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0]))
    assert points[0].unseen_top1 == unseen0 and points[0].seen_top1 == seen0  # w = 0: no change
    best = best_point(points)
    assert best.params.image_value > 0
    assert best.unseen_top1 > 0.8 and best.seen_top1 > 0.9
    assert best.harmonic_mean == pytest.approx(harmonic_mean(best.seen_top1, best.unseen_top1))
    # Too strong a weight hands every photo to the uncovered classes.
    assert points[-1].seen_top1 < best.seen_top1


def test_bad_calibration_values_give_clear_errors() -> None:
    with pytest.raises(ModelError, match="image_value and text_weight must be >= 0"):
        CalibrationParams(image_value=-0.1, text_weight=0.3)
    with pytest.raises(ModelError, match="text_weight must be a finite number"):
        CalibrationParams(image_value=0.3, text_weight=float("nan"))
    with pytest.raises(ModelError, match="low < high"):
        CalibrationParams(image_value=0.3, text_weight=0.3, low=0.99, high=0.95)
    with pytest.raises(ModelError, match="unknown fields \\['gamma'\\]"):
        CalibrationParams.from_config({"image_value": 0.3, "text_weight": 0.3, "gamma": 1})
    with pytest.raises(ModelError, match="lacks \\['text_weight'\\]"):
        CalibrationParams.from_config({"image_value": 0.3})
    with pytest.raises(ModelError, match="must be an object"):
        CalibrationParams.from_config([0.3, 0.3])
    with pytest.raises(ModelError, match="image_value must be a finite number, got '0.3'"):
        CalibrationParams.from_config({"image_value": "0.3", "text_weight": 0.3})
    with pytest.raises(ModelError, match="trained article type names"):
        Calibration.for_types(CalibrationParams(0.3, 0.3), [], lambda texts: np.zeros((0, 4)))


class WordTower:
    """A stand-in text tower: a fixed unit vector per text (seeded by its bytes), counting calls."""

    def __init__(self, dim: int = 4) -> None:
        self.dim = dim
        self.calls = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        rows = [np.random.default_rng(list(t.encode())).standard_normal(self.dim) for t in texts]
        return l2_normalise(np.asarray(rows, np.float32))


def tiny_model(tmp_path: Path, calibration: dict[str, Any] | None) -> Path:
    rng = np.random.default_rng(0)
    d_in = 1280 + COLOUR_DIM
    arrays = {
        "in_mean": np.zeros(d_in, np.float32),
        "in_scale": np.ones(d_in, np.float32),
        "w1": rng.standard_normal((d_in, 8)).astype(np.float32),
        "b1": np.zeros(8, np.float32),
        "w2": rng.standard_normal((8, 4)).astype(np.float32),
        "b2": np.zeros(4, np.float32),
    }
    config: dict[str, Any] = {"family": "fashion-lite-v1", "recipe": {}, "type_names": ["Shirts", "Shoes"]}
    if calibration is not None:
        config["calibration"] = calibration
    out = tmp_path / ("calibrated" if calibration else "plain")
    write_model_dir(out, config, arrays)
    return out


def embedder_of(model_dir: Path, tower: WordTower) -> FashionLiteEmbedder:
    config = read_config(model_dir)
    heads = Heads.load(model_dir / "heads.npz", config)
    image = cast(ImageBackbone, object())  # never run: the tests feed features
    return FashionLiteEmbedder(heads, config, "0" * 64, image, cast(TextBackbone, tower))


def test_old_configs_load_unchanged_and_a_calibration_adds_one_coordinate(tmp_path: Path) -> None:
    tower = WordTower()
    plain = embedder_of(tiny_model(tmp_path, None), tower)
    calibrated = embedder_of(tiny_model(tmp_path, {"image_value": 0.5, "text_weight": 0.5}), tower)
    assert plain.calibration() is None and plain.dim == 4
    assert calibrated.dim == 5 and calibrated.name != plain.name
    rng = np.random.default_rng(3)
    feats = ImageFeatures(
        rng.standard_normal((3, 1280)).astype(np.float32),
        np.zeros((3, 1000), np.float32),
        rng.random((3, COLOUR_DIM)).astype(np.float32),
    )
    texts = [*reference_texts(["Shirts", "Shoes"]), "a photo of a Jeans"]
    old_img, old_txt = plain.embed_image_features(feats), plain.embed_texts(texts)
    new_img, new_txt = calibrated.embed_image_features(feats), calibrated.embed_texts(texts)
    assert new_img.shape == (3, 5) and new_txt.shape == (3, 5)
    np.testing.assert_allclose(new_img[:, :4] * math.sqrt(1.25), old_img, atol=1e-5)
    np.testing.assert_allclose(new_img[:, 4], 0.5 / math.sqrt(1.25), atol=1e-6)
    # Trained types' prompts are fully covered; the untrained one is not (its reference cosine is low).
    np.testing.assert_allclose(new_txt[:2, 4], -0.5 / math.sqrt(1.25), atol=1e-6)
    np.testing.assert_array_equal(new_txt[2], np.append(old_txt[2], 0.0))
    calls = tower.calls
    calibrated.embed_texts(["another"])
    assert tower.calls == calls + 1  # the reference prompts were encoded once


def test_write_calibration_round_trips_and_from_directory_reads_it(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, None)
    before = read_config(model)
    write_calibration(model, CalibrationParams(0.3, 0.3), chosen_by="GZSL harmonic mean, validation split")
    block = read_config(model)["calibration"]
    assert block["image_value"] == 0.3 and block["chosen_by"].startswith("GZSL")
    assert {k: v for k, v in read_config(model).items() if k != "calibration"} == before
    cache = tmp_path / "cache"
    loaded = FashionLiteEmbedder.from_directory(model, cache_dir=cache)
    assert loaded.dim == 5 and loaded.calibration_params == CalibrationParams(0.3, 0.3)
    write_calibration(model, None)
    assert "calibration" not in read_config(model)
    assert FashionLiteEmbedder.from_directory(model, cache_dir=cache).dim == 4
    config = json.loads((model / "config.json").read_text())
    config["calibration"] = {"image_value": 0.3, "text_weight": -1}
    (model / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="text_weight must be >= 0|>= 0"):
        FashionLiteEmbedder.from_directory(model, cache_dir=cache)
    with pytest.raises(ModelError, match="config.json is missing"):
        write_calibration(tmp_path / "nowhere", CalibrationParams(0.3, 0.3))


def test_a_calibration_prior_mixes_the_imagenet_names_into_image_vectors(tmp_path: Path) -> None:
    tower = WordTower()
    block = {"image_value": 0.0, "text_weight": 0.0, "prior_weight": 0.5, "prior_temperature": 2.0}
    calibrated = embedder_of(tiny_model(tmp_path, block), tower)
    plain = embedder_of(tiny_model(tmp_path, None), tower)
    rng = np.random.default_rng(4)
    feats = ImageFeatures(
        rng.standard_normal((3, 1280)).astype(np.float32),
        rng.standard_normal((3, 1000)).astype(np.float32),
        rng.random((3, COLOUR_DIM)).astype(np.float32),
    )
    # The same mix a model trained with a prior applies, with the table from the text tower.
    from fashion_search.embed.features import imagenet_prior_table

    table = imagenet_prior_table(cast(TextBackbone, tower))
    arrays = {**plain.heads.arrays, "prior_table": table}
    expected = Heads(arrays=arrays, use_colour=True, prior_weight=0.5, prior_temperature=2.0)
    got = calibrated.embed_image_features(feats)
    np.testing.assert_allclose(got[:, :4], expected.project_images(feats), atol=1e-5)
    assert np.all(got[:, 4] == 0.0)
    assert not np.allclose(got[:, :4], plain.embed_image_features(feats), atol=1e-3)
    with pytest.raises(ModelError, match="prior_temperature > 0"):
        CalibrationParams(0.3, 0.3, prior_weight=0.5, prior_temperature=0.0)
    trained = tiny_model(tmp_path / "trained", block)
    config = read_config(trained)
    config["recipe"] = {"prior_weight": 0.3}
    heads = Heads(arrays=arrays, use_colour=True, prior_weight=0.3, prior_temperature=1.0)
    with pytest.raises(ModelError, match="model trained with one"):
        FashionLiteEmbedder(heads, config, "0" * 64, cast(ImageBackbone, object()), cast(TextBackbone, tower))


def test_a_calibration_without_the_trained_type_names_is_refused_at_load(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, {"image_value": 0.3, "text_weight": 0.3})
    config = read_config(model)
    del config["type_names"]
    (model / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="no type_names"):
        FashionLiteEmbedder.from_directory(model, cache_dir=tmp_path / "cache")

"""Encoder evaluation metrics on tiny fixtures whose answers are known by hand."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from fashion_search.domain import Product
from fashion_search.errors import ValidationError
from fashion_search.eval.encoder import (
    METRIC_KEYS,
    image_to_image_precision,
    prompt_top1,
    random_projection_space,
    seen_unseen_figures,
    space_metrics,
    text_to_image_recall,
    unseen_type_top1,
)

AXES = {"Shirts": 0, "Shoes": 1, "Red": 2, "Blue": 3}


def encode(texts: Sequence[str]) -> np.ndarray:
    """A fake text side: prompts of known words map to their axis, anything else to axis 4."""
    out = np.zeros((len(texts), 5), np.float32)
    for i, t in enumerate(texts):
        word = t.removeprefix("a photo of a ")
        out[i, AXES.get(word, 4)] = 1.0
    return out


def unit(*rows: Sequence[float]) -> np.ndarray:
    x = np.asarray(rows, np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_prompt_top1_counts_nearest_prompt_among_labels_present() -> None:
    images = unit([1, 0.2, 0, 0, 0], [0.9, 1, 0, 0, 0], [0, 1, 0, 0, 0])
    # Second image is labelled Shirts but lies nearer Shoes: 2 of 3 right.
    assert prompt_top1(images, ["Shirts", "Shirts", "Shoes"], encode) == pytest.approx(2 / 3)
    # Missing labels are skipped, and nothing labelled gives None.
    assert prompt_top1(images, ["Shirts", None, "Shoes"], encode) == 1.0
    assert prompt_top1(images, [None, None, None], encode) is None


def test_recall_at_k_by_rank_of_the_aligned_image() -> None:
    images = unit([1, 0, 0], [0, 1, 0], [0, 0, 1])
    queries = unit([1, 0.1, 0], [0.9, 0.5, 0], [0, 0.6, 0.5])
    # Query 0 -> image 0 first; query 1 -> image 1 ranked 2nd; query 2 -> image 2 ranked 2nd.
    recall = text_to_image_recall(queries, images, ks=(1, 2))
    assert recall == {1: pytest.approx(1 / 3), 2: 1.0}
    with pytest.raises(ValidationError, match="aligned"):
        text_to_image_recall(queries[:2], images)


def test_precision_at_k_excludes_the_query_itself() -> None:
    angles = np.radians([0, 5, 30, 90, 80])
    images = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    labels = ["a", "a", "b", "b", "b"]
    # k=1: 0->1 (a, hit), 1->0 (hit), 2->1 (a, miss), 3->4 (hit), 4->3 (hit).
    assert image_to_image_precision(images, labels, k=1) == pytest.approx(4 / 5)
    # k larger than the pool shrinks to n-1: every other image is a neighbour.
    expected = np.mean([1 / 4, 1 / 4, 2 / 4, 2 / 4, 2 / 4])
    assert image_to_image_precision(images, labels, k=10) == pytest.approx(expected)


def product(i: int, kind: str, colour: str) -> Product:
    return Product(id=i, name=f"{colour} {kind} {i}", article_type=kind, base_colour=colour)


def test_space_metrics_has_exactly_the_issue_keys() -> None:
    products = [product(1, "Shirts", "Red"), product(2, "Shoes", "Blue")]
    images = unit([1, 0, 1, 0, 0], [0, 1, 0, 1, 0])
    metrics = space_metrics(products, images, encode, "toy")
    assert tuple(metrics) == METRIC_KEYS
    assert metrics["article_type_top1"] == 1.0 and metrics["colour_top1"] == 1.0
    assert metrics["n_images"] == 2 and metrics["model"] == "toy"
    image_only = space_metrics(products, images, None, "raw")
    assert image_only["article_type_top1"] is None and image_only["image_to_image_p10"] == 0.0


def test_unseen_type_top1_scores_only_the_unseen_photos() -> None:
    products = [product(1, "Shirts", "Red"), product(2, "Shoes", "Blue"), product(3, "Shoes", "Red")]
    images = unit([1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0.1, 0, 0, 0])
    out = unseen_type_top1(products, images, encode, ["Shoes"])
    assert out["top1"] == 0.5 and out["n_images"] == 2 and out["n_classes"] == 2
    assert out["per_type"] == {"Shoes": 0.5}


def test_random_projection_is_seeded_and_unit_norm() -> None:
    feats = np.random.default_rng(0).standard_normal((4, 12)).astype(np.float32)
    a, enc_a = random_projection_space(feats, encode, dim=3, seed=7)
    b, _ = random_projection_space(feats, encode, dim=3, seed=7)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)
    assert enc_a(["a photo of a Red"]).shape == (1, 3)


def test_unseen_type_top1_chooses_among_all_given_classes() -> None:
    # Only Shoes photos are scored, but the Shirts prompt still competes for them.
    products = [product(2, "Shoes", "Blue"), product(3, "Shoes", "Red")]
    images = unit([0, 1, 0, 0, 0], [1, 0.1, 0, 0, 0])
    out = unseen_type_top1(products, images, encode, ["Shoes"], classes=["Shirts", "Shoes"])
    assert out["top1"] == 0.5 and out["n_classes"] == 2
    alone = unseen_type_top1(products, images, encode, ["Shoes"])
    assert alone["top1"] == 1.0 and alone["n_classes"] == 1
    with pytest.raises(ValidationError, match="Boots"):
        unseen_type_top1(products, images, encode, ["Boots"], classes=["Shirts", "Shoes"])


def test_seen_figures_choose_among_the_same_classes_and_the_harmonic_mean_combines_both() -> None:
    seen = [product(1, "Shirts", "Red"), product(2, "Shirts", "Blue")]
    # The second Shirts photo is nearer the Shoes prompt: seen top-1 0.5 among both types.
    images = unit([1, 0, 0, 0, 0], [0.2, 1, 0, 0, 0])
    out = seen_unseen_figures(seen, images, {"top1": 0.25}, encode, ["Shirts", "Shoes"])
    assert out["seen_top1"] == 0.5 and out["seen_n_images"] == 2 and out["unseen_top1"] == 0.25
    assert out["harmonic_mean"] == pytest.approx(2 * 0.5 * 0.25 / 0.75)
    none = seen_unseen_figures([], images[:0], {"top1": 0.25}, encode, ["Shirts", "Shoes"])
    assert none["seen_top1"] is None and none["harmonic_mean"] is None

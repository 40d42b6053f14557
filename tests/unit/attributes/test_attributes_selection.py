"""Fitting, calibration, the choice between zero-shot and heads, and the fitted tagger.

A synthetic catalog with known answers: photo vectors carry the pattern on fixed axes that the
pattern prompts point at (zero-shot can read it), and the sleeve length only in the extra tower
features that no prompt sees (only a trained head can read it).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fashion_search.attributes.calibration import NEVER, TEMPERATURES, choose_threshold, fit_temperature
from fashion_search.attributes.features import PhotoInputs
from fashion_search.attributes.figures import attribute_figures
from fashion_search.attributes.heads import SoftmaxHead, fit_head, softmax
from fashion_search.attributes.selection import choose_method, fit_tagger
from fashion_search.attributes.split import split_ids
from fashion_search.attributes.tagger import (
    HEAD,
    ZERO_SHOT,
    AttributeChoice,
    AttributeTagger,
    TaggedValue,
    as_attributes,
    given_values,
)
from fashion_search.attributes.vocabulary import default_attributes
from fashion_search.attributes.zero_shot import PromptBank
from fashion_search.domain import Product
from fashion_search.embed.fake import FakeEmbedder
from fashion_search.errors import ModelError, ValidationError

SPECS = {k: v for k, v in default_attributes().items() if k in ("pattern", "sleeve_length")}
PATTERN = SPECS["pattern"]
PATTERNS = ("solid", "striped", "checked")
SLEEVES = {"long sleeve": "Full Sleeve", "short sleeve": "Half Sleeve"}
DIM = 16


def encode(texts: Sequence[str]) -> np.ndarray:
    """Pattern prompts point at their value's axis; any other text at a random direction."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for r, text in enumerate(texts):
        for j, value in enumerate(PATTERN.values):
            if any(phrase in text for phrase in PATTERN.phrases[value]):
                out[r, j] = 1.0
                break
        else:
            out[r] = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(DIM)
    return out


def catalog(n: int = 240, seed: int = 0) -> tuple[list[Product], PhotoInputs]:
    rng = np.random.default_rng(seed)
    products, vectors, extra = [], [], []
    for i in range(n):
        pattern = PATTERNS[i % 3]
        sleeve = list(SLEEVES)[(i // 3) % 2]
        name = f"Roadster Men {pattern.title()} {SLEEVES[sleeve]} Shirt"
        products.append(
            Product(i + 1, name, master_category="Apparel", sub_category="Topwear", article_type="Shirts")
        )
        v = rng.normal(0.0, 0.15, DIM)
        v[PATTERN.values.index(pattern)] += 1.0
        e = rng.normal(0.0, 0.15, 4)
        e[0 if sleeve == "long sleeve" else 1] += 1.0
        vectors.append(v / np.linalg.norm(v))
        extra.append(e)
    inputs = PhotoInputs(
        ids=np.arange(1, n + 1, dtype=np.int64),
        vectors=np.asarray(vectors, np.float32),
        extra=np.asarray(extra, np.float32),
        failed={},
    )
    return products, inputs


@pytest.fixture(scope="module")
def fitted() -> tuple[AttributeTagger, list[Product], PhotoInputs]:
    products, inputs = catalog()
    split = split_ids([p.id for p in products], FakeEmbedder(64), seed=0)
    tagger = fit_tagger(products, inputs, split, PromptBank(SPECS, encode), "synthetic", specs=SPECS)
    return tagger, products, inputs


def test_each_attribute_keeps_the_method_that_can_read_it(fitted: Any) -> None:
    tagger, _, _ = fitted
    pattern, sleeve = tagger.choices["pattern"].evaluation, tagger.choices["sleeve_length"].evaluation
    assert pattern[ZERO_SHOT]["accuracy"] >= 0.95
    assert tagger.choices["pattern"].method == choose_method(
        pattern[ZERO_SHOT]["val_accuracy"], pattern[HEAD]["val_accuracy"]
    )
    # No prompt sees the sleeves: zero-shot is near chance, the head reads the tower features.
    assert sleeve[ZERO_SHOT]["accuracy"] < 0.75
    assert sleeve[HEAD]["accuracy"] >= 0.95
    assert tagger.choices["sleeve_length"].method == HEAD
    assert sleeve[HEAD]["classes"] == ["short sleeve", "long sleeve"]
    assert sleeve["majority"]["accuracy"] == pytest.approx(0.5, abs=0.15)


def test_figures_report_accuracy_and_coverage_per_attribute(fitted: Any) -> None:
    tagger, _, _ = fitted
    figures = {f.name: f for f in attribute_figures(tagger)}
    assert set(figures) == {"pattern", "sleeve_length"}
    sleeve = figures["sleeve_length"]
    assert sleeve.method == HEAD
    assert sleeve.accuracy == tagger.choices["sleeve_length"].evaluation[HEAD]["accuracy"]
    assert sleeve.n_test == sleeve.n_test_labelled == sleeve.n_measured == 48  # 20% of 240, all labelled
    assert 0.8 <= sleeve.coverage <= 1.0
    assert sleeve.confident_accuracy is not None and sleeve.confident_accuracy >= 0.9
    assert figures["pattern"].majority_accuracy is not None
    assert sleeve.accuracy_by_source == {"name": sleeve.accuracy}
    assert sleeve.to_dict()["name"] == "sleeve_length"


def test_tags_are_confident_values_and_unsure_ones_stay_empty(fitted: Any) -> None:
    tagger, products, inputs = fitted
    bank = PromptBank(SPECS, encode)
    tags = tagger.tag(products[:30], inputs.subset([p.id for p in products[:30]]), bank)
    right = 0
    for product, tag in zip(products[:30], tags, strict=True):
        attrs = as_attributes(tag)
        right += attrs.get("pattern", "") in product.name.lower()
        right += attrs.get("sleeve_length") == ("long sleeve" if "Full" in product.name else "short sleeve")
        for values in tag.values():
            assert all(v.confidence >= tagger.choices[name].threshold for name in tag for v in tag[name])
            assert len(values) == 1  # single-valued attributes
    assert right >= 55  # of 60
    # A photo halfway between every value of both attributes: nothing is confident enough to say.
    vector = np.zeros(DIM, np.float32)
    vector[:3] = 1.0 / np.sqrt(3.0)
    blank = PhotoInputs(
        ids=np.asarray([999], np.int64),
        vectors=vector[None, :],
        extra=np.asarray([[0.5, 0.5, 0.0, 0.0]], np.float32),
        failed={},
    )
    unsure = Product(999, "Shirt", sub_category="Topwear", article_type="Shirts")
    assert tagger.tag([unsure], blank, bank) == [{}]
    # A kind of product with no training labels is never tagged, however clear its photo.
    kurta = Product(997, "Kurta", master_category="Apparel", sub_category="Topwear", article_type="Kurtas")
    assert tagger.choices["pattern"].kinds == frozenset({"shirt"})
    assert tagger.tag([kurta], inputs.subset([1]), bank) == [{}]
    # Attributes that do not apply are not tagged.
    bag = Product(998, "Bag", master_category="Accessories", sub_category="Bags")
    assert "sleeve_length" not in tagger.tag([bag], inputs.subset([1]), bank)[0]


def test_saved_tagger_loads_with_the_same_tags(fitted: Any, tmp_path: Path) -> None:
    tagger, products, inputs = fitted
    tagger.save(tmp_path)
    loaded = AttributeTagger.load(tmp_path)
    assert loaded.version == tagger.version
    assert loaded.embedder_name == "synthetic"
    bank = PromptBank(SPECS, encode)
    some = products[:12]
    assert loaded.tag(some, inputs.subset([p.id for p in some]), bank) == tagger.tag(
        some, inputs.subset([p.id for p in some]), bank
    )
    (tmp_path / "tagger.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="cannot read the attribute tagger"):
        AttributeTagger.load(tmp_path)


def test_choose_method_prefers_zero_shot_unless_the_head_is_better() -> None:
    assert choose_method(0.7, 0.71) == HEAD
    assert choose_method(0.7, 0.7) == ZERO_SHOT
    assert choose_method(0.7, None) == ZERO_SHOT
    assert choose_method(None, 0.4) == HEAD
    assert choose_method(None, None) == ZERO_SHOT


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((4000, 4)).astype(np.float32)
    true_t = 0.25
    p = softmax(logits / true_t)
    truth = np.asarray([rng.choice(4, p=row / row.sum()) for row in p.astype(np.float64)])
    assert fit_temperature(logits, truth, smoothing=0.0) == pytest.approx(true_t, rel=0.15)
    assert fit_temperature(np.zeros((0, 3), np.float32), np.zeros(0, np.int64)) == 1.0
    # Perfectly separated scores: without smoothing the sharpest temperature wins, with it not.
    separated = np.eye(3, dtype=np.float32)[np.arange(300) % 3]
    truth = np.arange(300) % 3
    assert fit_temperature(separated, truth, smoothing=0.0) == min(TEMPERATURES)
    t = fit_temperature(separated, truth)
    assert t > 0.1 and softmax(separated / t).max() < 0.99
    # -inf marks a value the method cannot give; it takes no part.
    partial = np.where(np.arange(3) == 2, -np.inf, separated).astype(np.float32)[truth < 2]
    assert np.isfinite(fit_temperature(partial, truth[truth < 2]))


def test_choose_threshold_is_the_lowest_confidence_keeping_the_target_precision() -> None:
    conf = np.asarray([0.99, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    right = np.asarray([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0], bool)
    # Kept down to 0.3: 8 right of 10 = 0.8.
    assert choose_threshold(conf, right, target=0.8, min_support=5) == pytest.approx(0.3)
    assert choose_threshold(conf, right, target=1.0, min_support=5) == pytest.approx(0.5)
    assert choose_threshold(conf, right, target=1.0, min_support=9) == NEVER
    assert choose_threshold(conf[:3], right[:3], target=0.5, min_support=10) == NEVER
    with pytest.raises(ValidationError):
        choose_threshold(conf, right, target=0.0)


def test_head_learns_separable_classes_and_round_trips() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 5)).astype(np.float32)
    labels = ["a" if row[0] + row[1] > 0 else "b" for row in x]
    head = fit_head(x, labels, ["a", "b"])
    predicted = [head.classes[i] for i in head.logits(x).argmax(axis=1)]
    assert np.mean([p == t for p, t in zip(predicted, labels, strict=True)]) > 0.95
    again = SoftmaxHead.from_arrays("h", head.to_arrays("h"), head.classes)
    np.testing.assert_array_equal(again.logits(x), head.logits(x))
    with pytest.raises(ValidationError, match="not among the classes"):
        fit_head(x, ["c"] * 300, ["a", "b"])
    with pytest.raises(ValidationError, match="expects"):
        head.logits(x[:, :3])


class _Holdout:
    name = "with-holdout"
    dim = 4
    config = {"holdout_ids": list(range(80, 100))}


def test_split_uses_the_model_holdout_for_calibration_and_test() -> None:
    ids = list(range(100))
    split = split_ids(ids, _Holdout(), seed=3)  # type: ignore[arg-type]
    assert split.source == "model holdout"
    assert set(split.val) | set(split.test) == set(range(80, 100))
    assert len(split.val) == 8 and len(split.test) == 12
    assert set(split.train) == set(range(80))
    random = split_ids(ids, FakeEmbedder(64), seed=3)
    assert random.source == "random"
    parts = [set(random.train), set(random.val), set(random.test)]
    assert sum(map(len, parts)) == 100 and set().union(*parts) == set(ids)
    assert len(random.test) == 20
    assert split_ids(ids, FakeEmbedder(64), seed=3) == random
    with pytest.raises(ValidationError, match="fractions"):
        split_ids(ids, FakeEmbedder(64), test_fraction=1.5)


def test_the_none_value_is_measured_but_never_given() -> None:
    style = default_attributes()["style"]
    assert style.none_value == "none" and "none" in style.values
    ranked = [TaggedValue("none", 0.9), TaggedValue("sporty", 0.5)]
    assert given_values(style, ranked) == []
    assert given_values(style, ranked[::-1]) == [TaggedValue("sporty", 0.5)]
    pattern = default_attributes()["pattern"]
    assert given_values(pattern, [TaggedValue("solid", 0.9)]) == [TaggedValue("solid", 0.9)]


def test_a_loaded_tagger_keeps_the_vocabulary_order(tmp_path: Path) -> None:
    choices = {
        name: AttributeChoice(name, ZERO_SHOT, 1.0, 0.5, kinds=frozenset({"shirt"}))
        for name in ("style", "details")
    }
    AttributeTagger(choices, "m").save(tmp_path)
    loaded = AttributeTagger.load(tmp_path)
    assert list(loaded.choices) == ["style", "details"]  # not the JSON's sorted keys
    assert loaded.choices["details"].kinds == frozenset({"shirt"})

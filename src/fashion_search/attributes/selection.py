"""Fit both methods for every attribute, measure them on held-out photos, keep the better one.

Per attribute:

1. **Weak labels** (:mod:`~fashion_search.attributes.weak_labels`) of the training, calibration and
   test photos the attribute applies to.
2. **Zero-shot** needs no fitting; a **head** is fitted on the training labels when at least two
   values have :data:`MIN_LABELS` of them (otherwise the record says why there is none).
3. **Calibration** photos fit each method's temperature and its confidence threshold (the lowest
   at which :data:`TARGET_PRECISION` of the kept values were right, and never below
   :data:`MIN_CONFIDENCE`), and measure its accuracy.
4. The method with the higher calibration accuracy is kept (zero-shot on a tie: it needs no
   labels), so the test photos decide nothing.
5. An attribute is only given for kinds of product (article types) with :data:`MIN_KIND_LABELS`
   training labels: whatever a method says about other kinds was never measured. A value meaning
   "none" (a casual basic has no style) is predicted and measured but never stored.
6. **Test** photos measure each method: top-1 accuracy against the weak labels (a prediction is
   right when it is one of the product's labelled values), the same for the majority value of the
   training labels as a floor, accuracy by label source (name / metadata), and, at the threshold,
   the share of all applicable test photos given a value (coverage) and the accuracy of those.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fashion_search.attributes.calibration import NEVER, choose_threshold, fit_temperature
from fashion_search.attributes.features import PhotoInputs
from fashion_search.attributes.heads import SoftmaxHead, fit_head
from fashion_search.attributes.split import Split
from fashion_search.attributes.tagger import (
    HEAD,
    ZERO_SHOT,
    AttributeChoice,
    AttributeTagger,
    calibrated,
    head_inputs,
    method_logits,
)
from fashion_search.attributes.vocabulary import AttributeSpec, default_attributes, item_word
from fashion_search.attributes.weak_labels import WeakLabel, weak_label
from fashion_search.attributes.zero_shot import PromptBank
from fashion_search.domain import Product
from fashion_search.errors import ValidationError

MIN_LABELS = 10
"""Training labels a value needs before a head learns it."""
TARGET_PRECISION = 0.8
MIN_CONFIDENCE = 0.5
"""Floor of every threshold: a calibrated confidence below it says the value is more likely wrong
than right, however precise the values above it were on average."""
MIN_KIND_LABELS = 10
"""Training labels a kind of product (its article type) needs before the attribute is given for it:
on kinds without labels nothing was measured, so the tagger says nothing there."""

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class _Part:
    """The applicable photos of one split part, and the weak labels of those that have one."""

    products: list[Product]
    inputs: PhotoInputs
    labels: list[WeakLabel | None]

    @property
    def labelled(self) -> list[int]:
        return [i for i, lab in enumerate(self.labels) if lab is not None]

    @property
    def known(self) -> list[WeakLabel]:
        """The labels of :attr:`labelled`, in the same order."""
        return [lab for lab in self.labels if lab is not None]


def _part(
    spec: AttributeSpec, ids: Sequence[int], products: Mapping[int, Product], inputs: PhotoInputs
) -> _Part:
    kept = [i for i in ids if spec.applies_to(products[i])]
    chosen = [products[i] for i in kept]
    return _Part(chosen, inputs.subset(kept), [weak_label(p, spec) for p in chosen])


def _truth(spec: AttributeSpec, logits: np.ndarray, labels: Sequence[WeakLabel]) -> np.ndarray:
    """Per row, the labelled value the method scores highest (the one it should have picked)."""
    out = np.empty(len(labels), dtype=np.int64)
    for r, lab in enumerate(labels):
        idx = [spec.values.index(v) for v in sorted(lab.values)]
        out[r] = idx[int(np.argmax(logits[r, idx]))]
    return out


def _right(spec: AttributeSpec, top: np.ndarray, labels: Sequence[WeakLabel]) -> np.ndarray:
    return np.asarray([spec.values[int(t)] in lab.values for t, lab in zip(top, labels, strict=True)], bool)


def _covered(products: Sequence[Product], kinds: frozenset[str] | None) -> np.ndarray:
    return np.asarray([kinds is None or item_word(p) in kinds for p in products], dtype=bool)


def _measure(
    spec: AttributeSpec,
    method: str,
    head: SoftmaxHead | None,
    bank: PromptBank,
    val: _Part,
    test: _Part,
    target: float,
    kinds: frozenset[str] | None,
) -> tuple[float, float, dict[str, Any]]:
    """Temperature, threshold and calibration accuracy from ``val``; figures on ``test``.

    Only products of the kinds the attribute is given for (``kinds``) are calibrated and measured;
    coverage counts every applicable test product, so kinds left out lower it.
    """
    val_covered = _covered(val.products, kinds)
    rows = [i for i in val.labelled if val_covered[i]]
    val_labels = [lab for i, lab in enumerate(val.labels) if lab is not None and val_covered[i]]
    logits = method_logits(
        method,
        spec,
        head,
        bank,
        val.inputs.subset(val.inputs.ids[rows].tolist()),
        [item_word(val.products[i]) for i in rows],
    )
    truth = _truth(spec, logits, val_labels) if rows else np.zeros(0, np.int64)
    finite = np.isfinite(logits[np.arange(len(truth)), truth]) if rows else np.zeros(0, bool)
    temperature = fit_temperature(logits[finite], truth[finite])
    threshold = NEVER
    val_accuracy = None
    if rows:
        probs = calibrated(logits, temperature)
        val_right = _right(spec, probs.argmax(axis=1), val_labels)
        val_accuracy = round(float(val_right.mean()), 4)
        threshold = max(choose_threshold(probs.max(axis=1), val_right, target), MIN_CONFIDENCE)
    n = len(test.products)
    t_logits = method_logits(method, spec, head, bank, test.inputs, [item_word(p) for p in test.products])
    t_probs = calibrated(t_logits, temperature) if n else np.zeros((0, len(spec.values)), np.float32)
    top = t_probs.argmax(axis=1) if n else np.zeros(0, np.int64)
    conf = t_probs.max(axis=1) if n else np.zeros(0)
    covered = _covered(test.products, kinds)
    none_index = spec.values.index(spec.none_value) if spec.none_value is not None else -1
    # Given: a stored value (confident, of a covered kind, and not "none of them").
    given = (conf >= threshold) & covered & (top != none_index)
    labelled = [i for i in test.labelled if covered[i]]
    labels = [lab for i in labelled if (lab := test.labels[i]) is not None]
    right = _right(spec, top[labelled], labels) if labelled else np.zeros(0, bool)
    sure = given[labelled] if labelled else np.zeros(0, bool)
    by_source: dict[str, float] = {}
    for source in sorted({lab.source for lab in labels}):
        mask = np.asarray([lab.source == source for lab in labels])
        by_source[source] = round(float(right[mask].mean()), 4)
    figures: dict[str, Any] = {
        "accuracy": round(float(right.mean()), 4) if labelled else None,
        "n_measured": len(labelled),
        "val_accuracy": val_accuracy,
        "accuracy_by_source": by_source,
        "coverage": round(float(given.mean()), 4) if n else 0.0,
        "confident_accuracy": round(float(right[sure].mean()), 4) if sure.any() else None,
        "n_confident_labelled": int(sure.sum()),
        "temperature": round(temperature, 5),
        "threshold": round(threshold, 4),
    }
    return temperature, threshold, figures


def choose_method(zero_shot_accuracy: float | None, head_accuracy: float | None) -> str:
    """The method kept for an attribute: the head only when it measured strictly better on the
    calibration photos (zero-shot wins ties and cases with nothing to compare: it needs no labels)."""
    if head_accuracy is None:
        return ZERO_SHOT
    if zero_shot_accuracy is None or head_accuracy > zero_shot_accuracy:
        return HEAD
    return ZERO_SHOT


def _fit_attribute(
    spec: AttributeSpec,
    split: Split,
    products: Mapping[int, Product],
    inputs: PhotoInputs,
    bank: PromptBank,
    target: float,
) -> AttributeChoice:
    train = _part(spec, split.train, products, inputs)
    val = _part(spec, split.val, products, inputs)
    test = _part(spec, split.test, products, inputs)
    train_rows: list[int] = []
    train_values: list[str] = []
    for i in train.labelled:
        label = train.labels[i]
        assert label is not None
        for value in sorted(label.values):
            train_rows.append(i)
            train_values.append(value)
    counts = Counter(train_values)
    per_kind = Counter(item_word(train.products[i]) for i in train.labelled)
    kinds = frozenset(k for k, c in per_kind.items() if c >= MIN_KIND_LABELS)
    evaluation: dict[str, Any] = {
        "n_test": len(test.products),
        "n_test_labelled": len(test.labelled),
        "n_val_labelled": len(val.labelled),
        "n_train_labels": len(train_values),
        "train_label_counts": {v: counts[v] for v in spec.values if counts[v]},
        "kinds": sorted(kinds),
    }
    covered = _covered(test.products, kinds)
    test_labels = [lab for i, lab in enumerate(test.labels) if lab is not None and covered[i]]
    if counts and test_labels:
        majority = counts.most_common(1)[0][0]
        evaluation["majority"] = {
            "value": majority,
            "accuracy": round(float(np.mean([majority in lab.values for lab in test_labels])), 4),
        }
    candidates: dict[str, tuple[float, float, SoftmaxHead | None]] = {}
    temperature, threshold, figures = _measure(spec, ZERO_SHOT, None, bank, val, test, target, kinds)
    evaluation[ZERO_SHOT] = figures
    candidates[ZERO_SHOT] = (temperature, threshold, None)
    classes = [v for v in spec.values if counts[v] >= MIN_LABELS]
    if len(classes) >= 2:
        keep = [r for r, v in enumerate(train_values) if v in classes]
        x = head_inputs(train.inputs.subset(train.inputs.ids[[train_rows[r] for r in keep]].tolist()))
        head = fit_head(x, [train_values[r] for r in keep], classes)
        temperature, threshold, figures = _measure(spec, HEAD, head, bank, val, test, target, kinds)
        figures["classes"] = list(classes)
        evaluation[HEAD] = figures
        candidates[HEAD] = (temperature, threshold, head)
    else:
        evaluation[HEAD] = {
            "skipped": f"fewer than two values with {MIN_LABELS} training labels "
            f"({dict(counts) or 'no labels'})"
        }
    chosen = choose_method(evaluation[ZERO_SHOT].get("val_accuracy"), evaluation[HEAD].get("val_accuracy"))
    if chosen == HEAD and HEAD not in candidates:
        chosen = ZERO_SHOT
    evaluation["chosen"] = chosen
    temperature, threshold, head_kept = candidates[chosen]
    return AttributeChoice(spec.name, chosen, temperature, threshold, head_kept, evaluation, kinds)


def fit_tagger(
    products: Sequence[Product],
    inputs: PhotoInputs,
    split: Split,
    bank: PromptBank,
    embedder_name: str,
    *,
    specs: Mapping[str, AttributeSpec] | None = None,
    target_precision: float = TARGET_PRECISION,
    progress: Progress | None = None,
) -> AttributeTagger:
    """Fit, measure and choose per attribute (see the module docstring)."""
    specs = dict(specs or default_attributes())
    by_id = {p.id: p for p in products}
    present = set(inputs.ids.tolist())
    missing = [i for part in (split.train, split.val, split.test) for i in part if i not in present]
    if missing:
        raise ValidationError(f"{len(missing)} split ids have no photo inputs, e.g. {missing[:5]}")
    for name, spec in specs.items():
        # Only the kinds of product an attribute applies to need its prompts.
        items = {item_word(by_id[i]) for i in present if spec.applies_to(by_id[i])}
        bank.prepare(sorted(items), [name])
    choices: dict[str, AttributeChoice] = {}
    for done, (name, spec) in enumerate(specs.items(), start=1):
        choices[name] = _fit_attribute(spec, split, by_id, inputs, bank, target_precision)
        if progress is not None:
            progress("fitting attributes", done, len(specs))
    info = {
        "split": split.source,
        "n_train": len(split.train),
        "n_val": len(split.val),
        "n_test": len(split.test),
        "target_precision": target_precision,
        "min_labels": MIN_LABELS,
        "min_kind_labels": MIN_KIND_LABELS,
        "min_confidence": MIN_CONFIDENCE,
    }
    return AttributeTagger(choices, embedder_name, specs=specs, info=info)

"""Calibrated stacking for article types without a training photo, inside the embedding space.

A head trained on photos of some article types ("seen") pulls a photo of any other type onto the
nearest seen type's prompt: a photo of flip flops lands on "a photo of a Sandals". Calibrated
stacking (Chao et al., 2016) removes a constant from every seen class's score before taking the
best class. Here the subtraction is carried by one extra coordinate, so plain cosine similarity
does it and no caller changes:

* an image vector ``x`` (unit) becomes ``[x, b] / sqrt(1 + b^2)``: every image gets the same
  constant ``b`` (``image_value``);
* a text vector ``t`` (unit) becomes ``[t, -g s] / sqrt(1 + (g s)^2)``, where ``g`` is
  ``text_weight`` and ``s`` in [0, 1] is how well the text is *covered* by training: the highest
  cosine of its MiniLM vector to the reference prompts ("a photo of a {type}" for every article type
  that had training photos), mapped linearly from ``[low, high]`` onto ``[0, 1]`` and clipped.

So ``cos(image, text) = (x . t - b g s) / (sqrt(1 + b^2) sqrt(1 + (g s)^2))``. For one text, every
image's score is the same increasing affine function of ``x . t``, so text -> image rankings are
unchanged; image -> image cosines are ``(x1 . x2 + b^2) / (1 + b^2)``, so those rankings are
unchanged too. Texts below ``low`` (product names, colour prompts, most free text) get ``s = 0``
and keep their vectors (plus a zero). Only image -> text choices move: a covered prompt loses
``b g s`` and is shrunk, so a photo far from every seen type can pick a prompt nobody trained on.

Optionally (``prior_weight``) the ImageNet-name prior is mixed into image vectors at inference:
ImageNet knows jeans, miniskirts, backpacks, Windsor ties, sandals, stoles, purses, gowns and
buckles, cues that a head trained only on the seen types lacks. That part does change image
vectors (and text -> image scores); it is measured separately in the model card.

The configuration lives in the model's ``config.json`` under ``"calibration"`` (absent: no extra
coordinate, vectors exactly as before); the reference prompts are rebuilt from the config's
``type_names`` with the text tower on first use.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fashion_search.embed.base import l2_normalise
from fashion_search.errors import ModelError, ValidationError

CONFIG_KEY = "calibration"
"""The key of the calibration block in a model's config.json."""
REFERENCE_PROMPT = "a photo of a {}"
"""Reference texts: this prompt for every article type the model was trained on."""

TextTower = Callable[[Sequence[str]], np.ndarray]
"""Texts -> unit MiniLM vectors (the frozen text tower)."""


@dataclass(frozen=True)
class CalibrationParams:
    """The numbers of a calibration (what config.json records)."""

    image_value: float
    """``b``: the constant every image vector carries in the extra coordinate."""
    text_weight: float
    """``g``: a fully covered text carries ``-g`` there."""
    low: float = 0.95
    """Coverage is 0 for a best reference cosine at or below this."""
    high: float = 0.99
    """Coverage is 1 for a best reference cosine at or above this."""
    prior_weight: float = 0.0
    """Weight of the ImageNet-name prior mixed into the image head's shared part at inference
    (0 = none): the MiniLM vectors of ImageNet's class names weighted by the backbone's class
    probabilities, the same mix a recipe's ``prior_weight`` trains with. Unlike the extra
    coordinate, it changes image vectors themselves (and so text -> image scores)."""
    prior_temperature: float = 1.0
    """Softmax temperature of the ImageNet logits for the prior."""

    def __post_init__(self) -> None:
        for name in ("image_value", "text_weight", "low", "high", "prior_weight", "prior_temperature"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ModelError(f"calibration {name} must be a finite number, got {value!r}")
        if self.image_value < 0 or self.text_weight < 0:
            raise ModelError(
                f"calibration image_value and text_weight must be >= 0, got {self.image_value} "
                f"and {self.text_weight}"
            )
        if self.prior_weight < 0 or self.prior_temperature <= 0:
            raise ModelError(
                f"calibration prior_weight must be >= 0 and prior_temperature > 0, got {self.prior_weight} "
                f"and {self.prior_temperature}"
            )
        if not -1.0 <= self.low < self.high <= 1.0:
            raise ModelError(
                "calibration needs -1 <= low < high <= 1 (cosine bounds), "
                f"got low={self.low}, high={self.high}"
            )

    @property
    def penalty(self) -> float:
        """``b g``: what a fully covered text loses against an uncovered one (before shrinking)."""
        return self.image_value * self.text_weight

    def to_config(self) -> dict[str, float]:
        out = {
            "image_value": float(self.image_value),
            "text_weight": float(self.text_weight),
            "low": float(self.low),
            "high": float(self.high),
        }
        if self.prior_weight > 0:
            out["prior_weight"] = float(self.prior_weight)
            out["prior_temperature"] = float(self.prior_temperature)
        return out

    @classmethod
    def from_config(cls, block: Any) -> CalibrationParams:
        """Parse config.json's calibration block; errors name the bad field."""
        if not isinstance(block, Mapping):
            raise ModelError(f"config.json {CONFIG_KEY!r} must be an object, got {type(block).__name__}")
        known = {
            "image_value",
            "text_weight",
            "low",
            "high",
            "prior_weight",
            "prior_temperature",
            "chosen_by",
        }
        unknown = sorted(set(block) - known)
        if unknown:
            raise ModelError(
                f"config.json {CONFIG_KEY!r} has unknown fields {unknown}; known: {sorted(known)}"
            )
        missing = sorted({"image_value", "text_weight"} - set(block))
        if missing:
            raise ModelError(f"config.json {CONFIG_KEY!r} lacks {missing}")
        return cls(
            image_value=block["image_value"],
            text_weight=block["text_weight"],
            low=block.get("low", cls.low),
            high=block.get("high", cls.high),
            prior_weight=block.get("prior_weight", cls.prior_weight),
            prior_temperature=block.get("prior_temperature", cls.prior_temperature),
        )


def reference_texts(type_names: Sequence[str]) -> list[str]:
    """The reference prompts of the trained article types."""
    return [REFERENCE_PROMPT.format(t) for t in type_names]


class Calibration:
    """A calibration bound to its reference vectors; appends the extra coordinate."""

    def __init__(self, params: CalibrationParams, reference: np.ndarray) -> None:
        reference = np.asarray(reference, dtype=np.float32)
        if reference.ndim != 2 or len(reference) == 0:
            raise ModelError(
                f"calibration needs a non-empty (k, d) reference matrix, got shape {reference.shape}"
            )
        self.params = params
        self.reference = l2_normalise(reference)

    @classmethod
    def for_types(cls, params: CalibrationParams, type_names: Sequence[str], tower: TextTower) -> Calibration:
        """Reference = the prompts of ``type_names`` (the trained types) through ``tower``."""
        if not type_names:
            raise ModelError("calibration needs the trained article type names (config.json type_names)")
        return cls(params, tower(reference_texts(type_names)))

    def coverage(self, minilm: np.ndarray) -> np.ndarray:
        """``s`` in [0, 1] for each row of unit MiniLM vectors."""
        minilm = np.asarray(minilm, dtype=np.float32)
        if minilm.ndim != 2 or minilm.shape[1] != self.reference.shape[1]:
            raise ValidationError(
                f"coverage needs (n, {self.reference.shape[1]}) text tower vectors, got shape {minilm.shape}"
            )
        best = (l2_normalise(minilm) @ self.reference.T).max(axis=1)
        p = self.params
        return np.clip((best - p.low) / (p.high - p.low), 0.0, 1.0).astype(np.float32)

    def extend_images(self, vectors: np.ndarray) -> np.ndarray:
        """``[x, b]`` renormalised, for unit image vectors ``x``."""
        return extend_images(vectors, self.params.image_value)

    def extend_texts(self, vectors: np.ndarray, minilm: np.ndarray) -> np.ndarray:
        """``[t, -g s]`` renormalised, for unit text vectors ``t`` and their MiniLM vectors."""
        return extend_texts(vectors, self.params.text_weight * self.coverage(minilm))


def extend_images(vectors: np.ndarray, image_value: float) -> np.ndarray:
    """Append the constant ``image_value`` to every (unit) row and renormalise."""
    vectors = np.asarray(vectors, dtype=np.float32)
    extra = np.full((len(vectors), 1), image_value, dtype=np.float32)
    return l2_normalise(np.concatenate([vectors, extra], axis=1))


def extend_texts(vectors: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Append ``-weight`` (one value per row) to the (unit) rows and renormalise."""
    vectors = np.asarray(vectors, dtype=np.float32)
    weight = np.asarray(weight, dtype=np.float32).reshape(-1, 1)
    if len(weight) != len(vectors):
        raise ValidationError(f"{len(weight)} text weights for {len(vectors)} text vectors")
    return l2_normalise(np.concatenate([vectors, -weight], axis=1))


# --------------------------------------------------------------------------------------------
# Choosing the numbers: generalised zero-shot protocol
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GzslPoint:
    """Seen / unseen top-1 (each among all candidate classes) and their harmonic mean."""

    params: CalibrationParams
    seen_top1: float
    unseen_top1: float

    @property
    def harmonic_mean(self) -> float:
        return harmonic_mean(self.seen_top1, self.unseen_top1)

    def to_dict(self) -> dict[str, float]:
        return {
            **self.params.to_config(),
            "seen_top1": self.seen_top1,
            "unseen_top1": self.unseen_top1,
            "harmonic_mean": self.harmonic_mean,
        }


def harmonic_mean(a: float, b: float) -> float:
    return 0.0 if a + b <= 0 else 2.0 * a * b / (a + b)


def gzsl_scores(
    images: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    class_vectors: np.ndarray,
    class_minilm: np.ndarray,
    unseen: Sequence[str],
    calibration: Calibration | None,
) -> tuple[float, float]:
    """Top-1 among all ``classes`` of the photos of seen and of ``unseen`` classes: (seen, unseen).

    ``images`` are the model's unit image vectors (without the extra coordinate), ``class_vectors``
    its unit text vectors of the class prompts and ``class_minilm`` their tower vectors.
    """
    if len(labels) != len(images):
        raise ValidationError(f"{len(labels)} labels for {len(images)} images")
    if calibration is None:
        img, txt = np.asarray(images, np.float32), np.asarray(class_vectors, np.float32)
    else:
        img = calibration.extend_images(images)
        txt = calibration.extend_texts(class_vectors, class_minilm)
    predicted = np.asarray(classes, dtype=object)[np.argmax(img @ txt.T, axis=1)]
    truth = np.asarray(labels, dtype=object)
    is_unseen = np.isin(truth, np.asarray(list(unseen), dtype=object))
    if not is_unseen.any() or is_unseen.all():
        raise ValidationError("the GZSL protocol needs photos of both seen and unseen classes")
    correct = predicted == truth
    return float(correct[~is_unseen].mean()), float(correct[is_unseen].mean())


def gzsl_sweep(
    images: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    class_vectors: np.ndarray,
    class_minilm: np.ndarray,
    unseen: Sequence[str],
    reference: np.ndarray,
    grid: Sequence[CalibrationParams],
) -> list[GzslPoint]:
    """:func:`gzsl_scores` for every calibration in ``grid`` (same reference vectors)."""
    out = []
    for params in grid:
        seen, unseen_acc = gzsl_scores(
            images, labels, classes, class_vectors, class_minilm, unseen, Calibration(params, reference)
        )
        out.append(GzslPoint(params, seen, unseen_acc))
    return out


def best_point(points: Sequence[GzslPoint]) -> GzslPoint:
    """The point with the highest harmonic mean (ties: the smaller penalty, then the first)."""
    if not points:
        raise ValidationError("no calibration was measured")
    return max(points, key=lambda p: (round(p.harmonic_mean, 6), -p.params.penalty))


def symmetric_grid(
    weights: Sequence[float], low: float = 0.95, high: float = 0.99, prior_weight: float = 0.0
) -> list[CalibrationParams]:
    """Calibrations with ``image_value = text_weight = w`` for each ``w`` (penalty ``w^2``)."""
    return [
        CalibrationParams(image_value=w, text_weight=w, low=low, high=high, prior_weight=prior_weight)
        for w in weights
    ]


# --------------------------------------------------------------------------------------------
# Model directories
# --------------------------------------------------------------------------------------------


def write_calibration(model_dir: Path, params: CalibrationParams | None, chosen_by: str = "") -> None:
    """Record ``params`` in ``model_dir``'s config.json (None removes the calibration).

    ``chosen_by`` says how the numbers were chosen (kept next to them). The file is replaced
    atomically; the heads are untouched, but the embedder's name changes with the calibration, so
    stored vectors are re-embedded.
    """
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        raise ModelError(f"{model_dir} is not a model directory: config.json is missing")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if not isinstance(config, dict):
        raise ModelError(f"{path} does not hold a JSON object")
    if params is None:
        config.pop(CONFIG_KEY, None)
    else:
        block: dict[str, Any] = params.to_config()
        if chosen_by:
            block["chosen_by"] = chosen_by
        config[CONFIG_KEY] = block
    fd, tmp = tempfile.mkstemp(prefix=".config.", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(config, indent=1) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)

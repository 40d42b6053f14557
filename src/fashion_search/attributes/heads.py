"""Small trained heads: multinomial logistic regression in NumPy on a photo's features.

One head per attribute, fitted on the weak labels of the training products. Inputs are standardised
with the training mean and spread; classes are weighted by the inverse square root of their
frequency, so a rare value ("sleeveless") is not drowned by a common one without being blown up
to equal weight; an L2 penalty keeps the weights small. Full-batch Adam converges in a few hundred
steps on a few thousand photos, which takes seconds on a CPU.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fashion_search.errors import ValidationError


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class SoftmaxHead:
    """``softmax(((x - mean) * scale) @ w + b)`` over ``classes``."""

    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    w: np.ndarray
    b: np.ndarray

    def logits(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.mean.shape[0]:
            raise ValidationError(f"head expects (n, {self.mean.shape[0]}) inputs, got {x.shape}")
        return (((x - self.mean) * self.scale) @ self.w + self.b).astype(np.float32)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}.mean": self.mean,
            f"{prefix}.scale": self.scale,
            f"{prefix}.w": self.w,
            f"{prefix}.b": self.b,
        }

    @classmethod
    def from_arrays(
        cls, prefix: str, arrays: Mapping[str, np.ndarray], classes: Sequence[str]
    ) -> SoftmaxHead:
        try:
            return cls(
                classes=tuple(classes),
                mean=arrays[f"{prefix}.mean"],
                scale=arrays[f"{prefix}.scale"],
                w=arrays[f"{prefix}.w"],
                b=arrays[f"{prefix}.b"],
            )
        except KeyError as exc:
            raise ValidationError(f"saved head {prefix!r} lacks array {exc.args[0]!r}") from None


def fit_head(
    x: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    *,
    l2: float = 1e-3,
    steps: int = 300,
    lr: float = 0.05,
    seed: int = 0,
) -> SoftmaxHead:
    """Fit a head on rows ``x`` labelled ``labels`` (each one of ``classes``)."""
    if x.ndim != 2 or x.shape[0] != len(labels):
        raise ValidationError(f"{x.shape[0] if x.ndim == 2 else '?'} feature rows for {len(labels)} labels")
    if len(classes) < 2:
        raise ValidationError(f"a head needs at least two classes, got {list(classes)}")
    position = {c: i for i, c in enumerate(classes)}
    unknown = sorted({lab for lab in labels if lab not in position})
    if unknown:
        raise ValidationError(f"labels {unknown} are not among the classes {list(classes)}")
    y = np.asarray([position[lab] for lab in labels], dtype=np.int64)
    mean = x.mean(axis=0).astype(np.float32)
    scale = (1.0 / np.maximum(x.std(axis=0), 1e-4)).astype(np.float32)
    xs = ((x - mean) * scale).astype(np.float32)
    n, d = xs.shape
    k = len(classes)
    counts = np.bincount(y, minlength=k).astype(np.float64)
    class_w = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1.0)), 0.0)
    sample_w = class_w[y]
    sample_w = (sample_w / sample_w.sum()).astype(np.float32)
    onehot = np.zeros((n, k), dtype=np.float32)
    onehot[np.arange(n), y] = 1.0
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((d, k)) * 0.01).astype(np.float32)
    b = np.zeros(k, dtype=np.float32)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        p = softmax(xs @ w + b)
        g = (p - onehot) * sample_w[:, None]
        grad_w = xs.T @ g + l2 * w
        grad_b = g.sum(axis=0)
        for param, grad, m, v in ((w, grad_w, m_w, v_w), (b, grad_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return SoftmaxHead(tuple(classes), mean, scale, w, b)

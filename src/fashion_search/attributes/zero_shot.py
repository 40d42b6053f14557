"""Zero-shot attributes: compare a photo's vector with sentences describing each value.

The sentences name the product's own article type ("a photo of a shirt with long sleeves"), so the
comparison is between values of one kind of product rather than between kinds. Each value's
sentences are embedded by the embedder's text side, averaged and normalised; the scores are the
cosine similarities, turned into confidences by :mod:`fashion_search.attributes.calibration`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from fashion_search.attributes.vocabulary import AttributeSpec
from fashion_search.embed.base import l2_normalise

TextEncoder = Callable[[Sequence[str]], np.ndarray]


class PromptBank:
    """Prompt vectors per attribute and product word, encoded in batches and kept."""

    def __init__(self, specs: Mapping[str, AttributeSpec], encode: TextEncoder) -> None:
        self.specs = specs
        self._encode = encode
        self._table: dict[tuple[str, str], np.ndarray] = {}

    def prepare(self, items: Sequence[str], names: Sequence[str] | None = None) -> None:
        """Encode the prompts of the attributes ``names`` (default: all) for the given product words
        in one go; pairs already encoded are skipped."""
        chosen = list(self.specs) if names is None else [n for n in names if n in self.specs]
        wanted = [(name, item) for item in sorted(set(items)) for name in chosen]
        wanted = [key for key in wanted if key not in self._table]
        if not wanted:
            return
        texts: list[str] = []
        spans: list[tuple[tuple[str, str], list[tuple[int, int]]]] = []
        for name, item in wanted:
            spec = self.specs[name]
            parts = []
            for value in spec.values:
                prompts = spec.prompts(value, item)
                parts.append((len(texts), len(texts) + len(prompts)))
                texts.extend(prompts)
            spans.append(((name, item), parts))
        unique = sorted(set(texts))
        position = {t: i for i, t in enumerate(unique)}
        vectors = l2_normalise(np.asarray(self._encode(unique), dtype=np.float32))
        for key, parts in spans:
            rows = [vectors[[position[t] for t in texts[lo:hi]]].mean(axis=0) for lo, hi in parts]
            self._table[key] = l2_normalise(np.stack(rows))

    def vectors(self, name: str, item: str) -> np.ndarray:
        """``(n_values, dim)`` unit prompt vectors of attribute ``name`` for ``item``."""
        key = (name, item)
        if key not in self._table:
            self.prepare([item], [name])
        return self._table[key]


def zero_shot_scores(bank: PromptBank, name: str, vectors: np.ndarray, items: Sequence[str]) -> np.ndarray:
    """``(n, n_values)`` cosine similarities of photo vectors to the value prompts of ``name``."""
    n_values = len(bank.specs[name].values)
    out = np.zeros((len(items), n_values), dtype=np.float32)
    if not len(items):
        return out
    bank.prepare(items, [name])
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(item, []).append(i)
    for item, rows in groups.items():
        out[rows] = vectors[rows] @ bank.vectors(name, item).T
    return out

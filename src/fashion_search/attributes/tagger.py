"""The fitted tagger: per attribute the method kept, its temperature and threshold, and its head.

:meth:`AttributeTagger.tag` gives every product the values it is confident about, each with its
confidence; values below the attribute's threshold are left out, so an attribute the tagger is
unsure of stays empty. A tagger belongs to one embedding model (zero-shot scores and head inputs
are that model's vectors) and is saved as ``tagger.json`` plus ``heads.npz``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fashion_search.attributes.calibration import NEVER
from fashion_search.attributes.features import PhotoInputs
from fashion_search.attributes.heads import SoftmaxHead, softmax
from fashion_search.attributes.vocabulary import AttributeSpec, default_attributes, item_word
from fashion_search.attributes.zero_shot import PromptBank, zero_shot_scores
from fashion_search.domain import ATTRIBUTE_SEPARATOR, Product
from fashion_search.errors import ModelError

ZERO_SHOT = "zero-shot"
HEAD = "head"
TAGGER_FILE = "tagger.json"
HEADS_FILE = "heads.npz"
FORMAT = "fashion-search-attribute-tagger-1"


@dataclass(frozen=True, slots=True)
class TaggedValue:
    value: str
    confidence: float


@dataclass(frozen=True)
class AttributeChoice:
    """How one attribute is tagged, and how well each method measured."""

    name: str
    method: str
    temperature: float
    threshold: float
    head: SoftmaxHead | None = None
    evaluation: Mapping[str, Any] = field(default_factory=dict)
    kinds: frozenset[str] | None = None
    """Product words (:func:`item_word`) the attribute is given for: those with enough training
    labels, so the tagger never speaks about a kind of product it was not measured on (None: all)."""

    def covers(self, product: Product) -> bool:
        return self.kinds is None or item_word(product) in self.kinds


def given_values(spec: AttributeSpec, ranked: Sequence[TaggedValue]) -> list[TaggedValue]:
    """The values to store from confident ones ranked best first: none when the best is the
    attribute's none value, and never the none value itself."""
    if ranked and ranked[0].value == spec.none_value:
        return []
    return [t for t in ranked if t.value != spec.none_value]


def head_inputs(inputs: PhotoInputs) -> np.ndarray:
    """What a head reads: the image vector, plus the tower features where the model has them."""
    if inputs.extra is None or inputs.extra.shape[1] == 0:
        return inputs.vectors
    return np.concatenate([inputs.vectors, inputs.extra], axis=1).astype(np.float32)


def method_logits(
    method: str,
    spec: AttributeSpec,
    head: SoftmaxHead | None,
    bank: PromptBank,
    inputs: PhotoInputs,
    items: Sequence[str],
) -> np.ndarray:
    """``(n, len(spec.values))`` scores of one method; values a head never saw score ``-inf``."""
    if method == ZERO_SHOT:
        return zero_shot_scores(bank, spec.name, inputs.vectors, items)
    if head is None:
        raise ModelError(f"attribute {spec.name!r} is tagged by a head but has none")
    raw = head.logits(head_inputs(inputs))
    out = np.full((raw.shape[0], len(spec.values)), -np.inf, dtype=np.float32)
    for j, cls in enumerate(head.classes):
        out[:, spec.values.index(cls)] = raw[:, j]
    return out


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    return softmax(logits / np.float32(temperature))


class AttributeTagger:
    """Tags products from their photo inputs.

    Built by :func:`~fashion_search.attributes.selection.fit_tagger` or :meth:`load`.
    """

    def __init__(
        self,
        choices: Mapping[str, AttributeChoice],
        embedder_name: str,
        *,
        specs: Mapping[str, AttributeSpec] | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.specs = dict(specs or default_attributes())
        unknown = sorted(set(choices) - set(self.specs))
        if unknown:
            raise ModelError(f"tagger names unknown attributes {unknown}")
        self.choices = dict(choices)
        self.embedder_name = embedder_name
        self.info = dict(info or {})

    @property
    def version(self) -> str:
        """Changes whenever anything that decides the tags changes."""
        digest = hashlib.sha256(json.dumps(self._manifest(), sort_keys=True).encode())
        for name in sorted(self.choices):
            head = self.choices[name].head
            if head is not None:
                for array in (head.mean, head.scale, head.w, head.b):
                    digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()[:16]

    def probabilities(
        self, name: str, inputs: PhotoInputs, products: Sequence[Product], bank: PromptBank
    ) -> np.ndarray:
        """Calibrated ``(n, n_values)`` probabilities of attribute ``name`` (rows as ``products``)."""
        choice = self.choices[name]
        spec = self.specs[name]
        logits = method_logits(
            choice.method, spec, choice.head, bank, inputs, [item_word(p) for p in products]
        )
        return calibrated(logits, choice.temperature)

    def tag(
        self, products: Sequence[Product], inputs: PhotoInputs, bank: PromptBank
    ) -> list[dict[str, list[TaggedValue]]]:
        """Confident values per attribute for each product (row-aligned with ``inputs``)."""
        if len(products) != len(inputs.ids):
            raise ModelError(f"{len(products)} products for {len(inputs.ids)} photo rows")
        out: list[dict[str, list[TaggedValue]]] = [{} for _ in products]
        for name, choice in self.choices.items():
            spec = self.specs[name]
            rows = [i for i, p in enumerate(products) if spec.applies_to(p) and choice.covers(p)]
            if not rows or choice.threshold >= NEVER:
                continue
            probs = self.probabilities(
                name, inputs.subset(inputs.ids[rows].tolist()), [products[i] for i in rows], bank
            )
            order = np.argsort(-probs, axis=1, kind="stable")[:, : spec.max_values]
            for r, i in enumerate(rows):
                kept = given_values(
                    spec,
                    [
                        TaggedValue(spec.values[int(j)], round(float(probs[r, j]), 4))
                        for j in order[r]
                        if probs[r, j] >= choice.threshold
                    ],
                )
                if kept:
                    out[i][name] = kept
        return out

    # -- persistence -----------------------------------------------------------------------

    def _manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "embedder": self.embedder_name,
            "info": self.info,
            "attributes": {
                name: {
                    "method": c.method,
                    "temperature": c.temperature,
                    "threshold": c.threshold,
                    "values": list(self.specs[name].values),
                    "head_classes": None if c.head is None else list(c.head.classes),
                    "kinds": None if c.kinds is None else sorted(c.kinds),
                    "evaluation": dict(c.evaluation),
                }
                for name, c in self.choices.items()
            },
        }

    def save(self, directory: Path) -> None:
        """Write ``tagger.json`` and ``heads.npz`` into ``directory`` (each replaced atomically)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for name, c in self.choices.items():
            if c.head is not None:
                arrays.update(c.head.to_arrays(name))
        tmp = directory / f".{HEADS_FILE}.tmp.npz"
        np.savez(tmp, **dict[str, Any](arrays))
        os.replace(tmp, directory / HEADS_FILE)
        manifest = self._manifest()
        manifest["version"] = self.version
        tmp_json = directory / f".{TAGGER_FILE}.tmp"
        tmp_json.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp_json, directory / TAGGER_FILE)

    @classmethod
    def load(cls, directory: Path) -> AttributeTagger:
        """Read a tagger saved by :meth:`save`; :class:`ModelError` when it is missing or damaged."""
        directory = Path(directory)
        path = directory / TAGGER_FILE
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            with np.load(directory / HEADS_FILE, allow_pickle=False) as data:
                arrays = {k: np.asarray(data[k]) for k in data.files}
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the attribute tagger in {directory}: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ModelError(f"{path} is not an attribute tagger ({FORMAT})")
        specs = default_attributes()
        choices: dict[str, AttributeChoice] = {}
        saved = manifest["attributes"]
        unknown = sorted(set(saved) - set(specs))
        if unknown:
            raise ModelError(f"{path} names attributes this version does not know: {unknown}")
        # In the vocabulary's order (the JSON is written with sorted keys).
        for name, entry in ((n, saved[n]) for n in specs if n in saved):
            if list(specs[name].values) != entry["values"]:
                raise ModelError(f"{path} was fitted for other values of {name!r}; fit the tagger again")
            classes = entry.get("head_classes")
            head = None if classes is None else SoftmaxHead.from_arrays(name, arrays, classes)
            kinds = entry.get("kinds")
            choices[name] = AttributeChoice(
                name=name,
                method=entry["method"],
                temperature=float(entry["temperature"]),
                threshold=float(entry["threshold"]),
                head=head,
                evaluation=entry.get("evaluation", {}),
                kinds=None if kinds is None else frozenset(kinds),
            )
        return cls(choices, manifest["embedder"], specs=specs, info=manifest.get("info", {}))


def as_attributes(tags: Mapping[str, Sequence[TaggedValue]]) -> dict[str, str]:
    """The ``Product.attributes`` form of one product's tags (multi-values joined)."""
    return {
        name: ATTRIBUTE_SEPARATOR.join(t.value for t in values) for name, values in tags.items() if values
    }

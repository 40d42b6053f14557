"""The tagging job: attributes for every product of a store that has a photo, stored with it.

1. Photo inputs for every product with a photo (cached per photo, see
   :mod:`~fashion_search.attributes.features`).
2. The tagger: loaded from the work folder when it was fitted for this embedding model, else
   fitted, measured and saved there (``refit`` forces it).
3. Products are tagged in batches; each batch's attributes are written with
   ``Store.update_attributes`` and then recorded in ``tags.json`` (the tag key and the values with
   their confidences). A product whose photo, kind and tagger are unchanged is skipped, so a second
   run does nothing and a run that was killed continues where it stopped.

Attributes the tagger does not own (other keys in ``Product.attributes``) are kept. After tagging,
``fashion-search embed`` re-embeds exactly the products whose description changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fashion_search.attributes.features import PhotoInputs, file_key, photo_inputs
from fashion_search.attributes.figures import AttributeFigures, attribute_figures
from fashion_search.attributes.selection import TARGET_PRECISION, fit_tagger
from fashion_search.attributes.split import split_ids
from fashion_search.attributes.tagger import TAGGER_FILE, AttributeTagger, TaggedValue, as_attributes
from fashion_search.attributes.vocabulary import AttributeSpec, default_attributes
from fashion_search.attributes.zero_shot import PromptBank
from fashion_search.domain import ATTRIBUTE_NAMES, ImageStatus, Product
from fashion_search.embed.base import Embedder
from fashion_search.errors import ModelError, StoreError, ValidationError
from fashion_search.store.base import Store

Progress = Callable[[str, int, int], None]
STATE_FILE = "tags.json"
_NO_PHOTO = "no-photo"


@dataclass
class TagReport:
    """What one tagging run did."""

    tagger_version: str
    refitted: bool
    products_seen: int = 0
    with_photo: int = 0
    tagged: int = 0
    unchanged: int = 0
    cleared: int = 0
    """Products that lost their tags (their photo is gone or unreadable)."""
    failed: dict[int, str] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    """Per attribute: share of the products it applies to that have a value now."""
    evaluation: dict[str, Any] = field(default_factory=dict)
    figures: list[AttributeFigures] = field(default_factory=list)
    """Per attribute: the method kept and what it measured on held-out products."""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per step: ``features`` (photos through the towers; cached ones are free), ``fit``
    (zero when a saved tagger was reused), ``tag`` (scoring and writing to the store)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tagger_version": self.tagger_version,
            "refitted": self.refitted,
            "products_seen": self.products_seen,
            "with_photo": self.with_photo,
            "tagged": self.tagged,
            "unchanged": self.unchanged,
            "cleared": self.cleared,
            "failed": {str(k): v for k, v in sorted(self.failed.items())},
            "coverage": self.coverage,
            "figures": [f.to_dict() for f in self.figures],
            "evaluation": self.evaluation,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _tag_key(version: str, photo_key: str, product: Product) -> str:
    parts = (
        version,
        photo_key,
        product.article_type or "",
        product.sub_category or "",
        product.master_category or "",
    )
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


def read_state(work_dir: Path) -> dict[str, Any]:
    """The recorded tags of a work folder: ``{"products": {id: {"key", "tags"}}}`` (empty if none)."""
    path = Path(work_dir) / STATE_FILE
    if not path.is_file():
        return {"products": {}}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # Losing the record only costs a re-tag of unchanged products.
        return {"products": {}}
    if not isinstance(state, dict) or not isinstance(state.get("products"), dict):
        return {"products": {}}
    return state


def _write_state(work_dir: Path, state: dict[str, Any]) -> None:
    path = Path(work_dir) / STATE_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(state, separators=(",", ":"), sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreError(f"cannot record attribute tags in {path}: {exc}") from exc


def _other_attributes(product: Product) -> dict[str, str]:
    return {k: v for k, v in product.attributes.items() if k not in ATTRIBUTE_NAMES}


def load_or_fit_tagger(
    products: list[Product],
    embedder: Embedder,
    inputs: PhotoInputs,
    work_dir: Path,
    *,
    refit: bool = False,
    seed: int = 0,
    target_precision: float = TARGET_PRECISION,
    progress: Progress | None = None,
    bank: PromptBank | None = None,
) -> tuple[AttributeTagger, bool]:
    """The saved tagger of ``work_dir`` when it was fitted for this embedder with the same seed and
    target precision, else a newly fitted one (saved). ``bank`` caches prompt vectors to share."""
    work_dir = Path(work_dir)
    if not refit and (work_dir / TAGGER_FILE).is_file():
        try:
            tagger = AttributeTagger.load(work_dir)
        except ModelError:
            tagger = None
        if (
            tagger is not None
            and tagger.embedder_name == embedder.name
            and tagger.info.get("seed") == seed
            and tagger.info.get("target_precision") == target_precision
        ):
            return tagger, False
    with_inputs = set(inputs.ids.tolist())
    kept = [p for p in products if p.id in with_inputs]
    if not kept:
        raise ValidationError("no product has a readable photo: there is nothing to fit the tagger on")
    split = split_ids([p.id for p in kept], embedder, seed=seed)
    if bank is None:
        bank = PromptBank(default_attributes(), embedder.embed_texts)
    tagger = fit_tagger(
        kept, inputs, split, bank, embedder.name, target_precision=target_precision, progress=progress
    )
    tagger.info["seed"] = seed
    tagger.save(work_dir)
    return tagger, True


@dataclass(frozen=True)
class TaggingResult:
    """Tags of a set of products (no store involved): see :func:`tag_products`."""

    tagger: AttributeTagger
    tags: Mapping[int, Mapping[str, Sequence[TaggedValue]]]
    """Per product with a readable photo, its confident values per attribute (with confidences)."""
    failed: Mapping[int, str]
    """Products whose photo could not be read, with the reason."""
    refitted: bool
    seconds: Mapping[str, float]
    """Wall time of each step: ``features`` (photos through the towers, cached), ``fit``, ``tag``."""

    def attributes(self) -> dict[int, dict[str, str]]:
        """``Product.attributes`` form of the tags, per product id (products with no value omitted)."""
        out = {pid: as_attributes(tags) for pid, tags in self.tags.items()}
        return {pid: attrs for pid, attrs in out.items() if attrs}

    def figures(self) -> list[AttributeFigures]:
        """Per attribute: method kept, held-out accuracy against weak labels, coverage, baselines."""
        return attribute_figures(self.tagger)

    def coverage(self, products: Sequence[Product]) -> dict[str, float]:
        """Per attribute: share of the tagged products it applies to that got a value."""
        return _coverage(self.tagger.specs, products, self.tags)


def _coverage(
    specs: Mapping[str, AttributeSpec],
    products: Sequence[Product],
    tags: Mapping[int, Mapping[str, Sequence[TaggedValue]]],
) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, spec in specs.items():
        applicable = [p.id for p in products if p.id in tags and spec.applies_to(p)]
        if applicable:
            out[name] = round(sum(1 for pid in applicable if tags[pid].get(name)) / len(applicable), 4)
    return out


def _photos(products: Sequence[Product], images_dir: Path | None) -> dict[int, Path]:
    if images_dir is None:
        return {}
    return {
        p.id: Path(images_dir) / p.image_file
        for p in products
        if p.image_status == ImageStatus.PRESENT and p.image_file
    }


@dataclass(frozen=True)
class _Prepared:
    """What both entry points need before tagging: photos, their inputs, the prompts, the tagger."""

    photos: dict[int, Path]
    inputs: PhotoInputs
    bank: PromptBank
    tagger: AttributeTagger
    refitted: bool
    timings: dict[str, float]
    """``features`` and ``fit`` seconds (the prompt bank counts as fitting)."""


def _prepare(
    products: Sequence[Product],
    embedder: Embedder,
    images_dir: Path | None,
    work_dir: Path,
    *,
    refit: bool,
    seed: int,
    target_precision: float,
    progress: Progress | None,
) -> _Prepared:
    started = time.perf_counter()
    photos = _photos(products, images_dir)
    inputs = photo_inputs(embedder, sorted(photos.items()), Path(work_dir) / "features", progress=progress)
    features_done = time.perf_counter()
    bank = PromptBank(default_attributes(), embedder.embed_texts)
    tagger, refitted = load_or_fit_tagger(
        list(products),
        embedder,
        inputs,
        work_dir,
        refit=refit,
        seed=seed,
        target_precision=target_precision,
        progress=progress,
        bank=bank,
    )
    timings = {"features": features_done - started, "fit": time.perf_counter() - features_done}
    return _Prepared(photos, inputs, bank, tagger, refitted, timings)


def tag_products(
    products: Sequence[Product],
    embedder: Embedder,
    images_dir: Path | None,
    work_dir: Path,
    *,
    refit: bool = False,
    seed: int = 0,
    target_precision: float = TARGET_PRECISION,
    batch_size: int = 1024,
    progress: Progress | None = None,
) -> TaggingResult:
    """Tag every product with a photo under ``images_dir``, without touching a store.

    ``work_dir`` keeps the photo feature cache and the fitted tagger (reused when it was fitted
    for this embedding model and ``refit`` is false). The fit and the figures follow
    :mod:`~fashion_search.attributes.selection`; :meth:`TaggingResult.figures` gives them.
    """
    prepared = _prepare(
        products,
        embedder,
        images_dir,
        work_dir,
        refit=refit,
        seed=seed,
        target_precision=target_precision,
        progress=progress,
    )
    tagger, inputs, bank, timings = prepared.tagger, prepared.inputs, prepared.bank, prepared.timings
    started = time.perf_counter()
    with_inputs = set(inputs.ids.tolist())
    kept = [p for p in products if p.id in with_inputs]
    tags: dict[int, dict[str, list[TaggedValue]]] = {}
    for start in range(0, len(kept), batch_size):
        batch = kept[start : start + batch_size]
        for p, t in zip(batch, tagger.tag(batch, inputs.subset([p.id for p in batch]), bank), strict=True):
            tags[p.id] = t
        if progress is not None:
            progress("tagging", min(start + batch_size, len(kept)), len(kept))
    timings["tag"] = time.perf_counter() - started
    return TaggingResult(tagger, tags, dict(inputs.failed), prepared.refitted, timings)


def tag_catalog(
    store: Store,
    embedder: Embedder,
    images_dir: Path | None,
    work_dir: Path,
    *,
    refit: bool = False,
    batch_size: int = 256,
    seed: int = 0,
    target_precision: float = TARGET_PRECISION,
    progress: Progress | None = None,
) -> TagReport:
    """Tag every product of ``store`` with a photo under ``images_dir``; see the module docstring."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError(f"batch_size must be a positive integer, got {batch_size!r}")
    started = time.perf_counter()
    work_dir = Path(work_dir)
    products = [p for batch in store.iter_products() for p in batch]
    prepared = _prepare(
        products,
        embedder,
        images_dir,
        work_dir,
        refit=refit,
        seed=seed,
        target_precision=target_precision,
        progress=progress,
    )
    photos, inputs, bank, tagger = prepared.photos, prepared.inputs, prepared.bank, prepared.tagger
    specs, timings = bank.specs, prepared.timings
    report = TagReport(tagger.version, prepared.refitted, products_seen=len(products), timings=timings)
    report.evaluation = {name: dict(c.evaluation) for name, c in tagger.choices.items()}
    report.figures = attribute_figures(tagger)
    report.failed = dict(inputs.failed)
    report.with_photo = len(inputs.ids)
    state = read_state(work_dir)
    recorded: dict[str, Any] = state["products"]
    by_id = {p.id: p for p in products}
    todo: list[tuple[Product, str]] = []
    cleared: dict[int, dict[str, str]] = {}
    with_inputs = set(inputs.ids.tolist())
    for p in products:
        if p.id in with_inputs:
            key = _tag_key(tagger.version, file_key(photos[p.id]), p)
            if recorded.get(str(p.id), {}).get("key") == key:
                report.unchanged += 1
            else:
                todo.append((p, key))
        elif any(k in ATTRIBUTE_NAMES for k in p.attributes) or str(p.id) in recorded:
            cleared[p.id] = _other_attributes(p)
    if cleared:
        store.update_attributes(cleared)
        for pid in cleared:
            recorded[str(pid)] = {"key": _NO_PHOTO, "tags": {}}
        report.cleared = len(cleared)
        _write_state(work_dir, state)
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        batch_products = [p for p, _ in batch]
        tags = tagger.tag(batch_products, inputs.subset([p.id for p in batch_products]), bank)
        updates = {
            p.id: {**_other_attributes(p), **as_attributes(t)}
            for p, t in zip(batch_products, tags, strict=True)
        }
        store.update_attributes(updates)
        for (p, key), t in zip(batch, tags, strict=True):
            recorded[str(p.id)] = {
                "key": key,
                "tags": {name: [[v.value, v.confidence] for v in values] for name, values in t.items()},
            }
        _write_state(work_dir, state)
        report.tagged += len(batch)
        if progress is not None:
            progress("tagging", min(start + batch_size, len(todo)), len(todo))
    for name, spec in specs.items():
        applicable = [pid for pid in with_inputs if spec.applies_to(by_id[pid])]
        if applicable:
            have = sum(1 for pid in applicable if recorded.get(str(pid), {}).get("tags", {}).get(name))
            report.coverage[name] = round(have / len(applicable), 4)
    report.seconds = time.perf_counter() - started
    timings["tag"] = report.seconds - timings["features"] - timings["fit"]
    return report

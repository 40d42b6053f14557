"""The embedding job: an ``image``, a ``text`` and a ``hybrid`` vector for every product of a store.

* **text**: the embedder's text vector of :func:`~fashion_search.embed.descriptions.describe_product`.
* **image**: the image vector of the product photo, when the product has a usable one.
* **hybrid**: ``normalise(w * image + (1 - w) * text)`` with ``w = hybrid_image_weight``. A product
  without a usable image (none in the catalog, or one that fails to decode now) gets its text vector
  as its hybrid vector, so it stays findable in the hybrid space by what it is.

Every stored vector carries a content hash of what it was made from: the model name plus the
description (text), the image file bytes (image), or both hashes and the weight (hybrid). A run
compares them with the store and embeds only what is new or changed, or everything after a model
change (``force`` recomputes all). Each batch's vectors are written right after the batch is
embedded, one transaction per space (text and image before hybrid), so a run killed at any point
loses at most the batch in flight, and the next run continues without duplicates: the store keeps
one vector per product and space.

The job is a reader -> mapper -> writer pipeline (:mod:`fashion_search.pipelines.base`): the
planning reader and the writer run next to the store; the mapper, which holds the model, is built
by a picklable factory where it runs. Image decoding and preprocessing run in a small thread pool
one batch ahead of the model.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image

from fashion_search.catalog.images import open_image_rgb
from fashion_search.domain import SPACES, ImageStatus, Product
from fashion_search.embed.base import Embedder, l2_normalise
from fashion_search.embed.descriptions import describe_product
from fashion_search.errors import ImageError, ValidationError
from fashion_search.pipelines.base import Runner
from fashion_search.pipelines.local import LocalRunner
from fashion_search.store.base import EmbeddingInfo, Store

_NO_IMAGE = "no-image"


@runtime_checkable
class SupportsImagePreprocessing(Protocol):
    """Optional embedder hook: split image embedding into a per-image CPU step and a batched model step.

    When an embedder has both methods, the pipeline runs ``preprocess_image`` in its decoding threads,
    overlapping it with ``embed_preprocessed`` on the previous batch.
    """

    def preprocess_image(self, image: Image.Image) -> Any: ...

    def embed_preprocessed(self, arrays: Sequence[Any]) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class ImageFailure:
    product_id: int
    reason: str


@dataclass(slots=True)
class EmbedReport:
    """What one embedding run did. Coverage is vectors of the current model / products seen, per space."""

    model: str
    dim: int
    products_seen: int = 0
    products_without_image: int = 0
    embedded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPACES, 0))
    skipped_unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPACES, 0))
    images_failed: list[ImageFailure] = field(default_factory=list)
    stale_image_vectors_deleted: int = 0
    left_for_next_run: int = 0
    """Products that needed work but were beyond ``limit``."""
    vectors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPACES, 0))
    coverage: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SPACES, 0.0))
    batches: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "dim": self.dim,
            "products_seen": self.products_seen,
            "products_without_image": self.products_without_image,
            "embedded": dict(self.embedded),
            "skipped_unchanged": dict(self.skipped_unchanged),
            "images_failed": [{"product_id": f.product_id, "reason": f.reason} for f in self.images_failed],
            "stale_image_vectors_deleted": self.stale_image_vectors_deleted,
            "left_for_next_run": self.left_for_next_run,
            "vectors": dict(self.vectors),
            "coverage": {space: round(value, 6) for space, value in self.coverage.items()},
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
        }


# ------------------------------------------------------------------------------------------------
# content hashes
# ------------------------------------------------------------------------------------------------


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")  # a separator, so ("ab", "c") and ("a", "bc") differ
    return h.hexdigest()


def text_hash(model: str, description: str) -> str:
    return _digest("text", model, description)


def image_hash(model: str, image_bytes: bytes) -> str:
    return _digest("image", model, hashlib.blake2b(image_bytes, digest_size=16).hexdigest())


def hybrid_hash(model: str, text_content_hash: str, image_content_hash: str | None, weight: float) -> str:
    """Hash of a hybrid vector; without an image it is the text vector, so the weight does not enter."""
    if image_content_hash is None:
        return _digest("hybrid", model, text_content_hash, _NO_IMAGE)
    return _digest("hybrid", model, text_content_hash, image_content_hash, repr(float(weight)))


# ------------------------------------------------------------------------------------------------
# reader: the plan of what to (re)compute, in batches
# ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class EmbedTask:
    """The work for one product in one batch (picklable: plain values and arrays)."""

    product_id: int
    description: str
    text_hash: str
    image_path: str | None
    """Absolute path of a usable image, None when the product has none."""
    image_hash: str | None
    hybrid_hash: str
    """Hybrid hash when the image is used; :attr:`fallback_hybrid_hash` applies when it fails."""
    fallback_hybrid_hash: str
    stored_hybrid_hash: str | None
    need_text: bool
    need_image: bool
    need_hybrid: bool
    text_vector: np.ndarray | None = None
    """Stored text vector, reused when only the hybrid must be recomputed."""
    image_vector: np.ndarray | None = None


def _is_current(info: EmbeddingInfo | None, model: str, content_hash: str) -> bool:
    return info is not None and info.model == model and info.content_hash == content_hash


@dataclass(slots=True)
class _Plan:
    tasks: list[EmbedTask]
    stale_image_ids: list[int]
    seen_ids: list[int]
    unchanged: dict[str, int]
    without_image: int
    read_failures: list[ImageFailure]
    left_over: int


def _plan(
    store: Store,
    model: str,
    images_dir: Path | None,
    weight: float,
    force: bool,
    limit: int | None,
) -> _Plan:
    infos = {space: store.embedding_info(space) for space in SPACES}
    tasks: list[EmbedTask] = []
    stale: list[int] = []
    seen: list[int] = []
    unchanged = dict.fromkeys(SPACES, 0)
    without_image = 0
    failures: list[ImageFailure] = []
    left_over = 0
    for products in store.iter_products():
        for product in products:
            seen.append(product.id)
            path, content, failure = _read_image(product, images_dir)
            if failure is not None:
                failures.append(failure)
            description = describe_product(product)
            th = text_hash(model, description)
            ih = image_hash(model, content) if content is not None else None
            fallback = hybrid_hash(model, th, None, weight)
            hh = hybrid_hash(model, th, ih, weight) if ih is not None else fallback
            need_text = force or not _is_current(infos["text"].get(product.id), model, th)
            need_image = ih is not None and (
                force or not _is_current(infos["image"].get(product.id), model, ih)
            )
            need_hybrid = force or not _is_current(infos["hybrid"].get(product.id), model, hh)
            if ih is None:
                without_image += 1
                if product.id in infos["image"]:
                    stale.append(product.id)
            for space, needed in (("text", need_text), ("image", need_image), ("hybrid", need_hybrid)):
                if not needed and (space != "image" or ih is not None):
                    unchanged[space] += 1
            if not (need_text or need_image or need_hybrid):
                continue
            if limit is not None and len(tasks) >= limit:
                left_over += 1
                continue
            stored_hybrid = infos["hybrid"].get(product.id)
            tasks.append(
                EmbedTask(
                    product_id=product.id,
                    description=description,
                    text_hash=th,
                    image_path=str(path) if ih is not None else None,
                    image_hash=ih,
                    hybrid_hash=hh,
                    fallback_hybrid_hash=fallback,
                    # Forgotten under force, so that even an unchanged text fallback is rewritten.
                    stored_hybrid_hash=stored_hybrid.content_hash
                    if stored_hybrid is not None and stored_hybrid.model == model and not force
                    else None,
                    need_text=need_text,
                    need_image=need_image,
                    need_hybrid=need_hybrid,
                )
            )
    return _Plan(tasks, stale, seen, unchanged, without_image, failures, left_over)


def _read_image(
    product: Product, images_dir: Path | None
) -> tuple[Path | None, bytes | None, ImageFailure | None]:
    """The image file's path and bytes when the catalog marks it present and it can be read now."""
    if images_dir is None or product.image_status != ImageStatus.PRESENT or not product.image_file:
        return None, None, None
    path = images_dir / product.image_file
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return path, None, ImageFailure(product.id, f"image {path} no longer exists")
    except OSError as exc:
        return path, None, ImageFailure(product.id, f"image {path} cannot be read: {exc.strerror or exc}")
    return path, content, None


class EmbedPlanReader:
    """Yields the planned tasks in batches, attaching stored vectors that a hybrid recomputation reuses."""

    def __init__(self, store: Store, tasks: list[EmbedTask], batch_size: int) -> None:
        self._store = store
        self._tasks = tasks
        self._batch_size = batch_size

    def partitions(self) -> Iterator[Iterable[list[EmbedTask]]]:
        # One partition: the local runner builds the model once; a Spark runner may split further.
        yield self._batches()

    def _batches(self) -> Iterator[list[EmbedTask]]:
        for start in range(0, len(self._tasks), self._batch_size):
            batch = self._tasks[start : start + self._batch_size]
            self._attach_stored_vectors(batch)
            yield batch

    def _attach_stored_vectors(self, batch: list[EmbedTask]) -> None:
        # Fetched per batch, so memory stays bounded by the batch size, not the catalog size.
        want_text = [t.product_id for t in batch if t.need_hybrid and not t.need_text]
        want_image = [t.product_id for t in batch if t.need_hybrid and not t.need_image and t.image_hash]
        texts = self._store.get_vectors("text", want_text) if want_text else {}
        images = self._store.get_vectors("image", want_image) if want_image else {}
        for task in batch:
            if task.need_hybrid and not task.need_text:
                task.text_vector = texts.get(task.product_id)
                task.need_text = task.text_vector is None
            if task.need_hybrid and not task.need_image and task.image_hash:
                task.image_vector = images.get(task.product_id)
                task.need_image = task.image_vector is None


# ------------------------------------------------------------------------------------------------
# mapper: decode + preprocess in threads, embed, mix
# ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class EmbedBatchResult:
    """Vectors of one batch per space as ``(ids, vectors, hashes)``, plus its image failures."""

    vectors: dict[str, tuple[list[int], np.ndarray, list[str]]]
    image_failures: list[ImageFailure]
    failed_image_ids: list[int]
    hybrid_unchanged: int
    n_tasks: int


class EmbedMapper:
    """Embeds batches of :class:`EmbedTask` with one embedder (see :class:`EmbedMapperFactory`)."""

    def __init__(
        self, embedder: Embedder, *, hybrid_image_weight: float, max_pixels: int, decode_threads: int = 2
    ) -> None:
        self._embedder = embedder
        self._weight = float(hybrid_image_weight)
        self._max_pixels = max_pixels
        self._pool = ThreadPoolExecutor(max_workers=decode_threads, thread_name_prefix="embed-decode")
        self._preprocessing = isinstance(embedder, SupportsImagePreprocessing)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _decode(self, path: str) -> Any:
        image = open_image_rgb(Path(path), self._max_pixels)
        if self._preprocessing:
            return self._embedder.preprocess_image(image)  # type: ignore[attr-defined]
        return image

    def _submit(self, batch: list[EmbedTask]) -> list[Future[Any] | None]:
        return [
            self._pool.submit(self._decode, t.image_path) if t.need_image and t.image_path else None
            for t in batch
        ]

    def map_partition(self, batches: Iterable[list[EmbedTask]]) -> Iterator[EmbedBatchResult]:
        pending: tuple[list[EmbedTask], list[Future[Any] | None]] | None = None
        for batch in batches:
            # Decoding of this batch starts before the model runs on the previous one.
            submitted = (batch, self._submit(batch))
            if pending is not None:
                yield self._embed(*pending)
            pending = submitted
        if pending is not None:
            yield self._embed(*pending)

    def _embed(self, batch: list[EmbedTask], decoding: list[Future[Any] | None]) -> EmbedBatchResult:
        embedder = self._embedder
        text_tasks = [t for t in batch if t.need_text]
        text_vecs = embedder.embed_texts([t.description for t in text_tasks]) if text_tasks else None
        text_of: dict[int, np.ndarray] = {}
        if text_vecs is not None:
            text_of = {t.product_id: text_vecs[i] for i, t in enumerate(text_tasks)}
        failures: list[ImageFailure] = []
        decoded_tasks: list[EmbedTask] = []
        decoded: list[Any] = []
        for task, future in zip(batch, decoding, strict=True):
            if future is None:
                continue
            try:
                decoded.append(future.result())
                decoded_tasks.append(task)
            except (ImageError, OSError, ValueError) as exc:
                failures.append(ImageFailure(task.product_id, str(exc) or type(exc).__name__))
        image_of: dict[int, np.ndarray] = {}
        if decoded:
            if self._preprocessing:
                image_vecs = embedder.embed_preprocessed(decoded)  # type: ignore[attr-defined]
            else:
                image_vecs = embedder.embed_images(decoded)
            image_of = {t.product_id: image_vecs[i] for i, t in enumerate(decoded_tasks)}
        failed = {f.product_id for f in failures}

        out: dict[str, tuple[list[int], list[np.ndarray], list[str]]] = {s: ([], [], []) for s in SPACES}
        hybrid_unchanged = 0
        for task in batch:
            pid = task.product_id
            text = text_of.get(pid, task.text_vector)
            if task.need_text and text is not None:
                _append(out["text"], pid, text, task.text_hash)
            image = image_of.get(pid) if task.need_image else task.image_vector
            if task.need_image and pid in image_of:
                _append(out["image"], pid, image_of[pid], task.image_hash or "")
            if not task.need_hybrid or text is None:
                continue
            if image is None or pid in failed or task.image_hash is None:
                if task.stored_hybrid_hash == task.fallback_hybrid_hash:
                    hybrid_unchanged += 1  # already the text fallback (an image that keeps failing)
                    continue
                _append(out["hybrid"], pid, text, task.fallback_hybrid_hash)
            else:
                mixed = self._weight * image + (1.0 - self._weight) * text
                _append(out["hybrid"], pid, l2_normalise(mixed[None, :])[0], task.hybrid_hash)
        dim = embedder.dim
        vectors = {
            space: (
                ids,
                np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32),
                hashes,
            )
            for space, (ids, rows, hashes) in out.items()
        }
        return EmbedBatchResult(vectors, failures, sorted(failed), hybrid_unchanged, len(batch))


def _append(bucket: tuple[list[int], list[np.ndarray], list[str]], pid: int, vec: np.ndarray, h: str) -> None:
    bucket[0].append(pid)
    bucket[1].append(vec)
    bucket[2].append(h)


@dataclass(frozen=True, slots=True)
class EmbedMapperFactory:
    """Picklable recipe for :class:`EmbedMapper`; ``embedder_factory`` builds the model on the worker."""

    embedder_factory: Callable[[], Embedder]
    hybrid_image_weight: float
    max_pixels: int
    decode_threads: int = 2

    def __call__(self) -> EmbedMapper:
        return EmbedMapper(
            self.embedder_factory(),
            hybrid_image_weight=self.hybrid_image_weight,
            max_pixels=self.max_pixels,
            decode_threads=self.decode_threads,
        )


@dataclass(frozen=True, slots=True)
class _Prebuilt:
    """An embedder factory that hands out an embedder already built in this process.

    Sent to another process (a Spark executor) it travels as ``recipe``, the factory the embedder
    was built with, so the model is built again there and never pickled.
    """

    embedder: Embedder
    recipe: Callable[[], Embedder] | None = None

    def __call__(self) -> Embedder:
        return self.embedder

    def __reduce__(self) -> tuple[Any, ...]:
        if self.recipe is None:
            raise ValidationError(
                f"embedder {self.embedder.name!r} was passed already built and cannot be sent to another "
                "process; pass a factory such as EmbedderSpec(model, cache_dir) to run on Spark"
            )
        return (_recipe, (self.recipe,))


def _recipe(factory: Callable[[], Embedder]) -> Callable[[], Embedder]:
    return factory


# ------------------------------------------------------------------------------------------------
# writer: one transaction per space per batch, text and image before hybrid
# ------------------------------------------------------------------------------------------------


class StoreVectorWriter:
    """Writes each batch's vectors to the store and keeps the run's counts."""

    def __init__(
        self,
        store: Store,
        model: str,
        report: EmbedReport,
        total: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self._store = store
        self._model = model
        self._report = report
        self._total = total
        self._done = 0
        self._progress = progress

    def write(self, result: EmbedBatchResult) -> None:
        for space in ("text", "image", "hybrid"):
            ids, vectors, hashes = result.vectors[space]
            if ids:
                self._store.put_vectors(space, self._model, ids, vectors, hashes)
                self._report.embedded[space] += len(ids)
        if result.failed_image_ids:
            # An image that no longer decodes must not leave its old vector searchable.
            self._report.stale_image_vectors_deleted += self._store.delete_vectors(
                "image", result.failed_image_ids
            )
        self._report.images_failed.extend(result.image_failures)
        self._report.skipped_unchanged["hybrid"] += result.hybrid_unchanged
        self._report.batches += 1
        self._done += result.n_tasks
        if self._progress is not None:
            self._progress(self._done, self._total)


# ------------------------------------------------------------------------------------------------
# the job
# ------------------------------------------------------------------------------------------------


def embed_catalog(
    store: Store,
    embedder: Embedder | Callable[[], Embedder],
    images_dir: Path | str | None,
    *,
    hybrid_image_weight: float = 0.5,
    batch_size: int = 32,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    max_pixels: int = 40_000_000,
    limit: int | None = None,
    runner: Runner | None = None,
    decode_threads: int = 2,
) -> EmbedReport:
    """Embed every product of ``store`` that is new or changed into the three spaces; see the module doc.

    ``embedder`` is an embedder or a factory that builds one. ``images_dir`` is the catalog's image
    folder (product ``image_file`` names are relative to it); None embeds texts only.
    ``limit`` caps how many products are (re)embedded in this run; the rest are left for the next.
    ``progress(done, total)`` is called after every batch, ``total`` being the products to embed.
    """
    started = time.perf_counter()
    if isinstance(hybrid_image_weight, bool) or not 0.0 <= float(hybrid_image_weight) <= 1.0:
        raise ValidationError(f"hybrid_image_weight must be between 0 and 1, got {hybrid_image_weight!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError(f"batch_size must be a positive integer, got {batch_size!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValidationError(f"limit must be a non-negative integer or None, got {limit!r}")
    if max_pixels < 1:
        raise ValidationError(f"max_pixels must be positive, got {max_pixels!r}")
    images_path = Path(images_dir) if images_dir is not None else None
    if images_path is not None and not images_path.is_dir():
        raise ValidationError(f"images folder {images_path} does not exist or is not a folder")
    model = embedder if isinstance(embedder, Embedder) else embedder()
    name = model.name

    plan = _plan(store, name, images_path, float(hybrid_image_weight), force, limit)
    report = EmbedReport(model=name, dim=model.dim)
    report.products_seen = len(plan.seen_ids)
    report.products_without_image = plan.without_image
    report.skipped_unchanged = dict(plan.unchanged)
    report.images_failed.extend(plan.read_failures)
    report.left_for_next_run = plan.left_over
    if plan.stale_image_ids:
        report.stale_image_vectors_deleted += store.delete_vectors("image", plan.stale_image_ids)

    total = len(plan.tasks)
    if progress is not None:
        progress(0, total)
    (runner or LocalRunner()).run(
        EmbedPlanReader(store, plan.tasks, batch_size),
        EmbedMapperFactory(
            _Prebuilt(model, None if isinstance(embedder, Embedder) else embedder),
            float(hybrid_image_weight),
            max_pixels,
            decode_threads,
        ),
        StoreVectorWriter(store, name, report, total, progress),
    )

    seen = set(plan.seen_ids)
    for space in SPACES:
        current = sum(
            1 for pid, info in store.embedding_info(space).items() if info.model == name and pid in seen
        )
        report.vectors[space] = current
        report.coverage[space] = current / len(seen) if seen else 0.0
    report.seconds = time.perf_counter() - started
    return report

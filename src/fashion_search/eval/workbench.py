"""The report's working copy of a catalog: ingested, tagged with attributes and embedded, reusably.

Everything lives in one work folder, so a second report over the same catalog and model redoes
nothing that is still valid:

* ``store/``: the embedded store the catalog is ingested into (prices simulated from the seed);
* ``attributes/``: the attribute tagger's folder (photo features cache, fitted tagger), as
  :func:`fashion_search.attributes.job.tag_products` keeps it; the tags themselves are put on the
  evaluated products in memory, the store is not written;
* ``text-vectors-<model>.npz``: description vectors keyed by the description's hash.

Image vectors come from the attribute tagger's photo inputs (the same photos, read once); the
text side is embedded twice, from the plain description (no visual attributes) and from the
enriched one (with the confident attributes), both through
:func:`~fashion_search.embed.descriptions.describe_product`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fashion_search.domain import ImageStatus, Product
from fashion_search.embed.base import Embedder, l2_normalise
from fashion_search.embed.descriptions import describe_product
from fashion_search.errors import CatalogError, FashionSearchError
from fashion_search.eval.search_quality import CatalogVectors, plain_product
from fashion_search.store.base import Store

Progress = Callable[[str, int, int], None]
TEXT_BATCH = 256


@dataclass
class PreparedCatalog:
    vectors: CatalogVectors
    store: Store
    images_dir: Path
    tag_report: dict[str, Any] | None
    attributes_note: str | None
    """Why there are no attributes (module missing, tagging failed), when there are none."""
    n_catalog_products: int


def _key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x1f{text}".encode()).hexdigest()


def embed_texts_cached(
    embedder: Embedder, texts: Sequence[str], cache_file: Path, progress: Progress | None = None
) -> np.ndarray:
    """Vectors of ``texts``, reusing those cached in ``cache_file`` and adding the new ones to it."""
    keys = [_key(embedder.name, t) for t in texts]
    cached: dict[str, np.ndarray] = {}
    if cache_file.is_file():
        try:
            with np.load(cache_file, allow_pickle=False) as data:
                cached = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            cached = {}
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
    for start in range(0, len(todo), TEXT_BATCH):
        batch = todo[start : start + TEXT_BATCH]
        vecs = embedder.embed_texts([t for _, t in batch])
        for (k, _), v in zip(batch, vecs, strict=True):
            cached[k] = np.asarray(v, dtype=np.float32)
        if progress is not None:
            progress("text vectors", min(start + TEXT_BATCH, len(todo)), len(todo))
    if todo:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_name(f".{cache_file.name}.tmp.npz")
        np.savez(tmp, keys=np.asarray(list(cached)), vectors=np.stack(list(cached.values())))
        tmp.replace(cache_file)
    if not keys:
        return np.zeros((0, embedder.dim), np.float32)
    return l2_normalise(np.stack([cached[k] for k in keys]))


def _image_vectors(
    embedder: Embedder, photos: list[tuple[int, Path]], cache_dir: Path, progress: Progress | None
) -> tuple[dict[int, np.ndarray], dict[int, str]]:
    """Image vectors by product id, and the photos that failed with the reason."""
    try:
        from fashion_search.attributes.features import photo_inputs
    except ImportError:
        pass
    else:
        # The tagger's own photo inputs (and cache): each photo goes through the towers once.
        inputs = photo_inputs(embedder, photos, cache_dir, progress=progress)
        return dict(zip(inputs.ids.tolist(), inputs.vectors, strict=True)), dict(inputs.failed)
    from fashion_search.catalog.images import open_image_rgb

    out: dict[int, np.ndarray] = {}
    failed: dict[int, str] = {}
    for start in range(0, len(photos), 32):
        batch = photos[start : start + 32]
        images, ok = [], []
        for pid, path in batch:
            try:
                images.append(open_image_rgb(path, 40_000_000))
                ok.append(pid)
            except FashionSearchError as exc:
                failed[pid] = str(exc)
        if images:
            for pid, v in zip(ok, embedder.embed_images(images), strict=True):
                out[pid] = v
        if progress is not None:
            progress("photo vectors", min(start + 32, len(photos)), len(photos))
    return out, failed


def _tag(
    products: list[Product],
    embedder: Embedder,
    images_dir: Path,
    work_dir: Path,
    seed: int,
    progress: Progress | None,
) -> tuple[list[Product], dict[str, Any] | None, str | None]:
    """The products with their confident attributes, the tagger's figures, or why there are none."""
    try:
        from fashion_search.attributes.job import tag_products
    except ImportError as exc:
        return products, None, f"the attribute tagger is not available ({exc})"
    try:
        result = tag_products(products, embedder, images_dir, work_dir, seed=seed, progress=progress)
    except FashionSearchError as exc:
        return products, None, f"attribute tagging failed: {exc}"
    attributes = result.attributes()
    tagged = [dataclasses.replace(p, attributes=attributes.get(p.id, {})) for p in products]
    report = {
        "figures": [f.to_dict() for f in result.figures()],
        "coverage": result.coverage(tagged),
        "refitted": result.refitted,
        "seconds": {k: round(v, 1) for k, v in result.seconds.items()},
        "split": dict(result.tagger.info),
        "products_tagged": sum(1 for p in tagged if p.attributes),
    }
    return tagged, report, None


def prepare_catalog(
    catalog_dir: Path,
    work_dir: Path,
    embedder: Embedder,
    *,
    seed: int = 0,
    photos_only: bool = True,
    tag: bool = True,
    progress: Progress | None = None,
) -> PreparedCatalog:
    """Ingest ``catalog_dir`` into ``work_dir``, tag and embed it (see the module docstring).

    ``photos_only`` keeps the products that have a readable photo (the ones attributes and the
    image side apply to); otherwise every product is kept and those without a photo are searched
    by their text vector alone. Raises :class:`CatalogError` when nothing is left to evaluate.
    """
    from fashion_search.catalog.ingest import ingest_catalog
    from fashion_search.store.factory import open_store

    catalog_dir = Path(catalog_dir)
    styles, images_dir = catalog_dir / "styles.csv", catalog_dir / "images"
    if not styles.is_file():
        raise CatalogError(f"{catalog_dir} has no styles.csv")
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(work_dir / "store")
    ingest_catalog(
        styles,
        images_dir if images_dir.is_dir() else None,
        store,
        seed=seed,
        progress=None if progress is None else (lambda d, t: progress("ingest", d, t)),
    )
    all_products = [p for batch in store.iter_products() for p in batch]
    photos = sorted(
        (p.id, images_dir / p.image_file)
        for p in all_products
        if p.image_status == ImageStatus.PRESENT and p.image_file
    )
    image_vecs, _failed = _image_vectors(embedder, photos, work_dir / "attributes" / "features", progress)
    products = sorted(all_products, key=lambda p: p.id)
    tag_report: dict[str, Any] | None = None
    note: str | None = "attribute tagging was skipped"
    if tag and image_vecs:
        products, tag_report, note = _tag(
            products, embedder, images_dir, work_dir / "attributes", seed, progress
        )
    elif tag:
        note = "no product has a readable photo, so no attributes"
    if photos_only:
        products = [p for p in products if p.id in image_vecs]
    if not products:
        raise CatalogError(
            f"{catalog_dir} has no product {'with a readable photo ' if photos_only else ''}to evaluate"
        )
    dim = embedder.dim
    image = np.zeros((len(products), dim), np.float32)
    has_image = np.zeros(len(products), dtype=bool)
    for row, p in enumerate(products):
        v = image_vecs.get(p.id)
        if v is not None:
            image[row], has_image[row] = v, True
    cache = work_dir / f"text-vectors-{hashlib.sha1(embedder.name.encode()).hexdigest()[:12]}.npz"
    plain_text = embed_texts_cached(
        embedder, [describe_product(plain_product(p)) for p in products], cache, progress
    )
    enriched_text = embed_texts_cached(embedder, [describe_product(p) for p in products], cache, progress)
    vectors = CatalogVectors(
        products, l2_normalise(image), has_image, plain_text, enriched_text, embedder.name
    )
    return PreparedCatalog(vectors, store, images_dir, tag_report, note, len(all_products))

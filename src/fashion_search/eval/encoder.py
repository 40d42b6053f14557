"""How good is an embedding space? Zero-shot classification and retrieval on a catalog's photos.

Figures (the keys of :data:`METRIC_KEYS`): article-type and colour top-1 through the text prompt
"a photo of a {value}" over every value present, product name -> image recall@1/@10 over the
catalog's images, and image -> image precision@10 of the same article type. Two baselines are
measured in the same run: untrained ImageNet features (image -> image only) and a random projection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fashion_search.domain import Product
from fashion_search.embed.base import Embedder, l2_normalise
from fashion_search.embed.calibration import (
    best_point,
    gzsl_sweep,
    harmonic_mean,
    reference_texts,
    symmetric_grid,
)
from fashion_search.errors import ValidationError

PROMPT = "a photo of a {}"
METRIC_KEYS: tuple[str, ...] = (
    "article_type_top1",
    "colour_top1",
    "name_to_image_r1",
    "name_to_image_r10",
    "image_to_image_p10",
    "n_images",
    "model",
)
_CHUNK = 2048

TextEncoder = Callable[[Sequence[str]], np.ndarray]


def prompt_top1(images: np.ndarray, labels: Sequence[str | None], encode: TextEncoder) -> float | None:
    """Top-1 accuracy of labelling each image with the nearest prompt of the labels present.

    Images whose label is missing are skipped; None when none has a label.
    """
    keep = [i for i, lab in enumerate(labels) if lab]
    if not keep:
        return None
    classes = sorted({lab for lab in labels if lab})
    position = {c: j for j, c in enumerate(classes)}
    prompts = encode([PROMPT.format(c) for c in classes])
    predicted = np.argmax(images[keep] @ prompts.T, axis=1)
    truth = np.asarray([position[labels[i] or ""] for i in keep])
    return float(np.mean(predicted == truth))


def prompt_predictions(images: np.ndarray, classes: Sequence[str], encode: TextEncoder) -> list[str]:
    """The nearest class prompt of each image (for per-class reports)."""
    prompts = encode([PROMPT.format(c) for c in classes])
    return [classes[i] for i in np.argmax(images @ prompts.T, axis=1)]


def text_to_image_recall(
    queries: np.ndarray, images: np.ndarray, ks: Sequence[int] = (1, 10)
) -> dict[int, float]:
    """Recall@k of query ``i`` finding image ``i`` among all images (rows aligned)."""
    if len(queries) != len(images):
        raise ValidationError(f"{len(queries)} queries for {len(images)} images: rows must be aligned")
    if len(images) == 0:
        return dict.fromkeys(ks, 0.0)
    ranks = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), _CHUNK):
        sims = queries[start : start + _CHUNK] @ images.T
        own = sims[np.arange(len(sims)), np.arange(start, start + len(sims))]
        # Rank = how many images score strictly higher than the right one.
        ranks[start : start + len(sims)] = (sims > own[:, None]).sum(axis=1)
    return {k: float(np.mean(ranks < k)) for k in ks}


def image_to_image_precision(images: np.ndarray, labels: Sequence[str | None], k: int = 10) -> float:
    """Mean fraction of the ``k`` nearest *other* images that share the query's label."""
    lab = np.asarray([label or "" for label in labels], dtype=object)
    n = len(images)
    if n < 2:
        return 0.0
    k = min(k, n - 1)
    hits = []
    for start in range(0, n, _CHUNK):
        sims = images[start : start + _CHUNK] @ images.T
        sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        hits.append((lab[top] == lab[start : start + len(sims), None]).mean(axis=1))
    return float(np.mean(np.concatenate(hits)))


def space_metrics(
    products: Sequence[Product], images: np.ndarray, encode: TextEncoder | None, model: str
) -> dict[str, Any]:
    """All figures for one embedding space; cross-modal ones are None without a text encoder."""
    types = [p.article_type for p in products]
    out: dict[str, Any] = {
        "article_type_top1": None,
        "colour_top1": None,
        "name_to_image_r1": None,
        "name_to_image_r10": None,
        "image_to_image_p10": image_to_image_precision(images, types),
        "n_images": len(products),
        "model": model,
    }
    if encode is not None:
        out["article_type_top1"] = prompt_top1(images, types, encode)
        out["colour_top1"] = prompt_top1(images, [p.base_colour for p in products], encode)
        recall = text_to_image_recall(encode([p.name for p in products]), images)
        out["name_to_image_r1"] = recall[1]
        out["name_to_image_r10"] = recall[10]
    return out


@dataclass
class EncoderReport:
    """The model's figures and the two baselines', each a dict keyed by :data:`METRIC_KEYS`."""

    model: dict[str, Any]
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    unseen_types: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.model)
        out["baselines"] = self.baselines
        if self.unseen_types is not None:
            out["unseen_types"] = self.unseen_types
        return out


def random_projection_space(
    backbone_features: np.ndarray, text_encoder: TextEncoder, dim: int, seed: int = 0
) -> tuple[np.ndarray, TextEncoder]:
    """Baseline: Gaussian random projections of the image and text tower outputs into ``dim``."""
    rng = np.random.default_rng(seed)
    p_img = rng.standard_normal((backbone_features.shape[1], dim)).astype(np.float32)
    images = l2_normalise(backbone_features @ p_img)
    p_txt: list[np.ndarray] = []

    def encode(texts: Sequence[str]) -> np.ndarray:
        raw = text_encoder(texts)
        if not p_txt:
            p_txt.append(rng.standard_normal((raw.shape[1], dim)).astype(np.float32))
        return l2_normalise(raw @ p_txt[0])

    return images, encode


def unseen_type_top1(
    products: Sequence[Product],
    images: np.ndarray,
    encode: TextEncoder,
    unseen: Sequence[str],
    classes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Top-1 over the photos of the ``unseen`` types only, choosing among *all* ``classes``.

    ``classes`` defaults to every article type present in ``products``.
    """
    classes = sorted(
        set(classes) if classes is not None else {p.article_type for p in products if p.article_type}
    )
    missing = sorted(set(unseen) - set(classes))
    if missing:
        raise ValidationError(f"unseen types {missing} are not among the candidate classes")
    preds = prompt_predictions(images, classes, encode)
    unseen_set = set(unseen)
    rows = [i for i, p in enumerate(products) if p.article_type in unseen_set]
    per_type: dict[str, float] = {}
    for t in sorted(unseen_set):
        idx = [i for i in rows if products[i].article_type == t]
        if idx:
            per_type[t] = float(np.mean([preds[i] == t for i in idx]))
    correct = [preds[i] == products[i].article_type for i in rows]
    return {
        "top1": float(np.mean(correct)) if rows else None,
        "n_images": len(rows),
        "n_types": len(per_type),
        "n_classes": len(classes),
        "per_type": per_type,
    }


def seen_unseen_figures(
    seen_products: Sequence[Product],
    seen_images: np.ndarray,
    unseen: Mapping[str, Any],
    encode: TextEncoder,
    classes: Sequence[str],
) -> dict[str, Any]:
    """Generalised zero-shot figures: seen-type top-1 among the same ``classes`` as the unseen one
    (``unseen`` is :func:`unseen_type_top1`'s result) and the harmonic mean of the two."""
    seen_top1 = None
    if seen_products:
        preds = prompt_predictions(seen_images, list(classes), encode)
        seen_top1 = float(np.mean([p == q.article_type for p, q in zip(preds, seen_products, strict=True)]))
    unseen_top1 = unseen.get("top1")
    both = None
    if seen_top1 is not None and unseen_top1 is not None:
        both = harmonic_mean(seen_top1, float(unseen_top1))
    return {
        "seen_top1": seen_top1,
        "seen_n_images": len(seen_products),
        "unseen_top1": unseen_top1,
        "harmonic_mean": both,
    }


def calibration_sweep(
    heads_images: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    class_minilm: np.ndarray,
    class_vectors: np.ndarray,
    reference: np.ndarray,
    unseen: Sequence[str],
    weights: Sequence[float],
    prior_weight: float = 0.0,
) -> list[dict[str, Any]]:
    """Seen / unseen top-1 and harmonic mean for each symmetric calibration weight (``b = g = w``).

    ``heads_images`` and ``class_vectors`` are the model's vectors *without* a calibration
    coordinate (``prior_weight``: the ImageNet prior already mixed into ``heads_images``, recorded
    in the points); the point with the best harmonic mean is marked ``"best": True``.
    """
    points = gzsl_sweep(
        heads_images,
        labels,
        classes,
        class_vectors,
        class_minilm,
        unseen,
        reference,
        symmetric_grid(weights, prior_weight=prior_weight),
    )
    best = best_point(points)
    return [{**p.to_dict(), "best": p is best} for p in points]


def evaluate_encoder(
    catalog_dir: Path,
    embedder: Embedder,
    *,
    cache_dir: Path,
    ids: Sequence[int] | None = None,
    unseen_types: Sequence[str] = (),
    seen_types: Sequence[str] | None = None,
    sweep_weights: Sequence[float] = (),
    threads: int = 2,
    batch_size: int = 32,
    progress: Callable[[str, int, int], None] | None = None,
) -> EncoderReport:
    """Embed the photos of ``catalog_dir`` (only ``ids`` when given) and measure the space.

    With ``unseen_types`` (article types the model never saw a photo of), every photo of those
    types is also embedded and :attr:`EncoderReport.unseen_types` holds their top-1 among all the
    article types photographed in the catalog, the top-1 of the measured photos of ``seen_types``
    (default: every measured type that is not unseen) among the same types, and the harmonic mean
    of the two (the generalised zero-shot figure). ``sweep_weights`` (fashion-lite models only)
    adds those figures for each calibration weight of :mod:`fashion_search.embed.calibration`
    applied to the model's uncalibrated vectors, with reference prompts = the config's trained types.

    The baselines need the raw EfficientNet-Lite0 features, which are computed alongside (a
    fashion-lite embedder shares its towers, so each photo is decoded and run once).
    """
    from PIL import Image

    from fashion_search.embed.backbones import ImageBackbone, TextBackbone
    from fashion_search.embed.fashion_lite import FashionLiteEmbedder
    from fashion_search.embed.features import image_features
    from fashion_search.embed.train import load_photo_products

    catalog_products, paths = load_photo_products(catalog_dir)
    products = catalog_products
    if ids is not None:
        wanted = set(ids)
        missing = wanted - {p.id for p in products}
        if missing:
            raise ValidationError(
                f"{len(missing)} requested product(s) have no photo in {catalog_dir}, "
                f"e.g. {sorted(missing)[:5]}"
            )
        products = [p for p in products if p.id in wanted]
    if not products:
        raise ValidationError(f"{catalog_dir} has no product with a photo to evaluate")
    # Unseen types are scored on every photo of theirs (none was trained on), among all the
    # catalog's photographed types; those photos are embedded after the measured ones.
    unseen_set = set(unseen_types)
    all_types = sorted({p.article_type for p in catalog_products if p.article_type})
    absent = sorted(unseen_set - set(all_types))
    if absent:
        raise ValidationError(f"unseen types {absent} have no photo in {catalog_dir}")
    measured = len(products)
    chosen = {p.id for p in products}
    extra = [p for p in catalog_products if p.article_type in unseen_set and p.id not in chosen]
    products = [*products, *extra]

    lite = embedder if isinstance(embedder, FashionLiteEmbedder) else None
    backbone = lite.image_backbone if lite else ImageBackbone(cache_dir, threads=threads)
    text_backbone = lite.text_backbone if lite else TextBackbone(cache_dir, threads=threads)
    model_vecs = np.zeros((len(products), embedder.dim), dtype=np.float32)
    sweeping = bool(unseen_types) and bool(sweep_weights)
    if sweeping and lite is None:
        raise ValidationError("a calibration sweep needs a fashion-lite model")
    heads_vecs = np.zeros((len(products), lite.heads.dim if lite else 0), dtype=np.float32)
    raw = np.zeros((len(products), 1280), dtype=np.float32)
    for start in range(0, len(products), batch_size):
        batch = products[start : start + batch_size]
        images = []
        for p in batch:
            with Image.open(paths[p.id]) as im:
                im.draft("RGB", (448, 448))
                images.append(im.convert("RGB"))
        if lite is not None:
            feats = lite.image_features(images)
            model_vecs[start : start + len(batch)] = lite.embed_image_features(feats)
            if sweeping:
                heads_vecs[start : start + len(batch)] = lite.image_heads().project_images(feats)
        else:
            feats = image_features(backbone, images)
            model_vecs[start : start + len(batch)] = embedder.embed_images(images)
        raw[start : start + len(batch)] = feats.backbone
        if progress is not None:
            progress("embedding photos", start + len(batch), len(products))

    def encode_model(texts: Sequence[str]) -> np.ndarray:
        return embedder.embed_texts(list(texts))

    def encode_minilm(texts: Sequence[str]) -> np.ndarray:
        return text_backbone.encode(list(texts))

    unseen_rows = [i for i, p in enumerate(products) if p.article_type in unseen_set]
    unseen_products = [products[i] for i in unseen_rows]
    unseen_vecs = model_vecs[unseen_rows]
    seen_set = (
        set(seen_types)
        if seen_types is not None
        else {p.article_type for p in products[:measured] if p.article_type} - unseen_set
    )
    seen_rows = [i for i, p in enumerate(products[:measured]) if p.article_type in seen_set]
    gzsl_rows = seen_rows + unseen_rows
    products_all, vecs_all = products, model_vecs
    products, model_vecs, raw = products[:measured], model_vecs[:measured], raw[:measured]
    report = EncoderReport(model=space_metrics(products, model_vecs, encode_model, embedder.name))
    imagenet = space_metrics(products, l2_normalise(raw), None, "imagenet-features (untrained)")
    rp_images, rp_encode = random_projection_space(raw, encode_minilm, embedder.dim)
    report.baselines = {
        "imagenet": imagenet,
        "random_projection": space_metrics(
            products, rp_images, rp_encode, f"random-projection-{embedder.dim}"
        ),
    }
    if unseen_types:
        report.unseen_types = unseen_type_top1(
            unseen_products, unseen_vecs, encode_model, sorted(unseen_set), classes=all_types
        )
        report.unseen_types["types"] = sorted(unseen_set)
        report.unseen_types.update(
            seen_unseen_figures(
                [products_all[i] for i in seen_rows],
                vecs_all[seen_rows],
                report.unseen_types,
                encode_model,
                all_types,
            )
        )
        if sweeping and lite is not None:
            types = list(lite.config.get("type_names") or [])
            if not types:
                raise ValidationError("the model's config.json records no trained type_names to calibrate on")
            class_minilm = text_backbone.encode([PROMPT.format(c) for c in all_types])
            report.unseen_types["calibration_sweep"] = calibration_sweep(
                heads_vecs[gzsl_rows],
                [products_all[i].article_type or "" for i in gzsl_rows],
                all_types,
                class_minilm,
                lite.heads.project_texts(class_minilm),
                text_backbone.encode(reference_texts(types)),
                sorted(unseen_set),
                sweep_weights,
                prior_weight=lite.calibration_params.prior_weight if lite.calibration_params else 0.0,
            )
    return report

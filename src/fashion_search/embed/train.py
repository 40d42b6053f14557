"""Training the fashion-lite heads on a catalog of product photos and their metadata.

The towers stay frozen, so their outputs are computed once per photo (and per mirrored photo) and
cached; training then only fits the small heads, which takes minutes on two CPU cores. The image
head learns to land next to the *locked* MiniLM vectors of several captions of its product
(LiT, "locked image-text tuning"), plus prompt-classification losses against the prompts of every
article type and colour. A locked text side is what lets article types without a training photo
land where MiniLM puts their names.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from fashion_search.domain import ImageStatus, Product
from fashion_search.embed.backbones import (
    EXTRA_BLOCKS,
    IMAGE_EXTRA_DIM,
    SPATIAL_SHAPE,
    ImageBackbone,
    TextBackbone,
    images_to_uint8,
    normalise_pixels,
)
from fashion_search.embed.base import l2_normalise
from fashion_search.embed.descriptions import audience, clean_value, describe_product
from fashion_search.embed.fashion_lite import CONFIG_FILE, MODEL_FAMILY, WEIGHTS_FILE
from fashion_search.embed.features import ImageFeatures, colour_histogram, flip_pixels
from fashion_search.errors import CatalogError, ValidationError

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``, called as long work advances."""

TYPE_PROMPT = "a photo of a {}"
"""The zero-shot prompt for an article type (and, with a colour name, for a colour)."""

_FEATURE_CACHE_VERSION = "2"
CARD_FILE = "MODEL_CARD.md"


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained heads, recorded in the model's config.json."""

    epochs: int = 30
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    hidden: int = 1024
    dropout: float = 0.2
    skip: bool = True
    use_colour: bool = True
    prior_weight: float = 0.0
    """Weight of the ImageNet-name prior mixed into the image vector (0 = not used)."""
    prior_temperature: float = 1.0
    text_head: str = "locked"
    """"locked" (MiniLM vectors as they are) or "residual" (t + R t, R penalised towards 0)."""
    text_residual_penalty: float = 1.0
    templates: tuple[str, ...] = ("name", "type", "colour_type", "colour_type_for", "full", "description")
    contrastive_weight: float = 1.0
    type_prompt_weight: float = 3.0
    colour_prompt_weight: float = 1.0
    flip_augment: bool = True
    init_temperature: float = 0.05
    supcon_weight: float = 0.0
    """Weight of a supervised image-image contrastive loss (same article type = positive)."""
    separate_scales: bool = False
    """Own learnable temperature for each loss, so colour can classify without dominating distances."""
    visual_dim: int = 128
    """Size of the image-only visual subspace appended to image vectors (0 = none; text vectors get
    zeros there). It is trained with a supervised contrastive loss (same article type = positive),
    so image -> image neighbours share a type while every text -> image ranking stays as it was."""
    visual_hidden: int = 512
    visual_weight: float = 1.5
    """Length of the visual part next to the unit shared part before the whole vector is normalised."""
    visual_temperature: float = 0.1
    visual_extra: bool = True
    """The visual head also reads the extra poolings of the backbone pass (max of the last map, 2x2
    and 3x3 grids of earlier blocks)."""
    visual_conv: int = 64
    """Channels of a 1x1 convolution over the backbone's 7x7x192 block-14 map whose flattened output
    the visual head also reads (layout and shape; 0 = not used)."""
    shared_extra: bool = False
    """The shared head also reads the earlier blocks' poolings (mid-level colour and texture)."""


def recipe_with(overrides: str | dict[str, Any]) -> Recipe:
    """The default :class:`Recipe` with ``overrides`` (a dict or a JSON object text) applied."""
    if isinstance(overrides, str):
        if not overrides.strip():
            return Recipe()
        try:
            overrides = json.loads(overrides)
        except ValueError as exc:
            raise ValidationError(f"recipe overrides are not valid JSON: {exc}") from None
    if not isinstance(overrides, dict):
        raise ValidationError("recipe overrides must be a JSON object of field names to values")
    known = {f.name: f for f in fields(Recipe)}
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ValidationError(f"unknown recipe fields {unknown}; known: {sorted(known)}")
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
    return replace(Recipe(), **values)


def recipe_changes(recipe: Recipe) -> dict[str, Any]:
    """The fields of ``recipe`` that differ from the defaults (lists for tuples, JSON-ready)."""
    base = asdict(Recipe())
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(recipe).items() if base[k] != v}


# --------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------


def load_photo_products(catalog_dir: Path, *, price_seed: int = 0) -> tuple[list[Product], dict[int, Path]]:
    """Products of ``catalog_dir`` (``styles.csv`` + ``images/``) that have a photo file, by id."""
    from fashion_search.catalog.ingest import find_image_files
    from fashion_search.catalog.prices import simulate_price
    from fashion_search.catalog.styles import read_styles

    catalog_dir = Path(catalog_dir)
    styles = catalog_dir / "styles.csv"
    if not styles.is_file():
        raise CatalogError(f"{catalog_dir} is not a catalog: {styles} does not exist")
    images = find_image_files(catalog_dir / "images")
    products: list[Product] = []
    for row in read_styles(styles).rows:
        path = images.get(row.id)
        if path is None:
            continue
        price = simulate_price(row.id, row.article_type, row.usage, row.master_category, seed=price_seed)
        products.append(row.to_product(price=price, image_status=ImageStatus.PRESENT, image_file=path.name))
    products.sort(key=lambda p: p.id)
    return products, {p.id: images[p.id] for p in products}


def split_holdout(ids: Sequence[int], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """A random ``fraction`` of ``ids`` held out (seeded): returns (training ids, held-out ids)."""
    if not 0.0 <= fraction < 1.0:
        raise ValidationError(f"holdout fraction must be in [0, 1), got {fraction}")
    ordered = sorted(ids)
    perm = np.random.default_rng(seed).permutation(len(ordered))
    n_out = int(round(fraction * len(ordered)))
    held = sorted(ordered[i] for i in perm[:n_out])
    held_set = set(held)
    return [i for i in ordered if i not in held_set], held


def choose_withheld_types(
    products: Sequence[Product], n: int, seed: int, *, min_photos: int = 20
) -> list[str]:
    """``n`` article types drawn at random (seeded) among those with at least ``min_photos`` photos.

    Withholding every photo of them from training measures how well the text side carries
    article types that have no training photo.
    """
    counts: dict[str, int] = {}
    for p in products:
        kind = clean_value(p.article_type)
        if kind:
            counts[kind] = counts.get(kind, 0) + 1
    eligible = sorted(t for t, c in counts.items() if c >= min_photos)
    if not 0 <= n < len(eligible):
        raise ValidationError(
            f"cannot withhold {n} article types: {len(eligible)} types have at least {min_photos} photos"
            " and at least one must remain to train on"
        )
    picked = np.random.default_rng(seed).choice(len(eligible), n, replace=False)
    return sorted(eligible[i] for i in picked)


# --------------------------------------------------------------------------------------------
# Cached tower outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoFeatures:
    """Tower outputs for a list of photos, row-aligned with ``ids``."""

    ids: np.ndarray
    plain: ImageFeatures
    flipped: ImageFeatures

    def rows(self, ids: Sequence[int]) -> np.ndarray:
        index = {int(i): r for r, i in enumerate(self.ids)}
        try:
            return np.asarray([index[int(i)] for i in ids], dtype=np.int64)
        except KeyError as exc:
            raise ValidationError(f"no cached features for product {exc.args[0]}") from None


def _files_key(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for p in paths:
        st = p.stat()
        digest.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def photo_features(
    ids: Sequence[int],
    paths: Sequence[Path],
    backbone: ImageBackbone,
    cache_dir: Path,
    *,
    batch_size: int = 32,
    progress: Progress | None = None,
) -> PhotoFeatures:
    """Tower outputs of every photo and its mirror image, computed once and cached in ``cache_dir``.

    The extra poolings and the spatial map (``IMAGE_EXTRA_DIM`` and 9,408 numbers a photo) are kept
    in float16.
    """
    target = photo_features_path(paths, backbone, cache_dir)
    if target.is_file():
        with np.load(target, allow_pickle=False) as data:
            if np.array_equal(data["ids"], np.asarray(ids)):
                return _photo_features_of({k: data[k] for k in data.files})
    parts: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            *("feat", "logits", "colour", "extra", "spatial"),
            *("feat_flip", "logits_flip", "extra_flip", "spatial_flip"),
        )
    }
    for start in range(0, len(paths), batch_size):
        images = []
        for p in paths[start : start + batch_size]:
            with Image.open(p) as im:
                im.draft("RGB", (224, 224))
                images.append(im.convert("RGB"))
        pixels = images_to_uint8(images)
        parts["colour"].append(colour_histogram(pixels))
        for suffix, batch in (("", pixels), ("_flip", flip_pixels(pixels))):
            out = backbone.run_all(normalise_pixels(batch))
            parts["feat" + suffix].append(out.features)
            parts["logits" + suffix].append(out.logits)
            parts["extra" + suffix].append(out.extra.astype(np.float16))
            parts["spatial" + suffix].append(out.spatial.astype(np.float16))
        if progress is not None:
            progress("image features", min(start + batch_size, len(paths)), len(paths))
    arrays = {k: np.concatenate(v) if v else np.zeros((0, 0), np.float32) for k, v in parts.items()}
    arrays["ids"] = np.asarray(ids, dtype=np.int64)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".photo-features.", suffix=".npz", dir=target.parent)
    os.close(fd)
    try:
        np.savez(tmp, **dict[str, Any](arrays))
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return _photo_features_of(arrays)


def photo_features_path(paths: Sequence[Path], backbone: ImageBackbone, cache_dir: Path) -> Path:
    """Where :func:`photo_features` caches the tower outputs of ``paths`` (keyed by graph and files)."""
    key = hashlib.sha256(
        f"{_FEATURE_CACHE_VERSION}|{backbone.onnx_path.name}|{_files_key(paths)}".encode()
    ).hexdigest()[:16]
    return Path(cache_dir) / f"photo-features-{key}.npz"


def _photo_features_of(arrays: dict[str, np.ndarray]) -> PhotoFeatures:
    return PhotoFeatures(
        ids=arrays["ids"],
        plain=ImageFeatures(
            arrays["feat"], arrays["logits"], arrays["colour"], arrays["extra"], arrays["spatial"]
        ),
        flipped=ImageFeatures(
            arrays["feat_flip"],
            arrays["logits_flip"],
            arrays["colour"],
            arrays["extra_flip"],
            arrays["spatial_flip"],
        ),
    )


def encode_unique(
    texts: Sequence[str], backbone: TextBackbone, *, progress: Progress | None = None, chunk: int = 512
) -> dict[str, np.ndarray]:
    """MiniLM vectors of the distinct ``texts``."""
    unique = sorted(set(texts))
    out: dict[str, np.ndarray] = {}
    for start in range(0, len(unique), chunk):
        part = unique[start : start + chunk]
        vecs = backbone.encode(part, batch_size=128)
        out.update(zip(part, vecs, strict=True))
        if progress is not None:
            progress("text features", min(start + chunk, len(unique)), len(unique))
    return out


# --------------------------------------------------------------------------------------------
# Captions
# --------------------------------------------------------------------------------------------


def caption(product: Product, template: str) -> str | None:
    """One caption of ``product`` by template name; None when its fields are missing."""
    name = clean_value(product.name)
    kind = clean_value(product.article_type)
    colour = clean_value(product.base_colour)
    who = audience(product.gender)
    usage = clean_value(product.usage)
    if template == "name":
        return name
    if template == "description":
        return describe_product(product) or None
    if template == "type":
        return TYPE_PROMPT.format(kind) if kind else None
    if template == "colour":
        return TYPE_PROMPT.format(colour) if colour else None
    if template == "colour_type":
        return f"{colour} {kind}" if colour and kind else None
    if template == "colour_type_for":
        return f"a {colour} {kind} for {who}" if colour and kind and who else None
    if template == "full":
        if not (colour and kind and who and usage):
            return None
        return f"{who} {usage.lower()} {kind} in {colour}"
    raise ValidationError(f"unknown caption template {template!r}")


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------


@dataclass
class TrainingSet:
    """Row-aligned training inputs (features already standardised by :func:`fit_heads`)."""

    inputs: np.ndarray
    inputs_flipped: np.ndarray
    caption_ids: np.ndarray
    """``(n, n_templates)`` index into ``caption_vectors``; -1 where a template does not apply."""
    caption_vectors: np.ndarray
    type_index: np.ndarray
    colour_index: np.ndarray
    type_prompts: np.ndarray
    colour_prompts: np.ndarray
    prior: np.ndarray | None = None
    prior_flipped: np.ndarray | None = None
    visual_extra: np.ndarray | None = None
    """Extra poolings the visual head reads next to ``inputs`` (None: it reads ``inputs`` only)."""
    visual_extra_flipped: np.ndarray | None = None
    visual_spatial: np.ndarray | None = None
    """``(n, 192, 7, 7)`` maps the visual head's 1x1 convolution reads (None: no convolution)."""
    visual_spatial_flipped: np.ndarray | None = None


@dataclass
class FitResult:
    arrays: dict[str, np.ndarray]
    history: list[dict[str, float]] = field(default_factory=list)


def head_inputs(feats: ImageFeatures, recipe: Recipe) -> np.ndarray:
    parts = [feats.backbone]
    if recipe.use_colour:
        parts.append(feats.colour)
    if recipe.shared_extra:
        if feats.extra is None:
            raise ValidationError(
                "the recipe's shared head reads the extra poolings, which these features lack"
            )
        parts.append(feats.extra[:, EXTRA_BLOCKS])
    return np.concatenate(parts, axis=1).astype(np.float32)


def visual_extra_inputs(feats: ImageFeatures, recipe: Recipe) -> np.ndarray | None:
    """The extra poolings the visual head reads (float32), or None when the recipe does not use them."""
    if not (recipe.visual_extra and recipe.visual_dim > 0):
        return None
    if feats.extra is None:
        raise ValidationError("the recipe's visual head reads the extra poolings, which these features lack")
    return feats.extra.astype(np.float32)


def visual_spatial_inputs(feats: ImageFeatures, recipe: Recipe) -> np.ndarray | None:
    """The block-14 maps the visual head's convolution reads (float32), or None when not used."""
    if not (recipe.visual_conv > 0 and recipe.visual_dim > 0):
        return None
    if feats.spatial is None:
        raise ValidationError("the recipe's visual head reads the spatial map, which these features lack")
    return feats.spatial.astype(np.float32)


def prior_vectors(feats: ImageFeatures, recipe: Recipe, prior_table: np.ndarray | None) -> np.ndarray | None:
    """Unit ImageNet-name prior vectors of ``feats``, or None when the recipe does not use them."""
    from fashion_search.embed.fashion_lite import imagenet_prior

    if recipe.prior_weight <= 0:
        return None
    if prior_table is None:
        raise ValidationError("the recipe uses the ImageNet prior but no prior table was given")
    return l2_normalise(imagenet_prior(feats.logits, prior_table, recipe.prior_temperature))


def fit_heads(
    recipe: Recipe,
    data: TrainingSet,
    *,
    seed: int,
    progress: Progress | None = None,
) -> FitResult:
    """Fit the image (and optionally text) head on ``data``; returns NumPy weights."""
    import torch
    import torch.nn.functional as F  # noqa: N812 - the conventional name

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    mean = data.inputs.mean(axis=0)
    scale = 1.0 / (data.inputs.std(axis=0) + 1e-4)
    x_plain = torch.from_numpy((data.inputs - mean) * scale)
    x_flip = torch.from_numpy((data.inputs_flipped - mean) * scale)
    caps = torch.from_numpy(data.caption_vectors)
    type_prompts = torch.from_numpy(data.type_prompts)
    colour_prompts = torch.from_numpy(data.colour_prompts)
    type_index = torch.from_numpy(data.type_index)
    colour_index = torch.from_numpy(data.colour_index)
    d_in = x_plain.shape[1]
    dim = caps.shape[1]

    lin1 = torch.nn.Linear(d_in, recipe.hidden)
    lin2 = torch.nn.Linear(recipe.hidden, dim)
    skip = torch.nn.Linear(d_in, dim, bias=False) if recipe.skip else None
    residual = torch.nn.Parameter(torch.zeros(dim, dim)) if recipe.text_head == "residual" else None
    n_scales = 3 if recipe.separate_scales else 1
    log_scale = torch.nn.Parameter(torch.full((n_scales,), float(np.log(1.0 / recipe.init_temperature))))
    params: list[torch.nn.Parameter] = [*lin1.parameters(), *lin2.parameters(), log_scale]
    if skip is not None:
        params += list(skip.parameters())
    if residual is not None:
        params.append(residual)
    e_plain = e_flip = None
    if data.visual_extra is not None and data.visual_extra_flipped is not None and recipe.visual_dim > 0:
        e_mean = data.visual_extra.mean(axis=0, dtype=np.float64).astype(np.float32)
        e_scale = (1.0 / (data.visual_extra.std(axis=0, dtype=np.float64) + 1e-4)).astype(np.float32)
        e_plain = torch.from_numpy((data.visual_extra - e_mean) * e_scale)
        e_flip = torch.from_numpy((data.visual_extra_flipped - e_mean) * e_scale)
    s_plain = s_flip = None
    conv = None
    maps, maps_flipped = data.visual_spatial, data.visual_spatial_flipped
    if maps is not None and maps_flipped is not None and recipe.visual_conv > 0 and recipe.visual_dim > 0:
        s_mean = maps.mean(axis=(0, 2, 3), dtype=np.float64).astype(np.float32)
        s_std = maps.std(axis=(0, 2, 3), dtype=np.float64).astype(np.float32)
        s_scale = 1.0 / (s_std + 1e-4)
        s_plain = torch.from_numpy((maps - s_mean[:, None, None]) * s_scale[:, None, None])
        s_flip = torch.from_numpy((maps_flipped - s_mean[:, None, None]) * s_scale[:, None, None])
        conv = torch.nn.Conv2d(int(s_plain.shape[1]), recipe.visual_conv, kernel_size=1)
    vis_in = d_in + (0 if e_plain is None else int(e_plain.shape[1]))
    if s_plain is not None:
        vis_in += recipe.visual_conv * int(s_plain.shape[2] * s_plain.shape[3])
    vis1 = torch.nn.Linear(vis_in, recipe.visual_hidden) if recipe.visual_dim > 0 else None
    vis2 = torch.nn.Linear(recipe.visual_hidden, recipe.visual_dim) if recipe.visual_dim > 0 else None
    if vis1 is not None and vis2 is not None:
        params += [*vis1.parameters(), *vis2.parameters()]
    if conv is not None:
        params += list(conv.parameters())
    opt = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    n = len(x_plain)
    steps_per_epoch = max(1, int(np.ceil(n / recipe.batch_size)))
    total = steps_per_epoch * recipe.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.lr, total_steps=total, pct_start=0.1)
    dropout = torch.nn.Dropout(recipe.dropout)

    prior_plain = torch.from_numpy(data.prior) if data.prior is not None else None
    prior_flip = torch.from_numpy(data.prior_flipped) if data.prior_flipped is not None else None

    def image_head(x: torch.Tensor, prior: torch.Tensor | None) -> torch.Tensor:
        z = lin2(dropout(F.gelu(lin1(x), approximate="tanh")))
        if skip is not None:
            z = z + skip(x)
        z = F.normalize(z, dim=-1)
        if prior is not None:
            z = F.normalize(z + recipe.prior_weight * prior, dim=-1)
        return z

    def text_head(t: torch.Tensor) -> torch.Tensor:
        if residual is not None:
            t = t + t @ residual
        return F.normalize(t, dim=-1)

    history: list[dict[str, float]] = []
    valid = data.caption_ids >= 0
    for epoch in range(recipe.epochs):
        order = rng.permutation(n)
        # One caption per photo per epoch, drawn among the templates that apply to it.
        choice = np.argmax(rng.random(valid.shape) * valid, axis=1)
        cap_of = data.caption_ids[np.arange(n), choice]
        flip = rng.random(n) < 0.5 if recipe.flip_augment else np.zeros(n, dtype=bool)
        running = 0.0
        for step in range(steps_per_epoch):
            idx = order[step * recipe.batch_size : (step + 1) * recipe.batch_size]
            idx_t = torch.from_numpy(idx)
            flip_t = torch.from_numpy(flip[idx])
            x = torch.where(flip_t[:, None], x_flip[idx_t], x_plain[idx_t])
            prior = None
            if prior_plain is not None and prior_flip is not None:
                prior = torch.where(flip_t[:, None], prior_flip[idx_t], prior_plain[idx_t])
            img = image_head(x, prior)
            scales = log_scale.exp().clamp(max=100.0)
            scale_, type_scale, colour_scale = scales[0], scales[1 % n_scales], scales[2 % n_scales]
            loss = torch.zeros(())
            if recipe.contrastive_weight > 0:
                cid = torch.from_numpy(cap_of[idx])
                txt = text_head(caps[cid])
                logits = scale_ * img @ txt.T
                # Identical captions in a batch ("a photo of a Tshirts") are all positives.
                same = (cid[:, None] == cid[None, :]).float()
                target = same / same.sum(dim=1, keepdim=True)
                loss_i = -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
                loss_t = -(target * F.log_softmax(logits.T, dim=1)).sum(dim=1).mean()
                loss = loss + recipe.contrastive_weight * (loss_i + loss_t) / 2
            if recipe.type_prompt_weight > 0:
                logits = type_scale * img @ text_head(type_prompts).T
                loss = loss + recipe.type_prompt_weight * F.cross_entropy(logits, type_index[idx_t])
            if recipe.colour_prompt_weight > 0:
                logits = colour_scale * img @ text_head(colour_prompts).T
                loss = loss + recipe.colour_prompt_weight * F.cross_entropy(logits, colour_index[idx_t])
            if recipe.supcon_weight > 0:
                sc = supervised_contrastive(scale_ * img, img, type_index[idx_t])
                loss = loss + recipe.supcon_weight * sc
            if vis1 is not None and vis2 is not None:
                xv = x
                if e_plain is not None and e_flip is not None:
                    xv = torch.cat([xv, torch.where(flip_t[:, None], e_flip[idx_t], e_plain[idx_t])], dim=1)
                if conv is not None and s_plain is not None and s_flip is not None:
                    batch_maps = torch.where(flip_t[:, None, None, None], s_flip[idx_t], s_plain[idx_t])
                    xv = torch.cat([xv, F.gelu(conv(batch_maps), approximate="tanh").flatten(1)], dim=1)
                u = F.normalize(vis2(dropout(F.gelu(vis1(xv), approximate="tanh"))), dim=-1)
                loss = loss + supervised_contrastive(u / recipe.visual_temperature, u, type_index[idx_t])
            if residual is not None:
                loss = loss + recipe.text_residual_penalty * (residual**2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            running += float(loss.detach())
        history.append({"epoch": epoch + 1, "loss": running / steps_per_epoch})
        if progress is not None:
            progress("training", epoch + 1, recipe.epochs)

    arrays = {
        "in_mean": mean.astype(np.float32),
        "in_scale": scale.astype(np.float32),
        "w1": lin1.weight.detach().numpy().T.copy(),
        "b1": lin1.bias.detach().numpy().copy(),
        "w2": lin2.weight.detach().numpy().T.copy(),
        "b2": lin2.bias.detach().numpy().copy(),
        "logit_scale": log_scale.detach().exp().numpy().astype(np.float32),
    }
    if skip is not None:
        arrays["skip"] = skip.weight.detach().numpy().T.copy()
    if residual is not None:
        arrays["text_residual"] = residual.detach().numpy().copy()
    if vis1 is not None and vis2 is not None:
        arrays["vis_w1"] = vis1.weight.detach().numpy().T.copy()
        arrays["vis_b1"] = vis1.bias.detach().numpy().copy()
        arrays["vis_w2"] = vis2.weight.detach().numpy().T.copy()
        arrays["vis_b2"] = vis2.bias.detach().numpy().copy()
        if e_plain is not None:
            arrays["vis_extra_mean"] = e_mean
            arrays["vis_extra_scale"] = e_scale
        if conv is not None:
            arrays["vis_map_mean"] = s_mean
            arrays["vis_map_scale"] = s_scale
            arrays["vis_conv_w"] = conv.weight.detach().numpy()[:, :, 0, 0].T.copy()
            arrays["vis_conv_b"] = conv.state_dict()["bias"].numpy().copy()
    return FitResult(arrays=arrays, history=history)


def supervised_contrastive(scaled: Any, vectors: Any, labels: Any) -> Any:
    """Supervised contrastive loss (Khosla et al.): rows with the same label are positives.

    ``scaled @ vectors.T`` are the logits (``scaled`` carries the temperature); rows without any
    positive in the batch are left out.
    """
    import torch
    import torch.nn.functional as F  # noqa: N812 - the conventional name

    sims = scaled @ vectors.T
    eye = torch.eye(len(labels), dtype=torch.bool)
    sims = sims.masked_fill(eye, -1e9)
    pos = ((labels[:, None] == labels[None, :]) & ~eye).float()
    has = pos.sum(dim=1) > 0
    if not bool(has.any()):
        return torch.zeros(())
    log_p = F.log_softmax(sims, dim=1)
    per_row = -(pos * log_p).sum(dim=1) / pos.sum(dim=1).clamp(min=1.0)
    return per_row[has].mean()


def build_training_set(
    products: Sequence[Product],
    feats: PhotoFeatures,
    recipe: Recipe,
    text_backbone: TextBackbone,
    *,
    type_names: Sequence[str],
    colour_names: Sequence[str],
    prior_table: np.ndarray | None = None,
    progress: Progress | None = None,
) -> TrainingSet:
    """Captions, prompts and standardisable inputs of ``products`` (which must have types and colours)."""
    rows = feats.rows([p.id for p in products])
    plain = _take(feats.plain, rows)
    flipped = _take(feats.flipped, rows)
    captions = [[caption(p, t) for t in recipe.templates] for p in products]
    type_prompts = [TYPE_PROMPT.format(t) for t in type_names]
    colour_prompts = [TYPE_PROMPT.format(c) for c in colour_names]
    all_texts = [c for cs in captions for c in cs if c] + type_prompts + colour_prompts
    vectors = encode_unique(all_texts, text_backbone, progress=progress)
    vocab = sorted({c for cs in captions for c in cs if c})
    vocab_index = {c: i for i, c in enumerate(vocab)}
    caption_ids = np.asarray(
        [[vocab_index[c] if c else -1 for c in cs] for cs in captions], dtype=np.int64
    ).reshape(len(products), len(recipe.templates))
    if (caption_ids.max(axis=1) < 0).any():
        raise ValidationError("some training products have no caption at all (no name, type or colour)")
    type_pos = {t: i for i, t in enumerate(type_names)}
    colour_pos = {c: i for i, c in enumerate(colour_names)}
    return TrainingSet(
        visual_extra=visual_extra_inputs(plain, recipe),
        visual_extra_flipped=visual_extra_inputs(flipped, recipe),
        visual_spatial=visual_spatial_inputs(plain, recipe),
        visual_spatial_flipped=visual_spatial_inputs(flipped, recipe),
        inputs=head_inputs(plain, recipe),
        inputs_flipped=head_inputs(flipped, recipe),
        prior=prior_vectors(plain, recipe, prior_table),
        prior_flipped=prior_vectors(flipped, recipe, prior_table),
        caption_ids=caption_ids,
        caption_vectors=np.stack([vectors[c] for c in vocab]).astype(np.float32),
        type_index=np.asarray([type_pos[p.article_type or ""] for p in products], dtype=np.int64),
        colour_index=np.asarray([colour_pos[p.base_colour or ""] for p in products], dtype=np.int64),
        type_prompts=np.stack([vectors[t] for t in type_prompts]).astype(np.float32),
        colour_prompts=np.stack([vectors[c] for c in colour_prompts]).astype(np.float32),
    )


def _take(feats: ImageFeatures, rows: np.ndarray) -> ImageFeatures:
    extra = None if feats.extra is None else feats.extra[rows]
    spatial = None if feats.spatial is None else feats.spatial[rows]
    return ImageFeatures(feats.backbone[rows], feats.logits[rows], feats.colour[rows], extra, spatial)


def labelled(products: Sequence[Product]) -> list[Product]:
    """Products usable for training: a known article type and colour."""
    return [p for p in products if clean_value(p.article_type) and clean_value(p.base_colour)]


# --------------------------------------------------------------------------------------------
# The whole job
# --------------------------------------------------------------------------------------------


@dataclass
class TrainReport:
    model_dir: Path
    train_ids: list[int]
    holdout_ids: list[int]
    excluded_types: list[str]
    seconds: float
    history: list[dict[str, float]]


def train_model(
    catalog_dir: Path,
    out_dir: Path,
    *,
    cache_dir: Path,
    seed: int = 0,
    epochs: int | None = None,
    holdout: float = 0.2,
    exclude_types: Sequence[str] = (),
    withhold_types: int = 0,
    recipe: Recipe | None = None,
    threads: int = 2,
    progress: Progress | None = None,
) -> TrainReport:
    """Train fashion-lite heads on ``catalog_dir`` and write a model directory to ``out_dir``.

    A seeded random ``holdout`` fraction of the photos and every photo of ``exclude_types`` (plus
    ``withhold_types`` more article types drawn with ``seed`` by :func:`choose_withheld_types`)
    are kept out of training; they are recorded in config.json so that ``eval --holdout-of``
    measures on exactly them. The directory is written beside ``out_dir`` and renamed into place.
    """
    started = time.perf_counter()
    recipe = recipe or Recipe()
    if epochs is not None:
        if epochs < 1:
            raise ValidationError(f"epochs must be at least 1, got {epochs}")
        recipe = replace(recipe, epochs=epochs)
    products, paths = load_photo_products(catalog_dir)
    if not products:
        raise CatalogError(f"{catalog_dir} has no product with a photo to train on")
    known_types = {p.article_type for p in products}
    unknown = sorted(set(exclude_types) - known_types)
    if unknown:
        raise ValidationError(f"--exclude-types names types with no photo in the catalog: {unknown}")
    cache_dir = Path(cache_dir)
    image_backbone = ImageBackbone(cache_dir, threads=threads)
    text_backbone = TextBackbone(cache_dir, threads=threads)
    ids = [p.id for p in products]
    feats = photo_features(ids, [paths[i] for i in ids], image_backbone, cache_dir, progress=progress)
    train_ids, holdout_ids = split_holdout(ids, holdout, seed)
    excluded = set(exclude_types)
    if withhold_types:
        remaining = [p for p in products if p.article_type not in excluded]
        excluded |= set(choose_withheld_types(remaining, withhold_types, seed))
    train_set = set(train_ids)
    train_products = labelled([p for p in products if p.id in train_set and p.article_type not in excluded])
    if len(train_products) < 2:
        raise ValidationError(
            "fewer than two labelled training photos remain after the holdout and exclusions"
        )
    type_names = sorted({p.article_type or "" for p in train_products})
    colour_names = sorted({p.base_colour or "" for p in train_products})
    prior_table = None
    if recipe.prior_weight > 0:
        from fashion_search.embed.features import imagenet_prior_table

        prior_table = imagenet_prior_table(text_backbone)
    data = build_training_set(
        train_products,
        feats,
        recipe,
        text_backbone,
        type_names=type_names,
        colour_names=colour_names,
        prior_table=prior_table,
        progress=progress,
    )
    fit = fit_heads(recipe, data, seed=seed, progress=progress)
    arrays = dict(fit.arrays)
    if prior_table is not None:
        arrays["prior_table"] = prior_table
    config: dict[str, Any] = {
        "family": MODEL_FAMILY,
        "dim": int(arrays["w2"].shape[1]) + recipe.visual_dim,
        "image_tower": "efficientnet-lite0 (ImageNet), pooled 1280-d, 224x224 squashed, mean/std 0.5"
        + (
            f"; visual head also reads {IMAGE_EXTRA_DIM} extra poolings of the same pass"
            " (max of the 7x7x1280 map, 2x2 grids of the 7x7x320 and 14x14x112 blocks, max of the latter"
            ")"
            if "vis_extra_mean" in arrays
            else ""
        )
        + (
            f", and a 1x1 convolution ({recipe.visual_conv} channels) of the 7x7x192 block-14 map"
            if "vis_conv_w" in arrays
            else ""
        ),
        "image_extra_dim": IMAGE_EXTRA_DIM if "vis_extra_mean" in arrays else 0,
        "image_spatial_shape": list(SPATIAL_SHAPE) if "vis_conv_w" in arrays else None,
        "text_tower": "sentence-transformers/all-MiniLM-L6-v2, mean pooled, L2 normalised",
        "recipe": asdict(recipe),
        "recipe_changes": recipe_changes(recipe),
        "seed": seed,
        "holdout": holdout,
        "withhold_types": withhold_types,
        "exclude_types_named": sorted(set(exclude_types)),
        "exclude_types": sorted(excluded),
        "catalog": str(Path(catalog_dir).resolve()),
        "type_names": type_names,
        "colour_names": colour_names,
        "n_train": len(train_products),
        "train_ids": [p.id for p in train_products],
        "holdout_ids": holdout_ids,
        "history": fit.history,
    }
    write_model_dir(Path(out_dir), config, arrays, card=model_card(config))
    return TrainReport(
        model_dir=Path(out_dir),
        train_ids=[p.id for p in train_products],
        holdout_ids=holdout_ids,
        excluded_types=sorted(excluded),
        seconds=time.perf_counter() - started,
        history=fit.history,
    )


def model_card(config: dict[str, Any]) -> str:
    """The training half of a model card, from the facts config.json records."""
    recipe = config["recipe"]
    withheld = int(config.get("withhold_types", 0))
    named = config.get("exclude_types_named", config["exclude_types"])
    command = (
        f"fashion-search train --catalog {config['catalog']} --out MODEL_DIR --seed {config['seed']} "
        f"--epochs {recipe['epochs']} --holdout {config['holdout']}"
        + (f" --withhold-types {withheld}" if withheld else "")
        + (f' --exclude-types "{",".join(named)}"' if named else "")
        + (f" --recipe '{json.dumps(config['recipe_changes'])}'" if config.get("recipe_changes") else "")
    )
    lines = [
        f"# {MODEL_FAMILY} model card",
        "",
        "## Training",
        f"- Towers (frozen): {config['image_tower']}; {config['text_tower']}.",
        f"- Training photos: {config['n_train']} of the catalog at `{config['catalog']}`; "
        f"{len(config['holdout_ids'])} held out (random {config['holdout']:.0%}, seed {config['seed']}); "
        f"article types never trained on: {config['exclude_types'] or 'none'}. Ids are in config.json.",
        f"- Command: `{command}`",
        f"- Recipe: `{json.dumps(recipe)}`",
        f"- Output dimension {config['dim']}; final training loss {config['history'][-1]['loss']:.4f}.",
        "",
        "## Evaluation",
        "Measure with `fashion-search eval --catalog CATALOG --model fashion-lite:MODEL_DIR "
        "--holdout-of MODEL_DIR`.",
        "",
    ]
    return "\n".join(lines)


def write_model_dir(
    out_dir: Path, config: dict[str, Any], arrays: dict[str, np.ndarray], card: str | None = None
) -> None:
    """Write config.json + float16 heads.npz into a fresh directory renamed onto ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValidationError(f"model output {out_dir} exists and is not a directory")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model directory is package data
    try:
        half = {k: np.asarray(v, dtype=np.float16) for k, v in arrays.items()}
        np.savez_compressed(tmp / WEIGHTS_FILE, **dict[str, Any](half))
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
        if card:
            (tmp / CARD_FILE).write_text(card, encoding="utf-8")
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)

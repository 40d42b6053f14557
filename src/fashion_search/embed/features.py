"""Image features that the fashion-lite heads read: backbone features, ImageNet logits, colour.

The foreground colour histogram exists because pooled ImageNet features carry little colour: catalog
photos have a near-white background, which is masked out before counting hue / saturation / value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from fashion_search.embed.backbones import ImageBackbone, TextBackbone, images_to_uint8, normalise_pixels

# Colour histogram layout: chromatic pixels by hue x saturation x value, achromatic ones by value.
HUE_BINS = 24
SAT_BINS = 2
VAL_BINS = 3
GREY_BINS = 8
_CHROMA_MIN_SAT = 0.18
_CHROMA_MIN_VAL = 0.18
# Near-white, unsaturated pixels are the studio background.
_BACKGROUND_MIN_VAL = 0.93
_BACKGROUND_MAX_SAT = 0.07
_DOWNSAMPLE = 4
COLOUR_DIM = HUE_BINS * SAT_BINS * VAL_BINS + GREY_BINS + 1 + 6


@dataclass(frozen=True)
class ImageFeatures:
    """Per-image inputs of the image head, row-aligned."""

    backbone: np.ndarray
    """``(n, 1280)`` pooled EfficientNet-Lite0 features."""
    logits: np.ndarray
    """``(n, 1000)`` ImageNet logits."""
    colour: np.ndarray
    """``(n, COLOUR_DIM)`` foreground colour histogram and statistics."""
    extra: np.ndarray | None = None
    """``(n, IMAGE_EXTRA_DIM)`` more poolings of the same backbone pass (max, grids of earlier blocks;
    see :mod:`~fashion_search.embed.backbones`); None where they were not kept (older caches)."""
    spatial: np.ndarray | None = None
    """``(n, *SPATIAL_SHAPE)`` block-14 map of the same pass; None where it was not kept."""

    def __len__(self) -> int:
        return len(self.backbone)


def _rgb_to_hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised RGB in [0, 1] -> hue in [0, 1), saturation, value."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = rgb.max(axis=-1)
    low = rgb.min(axis=-1)
    chroma = value - low
    sat = np.where(value > 0, chroma / np.maximum(value, 1e-8), 0.0)
    safe = np.maximum(chroma, 1e-8)
    hue = np.where(
        value == r,
        ((g - b) / safe) % 6.0,
        np.where(value == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0),
    )
    hue = np.where(chroma > 0, hue / 6.0, 0.0)
    return hue, sat, value


def colour_histogram(pixels: np.ndarray) -> np.ndarray:
    """``(n, h, w, 3)`` uint8 pictures -> ``(n, COLOUR_DIM)`` float32 foreground colour features.

    Square-rooted normalised histogram (chromatic: hue x saturation x value; achromatic: value),
    the foreground fraction, and the foreground's mean and standard deviation of R, G, B.
    """
    if pixels.ndim != 4 or pixels.shape[-1] != 3:
        raise ValueError(f"expected (n, h, w, 3) pixels, got shape {pixels.shape}")
    n, h, w, _ = pixels.shape
    k = _DOWNSAMPLE
    hh, ww = h // k, w // k
    small = pixels[:, : hh * k, : ww * k].reshape(n, hh, k, ww, k, 3).mean(axis=(2, 4)) / 255.0
    hue, sat, val = _rgb_to_hsv(small)
    foreground = ~((val >= _BACKGROUND_MIN_VAL) & (sat <= _BACKGROUND_MAX_SAT))
    # A photo that is all background (a white product) is described by all its pixels instead.
    empty = foreground.reshape(n, -1).sum(axis=1) == 0
    foreground[empty] = True
    chroma = foreground & (sat >= _CHROMA_MIN_SAT) & (val >= _CHROMA_MIN_VAL)

    hue_bin = np.minimum((hue * HUE_BINS).astype(np.int64), HUE_BINS - 1)
    sat_bin = np.minimum(
        ((sat - _CHROMA_MIN_SAT) / (1 - _CHROMA_MIN_SAT) * SAT_BINS).astype(np.int64), SAT_BINS - 1
    )
    val_bin = np.minimum(
        ((val - _CHROMA_MIN_VAL) / (1 - _CHROMA_MIN_VAL) * VAL_BINS).astype(np.int64), VAL_BINS - 1
    )
    grey_bin = np.minimum((val * GREY_BINS).astype(np.int64), GREY_BINS - 1)
    n_chroma = HUE_BINS * SAT_BINS * VAL_BINS
    bins = np.where(
        chroma,
        (hue_bin * SAT_BINS + np.clip(sat_bin, 0, None)) * VAL_BINS + np.clip(val_bin, 0, None),
        n_chroma + grey_bin,
    )
    bins = np.where(foreground, bins, n_chroma + GREY_BINS)  # background goes to a discarded bin
    offsets = (np.arange(n) * (n_chroma + GREY_BINS + 1))[:, None, None]
    counts = np.bincount((bins + offsets).ravel(), minlength=n * (n_chroma + GREY_BINS + 1))
    counts = counts.reshape(n, n_chroma + GREY_BINS + 1)[:, : n_chroma + GREY_BINS].astype(np.float32)
    fg_count = foreground.reshape(n, -1).sum(axis=1).astype(np.float32)
    hist = np.sqrt(counts / fg_count[:, None])

    fg = foreground[..., None].astype(np.float32)
    mean = (small * fg).sum(axis=(1, 2)) / fg_count[:, None]
    var = (((small - mean[:, None, None, :]) ** 2) * fg).sum(axis=(1, 2)) / fg_count[:, None]
    fraction = fg_count / (hh * ww)
    return np.concatenate([hist, fraction[:, None], mean, np.sqrt(var)], axis=1).astype(np.float32)


def flip_pixels(pixels: np.ndarray) -> np.ndarray:
    """Mirror ``(n, h, w, 3)`` pictures left-right (a training augmentation)."""
    return np.ascontiguousarray(pixels[:, :, ::-1])


def features_from_pixels(backbone: ImageBackbone, pixels: np.ndarray) -> ImageFeatures:
    """Run the backbone and the colour histogram on ``(n, 224, 224, 3)`` uint8 pictures."""
    out = backbone.run_all(normalise_pixels(pixels))
    return ImageFeatures(
        backbone=out.features,
        logits=out.logits,
        colour=colour_histogram(pixels),
        extra=out.extra,
        spatial=out.spatial,
    )


def image_features(backbone: ImageBackbone, images: Sequence[Image.Image]) -> ImageFeatures:
    """Decode, squash to the training geometry and featurise a batch of pictures."""
    return features_from_pixels(backbone, images_to_uint8(images))


def imagenet_class_names() -> list[str]:
    """The 1000 ImageNet-1k class names (first WordNet lemma), in the backbone's logit order."""
    from importlib import resources

    text = resources.files("fashion_search").joinpath("models", "imagenet-classes.txt").read_text("utf-8")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if len(names) != 1000:
        raise ValueError(f"imagenet-classes.txt should list 1000 class names, found {len(names)}")
    return names


def imagenet_prior_table(text_backbone: TextBackbone) -> np.ndarray:
    """``(1000, 384)`` MiniLM vectors of "a photo of a {class name}" for the ImageNet classes."""
    return text_backbone.encode([f"a photo of a {name}" for name in imagenet_class_names()])

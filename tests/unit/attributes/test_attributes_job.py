"""The tagging job on a store, and incremental re-embedding of the enriched descriptions.

Tiny catalog with known answers for the fake embedder: the pattern of a shirt is its photo's colour
(striped red, checked blue, solid green), which the image vectors carry on fixed colour axes and
which the zero-shot prompts (texts about stripes) cannot see, so a head learns it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from fashion_search.attributes import (
    apply_attributes,
    enriched_description,
    plain_description,
    tag_catalog,
    tag_products,
)
from fashion_search.attributes.tagger import HEAD
from fashion_search.domain import ImageStatus, Product
from fashion_search.embed.fake import FakeEmbedder
from fashion_search.embed.pipeline import embed_catalog
from fashion_search.store.base import Store
from fashion_search.store.sqlite import SqliteStore

COLOURS = {"Striped": (210, 35, 35), "Checked": (40, 90, 210), "Solid": (40, 150, 60)}
N_PHOTOS = 90


def _catalog(images: Path) -> list[Product]:
    images.mkdir()
    products = []
    for i in range(N_PHOTOS):
        pattern = list(COLOURS)[i % 3]
        shade = tuple(max(0, min(255, c + (i % 7) * 4 - 12)) for c in COLOURS[pattern])
        Image.new("RGB", (24, 24), shade).save(images / f"{i + 1}.png")
        products.append(
            Product(
                i + 1,
                f"Roadster Men {pattern} Shirt {i + 1}",
                gender="Men",
                master_category="Apparel",
                sub_category="Topwear",
                article_type="Shirts",
                usage="Casual",
                image_status=ImageStatus.PRESENT,
                image_file=f"{i + 1}.png",
                attributes={"care": "machine wash"} if i == 0 else {},
            )
        )
    products.append(Product(500, "Roadster Men Striped Shirt without photo", sub_category="Topwear"))
    return products


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "data")
    else:
        from fashion_search.store.postgres import PostgresStore

        uri = request.getfixturevalue("postgres_uri")
        s = PostgresStore(uri, schema=request.getfixturevalue("postgres_schema"))
    s.upsert_products(_catalog(tmp_path / "images"))
    yield s
    s.close()


def test_tag_catalog_stores_confident_attributes_and_is_incremental(store: Store, tmp_path: Path) -> None:
    embedder = FakeEmbedder(64)
    images, work = tmp_path / "images", tmp_path / "work"
    report = tag_catalog(store, embedder, images, work)
    assert report.refitted and report.products_seen == N_PHOTOS + 1
    assert report.with_photo == report.tagged == N_PHOTOS
    figures = {f.name: f for f in report.figures}
    assert figures["pattern"].method == HEAD
    assert figures["pattern"].accuracy is not None and figures["pattern"].accuracy >= 0.9
    assert figures["pattern"].head_accuracy is not None
    assert figures["pattern"].head_accuracy > (figures["pattern"].zero_shot_accuracy or 0.0)

    stored = {p.id: p for p in store.get_products(list(range(1, N_PHOTOS + 1)) + [500])}
    right = sum(
        stored[i].attributes.get("pattern", "").title() in stored[i].name for i in range(1, N_PHOTOS + 1)
    )
    given = sum("pattern" in stored[i].attributes for i in range(1, N_PHOTOS + 1))
    assert given >= 0.8 * N_PHOTOS and right == given
    assert report.coverage["pattern"] == pytest.approx(given / N_PHOTOS, abs=1e-4)
    assert stored[1].attributes["care"] == "machine wash"  # not the tagger's: kept
    assert stored[500].attributes == {}
    assert report.to_dict()["figures"][1]["name"] == "pattern"

    again = tag_catalog(store, embedder, images, work)
    assert not again.refitted and again.tagger_version == report.tagger_version
    assert again.tagged == 0 and again.unchanged == N_PHOTOS

    # A photo that disappears takes its tags with it.
    (images / "2.png").unlink()
    third = tag_catalog(store, embedder, images, work)
    assert third.cleared == 1 and 2 in third.failed
    assert store.get_product(2) is not None and store.get_product(2).attributes == {}  # type: ignore[union-attr]


def test_re_embedding_after_tagging_touches_only_changed_descriptions(store: Store, tmp_path: Path) -> None:
    embedder = FakeEmbedder(64)
    images = tmp_path / "images"
    first = embed_catalog(store, embedder, images)
    assert first.embedded["text"] == N_PHOTOS + 1 and first.embedded["image"] == N_PHOTOS
    before = {p.id: enriched_description(p) for batch in store.iter_products() for p in batch}
    tag_catalog(store, embedder, images, tmp_path / "work")
    after = {p.id: p for batch in store.iter_products() for p in batch}
    changed = {pid for pid, p in after.items() if enriched_description(p) != before[pid]}
    assert 0.8 * N_PHOTOS <= len(changed) <= N_PHOTOS
    second = embed_catalog(store, embedder, images)
    assert second.embedded["text"] == len(changed)
    assert second.embedded["hybrid"] == len(changed)
    assert second.embedded["image"] == 0  # photos did not change
    assert second.skipped_unchanged["text"] == N_PHOTOS + 1 - len(changed)
    assert embed_catalog(store, embedder, images).embedded == {"image": 0, "text": 0, "hybrid": 0}


def test_tag_products_and_descriptions_without_a_store(store: Store, tmp_path: Path) -> None:
    products = [p for batch in store.iter_products() for p in batch]
    result = tag_products(products, FakeEmbedder(64), tmp_path / "images", tmp_path / "work")
    assert result.refitted and set(result.seconds) == {"features", "fit", "tag"}
    assert len(result.tags) == N_PHOTOS and 500 not in result.tags
    attributes = result.attributes()
    assert result.coverage(products)["pattern"] == pytest.approx(
        sum("pattern" in a for a in attributes.values()) / N_PHOTOS, abs=1e-4
    )
    assert {f.name for f in result.figures()} >= {"pattern", "formality"}
    enriched = {p.id: p for p in apply_attributes(products, attributes)}
    shirt = next(p for p in enriched.values() if p.attributes.get("pattern") == "striped")
    assert "Pattern: striped" in enriched_description(shirt)
    assert "Pattern" not in plain_description(shirt)
    assert plain_description(shirt) == enriched_description(apply_attributes([shirt], {})[0])
    # Other keys survive enrichment and its removal.
    assert enriched[1].attributes["care"] == "machine wash"
    assert apply_attributes([enriched[1]], {})[0].attributes == {"care": "machine wash"}
    # A second call reuses the fitted tagger; another split seed fits a new one.
    assert not tag_products(products, FakeEmbedder(64), tmp_path / "images", tmp_path / "work").refitted
    assert tag_products(products, FakeEmbedder(64), tmp_path / "images", tmp_path / "work", seed=1).refitted
